/// An HTTP response: status, header fields and a body.
///
/// libmicrohttpd adds `Content-Length` (or chunked framing), `Date` and `Connection` itself.
///
/// ```swift
/// HTTPResponse.text("ok\n")
/// HTTPResponse.json(#"{"arenas":[]}"#)
/// HTTPResponse.error(status: .notFound, code: "not_found", message: "no route for GET /nope")
/// ```
struct HTTPResponse: Sendable {
    /// What follows the header.
    enum Body: Sendable {
        /// A body known in full; sent with a `Content-Length`.
        case bytes([UInt8])
        /// A body produced while it is sent, with chunked encoding; the connection is suspended while the
        /// stream is idle (see `ResponseStream`).
        case stream(any ResponseStream)
    }

    /// The status code.
    var status: HTTPStatus
    /// Header fields to send, in order.
    var headers: HTTPHeaders
    /// The body.
    var body: Body

    init(status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Number of body bytes, for the request log.
    var bodyCount: Int {
        switch body {
        case .bytes(let bytes): bytes.count
        case .stream: 0
        }
    }

    /// A `text/plain; charset=utf-8` response.
    static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(
            status: status,
            headers: ["Content-Type": "text/plain; charset=utf-8"],
            body: .bytes(Array(text.utf8))
        )
    }

    /// An `application/json` response from JSON text the caller rendered (see `JSONText`).
    static func json(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        json(bytes: Array(text.utf8), status: status)
    }

    /// An `application/json` response from already encoded UTF-8 bytes.
    static func json(bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: .bytes(bytes))
    }

    /// A response without a body, e.g. `.empty(status: .noContent)`.
    static func empty(status: HTTPStatus = .noContent) -> HTTPResponse {
        HTTPResponse(status: status)
    }

    /// The one shape of every error: `{"error":"<code>","message":"<text>"}` with both strings JSON-escaped.
    ///
    /// `code` is a stable snake_case identifier clients can match on; `message` is for humans.
    static func error(status: HTTPStatus, code: String, message: String) -> HTTPResponse {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24 + code.utf8.count + message.utf8.count)
        bytes.append(contentsOf: #"{"error":"#.utf8)
        JSONText.appendString(code, to: &bytes)
        bytes.append(contentsOf: #","message":"#.utf8)
        JSONText.appendString(message, to: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return json(bytes: bytes, status: status)
    }

    /// 404 for a path no route serves.
    static func notFound(method: HTTPMethod, path: String) -> HTTPResponse {
        error(status: .notFound, code: "not_found", message: "no route for \(method) \(path)")
    }
}
