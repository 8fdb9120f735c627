import ArenaCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Writes events into a ring through an arena and knows their text: allocations of 1...16 bytes, and a reset
/// whenever the arena could not take the next one.
final class EventWriter {
    let arena: any BumpAllocator
    private(set) var texts: [String] = []
    private var used = 0
    private static let capacity = 4096

    init(ring: TraceRing, shared: Bool) {
        arena =
            shared
            ? BumpArena(policy: .fixed(capacity: Self.capacity), trace: ring)
            : LocalArena(policy: .fixed(capacity: Self.capacity), trace: ring)
    }

    /// Records one event and returns its text.
    @discardableResult
    func write() -> String {
        let size = texts.count % 16 + 1
        let text: String
        if used + size > Self.capacity {
            arena.reset()
            text = "Reset: released \(used) bytes"
            used = 0
        } else {
            _ = try! arena.allocate(byteCount: size, alignment: 1)
            text = "Allocated \(size) from \(used) to \(used + size - 1)"
            used += size
        }
        texts.append(text)
        return text
    }
}

/// The ring's public behaviour on hand-picked cases.
@Suite struct TraceRingTests {
    @Test(arguments: [
        (1, 1), (2, 2), (3, 4), (4, 4), (5, 8), (7, 8), (8, 8), (9, 16), (1000, 1024), (4096, 4096),
        (4097, 8192),
    ])
    func capacityIsRoundedUpToAPowerOfTwo(requested: Int, rounded: Int) {
        #expect(TraceRing(capacity: requested).capacity == rounded)
        #expect(TraceRing(capacity: requested, singleWriter: true).capacity == rounded)
    }

    @Test func anEmptyRing() {
        let ring = TraceRing(capacity: 8)
        #expect(ring.lastSequence == 0 && ring.overwritten == 0 && !ring.singleWriter)
        let batch = ring.events(after: 0)
        #expect(batch.isEmpty && batch.missed == 0 && batch.next == 0)
        #expect(TraceRing(capacity: 8, singleWriter: true).singleWriter)
        #expect(TraceRing.maxCapacity == 1 << 24)
    }

    @Test(arguments: [false, true])
    func sequenceNumbersStartAtOneAndTheOldestIsOverwritten(singleWriter: Bool) {
        let ring = TraceRing(capacity: 4, singleWriter: singleWriter)
        let writer = EventWriter(ring: ring, shared: !singleWriter)
        for _ in 0..<3 { writer.write() }
        #expect(ring.lastSequence == 3 && ring.overwritten == 0)
        var batch = ring.events(after: 0)
        #expect(batch.map(\.sequence) == [1, 2, 3] && batch.missed == 0 && batch.next == 3)
        #expect(batch.map { "\($0)" } == writer.texts)
        for _ in 0..<7 { writer.write() }
        #expect(ring.lastSequence == 10 && ring.overwritten == 6)
        batch = ring.events(after: 0)
        #expect(batch.map(\.sequence) == [7, 8, 9, 10] && batch.missed == 6 && batch.next == 10)
        #expect(batch.map { "\($0)" } == Array(writer.texts[6...]))
        batch = ring.events(after: 3)
        #expect(batch.map(\.sequence) == [7, 8, 9, 10] && batch.missed == 3 && batch.next == 10)
        batch = ring.events(after: 6)
        #expect(batch.count == 4 && batch.missed == 0)
        batch = ring.events(after: 8)
        #expect(batch.map(\.sequence) == [9, 10] && batch.missed == 0 && batch.next == 10)
        batch = ring.events(after: 10)
        #expect(batch.isEmpty && batch.missed == 0 && batch.next == 10)
    }

    @Test func aLimitEndsTheBatchEarly() {
        let ring = TraceRing(capacity: 8)
        let writer = EventWriter(ring: ring, shared: true)
        for _ in 0..<5 { writer.write() }
        var batch = ring.events(after: 0, limit: 2)
        #expect(batch.map(\.sequence) == [1, 2] && batch.next == 2 && batch.missed == 0)
        batch = ring.events(after: batch.next, limit: 2)
        #expect(batch.map(\.sequence) == [3, 4] && batch.next == 4)
        batch = ring.events(after: batch.next, limit: 2)
        #expect(batch.map(\.sequence) == [5] && batch.next == 5)
        batch = ring.events(after: 0, limit: 0)
        #expect(batch.isEmpty && batch.next == 0 && batch.missed == 0)
        // With a limit, overwritten events still count as missed and are skipped.
        for _ in 0..<10 { writer.write() }
        batch = ring.events(after: 2, limit: 3)
        #expect(batch.map(\.sequence) == [8, 9, 10] && batch.missed == 5 && batch.next == 10)
        batch = ring.events(after: 0, limit: 0)
        #expect(batch.isEmpty && batch.missed == 7 && batch.next == 7)
    }

    static let futureSequences: [UInt64] = [
        11, 1000, 1 << 62, 1 << 63, (1 << 63) + 1, (1 << 63) + 11, UInt64.max - 1, UInt64.max,
    ]

