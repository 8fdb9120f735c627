import ArenaCore
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One open connection, as the watchdog sees it. Made in the connection-notification callback, kept (retained)
/// in libmicrohttpd's `*socket_context` and in the watchdog's table, released when the connection closes.
///
/// Phases, each with a start time on the monotonic clock:
/// - `awaitingHead`: opened, or its previous response finished; a complete request head is due within
///   `Options.headerTimeoutSeconds`;
/// - `receivingBody`: the head arrived and a body is expected; it is due within `Options.bodyTimeoutSeconds`;
/// - `responding`: the application has the request, or its response (perhaps a long stream) is being sent: no
///   deadline of ours (libmicrohttpd's `connection_timeout` still closes a silent one).
final class ConnectionState: Sendable {
    enum Phase: UInt8 {
        case awaitingHead = 0
        case receivingBody = 1
        case responding = 2
    }

    /// The socket; valid until the connection-closed notification, which removes this state from the table
    /// before libmicrohttpd closes the socket.
    let fileDescriptor: Int32
    /// Accept order.
    let serial: UInt64
    /// The peer's IPv4 address (host byte order) and port, read when the connection opened; 0 and 0 if unknown.
    /// Every exchange on the connection is logged with them, the watchdog's 408s and 503s included.
    let clientAddress: UInt32
    let clientPort: UInt16
    private let phaseValue = Atomic<UInt8>(Phase.awaitingHead.rawValue)
    /// When the phase began.
    private let phaseStart: Atomic<UInt64>
    /// The current request's line has arrived: a timeout then answers 408 instead of closing silently.
    let requestLineSeen = Atomic<Bool>(false)
    /// Body bytes received since the phase began (counted in `receivingBody`): how fast an upload is arriving.
    private let bodyBytes = Atomic<Int>(0)
    /// Set once the watchdog ended the connection (or evicted it); nothing acts twice.
    let ended = Atomic<Bool>(false)
    /// What the current request is, for the 408's exchange record (method is empty until the head arrived).
    private let current = ArenaLock<(method: String, path: String)>(("", ""))

    init(fileDescriptor: Int32, serial: UInt64, now: UInt64, clientAddress: UInt32 = 0, clientPort: UInt16 = 0) {
        self.fileDescriptor = fileDescriptor
        self.serial = serial
        self.clientAddress = clientAddress
        self.clientPort = clientPort
        self.phaseStart = Atomic(now)
    }

    var phase: Phase { Phase(rawValue: phaseValue.load(ordering: .acquiring)) ?? .responding }
    var phaseStartedAt: UInt64 { phaseStart.load(ordering: .relaxed) }

    func enter(_ phase: Phase, at now: UInt64) {
        phaseStart.store(now, ordering: .relaxed)
        bodyBytes.store(0, ordering: .relaxed)
        phaseValue.store(phase.rawValue, ordering: .releasing)
    }

    /// `count` more bytes of the body arrived.
    func received(_ count: Int) {
        bodyBytes.add(count, ordering: .relaxed)
    }

    /// Bytes a second the body has arrived at so far (`now` on the monotonic clock).
    func bodyRate(at now: UInt64) -> Double {
        let elapsed = max(1, now &- phaseStartedAt)
        return Double(bodyBytes.load(ordering: .relaxed)) * 1e9 / Double(elapsed)
    }

    /// The request line of a new request arrived.
    func requestLine(path: String) {
        current.withLock { $0 = ("", path) }
        requestLineSeen.store(true, ordering: .relaxed)
    }

    /// The head of the current request arrived.
    func head(method: String) {
        current.withLock { $0.method = method }
    }

    /// The current request ended (answered, or the connection failed); the next head is due from `now`.
    func requestFinished(at now: UInt64) {
        requestLineSeen.store(false, ordering: .relaxed)
        enter(.awaitingHead, at: now)
    }

    var currentRequest: (method: String, path: String) { current.withLock { $0 } }
}

/// Keeps slow clients from holding connection slots: ends requests whose head or body is past its deadline
/// (libmicrohttpd's own timeout only closes *silent* connections, not ones that dribble a byte every few
/// seconds), and under pressure makes room for a new connection by closing the one that has waited longest for
/// a request head.
///
/// It acts on the socket: a 408 (rendered by the responder, recorded by the observer) is written when a request
/// had begun, then the socket is shut down, and libmicrohttpd closes the connection on its next read. Its thread
/// sleeps while no connection is open and wakes at most once a second otherwise (at the next deadline).
final class ConnectionWatchdog: @unchecked Sendable {
    // @unchecked: `thread` is set once in `start()` and joined in `stop()`, both called by the owning HTTPServer
    // under its lifecycle lock; everything else is immutable or a Mutex or atomic.

    /// What the watchdog does when a deadline passes or a slot is needed.
    struct Limits: Sendable {
        var headerTimeoutNanoseconds: UInt64
        var bodyTimeoutNanoseconds: UInt64
        /// Connections beyond this are made room for (or refused).
        var maxConnections: Int
    }

