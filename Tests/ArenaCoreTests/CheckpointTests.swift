import ArenaCore
import Testing

private struct ScopeFailure: Error, Equatable {}

/// Checkpoints, `rewind(to:)` and `withCheckpoint`: what is released, and which checkpoints go stale.
@Suite struct CheckpointTests {
    @Test(arguments: ArenaKind.allCases)
    func aCheckpointRecordsTheArenaGenerationAndOffset(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 256))
        _ = try arena.allocate(byteCount: 24, alignment: 1)
        arena.reset()
        _ = try arena.allocate(byteCount: 12, alignment: 1)
        let mark = arena.checkpoint()
        #expect(mark.arenaID == arena.id && mark.generation == 1 && mark.offset == 12)
        #expect(mark.description == "checkpoint(arena \(arena.id), generation 1, offset 12)")
        #expect(arena.checkpoint() == mark)
    }

    @Test(arguments: ArenaKind.allCases)
    func rewindReleasesWhatCameAfterAndReusesTheMemory(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        _ = try arena.allocate(byteCount: 512, alignment: 1)
        let mark = arena.checkpoint()
        let scratch = try arena.allocate(byteCount: 200, alignment: 8)
        _ = try arena.allocate(byteCount: 56, alignment: 1)
        #expect(try arena.rewind(to: mark) == 256)
        #expect(arena.stats.used == 512 && arena.stats.rewinds == 1)
        #expect(try arena.allocate(byteCount: 200, alignment: 8) == scratch)
        // Rewinding to where the arena stands releases nothing but still counts.
        let here = arena.checkpoint()
        #expect(try arena.rewind(to: here) == 0)
        #expect(arena.stats.rewinds == 2)
        #expect(
            eventTexts(ring).filter { $0.hasPrefix("Rewound") } == [
                "Rewound to 512: released 256 bytes", "Rewound to 712: released 0 bytes",
            ])
    }

    @Test(arguments: ArenaKind.allCases)
    func nestedScopesRewindInnermostFirst(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let result = try arena.withCheckpoint { () throws(ArenaError) -> Int in
            _ = try arena.allocate(byteCount: 20, alignment: 1)
            let inner = try arena.withCheckpoint { () throws(ArenaError) -> Int in
                _ = try arena.allocate(byteCount: 30, alignment: 1)
                return arena.stats.used
            }
            #expect(inner == 60)
            #expect(arena.stats.used == 30)
            return 7
        }
        #expect(result == 7)
        #expect(arena.stats.used == 10 && arena.stats.rewinds == 2)
        #expect(eventTexts(ring).suffix(2) == ["Rewound to 30: released 30 bytes", "Rewound to 10: released 20 bytes"])
    }

    @Test(arguments: ArenaKind.allCases)
    func aThrowingScopeStillRewindsAndRethrowsItsError(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        #expect(throws: ScopeFailure()) {
            try arena.withCheckpoint { () throws(ScopeFailure) in
                _ = try? arena.allocate(byteCount: 100, alignment: 1)
                throw ScopeFailure()
            }
        }
        #expect(arena.stats.used == 0 && arena.stats.rewinds == 1)
    }

    @Test(arguments: ArenaKind.allCases)
    func aScopeWhoseBodyResetsLeavesTheArenaAlone(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        arena.withCheckpoint {
            _ = try? arena.allocate(byteCount: 10, alignment: 1)
            arena.reset()
            _ = try? arena.allocate(byteCount: 5, alignment: 1)
        }
        #expect(arena.stats.used == 5 && arena.stats.rewinds == 0 && arena.generation == 1)
    }

    @Test(arguments: ArenaKind.allCases)
    func aScopeWhoseBodyRewindsPastItsStartLeavesTheArenaAlone(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        let outer = arena.checkpoint()
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        try arena.withCheckpoint { () throws(ArenaError) in
            _ = try arena.allocate(byteCount: 10, alignment: 1)
            try arena.rewind(to: outer)
            _ = try arena.allocate(byteCount: 15, alignment: 1)
        }
        #expect(arena.stats.used == 15 && arena.stats.rewinds == 1)
    }

    @Test(arguments: ArenaKind.allCases)
    func checkpointsGoStaleWhenTheArenaIsReset(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let mark = arena.checkpoint()
        arena.reset()
        _ = try arena.allocate(byteCount: 40, alignment: 1)
        let before = arena.stats
        let error = arenaError { try arena.rewind(to: mark) }
        #expect(
            error
                == ArenaError(
                    code: .staleCheckpoint,
                    message: "the checkpoint is from generation 0; the arena was reset since and is at generation 1"))
        #expect(error?.code.rawValue == "stale_checkpoint")
        #expect(arena.stats == before)
        // Even a checkpoint at offset 0 of an empty arena goes stale.
        let empty = arena.checkpoint()
        arena.reset()
        #expect(arenaError { try arena.rewind(to: empty) }?.code == .staleCheckpoint)
    }

    @Test(arguments: ArenaKind.allCases)
    func checkpointsGoStaleWhenARewindGoesBeforeThem(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let early = arena.checkpoint()
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let middle = arena.checkpoint()
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let late = arena.checkpoint()
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        // Rewinding to a later checkpoint keeps the earlier ones valid.
        #expect(try arena.rewind(to: late) == 10)
        #expect(try arena.rewind(to: middle) == 10)
        #expect(try arena.rewind(to: early) == 10)
        let before = arena.stats
        let error = arenaError { try arena.rewind(to: middle) }
        #expect(
            error
                == ArenaError(
                    code: .staleCheckpoint, message: "the checkpoint at offset 20 was released by a later rewind"))
        #expect(arenaError { try arena.rewind(to: late) }?.code == .staleCheckpoint)
        #expect(arena.stats == before)
        // Allocating back past the stale positions does not revive them.
        _ = try arena.allocate(byteCount: 30, alignment: 1)
        #expect(arenaError { try arena.rewind(to: middle) }?.code == .staleCheckpoint)
        // The rewind target itself and checkpoints taken afterwards stay valid.
        let after = arena.checkpoint()
        _ = try arena.allocate(byteCount: 5, alignment: 1)
        #expect(try arena.rewind(to: after) == 5)
        #expect(try arena.rewind(to: early) == 30)
        #expect(try arena.rewind(to: early) == 0)
        #expect(arena.stats.rewinds == 6)
    }

    @Test(arguments: ArenaKind.allCases)
    func aCheckpointAtTheSameOffsetInALaterChunkGoesStale(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 64, limit: 1 << 20))
        _ = try arena.allocate(byteCount: 64, alignment: 1)
        let endOfFirst = arena.checkpoint()
        _ = try arena.allocate(byteCount: 0, alignment: 4096)  // a new chunk, used stays 64
        let startOfSecond = arena.checkpoint()
        #expect(endOfFirst.offset == 64 && startOfSecond.offset == 64 && arena.stats.chunks == 2)
        #expect(endOfFirst != startOfSecond)
        #expect(try arena.rewind(to: endOfFirst) == 0)
        #expect(arena.stats.chunks == 1)
        #expect(arenaError { try arena.rewind(to: startOfSecond) }?.code == .staleCheckpoint)
        // After a rewind to the later one, the earlier one is still valid.
        _ = try arena.allocate(byteCount: 0, alignment: 4096)
        let again = arena.checkpoint()
        _ = try arena.allocate(byteCount: 100, alignment: 1)
        #expect(try arena.rewind(to: again) == 100)
        #expect(try arena.rewind(to: endOfFirst) == 0)
    }

    @Test(arguments: ArenaKind.allCases, ArenaKind.allCases)
    func aCheckpointOfAnotherArenaIsForeign(kind: ArenaKind, otherKind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        let other = otherKind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let before = arena.stats
        let mark = other.checkpoint()
        let error = arenaError { try arena.rewind(to: mark) }
        #expect(
            error
                == ArenaError(
                    code: .foreignCheckpoint,
                    message: "the checkpoint belongs to arena \(other.id), not arena \(arena.id)"))
        #expect(error?.code.rawValue == "foreign_checkpoint")
        #expect(arena.stats == before)
        // Foreign wins over stale.
        other.reset()
        #expect(arenaError { try arena.rewind(to: mark) }?.code == .foreignCheckpoint)
    }
}