    @Test(arguments: futureSequences)
    func readingAfterAFutureSequenceNumberReturnsNothing(after: UInt64) {
        let ring = TraceRing(capacity: 4)
        let writer = EventWriter(ring: ring, shared: true)
        for _ in 0..<10 { writer.write() }
        let batch = ring.events(after: after)
        #expect(batch.isEmpty && batch.missed == 0 && batch.next == after)
        let limited = ring.events(after: after, limit: 3)
        #expect(limited.isEmpty && limited.next == after)
    }

    @Test(arguments: [false, true])
    func aRingOfOneKeepsTheNewestEvent(singleWriter: Bool) {
        let ring = TraceRing(capacity: 1, singleWriter: singleWriter)
        let writer = EventWriter(ring: ring, shared: !singleWriter)
        writer.write()
        #expect(ring.events(after: 0).map { "\($0)" } == ["Allocated 1 from 0 to 0"])
        for _ in 0..<4 { writer.write() }
        let batch = ring.events(after: 0)
        #expect(batch.map(\.sequence) == [5] && batch.missed == 4 && batch.next == 5)
        #expect(batch.map { "\($0)" } == ["Allocated 5 from 10 to 14"])
        #expect(ring.overwritten == 4)
    }

    @Test func arenasSharingARingAreToldApartByID() throws {
        let ring = TraceRing(capacity: 16)
        let a = BumpArena(policy: .fixed(capacity: 64), trace: ring)
        let b = LocalArena(policy: .growing(initialChunk: 64, limit: 256), trace: ring)
        _ = try a.allocate(byteCount: 8, alignment: 1)
        _ = try b.allocate(byteCount: 4, alignment: 4)
        _ = try a.allocate(byteCount: 8, alignment: 8)
        b.reset()
        let batch = ring.events(after: 0)
        #expect(batch.map(\.arenaID) == [a.id, b.id, a.id, b.id])
        #expect(
            batch.map { "\($0)" } == [
                "Allocated 8 from 0 to 7", "Allocated 4 from 0 to 3", "Allocated 8 from 8 to 15",
                "Reset: released 4 bytes",
            ])
        #expect(batch.map(\.generation) == [0, 0, 0, 1])
    }

    @Test func eventsAreStampedWithTheWallClock() throws {
        func now() -> UInt64 {
            var time = timespec()
            clock_gettime(CLOCK_REALTIME, &time)
            return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
        }
        let ring = TraceRing(capacity: 4)
        let arena = BumpArena(policy: .fixed(capacity: 64), trace: ring)
        let before = now()
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let after = now()
        let stamp = try #require(ring.events(after: 0).first).timestamp
        // The clock thread refreshes the time every millisecond; allow a generous margin for a busy machine.
        #expect(stamp + 1_000_000_000 >= before && stamp <= after + 1_000_000)
    }

    @Test func batchesAreCollections() {
        let event = AllocationEvent(
            sequence: 3, arenaID: 9, kind: .allocation, size: 16, alignment: 8, start: 0,
            end: 15, generation: 0, timestamp: 1)
        let batch = TraceBatch(events: [event, event], missed: 2, next: 3)
        #expect(batch.count == 2 && batch.startIndex == 0 && batch.endIndex == 2 && batch[1] == event)
        #expect(batch.events == [event, event] && batch.missed == 2 && batch.next == 3)
        #expect("\(event)" == "Allocated 16 from 0 to 15")
        var zero = event
        zero.size = 0
        zero.start = 16
        zero.end = 15
        #expect("\(zero)" == "Allocated 0 at 16")
        let failure = AllocationEvent(
            sequence: 1, arenaID: 1, kind: .failure, size: 2048, alignment: 8, start: 1000,
            end: 1024, generation: 0, timestamp: 0)
        #expect("\(failure)" == "Failed to allocate 2048 bytes (used 1000 of 1024)")
        let reset = AllocationEvent(
            sequence: 1, arenaID: 1, kind: .reset, size: 1024, alignment: 1, start: 0,
            end: 1023, generation: 1, timestamp: 0)
        #expect("\(reset)" == "Reset: released 1024 bytes")
        let rewind = AllocationEvent(
            sequence: 1, arenaID: 1, kind: .rewind, size: 256, alignment: 1, start: 512,
            end: 767, generation: 0, timestamp: 0)
        #expect("\(rewind)" == "Rewound to 512: released 256 bytes")
    }

    @Test func largeAlignmentsAndArenaIDsSurviveTheRoundTrip() throws {
        let ring = TraceRing(capacity: 4)
        let arena = BumpArena(policy: .growing(initialChunk: 64, limit: 1 << 22), trace: ring)
        _ = try arena.allocate(byteCount: 8, alignment: BumpArena.maxAlignment)
        let event = try #require(ring.events(after: 0).first)
        #expect(event.alignment == BumpArena.maxAlignment && event.arenaID == arena.id && event.kind == .allocation)
    }
}
