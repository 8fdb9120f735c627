import ArenaCore
import Foundation
import Synchronization
import Testing

/// Proof that the ThreadSanitizer run can fail, and that `ArenaLock` is what keeps it quiet: `make test-tsan`
/// runs each test below alone with `ARENA_TSAN_CANARY=1` and requires TSan to report the unguarded counter (a
/// real race) and the `Mutex` counter (the toolchain's blind spot), and to report nothing for the `ArenaLock`
/// counter. Skipped everywhere else, since the first race is real.
///
/// TSan misses `Mutex` only when the lock is contended: an uncontended lock is an atomic exchange inlined into
/// instrumented code, which TSan sees; a waiter woken from the futex takes the lock inside the uninstrumented
/// runtime. A CI machine where the two threads happened not to collide saw no report, so both guarded counters
/// now hold their lock across a short sleep every few increments, which makes the other thread wait.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ARENA_TSAN_CANARY"] == "1"))
struct SanitizerCanaryTests {
    static let increments = 1000

    @Test func anUnguardedCounter() {
        final class Counter: @unchecked Sendable {
            // @unchecked: deliberately racy; this is the canary.
            var value = 0
        }
        let counter = Counter()
        onThreads(2) { _ in
            for _ in 0..<Self.increments { counter.value += 1 }
        }
        // Whatever the race left; TSan's report is the point.
        #expect(counter.value <= 2 * Self.increments)
    }

    @Test func aMutexGuardedCounter() {
        final class Counter: Sendable {
            let value = Mutex(0)
        }
        let counter = Counter()
        onThreads(2) { _ in
            for step in 0..<Self.increments {
                counter.value.withLock {
                    $0 += 1
                    Self.holdLock(step)
                }
            }
        }
        #expect(counter.value.withLock { $0 } == 2 * Self.increments)
    }

    @Test func anArenaLockGuardedCounter() {
        final class Counter: Sendable {
            let value = ArenaLock(0)
        }
        let counter = Counter()
        onThreads(2) { _ in
            for step in 0..<Self.increments {
                counter.value.withLock {
                    $0 += 1
                    Self.holdLock(step)
                }
            }
        }
        #expect(counter.value.withLock { $0 } == 2 * Self.increments)
    }

    /// Every 8th increment keeps the lock for 100 µs, so the other thread finds it taken and waits in the futex.
    static func holdLock(_ step: Int) {
        if step % 8 == 0 { usleep(100) }
    }
}
