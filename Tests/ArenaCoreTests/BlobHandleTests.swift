import ArenaCore
import Testing

/// `RegisteredArena.storeCopy` and `bytes(of:)`: copies in and out of a registered arena without a pointer in
/// the caller's hands, and nil once a reset or a rewind released the bytes.
@Suite struct BlobHandleTests {
    @Test func bytesComeBackExactlyUntilAResetReleasesThem() throws {
        let registry = ArenaRegistry()
        let entry = try registry.create(name: "blobs", policy: .fixed(capacity: 4096))
        let payload: [UInt8] = [0, 1, 2, 255, 0, 10, 13]
        _ = try entry.arena.allocate(byteCount: 3, alignment: 1)
        let handle = try entry.storeCopy(of: payload, alignment: 8)
        #expect(handle.offset == 8)
        #expect(handle.byteCount == payload.count)
        #expect(handle.lastOffset == 8 + payload.count - 1)
        #expect(handle.generation == 0)
        #expect(entry.bytes(of: handle) == payload)
        entry.reset()
        #expect(entry.bytes(of: handle) == nil)
        // A copy of the new generation lands on the same offsets and is readable; the old handle stays dead.
        let again = try entry.storeCopy(of: payload, alignment: 8)
        #expect(again.offset == 0 && again.generation == 1)
        #expect(entry.bytes(of: again) == payload)
        #expect(entry.bytes(of: handle) == nil)
    }

    @Test func aRewindPastTheCopyReleasesIt() throws {
        let entry = try ArenaRegistry().create(name: "r", policy: .growing(initialChunk: 64, limit: 4096))
        let before = entry.arena.checkpoint()
        let kept = try entry.storeCopy(of: Array(repeating: 7, count: 40))
        let mark = entry.arena.checkpoint()
        let released = try entry.storeCopy(of: Array(repeating: 9, count: 100))  // a second chunk
        #expect(try entry.rewind(to: mark) == 100)
        #expect(entry.bytes(of: released) == nil)
        #expect(entry.bytes(of: kept) == Array(repeating: 7, count: 40))
        #expect(try entry.rewind(to: before) == 40)
        #expect(entry.bytes(of: kept) == nil)
    }

    @Test func aHandleOfAnotherArenaReadsNothing() throws {
        let registry = ArenaRegistry()
        let one = try registry.create(name: "one", policy: .fixed(capacity: 64))
        let two = try registry.create(name: "two", policy: .fixed(capacity: 64))
        let handle = try one.storeCopy(of: [1, 2, 3])
        #expect(two.bytes(of: handle) == nil)
        #expect(one.bytes(of: handle) == [1, 2, 3])
    }

    @Test func aCopyThatDoesNotFitThrowsArenaFull() throws {
        let entry = try ArenaRegistry().create(name: "small", policy: .fixed(capacity: 8))
        #expect(throws: ArenaError.self) { try entry.storeCopy(of: Array(repeating: 1, count: 9)) }
        #expect(entry.arena.stats.failedAllocations == 1)
        #expect(entry.arena.stats.used == 0)
    }
}
