/// A complete HTTP request as the application sees it: Swift values only, the body read in full (within the
/// configured limit).
///
/// ```swift
/// switch request.target.segments {
/// case ["healthz"]: return .text("ok\n")
/// case ["arenas", let name]: ...
/// }
/// ```
struct HTTPRequest: Sendable {
    /// The method, e.g. `.get`.
    var method: HTTPMethod
    /// The path and query, split and percent-decoded.
    var target: RequestTarget
    /// Request header fields in arrival order; look up with `headers["content-type"]`.
    var headers: HTTPHeaders
    /// The request body; empty when the request has none.
    var body: [UInt8]

    init(method: HTTPMethod, target: RequestTarget, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The path as the client sent it (still percent-encoded), without the query: for messages and logs.
    var path: String { target.path }

    /// Decoded query parameters (see `RequestTarget.query`).
    var query: [String: String] { target.query }
}
