import ArenaCore

/// `GET /metrics`: Prometheus text exposition 0.0.4, or OpenMetrics 1.0.0 when `Accept` asks for it, rendered on
/// demand by `Metrics/`.
extension ArenaAPI {
    func metrics(_ request: HTTPRequest) -> HTTPResponse {
        let format = Self.exposition(accepting: request.headers.values(for: "Accept"))
        var out = PrometheusText(format: format)
        BuildInfoMetric.render(into: &out)
        classMetrics.render(registry: registry, into: &out)
        scopeMetrics.render(into: &out)
        requestMetrics.render(into: &out, openConnections: openConnections.value)
        ProcessMetrics.render(into: &out)
        var response = HTTPResponse(status: .ok, body: .bytes(out.finished()))
        response.headers.add(name: "Content-Type", value: format.contentType)
        response.headers.add(name: "Vary", value: "Accept")
        return response
    }

    /// The format `Accept` prefers: OpenMetrics when it accepts `application/openmetrics-text` (version 1.0.0 or
    /// none) with a `q` at least that of text (`text/plain`, `text/*`, `*/*`); text 0.0.4 otherwise, and without
    /// the header. Prometheus sends `application/openmetrics-text;version=1.0.0,...,text/plain;version=0.0.4;
    /// q=0.5,*/*;q=0.1`.
    static func exposition(accepting accept: [String]) -> PrometheusText.Format {
        var openMetrics = 0.0
        var text = 0.0
        for range in accept.lazy.flatMap({ $0.split(separator: ",") }) {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces.lowercased() }
            guard let mediaType = parts.first else { continue }
            var quality = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
                guard pair.count == 2 else { continue }
                if pair[0] == "q" { quality = Double(pair[1]) ?? 0 }
                if pair[0] == "version" { version = String(pair[1]) }
            }
            switch mediaType {
            case "application/openmetrics-text" where version == nil || version == "1.0.0":
                openMetrics = max(openMetrics, quality)
            case "text/plain", "text/*", "*/*":
                text = max(text, quality)
            default:
                break
            }
        }
        return openMetrics > 0 && openMetrics >= text ? .openMetrics : .text
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (HTTP's optional whitespace).
    fileprivate var trimmingSpaces: SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
