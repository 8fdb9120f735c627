import ArenaCore
import CHTTPD
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on libmicrohttpd: a pool of worker threads, each with its own epoll set, handing every
/// complete request to a `HTTPResponder` and every exchange to a `HTTPExchangeObserver`.
///
/// ```swift
/// var options = HTTPServer.Options()
/// options.port = 0
/// let server = HTTPServer(options: options, responder: api, observer: recorder)
/// try server.start()
/// print(server.boundPort!)
/// server.stop()
/// ```
///
/// This type and the files beside it are the only code that touches libmicrohttpd or its pointers. Request
/// bodies are read in full (up to `Options.maxBodyBytes`) before the responder is called; larger bodies are
/// refused here (`HTTPRejection.bodyTooLarge`), and the responder renders that refusal like any other error.
final class HTTPServer: Sendable {
    /// What the server was started with.
    let options: Options
    let responder: any HTTPResponder
    let observer: any HTTPExchangeObserver

    /// Connections parked by streaming responses; resumed all at once by `stop()`.
    let suspendedConnections = SuspendedConnections()

    /// Deadlines for request heads and bodies, and room for new connections under pressure.
    let watchdog: ConnectionWatchdog

    /// How many of libmicrohttpd's messages reach the observer.
    let libraryMessageRate = LibraryMessageRate()

    /// Set by `stop()`: responses from then on carry `Connection: close`.
    private let stopping = Atomic<Bool>(false)

    /// Requests between their request line and their completion callback.
    private let requestsInFlight = Atomic<Int>(0)

    private enum Lifecycle {
        case idle
        /// `retainedSelf` is the reference libmicrohttpd holds (as its callback context) while the daemon runs.
        case running(daemon: OpaquePointer, port: UInt16, retainedSelf: Unmanaged<HTTPServer>)
        case stopped
    }

    private let lifecycle = ArenaLock(Lifecycle.idle)

    /// Creates a server; nothing listens until `start()`.
    init(options: Options, responder: any HTTPResponder, observer: any HTTPExchangeObserver) {
        self.options = options
        self.responder = responder
        self.observer = observer
        watchdog = ConnectionWatchdog(
            limits: ConnectionWatchdog.Limits(
                headerTimeoutNanoseconds: UInt64(max(0, options.headerTimeoutSeconds)) * 1_000_000_000,
                bodyTimeoutNanoseconds: UInt64(max(0, options.bodyTimeoutSeconds)) * 1_000_000_000,
                maxConnections: options.maxConnections),
            responder: responder, observer: observer)
    }

    deinit {
        // A running daemon holds a strong reference to the server, so deinit only runs once it is stopped.
        assert(!isRunning, "a running HTTPServer cannot be deinitialized")
    }

    /// True between a successful `start()` and `stop()`.
    var isRunning: Bool {
        lifecycle.withLock { if case .running = $0 { true } else { false } }
    }

    /// The port the server listens on (the kernel's choice when `Options.port` was 0); nil unless running.
    var boundPort: UInt16? {
        lifecycle.withLock { if case .running(_, let port, _) = $0 { port } else { nil } }
    }

    /// Connections open now, idle keep-alive and suspended streams included; 0 unless running.
    var openConnectionCount: Int {
        // Under the lock, so that stop() cannot destroy the daemon while libmicrohttpd counts.
        lifecycle.withLock { state in
            guard case .running(let daemon, _, _) = state else { return 0 }
            return Int(chttpd_open_connections(daemon))
        }
    }

    /// Number of requests being received or handled right now.
    var inFlightCount: Int { requestsInFlight.load(ordering: .relaxed) }

