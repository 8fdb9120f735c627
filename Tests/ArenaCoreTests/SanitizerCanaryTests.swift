import ArenaCore
import Foundation
import Synchronization
import Testing

/// Proof that the ThreadSanitizer run can fail, and that `ArenaLock` is what keeps it quiet: `make test-tsan`
/// runs each test below alone with `ARENA_TSAN_CANARY=1` and requires TSan to report the unguarded counter (a
/// real race) and the `Mutex` counter (the toolchain's blind spot), and to report nothing for the `ArenaLock`
/// counter. Skipped everywhere else, since the first race is real.
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
            for _ in 0..<Self.increments { counter.value.withLock { $0 += 1 } }
        }
        #expect(counter.value.withLock { $0 } == 2 * Self.increments)
    }

    @Test func anArenaLockGuardedCounter() {
        final class Counter: Sendable {
            let value = ArenaLock(0)
        }
        let counter = Counter()
        onThreads(2) { _ in
            for _ in 0..<Self.increments { counter.value.withLock { $0 += 1 } }
        }
        #expect(counter.value.withLock { $0 } == 2 * Self.increments)
    }
}
