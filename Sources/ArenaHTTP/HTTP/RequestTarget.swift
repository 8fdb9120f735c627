/// A request target (`/arenas/req%2042/events?since=3`) split into its parts, then percent-decoded part by part.
///
/// Splitting comes first: an encoded `/` (`%2F`) stays inside its segment, so `/arenas/a%2Fevents` is the arena
/// path with the name `a/events` (which no arena can have), never the events route. A part that decodes to a NUL
/// byte or to invalid UTF-8 is refused, so no later reader (a C string, a log line) can see a different name than
/// the router did.
///
/// ```swift
/// let target = try RequestTarget(parsing: Array("/arenas/frame/events?since=3&format=text".utf8)).get()
/// target.segments    // ["arenas", "frame", "events"]
/// target.query       // ["since": "3", "format": "text"]
/// ```
struct RequestTarget: Sendable, Equatable {
    /// The path as sent, percent-encoding intact, without the query.
    var path: String
    /// The path's segments after the leading `/`, each percent-decoded. `/` is `[""]`; a trailing slash is
    /// dropped (`/arenas/` is `["arenas"]`).
    var segments: [String]
    /// Query parameters, `+` read as a space and percent-decoded. A parameter without `=` maps to `""`; for
    /// repeated names the last wins.
    var query: [String: String]

    init(path: String, segments: [String], query: [String: String] = [:]) {
        self.path = path
        self.segments = segments
        self.query = query
    }

    /// Why a target cannot be read.
    struct Problem: Error, Equatable {
        /// A sentence for the 400 response.
        var reason: String
    }

    /// Parses the target bytes exactly as they came in the request line.
    ///
    /// One pass over the bytes, by index: this runs for every request, and the generic `split` it replaced cost
    /// more than the rest of a `/healthz` request's routing (an array of slices, then one `String` each). Bytes in
    /// contiguous storage (libmicrohttpd's buffer, an array) are read in place, not copied first.
    init(parsing raw: some Collection<UInt8>) throws(Problem) {
        let parsed =
            raw.withContiguousStorageIfAvailable { Self.parsed($0) }
            ?? Array(raw).withUnsafeBufferPointer { Self.parsed($0) }
        self = try parsed.get()
    }

    private static func parsed(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<RequestTarget, Problem> {
        Result { () throws(Problem) in try parse(bytes) }
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Problem) -> RequestTarget {
        let queryStart = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex
        guard queryStart > 0, bytes[0] == UInt8(ascii: "/") else {
            throw Problem(reason: "the request target must be a path starting with '/'")
        }
        // From the contiguous buffer, not its slice: the slice takes String's generic (per-element) path.
        let path = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<queryStart]), as: UTF8.self)
        // Segments between the slashes after the first, empty ones kept; a trailing slash adds no segment unless
        // it is the only one (`/` is `[""]`). Counted first, so the array is allocated once.
        var slashes = 0
        for index in 1..<queryStart where bytes[index] == UInt8(ascii: "/") { slashes += 1 }
        var segments: [String] = []
        segments.reserveCapacity(slashes + 1)
        var start = 1
        for index in 1...queryStart where index == queryStart || bytes[index] == UInt8(ascii: "/") {
            if index == queryStart, start == index, !segments.isEmpty { break }
            segments.append(try decode(bytes[start..<index], plusIsSpace: false, what: "the path"))
            start = index + 1
        }
        var query: [String: String] = [:]
        if queryStart < bytes.endIndex {
            for pair in bytes[(queryStart + 1)...].split(separator: UInt8(ascii: "&")) {
                let equals = pair.firstIndex(of: UInt8(ascii: "=")) ?? pair.endIndex
                let name = try decode(pair[..<equals], plusIsSpace: true, what: "a query parameter name")
                let value =
                    equals < pair.endIndex
                    ? try decode(pair[(equals + 1)...], plusIsSpace: true, what: "query parameter '\(name)'")
                    : ""
                query[name] = value
            }
        }
        return RequestTarget(path: path, segments: segments, query: query)
    }

    /// Percent-decodes one part; refuses a bad `%` escape, a NUL byte and invalid UTF-8.
    static func decode(
        _ part: Slice<UnsafeBufferPointer<UInt8>>, plusIsSpace: Bool, what: String
    ) throws(Problem) -> String {
        var needsWork = false
        for byte in part where byte == UInt8(ascii: "%") || byte == 0 || byte >= 0x80 || (plusIsSpace && byte == 0x2B) {
            needsWork = true
            break
        }
        if !needsWork { return String(decoding: UnsafeBufferPointer(rebasing: part), as: UTF8.self) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(part.count)
        var index = part.startIndex
        while index < part.endIndex {
            let byte = part[index]
            if byte == UInt8(ascii: "%") {
                guard part.endIndex - index >= 3,
                    let high = hexValue(part[index + 1]), let low = hexValue(part[index + 2])
                else { throw Problem(reason: "\(what) has a '%' that is not followed by two hex digits") }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        if decoded.contains(0) { throw Problem(reason: "\(what) contains a NUL byte (%00)") }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            throw Problem(reason: "\(what) is not valid UTF-8 once percent-decoded")
        }
        return text
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
