/// What the server remembers about one request between libmicrohttpd's calls of the access handler.
///
/// Created on the first call, stored in libmicrohttpd's `*req_cls` as a retained `Unmanaged` reference,
/// released in the completion callback. Only the connection's worker thread touches it, so no locking.
final class RequestState {
    /// CLOCK_MONOTONIC nanoseconds at the first call; 0 when request logging is off.
    let startNanoseconds: UInt64
    /// Body bytes received so far; never more than the server's `maxBodyBytes`.
    var body: [UInt8] = []
    /// Set once the declared or accumulated body exceeds the limit: further upload is discarded and the
    /// request is answered 413.
    var bodyTooLarge = false

    init(startNanoseconds: UInt64) {
        self.startNanoseconds = startNanoseconds
    }
}
