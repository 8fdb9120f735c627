/// An HTTP response: status, header fields, a body, and the route that produced it.
///
/// libmicrohttpd adds `Content-Length` (or chunked framing), `Date` and `Connection` itself.
///
/// ```swift
/// HTTPResponse.text("ok\n")
/// HTTPResponse.json(writer, status: .created)
/// ```
struct HTTPResponse: Sendable {
    /// What follows the header.
    enum Body: Sendable {
        /// A body known in full; sent with a `Content-Length`.
        case bytes([UInt8])
        /// A rendered body, sent from the buffer it was written in (see `ResponseBytes`); with a `Content-Length`.
        case rendered(ResponseBytes)
        /// A body produced while it is sent, with chunked encoding (see `HTTPBodyStream`).
        case stream(any HTTPBodyStream)

        /// A copy of the bytes a body of known length sends, however it is held; nil for a stream. Not for the
        /// send path (`HTTPServer.queue` sends a rendered body without a copy).
        var sentBytes: [UInt8]? {
            switch self {
            case .bytes(let bytes): bytes
            case .rendered(let bytes): bytes.array
            case .stream: nil
            }
        }
    }

    /// The status code.
    var status: HTTPStatus
    /// Header fields to send, in order.
    var headers: HTTPHeaders
    /// The body.
    var body: Body
    /// The route pattern that answered (`/arenas/{name}`), for the request log and the metrics; bounded in
    /// number, unlike paths.
    var routeLabel: String

    init(
        status: HTTPStatus = .ok, headers: HTTPHeaders = HTTPHeaders(), body: Body = .bytes([]),
        routeLabel: String = "unmatched"
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.routeLabel = routeLabel
    }

    /// Number of body bytes, for the request log (0 for a stream).
    var bodyCount: Int {
        switch body {
        case .bytes(let bytes): bytes.count
        case .rendered(let bytes): bytes.count
        case .stream: 0
        }
    }

    /// The headers of every text and JSON response, made once: each response shares their storage (copied on
    /// write, for the few that add a header) instead of allocating its own.
    private static let textHeaders: HTTPHeaders = ["Content-Type": "text/plain; charset=utf-8"]
    private static let jsonHeaders: HTTPHeaders = ["Content-Type": "application/json"]

    /// A `text/plain; charset=utf-8` response.
    static func text(_ text: String, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: Self.textHeaders, body: .bytes(Array(text.utf8)))
    }

    /// An `application/json` response from UTF-8 bytes rendered by `JSONWriter`.
    static func json(bytes: [UInt8], status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: Self.jsonHeaders, body: .bytes(bytes))
    }

    /// An `application/json` response of what `json` wrote, sent from its buffer.
    static func json(_ json: consuming JSONWriter, status: HTTPStatus = .ok) -> HTTPResponse {
        HTTPResponse(status: status, headers: Self.jsonHeaders, body: .rendered(json.finishedBody()))
    }

    /// A response without a body, e.g. `.empty(status: .noContent)`.
    static func empty(status: HTTPStatus = .noContent) -> HTTPResponse {
        HTTPResponse(status: status)
    }
}