    /// Why the watchdog ended a connection.
    enum Reason {
        case headerTimeout
        case bodyTimeout
        /// A new connection needed its slot (closed silently: it had not started a request).
        case evicted
        /// A new connection needed the slot of a slow upload (answered 503).
        case evictedBody
        /// Too many connections and none to make room with: the new one is answered 503.
        case refused
    }

    static let checkIntervalNanoseconds: UInt64 = 250_000_000
    /// Under pressure, a connection that has waited this long for its head is the first to lose its slot to a
    /// new one.
    static let graceNanoseconds: UInt64 = 100_000_000
    /// Under pressure, an upload arriving slower than this (bytes a second) is the next to lose its slot, however
    /// young: a client that sends its body at once is far above it, one that dribbles a byte at a time far below.
    static let slowBodyBytesPerSecond: Double = 64 * 1024
    /// ...once its head has been in for this long (a client may send its body a moment after its head, or wait
    /// for a `100 Continue`).
    static let bodyStartNanoseconds: UInt64 = 1_000_000

    let limits: Limits
    private let connections = ArenaLock<[UInt64: ConnectionState]>([:])
    private let nextSerial = Atomic<UInt64>(0)
    private let wake = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)
    private var thread: pthread_t?
    /// Renders what the watchdog answers (a 408 or a 503), like every other refusal.
    private let responder: any HTTPResponder
    /// Records those answers, like every other exchange.
    private let observer: any HTTPExchangeObserver

    init(limits: Limits, responder: any HTTPResponder, observer: any HTTPExchangeObserver) {
        self.limits = limits
        self.responder = responder
        self.observer = observer
    }

    var count: Int { connections.withLock { $0.count } }

    /// A connection opened: track it and, when that makes too many, close the one that waited longest for a
    /// request head. Returns the state to keep in `*socket_context`.
    func opened(fileDescriptor: Int32, clientAddress: UInt32 = 0, clientPort: UInt16 = 0) -> ConnectionState {
        let state = ConnectionState(
            fileDescriptor: fileDescriptor, serial: nextSerial.wrappingAdd(1, ordering: .relaxed).newValue,
            now: MonotonicClock.nanoseconds(), clientAddress: clientAddress, clientPort: clientPort)
        let wasEmpty = connections.withLock { table in
            let wasEmpty = table.isEmpty
            table[state.serial] = state
            if table.count > limits.maxConnections {
                // Who gives up its slot, in order: a connection that has waited over 100 ms for a request head
                // (idle, or dribbling one); the slowest upload arriving below 64 KiB/s, however young (attackers
                // that reconnect at once stay young); any connection still waiting for a head. A connection
                // younger than that is usually a client about to send its request at once, like this new one.
                let now = MonotonicClock.nanoseconds()
                let candidates = table.values.filter { $0 !== state && !$0.ended.load(ordering: .relaxed) }
                func oldest(_ phase: ConnectionState.Phase, waitedOver minimum: UInt64) -> ConnectionState? {
                    candidates.filter { $0.phase == phase && now &- $0.phaseStartedAt > minimum }
                        .min { $0.phaseStartedAt < $1.phaseStartedAt }
                }
                func slowestBody() -> ConnectionState? {
                    candidates.lazy
                        .filter { $0.phase == .receivingBody && now &- $0.phaseStartedAt > Self.bodyStartNanoseconds }
                        .map { (state: $0, rate: $0.bodyRate(at: now)) }
                        .filter { $0.rate < Self.slowBodyBytesPerSecond }
                        .min { $0.rate < $1.rate }?.state
                }
                if let idle = oldest(.awaitingHead, waitedOver: Self.graceNanoseconds) {
                    end(idle, .evicted, answering: false)
                } else if let slowBody = slowestBody() {
                    end(slowBody, .evictedBody, answering: true)
                } else if let young = oldest(.awaitingHead, waitedOver: 0) {
                    end(young, .evicted, answering: false)
                } else {
                    // Nothing to make room with (every connection is busy): refuse the new one instead.
                    end(state, .refused, answering: true)
                }
            }
            return wasEmpty
        }
        if wasEmpty { wake.signal() }
        return state
    }

    /// While the server stops: closes, without an answer, every connection that has waited over `quiet`
    /// nanoseconds for a request head without starting one (an idle keep-alive connection), so that it does not
    /// hold the stop for the whole grace. A client that sends its next request at once still gets its answer
    /// (a 503 `shutting_down`): so does one whose request is in the socket, not yet read by a worker thread that
    /// was busy or descheduled (closing that connection cut a request the client had sent, seen once in a loaded
    /// test run).
    func closeIdle(quietFor quiet: UInt64) {
        let now = MonotonicClock.nanoseconds()
        connections.withLock { table in
            for state in table.values
            where state.phase == .awaitingHead && !state.requestLineSeen.load(ordering: .relaxed)
                && now &- state.phaseStartedAt > quiet && !Self.hasBytesWaiting(state.fileDescriptor)
            {
                end(state, .evicted, answering: false)
            }
        }
    }

    /// Whether the peer sent bytes nobody has read yet (a peek, without blocking). Caller holds the table's lock,
    /// so the socket is still this connection's.
    private static func hasBytesWaiting(_ fileDescriptor: Int32) -> Bool {
        var byte: UInt8 = 0
        return recv(fileDescriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) > 0
    }

    /// A connection closed (before libmicrohttpd closes its socket).
    func closed(_ state: ConnectionState) {
        _ = connections.withLock { $0.removeValue(forKey: state.serial) }
    }

    func start() {
        running.store(true, ordering: .sequentiallyConsistent)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { context in
                // Safe: `context` is the watchdog retained by `start()`; released here when the loop ends.
                let watchdog = Unmanaged<ConnectionWatchdog>.fromOpaque(context!).takeRetainedValue()
                watchdog.loop()
                return nil
            }, context)
        precondition(status == 0, "ConnectionWatchdog: pthread_create failed with \(status)")
        self.thread = thread
    }

    /// Ends the watchdog's thread and waits for it.
    func stop() {
        running.store(false, ordering: .sequentiallyConsistent)
        wake.signal()
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    private func loop() {
        var sleep: UInt64? = nil
        while running.load(ordering: .sequentiallyConsistent) {
            if let sleep {
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(sleep)))
            } else {
                wake.wait()
            }
            guard running.load(ordering: .sequentiallyConsistent) else { return }
            sleep = check(now: MonotonicClock.nanoseconds())
        }
    }

    /// Ends every connection past its deadline at `now`. Returns how long to sleep before the next check: until
    /// the earliest deadline, between `checkIntervalNanoseconds` and a second (a connection that enters a timed
    /// phase meanwhile is checked within a second of its deadline), or nil (sleep until a connection opens) when
    /// none is open.
    @discardableResult
    func check(now: UInt64) -> UInt64? {
        connections.withLock { table in
            guard !table.isEmpty else { return nil }
            var earliest = now + 1_000_000_000
            for state in table.values where !state.ended.load(ordering: .relaxed) {
                let timeout =
                    switch state.phase {
                    case .awaitingHead: limits.headerTimeoutNanoseconds
                    case .receivingBody: limits.bodyTimeoutNanoseconds
                    case .responding: UInt64(0)
                    }
                guard timeout > 0 else { continue }
                let deadline = state.phaseStartedAt &+ timeout
                if now > deadline {
                    end(
                        state, state.phase == .awaitingHead ? .headerTimeout : .bodyTimeout,
                        answering: state.phase == .receivingBody || state.requestLineSeen.load(ordering: .relaxed))
                } else {
                    earliest = min(earliest, deadline)
                }
            }
            return max(Self.checkIntervalNanoseconds, earliest &- now)
        }
    }

    /// Writes the answer (when `answering`) and shuts the socket down. Caller holds the table's lock, so the
    /// socket cannot be closed (and its number reused) meanwhile.
    private func end(_ state: ConnectionState, _ reason: Reason, answering: Bool) {
        guard !state.ended.exchange(true, ordering: .relaxed) else { return }
        if answering {
            let bytes = answer(state, reason)
            bytes.withUnsafeBytes { raw in
                // Safe: `raw` is the answer's storage, alive during this call. Non-blocking: a few hundred bytes
                // fit the socket buffer of a connection that is not reading its responses anyway.
                _ = send(state.fileDescriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
            }
        }
        shutdown(state.fileDescriptor, Int32(SHUT_RDWR))
    }

    /// The response for `reason`, rendered by the responder and recorded by the observer, as raw HTTP/1.1.
    private func answer(_ state: ConnectionState, _ reason: Reason) -> [UInt8] {
        let rejection: HTTPRejection =
            switch reason {
            case .headerTimeout: .headerTimeout(seconds: Int(limits.headerTimeoutNanoseconds / 1_000_000_000))
            case .bodyTimeout: .bodyTimeout(seconds: Int(limits.bodyTimeoutNanoseconds / 1_000_000_000))
            case .evicted, .evictedBody, .refused: .tooManyConnections(limit: limits.maxConnections)
            }
        let (method, path) = state.currentRequest
        let target = (try? RequestTarget(parsing: Array(path.utf8))) ?? RequestTarget(path: path, segments: [])
        let request = HTTPRequest(method: HTTPMethod(rawValue: method), target: target)
        let response = responder.respond(to: rejection, request: request)
        observer.record(
            HTTPExchange(
                method: request.method, path: path, routeLabel: response.routeLabel, status: response.status,
                bodyBytes: response.bodyCount,
                durationNanoseconds: MonotonicClock.nanoseconds() &- state.phaseStartedAt,
                clientAddress: state.clientAddress, clientPort: state.clientPort))
        return RawResponse.bytes(of: response)
    }
}
