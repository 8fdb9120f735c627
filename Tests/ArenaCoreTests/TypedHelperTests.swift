import ArenaCore
import Testing

/// A type whose stride (16) is larger than its size (9).
private struct Padded {
    var value: Int64
    var flag: UInt8
}

/// `allocate(_:count:)`, `allocate(_:)` of one value, `copy(_:)` of collections, raw bytes and strings.
@Suite struct TypedHelperTests {
    @Test(arguments: ArenaKind.allCases)
    func typedAllocationUsesStrideAndAlignment(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let numbers = try arena.allocate(UInt64.self, count: 3)
        #expect(numbers.count == 3 && UInt(bitPattern: numbers.baseAddress) % 8 == 0)
        let padded = try arena.allocate(Padded.self, count: 3)
        #expect(padded.count == 3 && UInt(bitPattern: padded.baseAddress) % UInt(MemoryLayout<Padded>.alignment) == 0)
        let stats = arena.stats
        #expect(stats.allocatedBytes == 1 + 24 + 3 * MemoryLayout<Padded>.stride)
        #expect(stats.paddingBytes == 7 && stats.used == 1 + 7 + 24 + 48 && stats.allocations == 3)
        _ = numbers.initialize(from: [1, 2, 3])
        padded.initialize(repeating: Padded(value: -1, flag: 9))
        #expect(Array(numbers) == [1, 2, 3] && padded.allSatisfy { $0.value == -1 && $0.flag == 9 })
    }

