import Synchronization

/// Where the server is in its life, for `/readyz`: `ArenaHTTPServer.start()` and `stop()` move it along.
final class ServingState: Sendable {
    enum Phase: UInt8 {
        /// Made, not listening yet (an in-process API is always here).
        case notStarted
        /// The listener is up.
        case serving
        /// `stop()` has begun: streams are ending, the listener closes, requests in flight finish.
        case stopping
        /// `stop()` has returned.
        case stopped
    }

    private let raw = Atomic<UInt8>(Phase.notStarted.rawValue)

    init() {}

    var phase: Phase {
        // Safe to force: only `Phase` raw values are ever stored.
        Phase(rawValue: raw.load(ordering: .acquiring))!
    }

    func enter(_ phase: Phase) {
        raw.store(phase.rawValue, ordering: .releasing)
    }
}
