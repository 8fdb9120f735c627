import ArenaCore
import Dispatch

/// Removes idle arenas (`ttl_seconds`) once a second, on a background queue, while the server runs.
final class IdleSweeper: @unchecked Sendable {
    // @unchecked: `timer` is set once in init; a dispatch source may be cancelled from any thread.
    private let timer: any DispatchSourceTimer

    /// Starts sweeping `api`'s registry; each removal is an `info` line in `api.log`.
    init(api: ArenaAPI) {
        timer = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        timer.schedule(deadline: .now() + 1, repeating: 1, leeway: .milliseconds(100))
        timer.setEventHandler { @Sendable [weak api] in
            guard let api else { return }
            for entry in api.removeIdleArenas(now: WallClock.now()) {
                api.log.log(.info, "removed arena '\(entry.name)': idle past its ttl_seconds")
            }
        }
        timer.resume()
    }

    /// Stops sweeping; idempotent.
    func stop() { timer.cancel() }

    deinit { timer.cancel() }
}
