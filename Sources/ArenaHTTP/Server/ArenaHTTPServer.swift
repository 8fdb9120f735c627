import ArenaCore
import Logging
import Synchronization

/// An arena registry served over HTTP: the JSON API (stats, events and their live streams, resets, blobs,
/// checkpoints), Prometheus `/metrics` and the dashboard at `/`, on libmicrohttpd.
///
/// The `arena-server` daemon is this type plus flags and signals. A program that already uses ArenaCore can
/// serve its own registry the same way, as Go programs import `net/http/pprof`:
///
/// ```swift
/// import ArenaCore
/// import ArenaHTTP
///
/// let registry = ArenaRegistry()
/// let frame = try registry.create(name: "frame", policy: .fixed(capacity: 64 << 10), traceCapacity: 1024)
/// var configuration = Configuration()
/// configuration.listen.port = 0                       // any free port
/// let server = ArenaHTTPServer(registry: registry, configuration: configuration)
/// try server.start()
/// print("dashboard: http://127.0.0.1:\(server.port!)/")
/// _ = try frame.arena.allocate(byteCount: 16, alignment: 8)   // shows up in /arenas/frame and /metrics
/// server.stop()
/// ```
///
/// Of `configuration`, a server around an existing registry uses `listen`, `threads`, `log_requests`, `log_format`,
/// the HTTP limits (`max_body_bytes`, `max_batch`, `max_connections`, ...), `trace` (for arenas created over the
/// API) and `auth`; the registry keeps its own limits and arenas, and `configuration.arenas` is not used.
public final class ArenaHTTPServer: Sendable {
    /// The arenas served.
    public let registry: ArenaRegistry
    /// What the server runs with.
    public let configuration: Configuration
    let api: ArenaAPI
    let http: HTTPServer
    /// Runs from `start()` to `stop()`.
    private let sweeper = ArenaLock<IdleSweeper?>(nil)

    /// A server for `registry`; nothing listens until `start()`. It logs to standard error in
    /// `configuration.logFormat`.
    public convenience init(registry: ArenaRegistry, configuration: Configuration = Configuration()) {
        self.init(
            registry: registry, configuration: configuration,
            log: ServerLog(fileDescriptor: 2, format: configuration.logFormat))
    }

    /// A server for `registry` that logs through `logger` (swift-log) instead: its notices, libmicrohttpd's
    /// messages and, with `log_requests`, a record `request` per exchange (see `ServerLog`).
    public convenience init(registry: ArenaRegistry, configuration: Configuration = Configuration(), logger: Logger) {
        self.init(registry: registry, configuration: configuration, log: ServerLog(logger: logger))
    }

    /// A server with a new registry that holds the arenas `configuration` declares (pinned: they can be reset,
    /// not deleted), within its limits. This is what the daemon runs.
    /// - Throws: `ArenaError` when a declared arena does not fit (the configuration parser checks names and
    ///   budgets, so this only happens for a configuration built in code).
    public convenience init(configuration: Configuration) throws(ArenaError) {
        let registry = ArenaRegistry(
            limits: ArenaRegistry.Limits(
                maxArenas: configuration.limits.maxArenas, maxTotalBytes: configuration.limits.maxTotalBytes,
                maxArenaBytes: configuration.limits.maxArenaBytes))
        for declared in configuration.arenas {
            try registry.create(
                name: declared.name, policy: declared.policy,
                traceCapacity: declared.trace ? configuration.trace.ringCapacity : nil,
                arenaClass: declared.arenaClass, pinned: true,
                keepingGenerations: configuration.trace.keepGenerations)
        }
        self.init(
            registry: registry, configuration: configuration, declaredArenas: configuration.arenas.map(\.name),
            log: ServerLog(fileDescriptor: 2, format: configuration.logFormat))
    }

    /// `declaredArenas`: the arenas `/readyz` expects in the registry.
    init(registry: ArenaRegistry, configuration: Configuration, declaredArenas: [String] = [], log: ServerLog) {
        self.registry = registry
        self.configuration = configuration
        api = ArenaAPI(
            registry: registry, configuration: configuration, declaredArenas: declaredArenas, log: log)
        http = HTTPServer(
            options: HTTPServer.Options(configuration), responder: api,
            observer: ExchangeRecorder(metrics: api.requestMetrics, log: log, logRequests: configuration.logRequests))
        api.openConnections.connect(http)
        registry.generationObserver = api.scopeMetrics
    }

    /// Binds the listening socket and starts serving. A server starts at most once.
    /// - Throws: `HTTPServerError` when the host is not an IPv4 address or the port cannot be bound.
    public func start() throws(HTTPServerError) {
        try http.start()
        let sweeper = IdleSweeper(api: api)
        self.sweeper.withLock { $0 = sweeper }
        api.serving.enter(.serving)
    }

    /// The port the server listens on (the kernel's choice when `listen.port` was 0); nil unless running.
    public var port: UInt16? { http.boundPort }

    /// Stops gracefully: live streams end cleanly, the listener closes, requests in flight finish (within the
    /// grace period), then every connection closes. Idempotent; never call it from a request.
    public func stop() {
        // First, so that /readyz answers 503 while the rest of the shutdown runs.
        api.serving.enter(.stopping)
        defer { api.serving.enter(.stopped) }
        sweeper.withLock { sweeper in
            sweeper?.stop()
            sweeper = nil
        }
        // Live streams first: they finish their chunked bodies, so followers see a clean end.
        api.hub.closeAll()
        http.stop()
    }
}
