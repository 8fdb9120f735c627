import ArenaCore
import Dispatch
import Synchronization

/// The live followers of the event stream, and the slow poll that looks after them.
///
/// A follower with nothing to send suspends its connection and asks its rings to wake it at their next event
/// (`TraceRing.notify`): events reach it at once, and an allocation pays a load unless a follower waits. The
/// hub's poll, once a second and only while followers exist, sends heartbeats, ends streams whose arena is gone,
/// follows arenas created meanwhile, and covers a wake that came too late.
final class EventHub: @unchecked Sendable {
    // @unchecked: `timer` is set once in init and only cancelled in deinit; `polling` says whether it is resumed,
    // under the followers' lock; everything else is a Mutex or atomic.
    static let pollIntervalMilliseconds = 1000

    private let followers = ArenaLock<(table: [ObjectIdentifier: EventFollower], polling: Bool)>(([:], false))
    private let closed = Atomic<Bool>(false)
    private let timer: any DispatchSourceTimer

    init() {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "arena-server.event-hub"))
        let interval = DispatchTimeInterval.milliseconds(Self.pollIntervalMilliseconds)
        timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(50))
        timer.setEventHandler { @Sendable [weak self] in self?.poll() }
        // Suspended until the first follower: an idle server gets no wake-ups from the hub.
        timer.activate()
        timer.suspend()
    }

    deinit {
        followers.withLock { if !$0.polling { timer.resume() } }  // a suspended source must not be released
        timer.cancel()
    }

    /// Followers attached now.
    var count: Int { followers.withLock { $0.table.count } }

    /// Registers a follower; returns false when the hub is closed (the server is stopping).
    func add(_ follower: EventFollower) -> Bool {
        guard !closed.load(ordering: .sequentiallyConsistent) else { return false }
        followers.withLock { followers in
            followers.table[ObjectIdentifier(follower)] = follower
            if !followers.polling {
                followers.polling = true
                timer.resume()
            }
        }
        return true
    }

    private func poll() {
        let now = WallClock.now()
        let current = followers.withLock { Array($0.table.values) }
        var finished: [ObjectIdentifier] = []
        for follower in current {
            if follower.isFinished {
                finished.append(ObjectIdentifier(follower))
            } else if follower.hasWork(now: now) {
                follower.wake()
            }
        }
        if !finished.isEmpty {
            followers.withLock { followers in
                for id in finished { followers.table[id] = nil }
                if followers.table.isEmpty, followers.polling {
                    followers.polling = false
                    timer.suspend()
                }
            }
        }
    }

    /// Ends every stream (they send what they have, then finish their chunked body) and refuses new ones.
    func closeAll() {
        closed.store(true, ordering: .sequentiallyConsistent)
        let current = followers.withLock { Array($0.table.values) }
        for follower in current { follower.end() }
    }
}
