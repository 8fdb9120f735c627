import Testing

@testable import ArenaCore

/// `_checkInvariants()` is what the model tests call after every step; it must be able to fail, and the bounds it
/// checks must hold after long runs that the model programs are too short to reach.
@Suite struct InvariantTests {
    @Test func aCorruptedEngineTrapsInTheCheck() async {
        await #expect(processExitsWith: .failure) {
            let arena = LocalArena(policy: .fixed(capacity: 64))
            _ = try? arena.allocate(byteCount: 16, alignment: 8)
            // A state word whose offset is past the chunk's end: the fast path never publishes one.
            arena.storage.state.store(BumpState(count: 1, epoch: 0, slot: 0, offset: 65).rawValue, ordering: .relaxed)
            arena._checkInvariants()
        }
    }

    @Test(arguments: ArenaKind.allCases)
    func rewindsToEverHigherPositionsKeepTheFloorBounded(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1 << 20))
        let base = arena.checkpoint()
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let stale = arena.checkpoint()
        try arena.rewind(to: base)
        // Each round rewinds to a checkpoint one byte further on: one floor entry per round without the fold.
        for round in 1...5000 {
            _ = try arena.allocate(byteCount: 1, alignment: 1)
            let mark = arena.checkpoint()
            _ = try arena.allocate(byteCount: 8, alignment: 1)
            try arena.rewind(to: mark)
            if round % 1000 == 0 { arena._checkInvariants() }
        }
        arena._checkInvariants()
        #expect(arena.stats.rewinds == 5001)
        // The oldest checkpoint is still valid, and the one released by the first rewind is still stale.
        #expect(arena.isValid(base))
        #expect(!arena.isValid(stale))
        let latest = arena.checkpoint()
        #expect(arena.isValid(latest))
        #expect(try arena.rewind(to: base) == 5000)
        #expect(!arena.isValid(latest))
    }
}
