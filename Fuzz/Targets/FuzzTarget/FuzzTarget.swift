import ArenaCore

@testable import ArenaHTTP

/// Request targets and routing (`RequestTarget(parsing:)`, `Route`): any target is refused with a reason or splits
/// into segments and query parameters that hold no NUL byte and that, percent-encoded again, parse to the same
/// parts; the router then picks at most one route, and an arena name it extracts is one the name rules judge.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Safe: libFuzzer hands `size` readable bytes at `data` for the duration of the call.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let target = try? RequestTarget(parsing: bytes) else { return 0 }
    for part in target.segments + target.query.keys + target.query.values {
        precondition(!part.utf8.contains(0), "a NUL byte got through in \(target)")
    }
    precondition(!target.segments.isEmpty, "no segments for \(target.path)")
    var encoded = "/" + target.segments.map(encode).joined(separator: "/")
    if !target.query.isEmpty {
        encoded +=
            "?"
            + target.query.sorted { $0.key < $1.key }.map { encode($0.key) + "=" + encode($0.value) }
            .joined(separator: "&")
    }
    guard let again = try? RequestTarget(parsing: Array(encoded.utf8)) else {
        fatalError("\(target) encoded as \(encoded) no longer parses")
    }
    // A trailing empty segment is dropped on parsing (`/arenas/` is `/arenas`), so compare what routing sees.
    precondition(
        again.segments == target.segments || again.segments == Array(target.segments.dropLast()),
        "\(target.segments) became \(again.segments)")
    precondition(again.query == target.query, "\(target.query) became \(again.query)")
    if let route = Route(target.segments) {
        precondition(Route(again.segments) == route || again.segments != target.segments, "the route changed")
        precondition(Route.labels.indices.contains(route.labelIndex), "a label out of range")
        if let name = route.arenaName, name.utf8.contains(UInt8(ascii: "/")) {
            precondition(!ArenaName.isValid(name), "an arena name with '/' passes the name rules: \(name)")
        }
    }
    return 0
}

/// Percent-encodes every byte that is not unreserved (RFC 3986).
func encode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
        }
    }
    return out
}
