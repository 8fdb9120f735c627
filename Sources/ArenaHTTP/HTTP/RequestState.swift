/// What the server remembers about one request between libmicrohttpd's callbacks.
///
/// Created when the request line arrives (the URI-log callback), stored in libmicrohttpd's `*req_cls` as a
/// retained `Unmanaged` reference, released in the completion callback. Only the connection's worker thread
/// touches it, so no locking.
///
/// Its `var`s are `@exclusivity(unchecked)`: Swift would otherwise check each access at run time (a
/// `swift_beginAccess` call, ~80 instructions, several per request). Unchecked is sound here because only the
/// access-handler calls of this request touch them, one call at a time, and none holds an access to a field
/// across a call that could reach the same field.
final class RequestState {
    /// CLOCK_MONOTONIC nanoseconds when the request line arrived: the start of the exchange's duration.
    let startNanoseconds: UInt64
    /// The target as sent, parsed; or why it could not be (set again when the head shows a NUL inside it).
    @exclusivity(unchecked) var target: Result<RequestTarget, RequestTarget.Problem>
    /// The target's path as sent (percent-encoding intact), even when it could not be parsed: for the log.
    @exclusivity(unchecked) var rawPath: String
    /// Where libmicrohttpd keeps the raw target in its read buffer, to find a NUL inside the method that precedes
    /// it or inside the target itself (see `HTTPServer.hiddenRequestLineBytes`). 0 when the request line had no
    /// target.
    let targetAddress: UInt
    /// The raw target's length as a C string when it arrived (before libmicrohttpd cuts it at `?` and decodes
    /// it in place): shorter than the target as sent when the target holds a NUL.
    let targetLength: Int
    /// Whether the access handler has seen the headers (its first call for this request).
    @exclusivity(unchecked) var headersSeen = false
    /// The method, read once at the first access-handler call.
    @exclusivity(unchecked) var method = HTTPMethod(rawValue: "")
    /// The request's header fields, copied out at the first access-handler call.
    @exclusivity(unchecked) var headers = HTTPHeaders()
    /// The connection the request arrived on (for the watchdog's phases); nil if it was not tracked.
    let connection: ConnectionState?
    /// Body bytes received so far; never more than the server's `maxBodyBytes`.
    @exclusivity(unchecked) var body: [UInt8] = []
    /// Set once the declared or accumulated body exceeds the limit: further upload is discarded and the
    /// request is answered 413.
    @exclusivity(unchecked) var bodyTooLarge = false

    init(
        startNanoseconds: UInt64, target: Result<RequestTarget, RequestTarget.Problem>, rawPath: String,
        targetAddress: UInt, targetLength: Int, connection: ConnectionState?
    ) {
        self.targetLength = targetLength
        self.connection = connection
        self.startNanoseconds = startNanoseconds
        self.target = target
        self.rawPath = rawPath
        self.targetAddress = targetAddress
    }
}
