import CArenaSanitizer
import Testing

@testable import ArenaCore

#if canImport(Glibc)
import Glibc
#endif

/// `_checkInvariants()` is what the model tests call after every step; it must be able to fail, and the bounds it
/// checks must hold after long runs that the model programs are too short to reach.
@Suite struct InvariantTests {
    @Test func aCorruptedEngineTrapsInTheCheck() async {
        await #expect(processExitsWith: .failure) {
            let arena = LocalArena(policy: .fixed(capacity: 64))
            _ = try? arena.allocate(byteCount: 16, alignment: 8)
            // The cursor folded back first, or the check would fold it over the corruption (see `LocalCursor`).
            arena.storage.flushLocal()
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

/// Memory a reset or a rewind released must not keep the old scope's bytes: debug builds fill it with
/// `0xDE`, ASan builds poison it, so a read through a stale pointer sees garbage or traps.
@Suite struct ReleasedMemoryTests {
    /// (Under ASan the bytes are poisoned instead: reading them is the trap test below.)
    @Test(.enabled(if: arena_sanitizer_poisons() == 0), arguments: ArenaKind.allCases)
    func resetFillsReleasedBytesInDebugBuilds(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 4096))
        let stale = try arena.allocate(byteCount: 64, alignment: 8)
        stale.initializeMemory(as: UInt8.self, repeating: 0x11, count: 64)
        arena.reset()
        #expect((0..<64).allSatisfy { stale.load(fromByteOffset: $0, as: UInt8.self) == 0xDE })
        // The next scope's allocation of the same bytes is the caller's to fill.
        let fresh = try arena.allocate(byteCount: 64, alignment: 8)
        #expect(fresh == stale)
    }

    @Test(.enabled(if: arena_sanitizer_poisons() == 0), arguments: ArenaKind.allCases)
    func rewindFillsWhatItReleases(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 4096))
        let kept = try arena.allocate(byteCount: 16, alignment: 8)
        kept.initializeMemory(as: UInt8.self, repeating: 0x22, count: 16)
        let mark = arena.checkpoint()
        let released = try arena.allocate(byteCount: 16, alignment: 8)
        released.initializeMemory(as: UInt8.self, repeating: 0x33, count: 16)
        try arena.rewind(to: mark)
        #expect((0..<16).allSatisfy { kept.load(fromByteOffset: $0, as: UInt8.self) == 0x22 })
        #expect((0..<16).allSatisfy { released.load(fromByteOffset: $0, as: UInt8.self) == 0xDE })
    }

    /// Under AddressSanitizer (`make test-asan`), reading a pointer kept across a reset traps with a report.
    @Test(.enabled(if: arena_sanitizer_poisons() != 0))
    func aReadAfterResetTrapsUnderASan() async {
        await #expect(processExitsWith: .failure) {
            let arena = LocalArena(policy: .fixed(capacity: 4096))
            let stale = try! arena.allocate(byteCount: 64, alignment: 8)
            stale.storeBytes(of: 7, as: UInt64.self)
            arena.reset()
            // Read through the C library (ASan intercepts memcpy): a debug build calls the standard library's
            // prebuilt, uninstrumented `load`, which ASan would not see.
            var value: UInt64 = 0
            memcpy(&value, stale, 8)  // use after reset: ASan aborts here
            print(value)
        }
    }
}
