/// A complete HTTP request as the API sees it: the body has been read in full (within the configured limit).
///
/// ```swift
/// let handler: @Sendable (HTTPRequest) -> HTTPResponse = { request in
///     guard request.method == .get, request.path == "/healthz" else { return .notFound() }
///     return .text("ok\n")
/// }
/// ```
struct HTTPRequest: Sendable {
    /// The method, e.g. `.get`.
    var method: HTTPMethod
    /// The path, percent-decoded by libmicrohttpd, without the query string, e.g. `/arenas/frame`.
    var path: String
    /// Query parameters, percent-decoded. A parameter without `=` maps to `""`; for repeated names the last wins.
    var query: [String: String]
    /// Request header fields in arrival order; look up with `headers["content-type"]`.
    var headers: HTTPHeaders
    /// The request body; empty when the request has none.
    var body: [UInt8]

    init(
        method: HTTPMethod,
        path: String,
        query: [String: String] = [:],
        headers: HTTPHeaders = HTTPHeaders(),
        body: [UInt8] = []
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }
}