    /// Binds the listening socket and starts the worker threads. A server starts at most once.
    func start() throws(HTTPServerError) {
        let address = try IPv4ListenAddress(host: options.host, port: options.port)
        try lifecycle.withLock { (state: inout Lifecycle) throws(HTTPServerError) in
            guard case .idle = state else { throw .alreadyStarted }
            let retainedSelf = Unmanaged.passRetained(self)
            errno = 0
            guard let daemon = startDaemon(address: address, context: retainedSelf.toOpaque()) else {
                let code = errno
                retainedSelf.release()
                throw .startFailed(host: options.host, port: options.port, errno: code)
            }
            state = .running(daemon: daemon, port: chttpd_bound_port(daemon), retainedSelf: retainedSelf)
            watchdog.start()
        }
    }

    /// Stops gracefully: stop accepting, resume suspended connections, let requests in progress finish (for up to
    /// `Options.shutdownGracePeriodSeconds`), then close every connection and join the worker threads.
    /// Idempotent; call from any thread except a worker thread (i.e. never from the responder).
    func stop() {
        let running: (OpaquePointer, Unmanaged<HTTPServer>)? = lifecycle.withLock { state in
            guard case .running(let daemon, _, let retainedSelf) = state else { return nil }
            state = .stopped
            return (daemon, retainedSelf)
        }
        guard let (daemon, retainedSelf) = running else { return }

        stopping.store(true, ordering: .sequentiallyConsistent)
        // MHD_quiesce_daemon needs MHD_USE_ITC (implied by MHD_ALLOW_SUSPEND_RESUME); it hands back the listening
        // socket, which is then ours to close, but only after MHD_stop_daemon (microhttpd.h): a worker thread may
        // still take it out of its epoll set, and closed (or reused by a new socket) that fails and libmicrohttpd
        // aborts the process ("Failed to remove listen FD from epoll set", seen in a test run). Shut down now, so
        // new connections are refused at once as before; closed once the workers are joined.
        let listeningSocket = MHD_quiesce_daemon(daemon)
        if listeningSocket >= 0 {
            shutdown(listeningSocket, Int32(SHUT_RDWR))
        }
        // MHD_stop_daemon aborts the process if any connection is still suspended.
        suspendedConnections.resumeAll()

        // Every response from now on says `Connection: close` and every new request is answered 503, so busy
        // clients learn how their last request ended and close; connections that stay idle are closed once quiet
        // for 100 ms. Wait for that (or the grace period), then close what is left (stalled uploads).
        let deadline = MonotonicClock.nanoseconds() + UInt64(max(0, options.shutdownGracePeriodSeconds) * 1e9)
        var waited = 0
        while (requestsInFlight.load(ordering: .sequentiallyConsistent) > 0 || chttpd_open_connections(daemon) > 0)
            && MonotonicClock.nanoseconds() < deadline
        {
            if waited % 10 == 0 { watchdog.closeIdle(quietFor: ConnectionWatchdog.graceNanoseconds) }
            waited += 1
            usleep(1_000)
        }
        MHD_stop_daemon(daemon)
        if listeningSocket >= 0 { close(listeningSocket) }
        watchdog.stop()
        // Safe: MHD_stop_daemon has joined every worker thread, so no callback can use this reference any more.
        retainedSelf.release()
    }

    // MARK: - Starting the daemon

    /// Connections libmicrohttpd accepts beyond `maxConnections`, per worker thread, for the watchdog to sort out.
    static let connectionHeadroom = 16

