import Synchronization
import Testing

@testable import ArenaCore

/// A single-writer ring marks no slot as being written: readers detect a slot being overwritten from the
/// head, which the writer moves first. These tests race one writer with readers on tiny rings, where every
/// slot is overwritten constantly, and check that no event a reader returns mixes fields of two events.
@Suite struct SingleWriterRingTests {
    /// Every field of event `n` is derived from `n`, so a torn read shows as a mismatch.
    static func record(_ ring: TraceRing, _ n: UInt64) {
        ring.record(
            kind: .allocation, arenaID: UInt32(truncatingIfNeeded: n), size: Int(n), alignment: 1 << Int(n % 13),
            start: Int(n) &* 3, end: 0, generation: n &* 7)
    }

    static func isIntact(_ event: AllocationEvent) -> Bool {
        let n = event.sequence
        return event.size == Int(n) && event.start == Int(n) * 3 && event.generation == n * 7
            && event.arenaID == UInt32(truncatingIfNeeded: n) && event.alignment == 1 << Int(n % 13)
            && event.end == Int(n) * 4 - 1 && event.kind == .allocation
    }

    // Verified to fail (torn events seen) when `read` skips the head check.
    @Test(arguments: [1, 2, 4, 64])
    func readersNeverSeeATornEventWhileTheWriterLaps(capacity: Int) {
        let ring = TraceRing(capacity: capacity, singleWriter: true)
        let total: UInt64 = 2_000_000
        let done = Atomic<Bool>(false)
        let torn = Atomic<Int>(0)
        let returned = Atomic<Int>(0)
        let outOfOrder = Atomic<Int>(0)
        onThreads(2) { index in  // one writer, one reader: each gets a core, so they overlap often
            if index == 0 {
                for n in 1...total { Self.record(ring, n) }
                done.store(true, ordering: .releasing)
            } else {
                var next: UInt64 = 0
                while !done.load(ordering: .acquiring) || next < ring.lastSequence {
                    let batch = ring.events(after: next)
                    var previous = next
                    for event in batch {
                        if !Self.isIntact(event) { torn.add(1, ordering: .relaxed) }
                        if event.sequence <= previous { outOfOrder.add(1, ordering: .relaxed) }
                        previous = event.sequence
                    }
                    returned.add(batch.count, ordering: .relaxed)
                    // Everything after `next` is accounted for: returned, or counted as missed.
                    if UInt64(batch.count) + batch.missed != batch.next - next { outOfOrder.add(1, ordering: .relaxed) }
                    next = batch.next
                }
            }
        }
        #expect(torn.load(ordering: .relaxed) == 0)
        #expect(outOfOrder.load(ordering: .relaxed) == 0)
        #expect(returned.load(ordering: .relaxed) > 0)
        let final = ring.events(after: 0)
        #expect(final.next == total && final.count == min(capacity, Int(total)) && final.allSatisfy(Self.isIntact))
    }
}
