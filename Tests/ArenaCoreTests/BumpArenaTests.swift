import ArenaCore
import Testing

/// Allocation, failure, reset, stats and tracing of a fixed arena, for both arena types.
@Suite struct BumpArenaTests {
    @Test(arguments: ArenaKind.allCases)
    func firstAllocationStartsAtOffsetZero(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        let a = try arena.allocation(byteCount: 16, alignment: 8)
        #expect(a.offset == 0 && a.byteCount == 16 && a.lastOffset == 15 && a.padding == 0 && a.generation == 0)
        #expect(a.pointer.address % 8 == 0)
        let p = try arena.allocate(byteCount: 4, alignment: 4)
        #expect(p == a.pointer + 16)
        #expect(arena.stats.used == 20)
    }

    @Test(arguments: ArenaKind.allCases)
    func everyPowerOfTwoAlignmentUpTo4096PadsFromTheOffset(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 16384))
        var used = 0
        var padding = 0
        for shift in 0...12 {
            let alignment = 1 << shift
            let a = try arena.allocation(byteCount: 3, alignment: alignment)
            let expectedOffset = roundUp(used, to: alignment)
            #expect(a.pointer.address % UInt(alignment) == 0, "alignment \(alignment)")
            #expect(a.offset == expectedOffset && a.padding == expectedOffset - used, "alignment \(alignment)")
            padding += a.padding
            used = expectedOffset + 3
        }
        let stats = arena.stats
        #expect(stats.used == used && stats.paddingBytes == padding && stats.allocatedBytes == 13 * 3)
        #expect(stats.allocations == 13)
    }

    @Test(arguments: ArenaKind.allCases, [1 << 13, 1 << 16, BumpArena.maxAlignment])
    func alignmentAbove4096AppliesToTheAddress(kind: ArenaKind, alignment: Int) throws {
        let arena = kind.make(.fixed(capacity: 2 * alignment))
        let first = try arena.allocation(byteCount: 1, alignment: 1)
        let a = try arena.allocation(byteCount: 8, alignment: alignment)
        #expect(a.pointer.address % UInt(alignment) == 0)
        #expect(a.padding == Int(a.pointer.address - first.pointer.address) - 1)
        #expect(a.offset == 1 + a.padding && a.padding < alignment)
        let stats = arena.stats
        #expect(stats.used == a.offset + 8 && stats.paddingBytes == a.padding && stats.allocatedBytes == 9)
        // The next aligned address is `alignment` further: one byte more than what is left after it fails...
        let room = 2 * alignment - (a.offset + alignment)
        let error = arenaError { try arena.allocate(byteCount: room + 1, alignment: alignment) }
        #expect(error?.code == .arenaFull && error?.used == a.offset + 8)
        // ...and exactly what is left fits.
        let last = try arena.allocation(byteCount: room, alignment: alignment)
        #expect(last.offset == a.offset + alignment && last.lastOffset == 2 * alignment - 1)
        #expect(last.pointer == a.pointer + alignment)
    }

    @Test(arguments: ArenaKind.allCases)
    func zeroByteAllocationsConsumeTheirPadding(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 64))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let zero = try arena.allocation(byteCount: 0, alignment: 16)
        #expect(zero.offset == 16 && zero.padding == 6 && zero.lastOffset == 15 && zero.byteCount == 0)
        #expect(zero.pointer.address % 16 == 0)
        #expect(arena.stats.used == 16)
        _ = try arena.allocate(byteCount: 48, alignment: 1)
        // Full: a zero-byte allocation still fits at the end when it needs no padding...
        let atEnd = try arena.allocation(byteCount: 0, alignment: 64)
        #expect(atEnd.offset == 64 && atEnd.padding == 0)
        _ = try arena.allocate(byteCount: 0, alignment: 1)
        // ...and fails like any other allocation when its padding does not fit.
        let error = arenaError { try arena.allocate(byteCount: 0, alignment: 128) }
        #expect(
            error
                == ArenaError(
                    code: .arenaFull, message: "cannot allocate 0 bytes aligned to 128: used 64 of 64 bytes",
                    requested: 0, used: 64, capacity: 64))
        let stats = arena.stats
        #expect(stats.allocations == 5 && stats.allocatedBytes == 58 && stats.paddingBytes == 6)
        #expect(stats.failedAllocations == 1 && stats.used == 64)
    }

    @Test(arguments: ArenaKind.allCases)
    func arenaFullReportsRequestUsedAndCapacity(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        _ = try arena.allocate(byteCount: 1000, alignment: 1)
        let error = try #require(arenaError { try arena.allocate(byteCount: 2048, alignment: 8) })
        #expect(error.code == .arenaFull && error.code.rawValue == "arena_full")
        #expect(error.requested == 2048 && error.used == 1000 && error.capacity == 1024)
        #expect(error.message == "cannot allocate 2048 bytes aligned to 8: used 1000 of 1024 bytes")
        #expect(error.description == "arena_full: cannot allocate 2048 bytes aligned to 8: used 1000 of 1024 bytes")
        // The `allocation` entry point fails the same way; padding counts against the room left.
        let again = arenaError { try arena.allocation(byteCount: 24, alignment: 16) }
        #expect(again?.requested == 24 && again?.used == 1000 && again?.capacity == 1024)
        let fits = try arena.allocation(byteCount: 24, alignment: 8)
        #expect(fits.offset == 1000 && fits.lastOffset == 1023)
        #expect(arenaError { try arena.allocate(byteCount: 1, alignment: 1) }?.used == 1024)
        let stats = arena.stats
        #expect(stats.failedAllocations == 3 && stats.allocations == 2 && stats.used == 1024)
        #expect(
            eventTexts(ring) == [
                "Allocated 1000 from 0 to 999", "Failed to allocate 2048 bytes (used 1000 of 1024)",
                "Failed to allocate 24 bytes (used 1000 of 1024)", "Allocated 24 from 1000 to 1023",
                "Failed to allocate 1 bytes (used 1024 of 1024)",
            ])
    }

    @Test(arguments: ArenaKind.allCases, [ArenaPolicy.fixed(capacity: 4096), .growing(initialChunk: 64, limit: 4096)])
    func hugeRequestsFailWithoutOverflow(kind: ArenaKind, policy: ArenaPolicy) throws {
        let arena = kind.make(policy)
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        for request in [Int.max, Int.max - 1, Int.max / 2 + 1, 1 << 40, 4097] {
            let error = arenaError { try arena.allocate(byteCount: request, alignment: 8) }
            #expect(error?.code == .arenaFull && error?.requested == request && error?.used == 10)
            #expect(error?.capacity == 4096)
        }
        let stats = arena.stats
        #expect(stats.failedAllocations == 5 && stats.used == 10 && stats.chunks == 1)
    }

    @Test(arguments: ArenaKind.allCases)
    func resetReleasesEverythingAndStartsANewGeneration(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 256), trace: ring)
        #expect(arena.reset() == 0)
        #expect(arena.generation == 1)
        let first = try arena.allocation(byteCount: 100, alignment: 1)
        _ = try arena.allocate(byteCount: 20, alignment: 32)
        #expect(arena.reset() == 148)
        #expect(arena.generation == 2)
        let again = try arena.allocation(byteCount: 100, alignment: 1)
        #expect(again.pointer == first.pointer && again.offset == 0 && again.generation == 2)
        #expect(first.generation == 1)
        let stats = arena.stats
        #expect(
            stats
                == ArenaStats(
                    capacity: 256, limit: 256, used: 100, highWaterMark: 148, highWaterMarkSinceReset: 100,
                    allocations: 1,
                    allocatedBytes: 100, paddingBytes: 0, lifetimeAllocations: 3, lifetimeAllocatedBytes: 220,
                    lifetimePaddingBytes: 28, failedAllocations: 0, resets: 2, rewinds: 0, chunks: 1, generation: 2))
        #expect(
            eventTexts(ring) == [
                "Reset: released 0 bytes", "Allocated 100 from 0 to 99", "Allocated 20 from 128 to 147",
                "Reset: released 148 bytes", "Allocated 100 from 0 to 99",
            ])
        let generations = ring.events(after: 0).map(\.generation)
        #expect(generations == [1, 1, 1, 2, 2])
    }

    @Test(arguments: ArenaKind.allCases)
    func statsAreExactThroughAllocationsRewindsAndResets(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        #expect(arena.stats == ArenaStats(capacity: 1024, limit: 1024, chunks: 1))
        _ = try arena.allocate(byteCount: 16, alignment: 8)
        _ = try arena.allocate(byteCount: 3, alignment: 64)  // 64...66, padding 48
        let mark = arena.checkpoint()
        _ = try arena.allocate(byteCount: 100, alignment: 1)  // 67...166
        #expect(try arena.rewind(to: mark) == 100)
        _ = try arena.allocate(byteCount: 10, alignment: 16)  // 80...89, padding 13
        _ = arenaError { try arena.allocate(byteCount: 2000, alignment: 1) }
        #expect(
            arena.stats
                == ArenaStats(
                    capacity: 1024, limit: 1024, used: 90, highWaterMark: 167, highWaterMarkSinceReset: 167,
                    allocations: 4,
                    allocatedBytes: 129, paddingBytes: 61, lifetimeAllocations: 4, lifetimeAllocatedBytes: 129,
                    lifetimePaddingBytes: 61, failedAllocations: 1, resets: 0, rewinds: 1, chunks: 1, generation: 0))
        #expect(arena.reset() == 90)
        #expect(
            arena.stats
                == ArenaStats(
                    capacity: 1024, limit: 1024, used: 0, highWaterMark: 167, highWaterMarkSinceReset: 0,
                    allocations: 0,
                    allocatedBytes: 0, paddingBytes: 0, lifetimeAllocations: 4, lifetimeAllocatedBytes: 129,
                    lifetimePaddingBytes: 61, failedAllocations: 1, resets: 1, rewinds: 1, chunks: 1, generation: 1))
        _ = try arena.allocate(byteCount: 5, alignment: 1)
        _ = try arena.allocate(byteCount: 1, alignment: 4)
        #expect(
            arena.stats
                == ArenaStats(
                    capacity: 1024, limit: 1024, used: 9, highWaterMark: 167, highWaterMarkSinceReset: 9,
                    allocations: 2,
                    allocatedBytes: 6, paddingBytes: 3, lifetimeAllocations: 6, lifetimeAllocatedBytes: 135,
                    lifetimePaddingBytes: 64, failedAllocations: 1, resets: 1, rewinds: 1, chunks: 1, generation: 1))
    }

    @Test(arguments: ArenaKind.allCases)
    func highWaterMarkSinceResetRemembersUsageBeforeARewind(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        let mark = arena.checkpoint()
        _ = try arena.allocate(byteCount: 500, alignment: 1)
        try arena.rewind(to: mark)
        _ = try arena.allocate(byteCount: 100, alignment: 1)
        var stats = arena.stats
        #expect(stats.used == 100 && stats.highWaterMarkSinceReset == 500 && stats.highWaterMark == 500)
        arena.reset()
        _ = try arena.allocate(byteCount: 600, alignment: 1)
        stats = arena.stats
        #expect(stats.highWaterMarkSinceReset == 600 && stats.highWaterMark == 600)
        arena.reset()
        stats = arena.stats
        #expect(stats.highWaterMarkSinceReset == 0 && stats.highWaterMark == 600)
    }

    @Test(arguments: ArenaKind.allCases)
    func everyEventKindHasItsText(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        _ = try arena.allocate(byteCount: 16, alignment: 8)
        _ = try arena.allocate(byteCount: 0, alignment: 1)
        _ = try arena.allocate(byteCount: 0, alignment: 32)
        let mark = arena.checkpoint()
        _ = try arena.allocate(byteCount: 968, alignment: 1)
        _ = arenaError { try arena.allocate(byteCount: 2048, alignment: 4) }
        try arena.rewind(to: mark)
        arena.reset()
        let batch = ring.events(after: 0)
        #expect(
            batch.map { "\($0)" } == [
                "Allocated 16 from 0 to 15", "Allocated 0 at 16", "Allocated 0 at 32", "Allocated 968 from 32 to 999",
                "Failed to allocate 2048 bytes (used 1000 of 1024)", "Rewound to 32: released 968 bytes",
                "Reset: released 32 bytes",
            ])
        #expect(batch.map(\.kind) == [.allocation, .allocation, .allocation, .allocation, .failure, .rewind, .reset])
        #expect(batch.map(\.sequence) == Array(1...7))
        #expect(batch.allSatisfy { $0.arenaID == arena.id })
        #expect(batch.map(\.alignment) == [8, 1, 32, 1, 4, 1, 1])
        #expect(batch.map(\.size) == [16, 0, 0, 968, 2048, 968, 32])
        #expect(batch.map(\.start) == [0, 16, 32, 32, 1000, 32, 0])
        #expect(batch.map(\.end) == [15, 15, 31, 999, 1024, 999, 31])
        #expect(batch.map(\.generation) == [0, 0, 0, 0, 0, 0, 1])
        #expect(batch.missed == 0 && batch.next == 7)
        #expect(AllocationEvent.Kind.allCases.map(\.description) == ["allocation", "failure", "reset", "rewind"])
    }

    @Test(arguments: ArenaKind.allCases)
    func tracingCanBeSwitchedOffAndOn(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        #expect(arena.isTracing && arena.trace === ring)
        arena.isTracing = false
        #expect(!arena.isTracing)
        _ = try arena.allocate(byteCount: 8, alignment: 1)
        let mark = arena.checkpoint()
        _ = arenaError { try arena.allocate(byteCount: 4096, alignment: 1) }
        try arena.rewind(to: mark)
        arena.reset()
        #expect(ring.lastSequence == 0)
        arena.isTracing = true
        _ = try arena.allocate(byteCount: 8, alignment: 1)
        #expect(eventTexts(ring) == ["Allocated 8 from 0 to 7"])

        let untraced = kind.make(.fixed(capacity: 64))
        #expect(!untraced.isTracing && untraced.trace == nil)
        untraced.isTracing = true
        #expect(!untraced.isTracing)
    }

    @Test(arguments: ArenaKind.allCases)
    func identityAndPolicyAreReported(kind: ArenaKind) {
        let a = kind.make(.fixed(capacity: 64))
        let b = kind.make(.growing(initialChunk: 64, limit: 128))
        #expect(a.id != b.id)
        #expect(a.policy == .fixed(capacity: 64) && b.policy == .growing(initialChunk: 64, limit: 128))
        #expect(a.stats.limit == 64 && b.stats.limit == 128 && b.stats.capacity == 64)
        #expect(a.generation == 0)
    }

    @Test(arguments: ArenaKind.allCases)
    func allocationsHoldWhatIsWrittenToThem(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1 << 16))
        var blocks: [(UnsafeMutableRawPointer, Int, UInt8)] = []
        for index in 0..<100 {
            let size = (index * 37) % 300
            let p = try arena.allocate(byteCount: size, alignment: 1 << (index % 7))
            p.initializeMemory(as: UInt8.self, repeating: UInt8(index), count: size)
            blocks.append((p, size, UInt8(index)))
        }
        for (p, size, value) in blocks {
            let bytes = UnsafeRawBufferPointer(start: p, count: size)
            #expect(bytes.allSatisfy { $0 == value })
        }
    }

    @Test func policyDescriptionsAndProblems() {
        #expect(ArenaPolicy.fixed(capacity: 64).description == "fixed(capacity: 64)")
        #expect(ArenaPolicy.growing(initialChunk: 8, limit: 64).description == "growing(initialChunk: 8, limit: 64)")
        #expect(
            ArenaPolicy.fixed(capacity: 64).name == "fixed"
                && ArenaPolicy.growing(initialChunk: 1, limit: 1).name == "growing")
        #expect(
            ArenaPolicy.fixed(capacity: 64).reservedBytes == 64 && ArenaPolicy.fixed(capacity: 64).initialCapacity == 64
        )
        #expect(ArenaPolicy.growing(initialChunk: 8, limit: 64).reservedBytes == 64)
        #expect(ArenaPolicy.growing(initialChunk: 8, limit: 64).initialCapacity == 8)
        #expect(ArenaPolicy.fixed(capacity: 1).problem == nil)
        #expect(ArenaPolicy.growing(initialChunk: 64, limit: 64).problem == nil)
        #expect(ArenaPolicy.fixed(capacity: 0).problem == "capacity must be at least 1 byte, got 0")
        #expect(ArenaPolicy.fixed(capacity: 1 << 40).problem == "capacity must be at most \((1 << 40) - 1) bytes")
        #expect(
            ArenaPolicy.growing(initialChunk: 0, limit: 64).problem == "initial chunk must be at least 1 byte, got 0")
        #expect(
            ArenaPolicy.growing(initialChunk: 65, limit: 64).problem
                == "initial chunk (65) is larger than the limit (64)")
        #expect(
            ArenaPolicy.growing(initialChunk: 1, limit: 1 << 40).problem
                == "limit must be at most \((1 << 40) - 1) bytes")
    }

    @Test func errorCodesHaveStableSnakeCaseNames() {
        let codes: [ArenaError.Code] = [
            .arenaFull, .staleCheckpoint, .foreignCheckpoint, .invalidName, .duplicateName, .unknownArena,
            .tooManyArenas, .totalBudgetExceeded, .arenaTooLarge, .arenaPinned, .invalidPolicy,
        ]
        #expect(
            codes.map(\.description) == [
                "arena_full", "stale_checkpoint", "foreign_checkpoint", "invalid_name", "duplicate_name",
                "unknown_arena", "too_many_arenas", "total_budget_exceeded", "arena_too_large", "arena_pinned",
                "invalid_policy",
            ])
        let error = ArenaError(code: .invalidName, message: "bad")
        #expect(error.description == "invalid_name: bad" && error.requested == nil && error.used == nil)
        #expect(error.capacity == nil)
    }
}