    private func startDaemon(address: IPv4ListenAddress, context: UnsafeMutableRawPointer) -> OpaquePointer? {
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue
            | MHD_USE_EPOLL.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue
            | MHD_USE_ERROR_LOG.rawValue
        var socketAddress = address.socketAddress
        return withUnsafeMutablePointer(to: &socketAddress) { socketAddressPointer in
            var items: [MHD_OptionItem] = [
                // Safe: MHD reads the address only while binding inside chttpd_start_daemon, within this closure.
                MHD_OptionItem(
                    option: .SOCK_ADDR, value: 0,
                    ptr_value: UnsafeMutableRawPointer(socketAddressPointer)),
                // No MHD_OPTION_LISTENING_ADDRESS_REUSE: its value 1 adds SO_REUSEPORT on Linux, which would let
                // a second daemon share the port silently. MHD's default (SO_REUSEADDR only) is what we want.
                // Room above `maxConnections`: the watchdog lets a new connection in by closing the one that waited
                // longest for a request head (or refuses it with a 503), rather than libmicrohttpd closing new
                // connections unanswered while slow clients hold every slot.
                MHD_OptionItem(
                    option: .CONNECTION_LIMIT, value: options.maxConnections + Self.connectionHeadroom,
                    ptr_value: nil),
                MHD_OptionItem(
                    option: .PER_IP_CONNECTION_LIMIT, value: options.maxConnectionsPerClient,
                    ptr_value: nil),
                MHD_OptionItem(
                    option: .CONNECTION_TIMEOUT, value: options.connectionTimeoutSeconds,
                    ptr_value: nil),
                MHD_OptionItem(
                    option: .CONNECTION_MEMORY_LIMIT, value: options.connectionMemoryBytes,
                    ptr_value: nil),
            ]
            if options.threads > 1 {
                items.append(
                    MHD_OptionItem(
                        option: .THREAD_POOL_SIZE, value: options.threads,
                        ptr_value: nil))
            }
            items.append(MHD_OptionItem(option: .END, value: 0, ptr_value: nil))
            return items.withUnsafeBufferPointer { itemsPointer in
                // Safe: MHD copies every option during this call and keeps none of these pointers.
                chttpd_start_daemon(
                    flags, address.port, httpServerAccessHandler, httpServerRequestCompleted, httpServerRequestLine,
                    httpServerConnectionNotice, httpServerLibraryMessage, context, itemsPointer.baseAddress)
            }
        }
    }

    // MARK: - Request path (worker threads)

