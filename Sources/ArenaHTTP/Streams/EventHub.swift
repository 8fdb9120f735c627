import ArenaCore
import Dispatch
import Synchronization

/// The live followers of the event stream, and the poller that wakes them.
///
/// Allocation never notifies anyone (that would put work on the fast path): every `pollInterval` the hub
/// checks each follower's rings and wakes the followers with something to send. A follower that finds nothing
/// suspends its connection; the next poll that sees work resumes it, so no wake-up is lost, at the cost of up
/// to one poll interval of latency.
final class EventHub: @unchecked Sendable {
    // @unchecked: `timer` is set once in init and only cancelled in deinit; everything else is a Mutex or atomic.
    static let pollIntervalMilliseconds = 20

    private let followers = Mutex<[ObjectIdentifier: EventFollower]>([:])
    private let closed = Atomic<Bool>(false)
    private let timer: any DispatchSourceTimer

    init() {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "arena-server.event-hub"))
        let interval = DispatchTimeInterval.milliseconds(Self.pollIntervalMilliseconds)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(5))
        timer.setEventHandler { @Sendable [weak self] in self?.poll() }
        timer.resume()
    }

    deinit {
        timer.cancel()
    }

    /// Followers attached now.
    var count: Int { followers.withLock { $0.count } }

    /// Registers a follower; returns false when the hub is closed (the server is stopping).
    func add(_ follower: EventFollower) -> Bool {
        guard !closed.load(ordering: .sequentiallyConsistent) else { return false }
        followers.withLock { $0[ObjectIdentifier(follower)] = follower }
        return true
    }

    private func poll() {
        let now = WallClock.now()
        let current = followers.withLock { Array($0.values) }
        var finished: [ObjectIdentifier] = []
        for follower in current {
            if follower.isFinished {
                finished.append(ObjectIdentifier(follower))
            } else if follower.hasWork(now: now) {
                follower.wake?()
            }
        }
        if !finished.isEmpty {
            followers.withLock { table in for id in finished { table[id] = nil } }
        }
    }

    /// Ends every stream (they send what they have, then finish their chunked body) and refuses new ones.
    func closeAll() {
        closed.store(true, ordering: .sequentiallyConsistent)
        let current = followers.withLock { Array($0.values) }
        for follower in current { follower.end()?() }
    }
}
