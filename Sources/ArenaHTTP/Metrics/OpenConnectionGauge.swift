import ArenaCore
import Synchronization

/// Where `http_open_connections` reads from at scrape time: the HTTP server's own count, once the server is
/// connected; 0 before that and after it is gone.
///
/// Held weakly: the server holds the API (as its responder), not the other way round. A class reference inside
/// the mutex, never a closure: reading a closure out of `Mutex.withLock` re-abstracted it and wrote it back
/// wrapped in two more thunks on every scrape, so /metrics slowed down and leaked (MetricsScrapeCostTests).
final class OpenConnectionGauge: Sendable {
    private struct Source {
        weak var server: HTTPServer?
    }

    private let source = ArenaLock(Source())

    init() {}

    /// Makes the gauge read `server.openConnectionCount`.
    func connect(_ server: HTTPServer) {
        source.withLock { $0.server = server }
    }

    /// Connections open now.
    var value: Int {
        let server = source.withLock { $0.server }
        return server?.openConnectionCount ?? 0
    }
}
