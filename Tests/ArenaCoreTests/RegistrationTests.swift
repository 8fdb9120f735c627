import ArenaCore
import Dispatch
import Foundation
import Synchronization
import Testing

/// `RegisteredArena.whileRegistered` against a removal: the removal waits for a body in progress, so the arena's
/// final stats include what the body allocated, and a body that starts after the removal does not run.
@Suite struct RegistrationTests {
    @Test func aRemovalWaitsForTheBodyInProgressAndItsAllocationIsInTheFinalStats() throws {
        let registry = ArenaRegistry()
        let entry = try registry.create(name: "job", policy: .fixed(capacity: 4096))
        let inBody = DispatchSemaphore(value: 0)
        let mayAllocate = DispatchSemaphore(value: 0)
        let bodyDone = DispatchSemaphore(value: 0)
        let shared = Shared()
        Thread.detachNewThread {
            _ = entry.whileRegistered {
                inBody.signal()
                mayAllocate.wait()
                _ = try? entry.arena.allocate(byteCount: 16, alignment: 8)
            }
            bodyDone.signal()
        }
        inBody.wait()
        // The lookup found the arena and the body runs: now the removal starts, on a thread of its own.
        let removalDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let gone = try? registry.remove(named: "job")
            shared.removed.store(true, ordering: .sequentiallyConsistent)
            shared.stats.withLock { $0 = gone?.arena.stats }
            removalDone.signal()
        }
        // Out of the table at once (no new lookup finds it), but not returned while the body runs.
        let deadline = ContinuousClock.now + .seconds(5)
        while registry.arena(named: "job") != nil, ContinuousClock.now < deadline { usleep(1000) }
        #expect(registry.arena(named: "job") == nil)
        #expect(removalDone.wait(timeout: .now() + .milliseconds(100)) == .timedOut, "removal did not wait")
        let removedEarly = shared.removed.load(ordering: .sequentiallyConsistent)
        #expect(!removedEarly)
        mayAllocate.signal()
        #expect(bodyDone.wait(timeout: .now() + 5) == .success)
        #expect(removalDone.wait(timeout: .now() + 5) == .success, "removal did not end after the body")
        #expect(shared.stats.withLock { $0?.lifetimeAllocations } == 1)
        #expect(entry.snapshot().lastGeneration?.allocations == 1, "the removal's summary counts the allocation")
        // After the removal, a body does not run.
        let ran = entry.whileRegistered { true }
        #expect(ran == nil)
    }

    /// What the test's threads share.
    final class Shared: Sendable {
        let removed = Atomic<Bool>(false)
        /// The removed arena's stats, as `remove(named:)` returned it.
        let stats = ArenaLock<ArenaStats?>(nil)
    }

    @Test func bodiesRunAndReturnWhileTheArenaIsRegistered() throws {
        let registry = ArenaRegistry()
        let entry = try registry.create(name: "scope", policy: .fixed(capacity: 64))
        let offset = try entry.whileRegistered { () throws(ArenaError) in
            try entry.arena.allocation(byteCount: 8, alignment: 8).offset
        }
        #expect(offset == 0)
        #expect(entry.whileRegistered { 7 } == 7)
        // Idle removal waits the same way and ends the bodies that come after it.
        _ = registry.removeIdle(now: .max)
        #expect(entry.whileRegistered { 7 } == 7, "no ttl: not idle, still registered")
        try registry.remove(named: "scope")
        #expect(entry.whileRegistered { 7 } == nil)
    }
}
