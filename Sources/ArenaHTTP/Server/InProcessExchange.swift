extension ArenaAPI {
    /// One request answered as the HTTP layer answers it, with no socket: the target parsed from its raw bytes
    /// (a bad one refused 400), the head checked by `RequestHeadRules` when `version` is given, a body over
    /// `limits.max_body_bytes` refused 413, and the exchange recorded in the request metrics as `HTTPServer`
    /// records it. `TestClient`'s in-process transport and the request fuzz target (`Fuzz/`) go through here.
    ///
    /// What stays with libmicrohttpd: splitting the bytes into method, target, version, headers and body.
    func exchange(
        method: HTTPMethod, rawTarget: [UInt8], version: String? = nil, headers: HTTPHeaders, body: [UInt8]
    ) -> (request: HTTPRequest, response: HTTPResponse) {
        let start = MonotonicClock.nanoseconds()
        let request: HTTPRequest
        let response: HTTPResponse
        do {
            request = HTTPRequest(
                method: method, target: try RequestTarget(parsing: rawTarget), headers: headers, body: body)
            if let version, let rejection = RequestHeadRules.problem(headers, version: version) {
                response = respond(to: rejection, request: request)
            } else if body.count > configuration.limits.maxBodyBytes {
                response = respond(to: .bodyTooLarge(limit: configuration.limits.maxBodyBytes), request: request)
            } else {
                response = respond(to: request)
            }
        } catch {
            let path = String(decoding: rawTarget.prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
            request = HTTPRequest(method: method, target: RequestTarget(path: path, segments: []), headers: headers)
            response = respond(to: .badTarget(reason: error.reason), request: request)
        }
        ExchangeRecorder(metrics: requestMetrics, log: log, logRequests: false).record(
            HTTPExchange(
                method: method, path: request.path, routeLabel: response.routeLabel, status: response.status,
                bodyBytes: response.bodyCount, durationNanoseconds: MonotonicClock.nanoseconds() &- start,
                clientAddress: 0, clientPort: 0))
        return (request, response)
    }
}