    @Test(arguments: ArenaKind.allCases)
    func zeroCountIsAnEmptyAlignedBuffer(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 64))
        _ = try arena.allocate(byteCount: 3, alignment: 1)
        let empty = try arena.allocate(UInt32.self, count: 0)
        #expect(empty.isEmpty && UInt(bitPattern: empty.baseAddress) % 4 == 0)
        #expect(arena.stats.used == 4 && arena.stats.allocations == 2 && arena.stats.paddingBytes == 1)
    }

    @Test(arguments: ArenaKind.allCases)
    func oneValueIsInitializedAlignedAndTakesItsSizeNotItsStride(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 64))
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let number = try arena.allocate(UInt64(0x0123_4567_89ab_cdef))
        #expect(number.pointee == 0x0123_4567_89ab_cdef && UInt(bitPattern: number) % 8 == 0)
        let padded = try arena.allocate(Padded(value: -7, flag: 3))
        #expect(padded.pointee.value == -7 && padded.pointee.flag == 3)
        #expect(UInt(bitPattern: padded) % UInt(MemoryLayout<Padded>.alignment) == 0)
        // 1, then 7 of padding and 8, then 9 (the size: no tail padding for the stride of an array).
        let stats = arena.stats
        #expect(stats.allocations == 3 && stats.allocatedBytes == 1 + 8 + 9 && stats.paddingBytes == 7)
        #expect(stats.used == 25)
        number.pointee += 1
        #expect(number.pointee == 0x0123_4567_89ab_cdf0, "the value lives in the arena, writable in place")
        let nothing = try arena.allocate(())
        #expect(UInt(bitPattern: nothing) % UInt(MemoryLayout<Void>.alignment) == 0 && arena.stats.used == 25)
    }

    @Test(arguments: ArenaKind.allCases)
    func oneValueRecordsTheCallersSiteAndFailsLikeAnyAllocation(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 12), trace: ring)
        let (_, line) = try (arena.allocate(UInt32(1)), #line)
        let error = arenaError { try arena.allocate(UInt64(2)) }
        #expect(error?.code == .arenaFull && error?.requested == 8 && error?.used == 4 && error?.capacity == 12)
        let events = ring.events(after: 0)
        #expect(events.map { "\($0)" } == ["Allocated 4 from 0 to 3", "Failed to allocate 8 bytes (used 4 of 12)"])
        #expect(events.first?.site.description == "ArenaCoreTests/TypedHelperTests.swift:\(line)")
    }

    @Test(arguments: ArenaKind.allCases)
    func aValueThatOwnsAReferenceIsReleasedByDeinitialize(kind: ArenaKind) throws {
        final class Payload {}
        let arena = kind.make(.fixed(capacity: 64))
        weak var watched: Payload?
        let pointer = try { () throws(ArenaError) -> UnsafeMutablePointer<Payload> in
            let payload = Payload()
            watched = payload
            return try arena.allocate(payload)
        }()
        #expect(watched != nil, "the arena's copy holds a strong reference")
        pointer.deinitialize(count: 1)
        #expect(watched == nil)
        arena.reset()
    }

    @Test(arguments: ArenaKind.allCases)
    func countTimesStrideOverflowIsArenaFull(kind: ArenaKind) throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        for count in [Int.max, Int.max / 8 + 1, Int.max / 2] {
            let error = arenaError { try arena.allocate(UInt64.self, count: count) }
            #expect(error?.code == .arenaFull && error?.requested == Int.max && error?.used == 10)
            #expect(error?.capacity == 1024)
        }
        // Just below the overflow: an ordinary (too large) request.
        let large = arenaError { try arena.allocate(UInt64.self, count: Int.max / 8) }
        #expect(large?.requested == (Int.max / 8) * 8)
        // Every one of them threw `.arenaFull`, so every one is a failed allocation, and traced as one.
        let stats = arena.stats
        #expect(stats.failedAllocations == 4 && stats.used == 10 && stats.allocations == 1)
        #expect(
            eventTexts(ring) == ["Allocated 10 from 0 to 9"]
                + Array(
                    repeating: "Failed to allocate \(Int.max) bytes (used 10 of 1024)", count: 3)
                + ["Failed to allocate \((Int.max / 8) * 8) bytes (used 10 of 1024)"])
    }

    @Test(arguments: ArenaKind.allCases)
    func copyOfACollection(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let ints = try arena.copy([1, -2, 3, Int.max])
        #expect(Array(ints) == [1, -2, 3, Int.max] && UInt(bitPattern: ints.baseAddress) % 8 == 0)
        let range = try arena.copy(UInt16(5)...UInt16(9))
        #expect(Array(range) == [5, 6, 7, 8, 9])
        let slice = try arena.copy([1.5, 2.5, 3.5, 4.5][1...2])
        #expect(Array(slice) == [2.5, 3.5])
        let none = try arena.copy([UInt32]())
        #expect(none.isEmpty)
        #expect(arena.stats.allocatedBytes == 1 + 32 + 10 + 16 + 0)
        // The copies are independent of the source and of each other.
        ints[0] = 42
        #expect(Array(ints) == [42, -2, 3, Int.max] && Array(range) == [5, 6, 7, 8, 9])
        let tooMany = arenaError { try arena.copy(Array(repeating: UInt64(1), count: 200)) }
        #expect(tooMany?.code == .arenaFull && tooMany?.requested == 1600)
    }

    @Test(arguments: ArenaKind.allCases)
    func copyOfRawBytes(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 256))
        let source: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]
        let copied = try source.withUnsafeBytes { try arena.copy(bytes: $0) }
        #expect(Array(copied) == source && arena.stats.used == 6)
        let aligned = try source.withUnsafeBytes { try arena.copy(bytes: $0, alignment: 64) }
        #expect(Array(aligned) == source && aligned.baseAddress!.address % 64 == 0)
        #expect(arena.stats.used == 70 && arena.stats.paddingBytes == 58)
        let empty = try arena.copy(bytes: UnsafeRawBufferPointer(start: nil, count: 0), alignment: 8)
        #expect(empty.isEmpty && arena.stats.used == 72 && arena.stats.allocations == 3)
        let big = [UInt8](repeating: 7, count: 185)
        let error = big.withUnsafeBytes { bytes in arenaError { try arena.copy(bytes: bytes) } }
        #expect(error?.requested == 185 && error?.used == 72)
    }

    @Test(arguments: ArenaKind.allCases, ["", "a", "frame-7", "héllo wörld", "日本語のテキスト", "🚀👩‍👩‍👧", "a\u{0}b"])
    func copyOfAStringIsItsUTF8Bytes(kind: ArenaKind, string: String) throws {
        let arena = kind.make(.fixed(capacity: 256))
        _ = try arena.allocate(byteCount: 3, alignment: 1)
        let copied = try arena.copy(string)
        #expect(copied.bytes == Array(string.utf8))
        #expect(copied.utf8Count == string.utf8.count && copied.isEmpty == string.isEmpty)
        #expect(copied.description == string && copied == string)
        let stats = arena.stats
        #expect(stats.allocatedBytes == 3 + string.utf8.count && stats.paddingBytes == 0 && stats.allocations == 2)
    }

    @Test(arguments: ArenaKind.allCases)
    func copyOfANonContiguousStringAndOfAStringThatDoesNotFit(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 16))
        let substring = "xx-ünïcode-yy".dropFirst(3).dropLast(3)
        let copied = try arena.copy(String(substring))
        #expect(copied.bytes == Array("ünïcode".utf8) && copied.utf8Count == 9)
        let error = arenaError { try arena.copy("ééééé") }  // 10 bytes, 7 left
        #expect(error?.requested == 10 && error?.used == 9 && error?.capacity == 16)
    }

    /// The example of `BumpArena`'s documentation, end to end.
    @Test func documentationExample() throws {
        let ring = TraceRing(capacity: 4096)
        let arena = BumpArena(policy: .fixed(capacity: 1024), trace: ring)
        let p = try arena.allocate(byteCount: 16, alignment: 8)
        #expect(p.address % 8 == 0)
        #expect(eventTexts(ring) == ["Allocated 16 from 0 to 15"])
        let a = try arena.allocation(byteCount: 3, alignment: 64)
        #expect(a.offset == 64 && a.padding == 48 && a.lastOffset == 66)
        arena.withCheckpoint { _ = try? arena.allocate(byteCount: 100, alignment: 1) }
        #expect(arena.stats.used == 67)
        #expect(arena.reset() == 67)
        #expect(
            eventTexts(ring) == [
                "Allocated 16 from 0 to 15", "Allocated 3 from 64 to 66", "Allocated 100 from 67 to 166",
                "Rewound to 67: released 100 bytes", "Reset: released 67 bytes",
            ])
        let scratch = LocalArena(policy: .growing(initialChunk: 4096, limit: 1 << 20))
        #expect(Array(try scratch.copy([1, 2, 3])) == [1, 2, 3])
        #expect(try scratch.copy("frame-7") == "frame-7")
    }
}
