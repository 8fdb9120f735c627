import ArenaCore
import PropertyBased
import Testing

/// The ring as an array: every event ever recorded, of which the newest `capacity` are kept.
struct TraceRingModel {
    let capacity: Int
    var recorded: [String] = []

    init(requestedCapacity: Int) {
        var capacity = 1
        while capacity < requestedCapacity { capacity *= 2 }
        self.capacity = capacity
    }

    var lastSequence: UInt64 { UInt64(recorded.count) }
    /// Sequence numbers up to this one are gone.
    var overwritten: UInt64 { UInt64(max(0, recorded.count - capacity)) }

    /// What `events(after:limit:)` must return: (sequence, text) pairs, missed, next.
    func events(after sequence: UInt64, limit: Int) -> (events: [(UInt64, String)], missed: UInt64, next: UInt64) {
        guard sequence < lastSequence else { return ([], 0, sequence) }
        let from = max(sequence, overwritten)
        let count = min(limit, Int(lastSequence - from))
        let events = (0..<count).map { index in
            let number = from + UInt64(index) + 1
            return (number, recorded[Int(number) - 1])
        }
        return (events, from - sequence, from + UInt64(count))
    }
}

/// One step: write `writes` events (through one of two arenas), then read after a chosen number with a limit.
struct RingStep: CustomStringConvertible, Sendable {
    var writes: Int
    var afterChoice: Int
    var limitChoice: Int
    var pick: Int

    var description: String { "(\(writes) writes, after #\(afterChoice), limit #\(limitChoice), pick \(pick))" }

    static let generator = zip(Gen.int(in: 0...40), Gen.int(in: 0...8), Gen.int(in: 0...4), Gen.int(in: 0...99_999))
        .map { RingStep(writes: $0, afterChoice: $1, limitChoice: $2, pick: $3) }
}

@Suite struct TraceRingModelTests {
    /// Random interleavings of writes (by two arenas) and reads against `TraceRingModel`: order, overwrite of
    /// the oldest, `missed`, `next`, `limit`, `overwritten`, `lastSequence`, sequence numbers and arena ids.
    @Test(arguments: [false, true])
    func ringMatchesTheArrayModel(singleWriter: Bool) async {
        let capacities = Gen.frequency((1, Gen.always(1)), (4, Gen.int(in: 1...70)))
        await propertyCheck(count: 300, input: capacities, RingStep.generator.array(of: 1...40)) { requested, program in
            let ring = TraceRing(capacity: requested, singleWriter: singleWriter)
            var model = TraceRingModel(requestedCapacity: requested)
            #expect(ring.capacity == model.capacity && ring.singleWriter == singleWriter)
            // A single-writer ring may still be written by several local arenas on one thread.
            let writers = [
                EventWriter(ring: ring, shared: !singleWriter), EventWriter(ring: ring, shared: !singleWriter),
            ]
            var owners: [UInt32] = []
            var readerNext: UInt64 = 0
            for (index, step) in program.enumerated() {
                for write in 0..<step.writes {
                    let writer = writers[(step.pick >> (write % 16)) & 1]
                    model.recorded.append(writer.write())
                    owners.append(writer.arena.id)
                }
                let last = model.lastSequence
                let afterChoices: [UInt64] = [
                    0, readerNext, UInt64(step.pick) % (last + 3), last, model.overwritten,
                    model.overwritten &- 1, last + UInt64(step.pick), .max - UInt64(step.pick % 3),
                    last &+ (1 << 63) &+ UInt64(step.pick),
                ]
                let after = afterChoices[step.afterChoice]
                let limit = [Int.max, 0, 1, step.pick % (2 * model.capacity + 1), model.capacity][step.limitChoice]
                let batch = ring.events(after: after, limit: limit)
                let expected = model.events(after: after, limit: limit)
                let ok =
                    ring.lastSequence == model.lastSequence && ring.overwritten == model.overwritten
                    && batch.missed == expected.missed && batch.next == expected.next
                    && batch.map(\.sequence) == expected.events.map(\.0)
                    && batch.map({ "\($0)" }) == expected.events.map(\.1)
                    && batch.allSatisfy({ $0.arenaID == owners[Int($0.sequence) - 1] })
                if !ok {
                    Issue.record(
                        """
                        step \(index): events(after: \(after), limit: \(limit)) on capacity \(model.capacity), \
                        last \(ring.lastSequence) (model \(model.lastSequence)), overwritten \(ring.overwritten) \
                        (model \(model.overwritten))
                          ring  \(batch.map(\.sequence)) missed \(batch.missed) next \(batch.next)
                          model \(expected.events.map(\.0)) missed \(expected.missed) next \(expected.next)
                        program \(program)
                        """)
                    return
                }
                if step.afterChoice == 1 { readerNext = batch.next }
            }
        }
    }
}
