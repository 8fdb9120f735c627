/// The seam between the HTTP layer and what it serves. `HTTPServer` owns every pointer and every libmicrohttpd
/// call; through these two protocols it hands over Swift values only.
///
/// Both run on libmicrohttpd's worker threads, concurrently with themselves; they must be thread-safe and must
/// not block for long. They cannot throw: every failure is already a response.
protocol HTTPResponder: Sendable {
    /// Answers one complete request.
    func respond(to request: HTTPRequest) -> HTTPResponse
    /// Answers a request the HTTP layer refused itself (see `HTTPRejection`), so that its error looks like every
    /// other. `request` holds what was read: the body is empty, and the target's segments are empty when the
    /// target was what was wrong.
    func respond(to rejection: HTTPRejection, request: HTTPRequest) -> HTTPResponse
}

/// Sees every exchange once, answered or refused, after its response was handed to libmicrohttpd: the one
/// place that feeds the request log and the request metrics. Also hears what libmicrohttpd itself has to say.
protocol HTTPExchangeObserver: Sendable {
    func record(_ exchange: HTTPExchange)
    /// A message of libmicrohttpd's (a broken request, a failed socket call), already rate-limited; it may quote
    /// what a client sent.
    func libraryMessage(_ message: String)
}

extension HTTPExchangeObserver {
    /// By default a warning in the text log on standard error.
    func libraryMessage(_ message: String) {
        ServerLog.standardError.log(.warning, "libmicrohttpd: " + message)
    }
}

/// Why the HTTP layer refused a request before the application saw it.
enum HTTPRejection: Sendable, Equatable {
    /// The declared or received body is larger than `Options.maxBodyBytes`.
    case bodyTooLarge(limit: Int)
    /// The request target cannot be read (see `RequestTarget.Problem`).
    case badTarget(reason: String)
    /// The method token contains a NUL byte (libmicrohttpd would have read only what precedes it).
    case badMethod
    /// A header field breaks HTTP/1.1's rules in a way a proxy in front could read differently (see
    /// `RequestHeadRules`).
    case badHeader(reason: String)
    /// A `Transfer-Encoding` other than `chunked`.
    case unsupportedTransferCoding(String)
    /// The request head was not complete within the header timeout.
    case headerTimeout(seconds: Int)
    /// The body was not complete within the body timeout.
    case bodyTimeout(seconds: Int)
    /// More connections than `limits.max_connections`, none of them idle.
    case tooManyConnections(limit: Int)
    /// The server is stopping.
    case shuttingDown
}

/// One request and its answer, as the observer sees it.
struct HTTPExchange: Sendable {
    var method: HTTPMethod
    /// The path as sent (percent-encoded), without the query.
    var path: String
    /// `HTTPResponse.routeLabel` of the answer.
    var routeLabel: String
    var status: HTTPStatus
    /// Body bytes of the answer (0 for a stream).
    var bodyBytes: Int
    /// From the request line's arrival to the response being queued, on the monotonic clock.
    var durationNanoseconds: UInt64
    /// The client's IPv4 address in host byte order; with `clientPort`, 0 when unknown.
    var clientAddress: UInt32
    var clientPort: UInt16
}
