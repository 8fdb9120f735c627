import ArenaCore
import Synchronization

/// `GET /metrics`: Prometheus text exposition 0.0.4, or OpenMetrics 1.0.0 when `Accept` asks for it, rendered on
/// demand by `Metrics/`.
extension ArenaAPI {
    func metrics(_ request: HTTPRequest) -> HTTPResponse {
        let format = Self.exposition(accepting: request.headers.values(for: "Accept"))
        // Room for the last exposition and a little more: grown from a guess, a 17 KB exposition was copied twice.
        var out = PrometheusText(format: format, reservingCapacity: Self.lastExpositionBytes.load(ordering: .relaxed))
        BuildInfoMetric.render(into: &out)
        classMetrics.render(registry: registry, into: &out)
        scopeMetrics.render(into: &out)
        requestMetrics.render(into: &out, openConnections: openConnections.value)
        ProcessMetrics.render(into: &out)
        let body = out.finishedBody()
        Self.lastExpositionBytes.store(body.count + body.count / 8, ordering: .relaxed)
        var response = HTTPResponse(status: .ok, body: .rendered(body))
        response.headers.add(name: "Content-Type", value: format.contentType)
        response.headers.add(name: "Vary", value: "Accept")
        return response
    }

    /// What the next exposition reserves: the last one's size and an eighth (a sizing hint only).
    private static let lastExpositionBytes = Atomic<Int>(16 << 10)

    /// The format `Accept` prefers: OpenMetrics when it accepts `application/openmetrics-text` (version 1.0.0 or
    /// none) with a `q` at least that of text (`text/plain`, `text/*`, `*/*`); text 0.0.4 otherwise, and without
    /// the header. Prometheus sends `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;
    /// q=0.5,*/*;q=0.1`.
    ///
    /// Read in place over the header's bytes: splitting it into lowercased `String`s cost 170,000 instructions a
    /// scrape with Prometheus's header (callgrind), more than rendering the exposition.
    static func exposition(accepting accept: [String]) -> PrometheusText.Format {
        // Best `q` of each, in thousandths.
        var openMetrics = 0
        var text = 0
        for value in accept {
            var value = value
            value.withUTF8 { bytes in
                var start = 0
                while start <= bytes.count {
                    let end = bytes[start...].firstIndex(of: UInt8(ascii: ",")) ?? bytes.count
                    weigh(bytes[start..<end], openMetrics: &openMetrics, text: &text)
                    start = end + 1
                }
            }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .text
    }

    /// Weighs one media range, `type/subtype;name=value;...`, into the best `q` of its format.
    private static func weigh(_ range: Slice<UnsafeBufferPointer<UInt8>>, openMetrics: inout Int, text: inout Int) {
        var quality = 1000
        var versionOK = true
        var mediaType = range[range.startIndex..<range.startIndex]
        var start = range.startIndex
        var first = true
        while start <= range.endIndex {
            let end = range[start...].firstIndex(of: UInt8(ascii: ";")) ?? range.endIndex
            let part = trimmed(range[start..<end])
            start = end + 1
            if first {
                mediaType = part
                first = false
                continue
            }
            guard let equals = part.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = trimmed(part[..<equals])
            var argument = trimmed(part[(equals + 1)...])
            if argument.count >= 2, argument.first == UInt8(ascii: "\""), argument.last == UInt8(ascii: "\"") {
                argument = argument.dropFirst().dropLast()
            }
            if equalsLowercase(name, "q") { quality = thousandths(argument) }
            if equalsLowercase(name, "version") { versionOK = equalsLowercase(argument, "1.0.0") }
        }
        if equalsLowercase(mediaType, "application/openmetrics-text") {
            if versionOK { openMetrics = max(openMetrics, quality) }
        } else if equalsLowercase(mediaType, "text/plain") || equalsLowercase(mediaType, "text/*")
            || equalsLowercase(mediaType, "*/*")
        {
            text = max(text, quality)
        }
    }

    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        guard let first = bytes.firstIndex(where: { !isSpace($0) }), let last = bytes.lastIndex(where: { !isSpace($0) })
        else { return bytes[bytes.endIndex...] }
        return bytes[first...last]
    }

    /// Whether `bytes` are `lowercase` (a literal in lowercase), ignoring ASCII case.
    private static func equalsLowercase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ lowercase: StaticString) -> Bool {
        lowercase.withUTF8Buffer { literal in
            literal.count == bytes.count
                && zip(bytes, literal).allSatisfy { byte, expected in
                    (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte) == expected
                }
        }
    }

    /// A `q` value in thousandths (`0.5` is 500, `1` is 1000; digits past the third decimal are dropped); 0 when it
    /// is not a number.
    private static func thousandths(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Int {
        var value = 0
        var decimals = -1  // -1 before the point
        for byte in bytes {
            if byte == UInt8(ascii: "."), decimals < 0 {
                decimals = 0
                continue
            }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return 0 }
            if decimals >= 3 { continue }
            if decimals >= 0 { decimals += 1 }
            value = min(value * 10 + Int(byte - UInt8(ascii: "0")), 1_000_000_000)
        }
        guard !bytes.isEmpty else { return 0 }
        for _ in max(decimals, 0)..<3 { value *= 10 }
        return value
    }
}
