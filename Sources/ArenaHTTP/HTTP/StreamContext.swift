import CHTTPD

/// What a streaming response's C callbacks need: the stream, its connection, and the server that suspends and
/// resumes it.
final class StreamContext: @unchecked Sendable {
    // @unchecked: `connection` is an opaque handle only passed to libmicrohttpd's suspend/resume, which are
    // thread-safe for a connection registered in `SuspendedConnections`; the rest is immutable.

    /// Bytes libmicrohttpd asks for at most per read.
    static let blockSize = 16 * 1024
    /// MHD_CONTENT_READER_END_OF_STREAM and MHD_CONTENT_READER_END_WITH_ERROR are `((ssize_t) -1)` and
    /// `((ssize_t) -2)` in microhttpd.h: macros with casts, which Swift does not import.
    static let endOfStream = -1
    static let endWithError = -2

    let stream: any HTTPBodyStream
    private let connection: OpaquePointer
    /// The server outlives every response: MHD_stop_daemon destroys them before `stop()` returns.
    private unowned let server: HTTPServer

    init(stream: any HTTPBodyStream, connection: OpaquePointer, server: HTTPServer) {
        self.stream = stream
        self.connection = connection
        self.server = server
    }

    /// Resumes the connection if it is suspended; from any thread. Does nothing once the server stopped, since
    /// `SuspendedConnections` only resumes connections it holds.
    var wake: @Sendable () -> Void {
        { [self] in server.suspendedConnections.wake(connection) }
    }

    /// One content-reader call, on the connection's worker thread: the one copy of a stream's bytes into
    /// libmicrohttpd's buffer.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            switch stream.next(max: buffer.count) {
            case .data(let bytes):
                let count = min(bytes.count, buffer.count)
                bytes.withUnsafeBytes { source in
                    // Safe: `count` is within both the chunk and libmicrohttpd's buffer; they do not overlap.
                    buffer.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: count)
                }
                return count
            case .end:
                return Self.endOfStream
            case .idle:
                // libmicrohttpd's pattern for "no data yet": suspend, return 0, be called again after resume.
                switch server.suspendedConnections.suspend(connection) {
                case .suspended: return 0
                case .wokenAlready: continue  // something arrived while we were looking: look again
                case .stopping: return Self.endOfStream  // nothing may be suspended any more: end the body
                }
            }
        }
    }

    /// The response is destroyed: no wake may touch this connection any more.
    func finish() {
        server.suspendedConnections.forget(connection)
        stream.finish()
    }
}