    /// The request line arrived: parse its target and start the exchange's clock. The result becomes `*req_cls`.
    func beginRequest(target: UnsafePointer<CChar>?, connection: OpaquePointer?) -> UnsafeMutableRawPointer {
        let parsed: Result<RequestTarget, RequestTarget.Problem>
        var rawPath = ""
        var targetLength = 0
        if let target {
            // Safe: libmicrohttpd hands the raw target NUL-terminated (it ends the target at the space before the
            // HTTP version), valid during this call; it is copied here.
            let bytes = UnsafeRawBufferPointer(start: target, count: strlen(target))
            targetLength = bytes.count
            parsed = Result { () throws(RequestTarget.Problem) in try RequestTarget(parsing: bytes) }
            rawPath =
                (try? parsed.get().path)
                ?? String(decoding: bytes.prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
        } else {
            parsed = .failure(RequestTarget.Problem(reason: "the request line has no target"))
        }
        let state = RequestState(
            startNanoseconds: MonotonicClock.nanoseconds(), target: parsed, rawPath: rawPath,
            targetAddress: target.map { UInt(bitPattern: $0) } ?? 0, targetLength: targetLength,
            connection: connection.flatMap(Self.connectionState))
        state.connection?.requestLine(path: rawPath)
        requestsInFlight.add(1, ordering: .relaxed)
        return Unmanaged.passRetained(state).toOpaque()
    }

    /// One call of libmicrohttpd's access handler. See `httpServerAccessHandler` for the protocol.
    func handleAccess(
        connection: OpaquePointer,
        method: UnsafePointer<CChar>,
        version: UnsafePointer<CChar>?,
        uploadData: UnsafePointer<CChar>?,
        uploadDataSize: UnsafeMutablePointer<Int>,
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        if requestContext.pointee == nil {
            // Every request line goes through the URI-log callback first; this is only a fallback.
            requestContext.pointee = beginRequest(target: nil, connection: connection)
        }
        // Safe: a non-nil *req_cls is always the retained RequestState made by beginRequest; it is released only
        // in the completion callback, after the last access-handler call.
        let state = Unmanaged<RequestState>.fromOpaque(requestContext.pointee!).takeUnretainedValue()

        if !state.headersSeen {
            state.headersSeen = true
            return beginBody(connection: connection, method: method, version: version, state: state)
        }

        let size = uploadDataSize.pointee
        if size > 0 {
            state.connection?.received(size)
            if !state.bodyTooLarge {
                if state.body.count + size > options.maxBodyBytes {
                    state.bodyTooLarge = true
                    state.body = []
                } else if let uploadData {
                    // Safe: MHD guarantees `size` readable bytes at upload_data for the duration of this call.
                    state.body.append(contentsOf: UnsafeRawBufferPointer(start: uploadData, count: size))
                }
            }
            // Everything offered was consumed (kept, or discarded when too large).
            uploadDataSize.pointee = 0
            return .YES
        }

        if state.bodyTooLarge {
            // MHD cannot queue a response while a body is still arriving, so an oversized chunked body is discarded
            // as it arrives and answered here, at its end.
            return reject(
                .bodyTooLarge(limit: options.maxBodyBytes), connection: connection, method: method,
                state: state)
        }
        // Safe to force: a failed target was rejected at the first call.
        let request = HTTPRequest(
            method: state.method, target: try! state.target.get(),
            headers: state.headers, body: state.body)
        state.body = []
        state.connection?.enter(.responding, at: MonotonicClock.nanoseconds())
        return queue(
            responder.respond(to: request), for: request, on: connection, state: state,
            closeConnection: false)
    }

    /// The head arrived: refuse what the HTTP layer refuses (see `RequestHeadRules`), or start the body's clock.
    private func beginBody(
        connection: OpaquePointer, method: UnsafePointer<CChar>, version: UnsafePointer<CChar>?, state: RequestState
    ) -> MHD_Result {
        let collected = RequestFields.collect(from: connection)
        state.headers = collected.headers
        let hidden = hiddenRequestLineBytes(method: method, version: version, state)
        if let sentMethod = hidden.method {
            state.method = HTTPMethod(rawValue: String(decoding: sentMethod, as: UTF8.self))
        } else {
            state.method = HTTPMethod(cString: method)
        }
        if hidden.inTarget {
            state.rawPath += "\u{0}..."
            state.target = .failure(RequestTarget.Problem(reason: "the target holds a NUL byte"))
        }
        state.connection?.head(method: state.method.rawValue)
        var chunked = false
        let rejection: HTTPRejection? = {
            if stopping.load(ordering: .relaxed) { return .shuttingDown }
            if hidden.method != nil { return .badMethod }
            if case .failure(let problem) = state.target { return .badTarget(reason: problem.reason) }
            if let index = collected.hiddenBytesAfter {
                let name = Array(state.headers)[index].name
                return .badHeader(
                    reason: "a header value goes on past a NUL byte, or is folded over lines (at or after '\(name)')")
            }
            let head = RequestHeadRules.check(
                state.headers, isHTTP11: version.map { strcmp($0, "HTTP/1.1") == 0 } ?? false)
            chunked = head.chunked
            return head.problem
        }()
        if let rejection {
            return reject(rejection, connection: connection, method: method, state: state)
        }
        let declared = declaredContentLength(connection)
        if let declared {
            if declared > UInt64(options.maxBodyBytes) {
                state.bodyTooLarge = true
                // Queued before the body is read: MHD discards the body and closes the connection after replying.
                return reject(
                    .bodyTooLarge(limit: options.maxBodyBytes), connection: connection,
                    method: method, state: state)
            }
            state.body.reserveCapacity(Int(declared))
        }
        // A body is on its way when one is declared or chunked; its deadline starts now.
        state.connection?.enter(
            declared ?? 0 > 0 || chunked ? .receivingBody : .responding,
            at: MonotonicClock.nanoseconds())
        return .YES
    }

    /// Answers a request the HTTP layer refuses, through the responder, and closes the connection after it.
    private func reject(
        _ rejection: HTTPRejection, connection: OpaquePointer, method: UnsafePointer<CChar>, state: RequestState
    ) -> MHD_Result {
        let target = (try? state.target.get()) ?? RequestTarget(path: state.rawPath, segments: [])
        let request = HTTPRequest(
            method: state.method, target: target, headers: state.headers)
        state.connection?.enter(.responding, at: MonotonicClock.nanoseconds())
        return queue(
            responder.respond(to: rejection, request: request), for: request, on: connection, state: state,
            closeConnection: true)
    }

    /// What the C strings libmicrohttpd hands over hide: a NUL ends them early, so `POST\0 /arenas/a/reset` would
    /// read as `POST` and `DELETE /arenas/a\0/../b` as `DELETE /arenas/a`. Returns the method as sent when it
    /// holds a NUL, and whether the target does.
    ///
    /// The request line is `METHOD SP+ TARGET SP VERSION` in libmicrohttpd's read buffer, with the first space
    /// after the method and the space before the version overwritten by NULs. So the method is sound when only
    /// that one NUL and then spaces lie between its C string's end and the target, and the target when its length
    /// at the URI-log callback reaches the NUL just before the version.
    private func hiddenRequestLineBytes(
        method: UnsafePointer<CChar>, version: UnsafePointer<CChar>?, _ state: RequestState
    ) -> (method: [UInt8]?, inTarget: Bool) {
        guard state.targetAddress != 0 else { return (nil, false) }
        let start = UInt(bitPattern: method)
        let methodLength = strlen(method)
        guard state.targetAddress > start + UInt(methodLength), state.targetAddress - start < 65_536 else {
            return (nil, false)
        }
        // Safe: the method starts the request line and the target follows it in the same buffer, which lives
        // until the request completes; the distance is bounded above.
        let beforeTarget = UnsafeRawBufferPointer(
            start: UnsafeRawPointer(method), count: Int(state.targetAddress - start))
        var sentMethod: [UInt8]?
        if beforeTarget[(methodLength + 1)...].contains(where: { $0 != UInt8(ascii: " ") }) {
            // The method as sent ends at the last NUL before the spaces in front of the target.
            let end = beforeTarget.lastIndex { $0 == 0 } ?? methodLength
            sentMethod = Array(beforeTarget[..<end])
        }
        var inTarget = false
        if let version {
            let versionAddress = UInt(bitPattern: version)
            if versionAddress > state.targetAddress, versionAddress - state.targetAddress < 65_536 {
                inTarget = Int(versionAddress - state.targetAddress) - 1 != state.targetLength
            }
        }
        return (sentMethod, inTarget)
    }

    /// The `Content-Length` the client declared, if any. MHD has already answered 400 to a malformed one.
    private func declaredContentLength(_ connection: OpaquePointer) -> UInt64? {
        guard let text = MHD_lookup_connection_value(connection, .HEADER_KIND, "Content-Length") else {
            return nil
        }
        var value: UInt64 = 0
        var cursor = text
        while case let byte = UInt8(bitPattern: cursor.pointee), byte != 0 {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { break }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return .max }
            value = sum
            // Safe: the loop stops at the NUL terminator, so cursor never passes the end of the string.
            cursor += 1
        }
        return value
    }

