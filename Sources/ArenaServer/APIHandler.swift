import ArenaCore
import Dispatch

/// The seam between the HTTP layer and the API: the daemon hands every complete request to one `APIHandler`.
///
/// `handle(_:)` runs on libmicrohttpd's worker threads, concurrently with itself; it must be thread-safe and must
/// not block for long. It cannot throw: every failure is already a response.
protocol APIHandler: Sendable {
    /// Answers one request.
    func handle(_ request: HTTPRequest) -> HTTPResponse
}

extension ArenaAPI {
    /// The API for `configuration`: a registry with its limits and the declared arenas (pinned), and the
    /// token and batch settings.
    convenience init(configuration: Configuration) throws(ArenaError) {
        let limits = ArenaRegistry.Limits(
            maxArenas: configuration.limits.maxArenas, maxTotalBytes: configuration.limits.maxTotalBytes,
            maxArenaBytes: configuration.limits.maxArenaBytes)
        let registry = ArenaRegistry(limits: limits)
        for declared in configuration.arenas {
            let policy: ArenaPolicy = switch declared.policy {
            case .fixed(let capacity): .fixed(capacity: capacity)
            case .growing(let initialChunk, let limit): .growing(initialChunk: initialChunk, limit: limit)
            }
            try registry.create(
                name: declared.name, policy: policy,
                traceCapacity: declared.trace ? configuration.trace.ringCapacity : nil,
                arenaClass: declared.arenaClass, pinned: true)
        }
        var settings = Settings()
        settings.token = configuration.auth.token
        settings.protectReads = configuration.auth.protectReads
        settings.maxBatch = configuration.limits.maxBatch
        settings.traceCapacity = configuration.trace.ringCapacity
        self.init(registry: registry, settings: settings)
    }

    /// Removes idle arenas (`ttl_seconds`) once a second, on a background queue, for the API's lifetime.
    func startIdleSweeper() -> any DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { @Sendable [weak self] in
            guard let self else { return }
            for name in self.removeIdleArenas(now: WallClock.now()) {
                Daemon.printError("removed arena '\(name)': idle past its ttl_seconds")
            }
        }
        timer.resume()
        return timer
    }
}
