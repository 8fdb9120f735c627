import CHTTPD
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// The C entry points libmicrohttpd calls. They stay thin: recover the server from the context pointer and
// forward. They are file-scope functions, not closures, so they carry no actor isolation (a closure written in
// main.swift would be @MainActor and trap on a worker thread).

/// The URI-log callback (MHD_OPTION_URI_LOG_CALLBACK): the request line arrived; `uri` is the target exactly as
/// sent. Its result becomes the request's `*req_cls`.
func httpServerRequestLine(
    cls: UnsafeMutableRawPointer?, uri: UnsafePointer<CChar>?, connection: OpaquePointer?
) -> UnsafeMutableRawPointer? {
    guard let cls else { return nil }
    // Safe: as in httpServerAccessHandler.
    return Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.beginRequest(target: uri, connection: connection)
    }
}

/// MHD_AccessHandlerCallback, called on a worker thread several times per request: first when the headers are
/// parsed (`*req_cls` is the state made by the URI-log callback), then once per chunk of body with
/// `*upload_data_size > 0`, finally with `*upload_data_size == 0` when the request is complete. `url` is the
/// target libmicrohttpd percent-decoded in place: not used, the raw target was parsed already.
func httpServerAccessHandler(
    cls: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    url: UnsafePointer<CChar>?,
    method: UnsafePointer<CChar>?,
    version: UnsafePointer<CChar>?,
    uploadData: UnsafePointer<CChar>?,
    uploadDataSize: UnsafeMutablePointer<Int>?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
) -> MHD_Result {
    guard let cls, let connection, let method, let uploadDataSize, let requestContext else {
        return .NO
    }
    // Safe: cls is the reference HTTPServer.start() retained for the daemon; it is released only after
    // MHD_stop_daemon has joined every worker thread. The guaranteed reference skips a contended retain/release.
    return Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.handleAccess(
            connection: connection, method: method, version: version, uploadData: uploadData,
            uploadDataSize: uploadDataSize, requestContext: requestContext)
    }
}

/// MHD_RequestCompletedCallback: frees the request's state, whether it was answered or aborted.
func httpServerRequestCompleted(
    cls: UnsafeMutableRawPointer?,
    connection: OpaquePointer?,
    requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    termination: MHD_RequestTerminationCode
) {
    guard let cls, let requestContext else { return }
    // Safe: as in httpServerAccessHandler.
    Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        server.requestCompleted(requestContext: requestContext)
    }
}

/// MHD_ContentReaderCallback of a streaming response: the next bytes, 0 after suspending the connection while
/// the stream is idle, or MHD_CONTENT_READER_END_OF_STREAM.
func httpServerStreamRead(
    cls: UnsafeMutableRawPointer?, position: UInt64, buffer: UnsafeMutablePointer<CChar>?, max: Int
) -> Int {
    guard let cls, let buffer else { return StreamContext.endWithError }
    // Safe: cls is the StreamContext retained by HTTPServer.queue; it is released by httpServerStreamFree, which
    // libmicrohttpd calls after the last read.
    return Unmanaged<StreamContext>.fromOpaque(cls)._withUnsafeGuaranteedRef { context in
        context.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: max))
    }
}

/// MHD_ContentReaderFreeCallback of a streaming response: the response is destroyed.
func httpServerStreamFree(cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    // Safe: balances the passRetained in HTTPServer.queue; libmicrohttpd calls this once per response.
    let context = Unmanaged<StreamContext>.fromOpaque(cls).takeRetainedValue()
    context.finish()
}

/// MHD_ContentReaderFreeCallback of a rendered body: the response is destroyed.
func httpServerReleaseBody(cls: UnsafeMutableRawPointer?) {
    guard let cls else { return }
    // Safe: balances the passRetained in HTTPServer.queue; libmicrohttpd calls this once per response.
    Unmanaged<ResponseBytes>.fromOpaque(cls).release()
}

/// MHD_NotifyConnectionCallback: a connection opened or is about to be closed.
func httpServerConnectionNotice(
    cls: UnsafeMutableRawPointer?, connection: OpaquePointer?,
    socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?, code: MHD_ConnectionNotificationCode
) {
    guard let cls, let socketContext else { return }
    // Safe: as in httpServerAccessHandler.
    Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        if code == .CONNECTION_NOTIFY_STARTED, let connection {
            server.connectionOpened(connection, socketContext: socketContext)
        } else if code == .CONNECTION_NOTIFY_CLOSED {
            server.connectionClosed(socketContext: socketContext)
        }
    }
}

/// MHD_LogCallback: a message libmicrohttpd would print itself. It may quote a decoded URL, so it goes through
/// the server's log (as a warning), which escapes control characters (a `%0a` cannot forge a line).
func httpServerLibraryMessage(
    cls: UnsafeMutableRawPointer?, format: UnsafePointer<CChar>?, arguments: CVaListPointer?
) {
    guard let cls, let format, let arguments else { return }
    // Safe: as in httpServerAccessHandler (libmicrohttpd logs only while the daemon runs).
    Unmanaged<HTTPServer>.fromOpaque(cls)._withUnsafeGuaranteedRef { server in
        guard server.libraryMessageRate.admit(reportDropped: { server.observer.libraryMessage($0) }) else { return }
        var buffer = [CChar](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, arguments) }
        guard count > 0 else { return }
        let length = min(Int(count), buffer.count - 1)
        var message = buffer[..<length].map { UInt8(bitPattern: $0) }
        while message.last == UInt8(ascii: "\n") { message.removeLast() }
        server.observer.libraryMessage(String(decoding: message, as: UTF8.self))
    }
}

/// At most `perSecond` libmicrohttpd messages a second reach the log: a flood of broken connections must not
/// become a flood of log lines (disk, and the operator's attention). The first message of a new second says how
/// many were dropped in the one before.
final class LibraryMessageRate: Sendable {
    static let perSecond: UInt64 = 20

    private let second = Atomic<UInt64>(0)
    private let count = Atomic<UInt64>(0)
    private let dropped = Atomic<UInt64>(0)

    /// Whether the next message may be logged; `reportDropped` receives `N more messages dropped` first when
    /// this is a new second after dropped ones.
    func admit(reportDropped: (String) -> Void) -> Bool {
        let now = MonotonicClock.nanoseconds() / 1_000_000_000
        let current = second.load(ordering: .relaxed)
        if now != current, second.compareExchange(expected: current, desired: now, ordering: .relaxed).exchanged {
            count.store(0, ordering: .relaxed)
            let lost = dropped.exchange(0, ordering: .relaxed)
            if lost > 0 { reportDropped("\(lost) more messages dropped") }
        }
        guard count.wrappingAdd(1, ordering: .relaxed).newValue <= Self.perSecond else {
            dropped.wrappingAdd(1, ordering: .relaxed)
            return false
        }
        return true
    }
}