    /// Hands `response` to libmicrohttpd (a rendered body without a copy, bytes with one), then tells the observer.
    private func queue(
        _ response: HTTPResponse,
        for request: HTTPRequest,
        on connection: OpaquePointer,
        state: RequestState,
        closeConnection: Bool
    ) -> MHD_Result {
        let mhdResponse: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            mhdResponse = bytes.withUnsafeBytes { raw in
                // Safe: MHD_RESPMEM_MUST_COPY makes MHD copy the bytes before returning and never write through
                // the pointer, so it only has to be valid (and may be nil for an empty body) during this call.
                MHD_create_response_from_buffer(
                    raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                    .RESPMEM_MUST_COPY)
            }
        case .rendered(let bytes):
            let retained = Unmanaged.passRetained(bytes)
            // Safe: libmicrohttpd only reads the buffer, which `bytes` owns and never changes, and calls
            // httpServerReleaseBody with the retained reference when it destroys the response (also when the
            // response is refused or the connection closes), so the bytes outlive every send.
            mhdResponse = MHD_create_response_from_buffer_with_free_callback_cls(
                bytes.count, bytes.base, httpServerReleaseBody, retained.toOpaque())
            if mhdResponse == nil { retained.release() }
        case .stream(let stream):
            let context = StreamContext(stream: stream, connection: connection, server: self)
            let retained = Unmanaged.passRetained(context)
            stream.start(wake: context.wake)
            // The size is MHD_SIZE_UNKNOWN ((uint64_t) -1, a macro Swift does not import): chunked encoding.
            mhdResponse = MHD_create_response_from_callback(
                UInt64.max, StreamContext.blockSize,
                httpServerStreamRead, retained.toOpaque(),
                httpServerStreamFree)
            if mhdResponse == nil {
                stream.finish()
                retained.release()
            }
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        response.headers.withCStrings { name, value in
            MHD_add_response_header(mhdResponse, name, value)
        }
        if closeConnection || stopping.load(ordering: .relaxed) {
            MHD_add_response_header(mhdResponse, "Connection", "close")
        }
        let result = MHD_queue_response(connection, UInt32(response.status.code), mhdResponse)
        var clientAddress: UInt32 = 0
        var clientPort: UInt16 = 0
        if let tracked = state.connection {
            (clientAddress, clientPort) = (tracked.clientAddress, tracked.clientPort)
        } else {
            chttpd_client_address(connection, &clientAddress, &clientPort)
        }
        observer.record(
            HTTPExchange(
                method: request.method, path: request.path, routeLabel: response.routeLabel, status: response.status,
                bodyBytes: response.bodyCount,
                durationNanoseconds: MonotonicClock.nanoseconds() &- state.startNanoseconds,
                clientAddress: clientAddress, clientPort: clientPort))
        return result
    }

