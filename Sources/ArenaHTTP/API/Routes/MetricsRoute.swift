import ArenaCore

/// `GET /metrics`: Prometheus text exposition 0.0.4, rendered on demand by `Metrics/`.
extension ArenaAPI {
    func metrics(_ request: HTTPRequest) -> HTTPResponse {
        var out = PrometheusText()
        classMetrics.render(registry: registry, into: &out)
        scopeMetrics.render(into: &out)
        requestMetrics.render(into: &out, openConnections: openConnections.value)
        ProcessMetrics.render(into: &out)
        var response = HTTPResponse(status: .ok, body: .bytes(out.bytes))
        response.headers.add(name: "Content-Type", value: "text/plain; version=0.0.4; charset=utf-8")
        return response
    }
}
