import ArenaCore
import Testing

/// Chunk growth: the size rule, the limit, logical offsets across chunks, reset keeping the largest chunk.
@Suite struct GrowingArenaTests {
    @Test(arguments: ArenaKind.allCases)
    func chunksDoubleUpToTheLimit(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.growing(initialChunk: 64, limit: 1000), trace: ring)
        func expectLayout(
            _ capacity: Int, _ chunks: Int, _ used: Int, sourceLocation: SourceLocation = #_sourceLocation
        ) {
            let stats = arena.stats
            #expect(
                stats.capacity == capacity && stats.chunks == chunks && stats.used == used,
                "\(stats)", sourceLocation: sourceLocation)
        }
        expectLayout(64, 1, 0)
        #expect(try arena.allocation(byteCount: 50, alignment: 8).offset == 0)
        // Does not fit in the 64-byte chunk: a chunk of 2 * 64 starts where the arena's used bytes are.
        let second = try arena.allocation(byteCount: 50, alignment: 8)
        #expect(second.offset == 50 && second.padding == 0 && second.pointer.address % 4096 == 0)
        expectLayout(192, 2, 100)
        let third = try arena.allocation(byteCount: 50, alignment: 8)
        #expect(third.offset == 106 && third.padding == 6)
        #expect(try arena.allocation(byteCount: 50, alignment: 8).offset == 156)  // new chunk of 256
        expectLayout(448, 3, 206)
        // 2 * 256 = 512 < 900 and the limit leaves only 552: fails.
        let full = arenaError { try arena.allocate(byteCount: 900, alignment: 8) }
        #expect(full?.code == .arenaFull && full?.requested == 900 && full?.used == 206 && full?.capacity == 1000)
        expectLayout(448, 3, 206)
        #expect(try arena.allocation(byteCount: 500, alignment: 1).offset == 206)  // a chunk of 512
        expectLayout(960, 4, 706)
        #expect(try arena.allocation(byteCount: 10, alignment: 1).offset == 706)
        // Only 40 bytes are left under the limit: the last chunk is clipped to them.
        #expect(try arena.allocation(byteCount: 10, alignment: 1).offset == 716)
        expectLayout(1000, 5, 726)
        #expect(arenaError { try arena.allocate(byteCount: 40, alignment: 1) }?.used == 726)
        #expect(try arena.allocation(byteCount: 30, alignment: 1).lastOffset == 755)
        #expect(try arena.allocation(byteCount: 0, alignment: 8).offset == 756)
        // A zero-byte request whose padding does not fit needs a chunk of at least 1 byte: none is left.
        let zero = arenaError { try arena.allocate(byteCount: 0, alignment: 64) }
        #expect(zero?.requested == 0 && zero?.used == 756 && zero?.capacity == 1000)
        let stats = arena.stats
        #expect(
            stats
                == ArenaStats(
                    capacity: 1000, limit: 1000, used: 756, highWaterMark: 756, highWaterMarkSinceReset: 756,
                    allocations: 9, allocatedBytes: 750, paddingBytes: 6, lifetimeAllocations: 9,
                    lifetimeAllocatedBytes: 750, lifetimePaddingBytes: 6, failedAllocations: 3, resets: 0, rewinds: 0,
                    chunks: 5, generation: 0))
        #expect(
            eventTexts(ring) == [
                "Allocated 50 from 0 to 49", "Allocated 50 from 50 to 99", "Allocated 50 from 106 to 155",
                "Allocated 50 from 156 to 205", "Failed to allocate 900 bytes (used 206 of 1000)",
                "Allocated 500 from 206 to 705", "Allocated 10 from 706 to 715", "Allocated 10 from 716 to 725",
                "Failed to allocate 40 bytes (used 726 of 1000)", "Allocated 30 from 726 to 755", "Allocated 0 at 756",
                "Failed to allocate 0 bytes (used 756 of 1000)",
            ])
        // Reset keeps the largest chunk (512 bytes) and nothing else.
        #expect(arena.reset() == 756)
        expectLayout(512, 1, 0)
        // 2 * 512 is above the 488 bytes left under the limit.
        #expect(arenaError { try arena.allocate(byteCount: 600, alignment: 1) }?.capacity == 1000)
        #expect(try arena.allocation(byteCount: 512, alignment: 1).lastOffset == 511)
        #expect(try arena.allocation(byteCount: 488, alignment: 1).offset == 512)
        expectLayout(1000, 2, 1000)
    }

    @Test(arguments: ArenaKind.allCases)
    func resetKeepsTheLargestChunkEvenWhenItIsNotTheLast(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 64, limit: 300))
        _ = try arena.allocate(byteCount: 64, alignment: 1)
        _ = try arena.allocate(byteCount: 200, alignment: 1)  // chunk of max(128, 200)
        _ = try arena.allocate(byteCount: 30, alignment: 1)  // chunk clipped to 300 - 264 = 36
        #expect(arena.stats.capacity == 300 && arena.stats.chunks == 3)
        #expect(arena.reset() == 294)
        #expect(arena.stats.capacity == 200 && arena.stats.chunks == 1)
        let p = try arena.allocation(byteCount: 200, alignment: 1)
        #expect(p.offset == 0 && arena.stats.chunks == 1)
        _ = try arena.allocate(byteCount: 1, alignment: 1)  // min(400, 300 - 200)
        #expect(arena.stats.capacity == 300 && arena.stats.chunks == 2)
    }

    @Test(arguments: ArenaKind.allCases)
    func aRequestLargerThanTwiceTheChunkGetsAChunkOfItsOwnSize(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 64, limit: 1 << 20))
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        #expect(try arena.allocation(byteCount: 1000, alignment: 1).offset == 1)
        #expect(arena.stats.capacity == 1064)
        _ = try arena.allocate(byteCount: 1, alignment: 1)  // the 1000-byte chunk is full: 2000 more
        #expect(arena.stats.capacity == 3064 && arena.stats.used == 1002)
    }

    @Test(arguments: ArenaKind.allCases, [1 << 12, 1 << 16, BumpArena.maxAlignment])
    func aNewChunkIsAlignedForTheRequestThatMadeIt(kind: ArenaKind, alignment: Int) throws {
        let arena = kind.make(.growing(initialChunk: 100, limit: 1 << 24))
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let a = try arena.allocation(byteCount: 8, alignment: alignment)
        #expect(a.pointer.address % UInt(alignment) == 0 && a.padding == 0 && a.offset == 1)
        #expect(arena.stats.chunks == 2 && arena.stats.capacity == 300 && arena.stats.used == 9)
        // A zero-byte request does the same.
        _ = try arena.allocate(byteCount: 192, alignment: 1)
        let zero = try arena.allocation(byteCount: 0, alignment: alignment)
        #expect(zero.pointer.address % UInt(alignment) == 0 && zero.padding == 0 && zero.offset == 201)
        #expect(arena.stats.chunks == 3 && arena.stats.capacity == 700 && arena.stats.paddingBytes == 0)
    }

    @Test(arguments: ArenaKind.allCases)
    func anInitialChunkAtTheLimitNeverGrows(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 128, limit: 128))
        _ = try arena.allocate(byteCount: 100, alignment: 1)
        let error = arenaError { try arena.allocate(byteCount: 29, alignment: 1) }
        #expect(error?.used == 100 && error?.capacity == 128)
        _ = try arena.allocate(byteCount: 28, alignment: 1)
        #expect(arena.stats.chunks == 1 && arena.stats.used == 128)
    }

    @Test(arguments: ArenaKind.allCases)
    func theTailOfAFullChunkIsNotCounted(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 100, limit: 10_000))
        _ = try arena.allocate(byteCount: 90, alignment: 1)
        let a = try arena.allocation(byteCount: 20, alignment: 1)
        #expect(a.offset == 90 && a.lastOffset == 109)
        let stats = arena.stats
        #expect(stats.used == 110 && stats.allocatedBytes == 110 && stats.paddingBytes == 0)
        #expect(arena.reset() == 110)
    }

    @Test(arguments: ArenaKind.allCases)
    func rewindFreesTheChunksAfterTheCheckpointsChunk(kind: ArenaKind) throws {
        let arena = kind.make(.growing(initialChunk: 64, limit: 1 << 20))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let mark = arena.checkpoint()
        _ = try arena.allocate(byteCount: 100, alignment: 1)  // chunk of 128
        _ = try arena.allocate(byteCount: 100, alignment: 1)  // chunk of 256
        #expect(arena.stats.chunks == 3 && arena.stats.capacity == 448 && arena.stats.used == 210)
        #expect(try arena.rewind(to: mark) == 200)
        #expect(arena.stats.chunks == 1 && arena.stats.capacity == 64 && arena.stats.used == 10)
        // Growth continues from the checkpoint's chunk.
        #expect(try arena.allocation(byteCount: 60, alignment: 1).offset == 10)
        #expect(arena.stats.chunks == 2 && arena.stats.capacity == 192)
        #expect(arena.stats.highWaterMarkSinceReset == 210 && arena.stats.rewinds == 1)
    }
}