    /// libmicrohttpd's completion callback: the request is over (answered, failed or aborted).
    func requestCompleted(requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let existing = requestContext.pointee else { return }
        requestContext.pointee = nil
        // Safe: balances the passRetained in beginRequest; *req_cls was cleared, so this runs once per request.
        let state = Unmanaged<RequestState>.fromOpaque(existing).takeRetainedValue()
        state.connection?.requestFinished(at: MonotonicClock.nanoseconds())
        requestsInFlight.subtract(1, ordering: .relaxed)
    }

    // MARK: - Connections (worker threads)

    /// A connection opened: the watchdog tracks it; its state goes into `*socket_context`.
    func connectionOpened(_ connection: OpaquePointer, socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        var clientAddress: UInt32 = 0
        var clientPort: UInt16 = 0
        chttpd_client_address(connection, &clientAddress, &clientPort)
        let state = watchdog.opened(
            fileDescriptor: chttpd_connection_fd(connection), clientAddress: clientAddress, clientPort: clientPort)
        socketContext.pointee = Unmanaged.passRetained(state).toOpaque()
    }

    /// A connection closed; libmicrohttpd closes its socket right after this returns.
    func connectionClosed(socketContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        guard let existing = socketContext.pointee else { return }
        socketContext.pointee = nil
        // Safe: balances the passRetained in connectionOpened; the context was cleared, so this runs once.
        let state = Unmanaged<ConnectionState>.fromOpaque(existing).takeRetainedValue()
        watchdog.closed(state)
    }

    /// The `ConnectionState` of `connection`, set when it opened.
    static func connectionState(_ connection: OpaquePointer) -> ConnectionState? {
        guard let context = chttpd_socket_context(connection) else { return nil }
        // Safe: a non-nil socket context is the retained state of `connectionOpened`, released only when the
        // connection closes, after its last request.
        return Unmanaged<ConnectionState>.fromOpaque(context).takeUnretainedValue()
    }
}
