import ArenaCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Runs `body(index)` on `count` new threads that start together, and waits for all of them.
/// Real threads rather than `concurrentPerform`, which runs only as many iterations at once as there are cores.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    final class Start: Sendable {
        let body: @Sendable (Int) -> Void
        let index: Int
        let gate: Gate
        init(body: @escaping @Sendable (Int) -> Void, index: Int, gate: Gate) {
            self.body = body
            self.index = index
            self.gate = gate
        }
    }
    final class Gate: Sendable {
        let waiting: Atomic<Int>
        init(_ count: Int) { waiting = Atomic(count) }
        func pass() {
            waiting.subtract(1, ordering: .acquiringAndReleasing)
            while waiting.load(ordering: .acquiring) > 0 { sched_yield() }
        }
    }
    let gate = Gate(count)
    var threads: [pthread_t] = []
    for index in 0..<count {
        let context = Unmanaged.passRetained(Start(body: body, index: index, gate: gate)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(
            &thread, nil,
            { context in
                let start = Unmanaged<Start>.fromOpaque(context!).takeRetainedValue()
                start.gate.pass()
                start.body(start.index)
                return nil
            }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
}

/// A small, fast, seedable generator (SplitMix64), so each thread has its own.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// What one thread got from the arena.
struct Granted: Hashable, Sendable {
    var address: UInt
    var byteCount: Int
    var alignment: Int
    var offset: Int
    var padding: Int
}

/// What a thread did.
struct ThreadLog: Sendable {
    var granted: [Granted] = []
    var failures = 0
    var failedBytes: [Int] = []
}

/// Allocates `count` random requests (sizes 0...maxSize, alignments 1...4096) from `arena`.
func allocateRandomly(_ arena: BumpArena, count: Int, seed: UInt64, maxSize: Int) -> ThreadLog {
    var rng = SplitMix(state: seed)
    var log = ThreadLog()
    log.granted.reserveCapacity(count)
    for _ in 0..<count {
        let size = Int.random(in: 0...maxSize, using: &rng)
        let alignment = 1 << Int.random(in: 0...12, using: &rng)
        do {
            let a = try arena.allocation(byteCount: size, alignment: alignment)
            log.granted.append(
                Granted(
                    address: a.pointer.address, byteCount: size, alignment: alignment,
                    offset: a.offset, padding: a.padding))
        } catch {
            log.failures += 1
            log.failedBytes.append(size)
        }
    }
    return log
}

@Suite struct ConcurrencyTests {
    static let threads = 4

    static let policies: [ArenaPolicy] = [
        .fixed(capacity: 128 << 20), .growing(initialChunk: 4096, limit: 1 << 30), .fixed(capacity: 1 << 20),
    ]

    /// Four threads allocate from one arena with one ring. Afterwards: no overlap, every allocation aligned,
    /// stats equal to the sums of what the threads got, and the ring holds a gap-free run of the newest events,
    /// each matching something a thread got (or a failure it saw). The 1 MiB arena fills up midway.
    @Test(arguments: policies)
    func threadsAllocatingFromOneArena(policy: ArenaPolicy) throws {
        let ring = TraceRing(capacity: 8192)
        let arena = BumpArena(policy: policy, trace: ring)
        let logs = ArenaLock<[ThreadLog]>([])
        onThreads(Self.threads) { index in
            let log = allocateRandomly(arena, count: 5000, seed: UInt64(index + 1) * 7919, maxSize: 512)
            logs.withLock { $0.append(log) }
        }
        let all = logs.withLock { $0 }
        let granted = all.flatMap(\.granted)
        let failures = all.reduce(0) { $0 + $1.failures }
        #expect(granted.count + failures == Self.threads * 5000)
        if case .fixed(let capacity) = policy, capacity == 1 << 20 {
            #expect(failures > 0)
        } else {
            #expect(failures == 0)
        }

        for g in granted { #expect(g.address % UInt(g.alignment) == 0) }
        let byAddress = granted.filter { $0.byteCount > 0 }.sorted { $0.address < $1.address }
        var overlaps = 0
        for (a, b) in zip(byAddress, byAddress.dropFirst()) where a.address + UInt(a.byteCount) > b.address {
            overlaps += 1
        }
        #expect(overlaps == 0)
        let byOffset = granted.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        var offsetOverlaps = 0
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.offset + a.byteCount > b.offset {
            offsetOverlaps += 1
        }
        #expect(offsetOverlaps == 0)

        let stats = arena.stats
        let bytes = granted.reduce(0) { $0 + $1.byteCount }
        let padding = granted.reduce(0) { $0 + $1.padding }
        #expect(stats.allocations == UInt64(granted.count) && stats.lifetimeAllocations == UInt64(granted.count))
        #expect(stats.allocatedBytes == bytes && stats.lifetimeAllocatedBytes == bytes)
        // As in allocationsRacingWithResetsAndRewinds: failed requests may leave up to 4095 padding bytes each.
        #expect(stats.paddingBytes == stats.lifetimePaddingBytes)
        #expect(
            stats.paddingBytes >= padding && stats.paddingBytes - padding <= failures * 4095,
            "padding counted \(stats.paddingBytes), granted \(padding), \(failures) failed")
        #expect(stats.used == stats.allocatedBytes + stats.paddingBytes)
        #expect(stats.failedAllocations == UInt64(failures))
        #expect(stats.used <= stats.capacity && stats.capacity <= stats.limit)
        #expect(granted.allSatisfy { $0.offset + $0.byteCount <= stats.used })

        // The ring: the newest `capacity` events, in order, ending at lastSequence. A writer descheduled in the
        // middle of its event while the others lap the ring drops the newer event of that slot (by design, see
        // `TraceRing.claim`): a loaded machine can drop a few, each counted as missed, never returned half-written.
        #expect(ring.lastSequence == UInt64(Self.threads * 5000))
        let batch = ring.events(after: 0)
        let dropped = Int(batch.missed) - Int(ring.lastSequence - UInt64(ring.capacity))
        #expect(dropped >= 0 && dropped <= 2 * Self.threads, "dropped \(dropped) events")
        #expect(batch.count + dropped == ring.capacity && batch.next == ring.lastSequence)
        let window = (ring.lastSequence - UInt64(ring.capacity) + 1)...ring.lastSequence
        #expect(batch.allSatisfy { window.contains($0.sequence) })
        #expect(zip(batch, batch.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
        var unmatched: [Granted: Int] = [:]
        for g in granted {
            unmatched[
                Granted(
                    address: 0, byteCount: g.byteCount, alignment: g.alignment, offset: g.offset,
                    padding: 0), default: 0] += 1
        }
        var failedSizes: [Int: Int] = [:]
        for size in all.flatMap(\.failedBytes) { failedSizes[size, default: 0] += 1 }
        var strays: [AllocationEvent] = []
        for event in batch {
            switch event.kind {
            case .allocation:
                let key = Granted(
                    address: 0, byteCount: event.size, alignment: event.alignment, offset: event.start,
                    padding: 0)
                if let left = unmatched[key], left > 0, event.end == event.start + event.size - 1 {
                    unmatched[key] = left - 1
                } else {
                    strays.append(event)
                }
            case .failure:
                if let left = failedSizes[event.size], left > 0, event.end == policy.reservedBytes {
                    failedSizes[event.size] = left - 1
                } else {
                    strays.append(event)
                }
            default:
                strays.append(event)
            }
        }
        #expect(strays.isEmpty)
    }

    /// Four threads fill a fixed shared arena (the fetch-add one) with 16-byte allocations until it is full: far
    /// more requests than fit, so many reservations run past the end at once and must be undone. Exactly the
    /// allocations that fit succeed, none overlap, every other one fails and is counted, and the arena ends
    /// exactly full, whichever thread's reservation ran past the end.
    @Test func threadsFillingAFixedArenaEndExactlyFull() {
        let fitting = 1000
        var problems: [String] = []
        for round in 0..<200 {
            // 8 bytes of room left after the last allocation that fits: not enough for another.
            let arena = BumpArena(policy: .fixed(capacity: 16 * fitting + 8))
            let logs = ArenaLock<[ThreadLog]>([])
            onThreads(Self.threads) { _ in
                var log = ThreadLog()
                for _ in 0..<(fitting / 2) {
                    do {
                        let a = try arena.allocation(byteCount: 16, alignment: 8)
                        log.granted.append(
                            Granted(
                                address: a.pointer.address, byteCount: 16, alignment: 8, offset: a.offset,
                                padding: a.padding))
                    } catch {
                        log.failures += 1
                    }
                }
                logs.withLock { $0.append(log) }
            }
            let all = logs.withLock { $0 }
            let granted = all.flatMap(\.granted).sorted { $0.offset < $1.offset }
            let failures = all.reduce(0) { $0 + $1.failures }
            let stats = arena.stats
            let disjoint = zip(granted, granted.dropFirst()).allSatisfy { $0.offset + 16 <= $1.offset }
            let inPlace = granted.allSatisfy { $0.address % 8 == 0 && $0.padding == 0 }
            if granted.count != fitting || failures != Self.threads * fitting / 2 - fitting || !disjoint || !inPlace
                || stats.used != 16 * fitting || stats.allocations != UInt64(fitting)
                || stats.allocatedBytes != 16 * fitting || stats.paddingBytes != 0
                || stats.failedAllocations != UInt64(failures)
            {
                problems.append(
                    "round \(round): \(granted.count) granted, \(failures) failed, disjoint \(disjoint), \(stats)")
            }
            arena._checkInvariants()
        }
        #expect(problems.isEmpty, "\(problems.count) bad rounds, first: \(problems.first ?? "")")
    }

    /// Four threads fill a small fixed shared arena with random sizes and alignments, many more requests than
    /// fit: reservations run past the end, land misaligned after another thread's, and are undone or completed.
    /// Whatever the interleaving: the granted sizes plus the counted padding are exactly the used bytes (and the
    /// counted padding holds at least the granted allocations'), nothing overlaps, every allocation is aligned,
    /// and every failure is counted.
    @Test func threadsFillingAFixedArenaWithMixedRequestsAccountForEveryByte() {
        var problems: [String] = []
        for round in 0..<100 {
            let arena = BumpArena(policy: .fixed(capacity: 32 << 10))
            let logs = ArenaLock<[ThreadLog]>([])
            onThreads(Self.threads) { index in
                var rng = SplitMix(state: UInt64(round * 16 + index + 1))
                var log = ThreadLog()
                for _ in 0..<1500 {
                    let size = Int.random(in: 0...64, using: &rng)
                    let alignment = 1 << Int.random(in: 0...6, using: &rng)
                    do {
                        let a = try arena.allocation(byteCount: size, alignment: alignment)
                        log.granted.append(
                            Granted(
                                address: a.pointer.address, byteCount: size, alignment: alignment, offset: a.offset,
                                padding: a.padding))
                    } catch {
                        log.failures += 1
                    }
                }
                logs.withLock { $0.append(log) }
            }
            let all = logs.withLock { $0 }
            let granted = all.flatMap(\.granted)
            let failures = all.reduce(0) { $0 + $1.failures }
            let stats = arena.stats
            let bytes = granted.reduce(0) { $0 + $1.byteCount }
            let padding = granted.reduce(0) { $0 + $1.padding }
            // Zero-byte allocations may share an offset with the next allocation: order those first.
            let bySpan = granted.sorted { ($0.offset, $0.byteCount) < ($1.offset, $1.byteCount) }
            let disjoint = zip(bySpan, bySpan.dropFirst()).allSatisfy { $0.offset + $0.byteCount <= $1.offset }
            let aligned = granted.allSatisfy { $0.address % UInt($0.alignment) == 0 }
            // Every used byte is an allocation's or counted padding. The counted padding may exceed the granted
            // allocations' own: a misaligned reservation whose bytes stayed used and whose request then failed
            // (`ArenaStorage.complete`, documented there). Seen under ASan's timing: 29 such bytes in one round.
            if bytes + stats.paddingBytes != stats.used || stats.allocatedBytes != bytes
                || stats.paddingBytes < padding || stats.allocations != UInt64(granted.count)
                || stats.failedAllocations != UInt64(failures)
                || !disjoint || !aligned || failures == 0 || stats.used > stats.capacity
            {
                problems.append(
                    "round \(round): \(granted.count) granted (\(bytes) + \(padding) padding), \(failures) failed, "
                        + "disjoint \(disjoint), aligned \(aligned), \(stats)")
            }
            arena._checkInvariants()
        }
        #expect(problems.isEmpty, "\(problems.count) bad rounds, first: \(problems.first ?? "")")
    }

    /// Allocating threads race with a thread that resets, takes checkpoints and rewinds. Nothing crashes, and
    /// the lifetime numbers (which do not depend on which generation an allocation landed in) are exact, but for
    /// the padding of failed requests (below).
    @Test(arguments: [ArenaPolicy.fixed(capacity: 1 << 20), .growing(initialChunk: 1024, limit: 1 << 22)])
    func allocationsRacingWithResetsAndRewinds(policy: ArenaPolicy) throws {
        let ring = TraceRing(capacity: 1024)
        let arena = BumpArena(policy: policy, trace: ring)
        let logs = ArenaLock<[ThreadLog]>([])
        let done = Atomic<Int>(0)
        let control = ArenaLock((resets: 0, rewinds: 0, stale: 0))
        onThreads(Self.threads) { index in
            if index == 0 {
                var rng = SplitMix(state: 99)
                var marks: [Checkpoint] = []
                var resets = 0
                var rewinds = 0
                var stale = 0
                while done.load(ordering: .acquiring) < Self.threads - 1 {
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0:
                        arena.reset()
                        resets += 1
                    case 1...4:
                        marks.append(arena.checkpoint())
                    default:
                        guard let mark = marks.randomElement(using: &rng) else { continue }
                        do throws(ArenaError) {
                            try arena.rewind(to: mark)
                            rewinds += 1
                        } catch {
                            #expect(error.code == .staleCheckpoint)
                            stale += 1
                        }
                    }
                    let stats = arena.stats
                    #expect(stats.used <= stats.capacity && stats.capacity <= stats.limit)
                    if marks.count > 64 { marks.removeFirst(32) }
                }
                control.withLock { $0 = (resets, rewinds, stale) }
            } else {
                let log = allocateRandomly(arena, count: 20_000, seed: UInt64(index) * 31, maxSize: 256)
                logs.withLock { $0.append(log) }
                done.add(1, ordering: .releasing)
            }
        }
        let all = logs.withLock { $0 }
        let granted = all.flatMap(\.granted)
        let (resets, rewinds, stale) = control.withLock { $0 }
        #expect(resets > 0 && rewinds > 0)
        var stats = arena.stats
        #expect(stats.lifetimeAllocations == UInt64(granted.count))
        #expect(stats.lifetimeAllocatedBytes == granted.reduce(0) { $0 + $1.byteCount })
        // The counted padding may exceed the granted allocations' own, by less than one alignment (at most 4096
        // here, so at most 4095 bytes) per failed request: a misaligned reservation whose bytes stayed used and
        // whose request then failed (`ArenaStorage.complete`, documented there). Seen under ThreadSanitizer's
        // timing in CI: 328 bytes over.
        let grantedPadding = granted.reduce(0) { $0 + $1.padding }
        #expect(stats.lifetimePaddingBytes >= grantedPadding)
        #expect(
            stats.lifetimePaddingBytes - grantedPadding <= Int(stats.failedAllocations) * 4095,
            "padding counted \(stats.lifetimePaddingBytes), granted \(grantedPadding), \(stats.failedAllocations) failed"
        )
        #expect(stats.failedAllocations == UInt64(all.reduce(0) { $0 + $1.failures }))
        #expect(
            stats.resets == UInt64(resets) && stats.rewinds == UInt64(rewinds) && stats.generation == UInt64(resets))
        #expect(stats.used <= stats.capacity && stats.highWaterMark <= stats.limit)
        #expect(ring.lastSequence == UInt64(granted.count) + stats.failedAllocations + UInt64(resets + rewinds))
        _ = stale

        // A reset after the threads are done leaves an empty arena with exact numbers.
        arena.reset()
        stats = arena.stats
        #expect(stats.used == 0 && stats.allocations == 0 && stats.allocatedBytes == 0 && stats.paddingBytes == 0)
        #expect(stats.chunks == 1 && stats.highWaterMarkSinceReset == 0)
        let a = try arena.allocation(byteCount: 10, alignment: 1)
        #expect(a.offset == 0 && a.generation == UInt64(resets + 1))
        #expect(arena.stats.allocatedBytes == 10 && arena.stats.paddingBytes == 0)
    }

    /// Resets racing with allocations that need padding: once the threads are done, the current generation's
    /// padding belongs to its own allocations. Every allocation is 1 byte at alignment 64, so `allocatedBytes`
    /// must equal `allocations`; only the padding of an allocation whose thread slept through two resets
    /// between claiming its bytes and counting its padding may land elsewhere (at most 63 bytes per thread).
    /// The lifetime numbers are exact.
    @Test func paddingStaysWithItsGenerationWhenResetsRaceWithAllocations() {
        var worst = 0
        var wrongLifetime = 0
        for _ in 0..<100 {
            let arena = BumpArena(policy: .fixed(capacity: 1 << 16))
            let done = Atomic<Int>(0)
            onThreads(Self.threads) { index in
                if index == 0 {
                    while done.load(ordering: .acquiring) < Self.threads - 1 { arena.reset() }
                } else {
                    for _ in 0..<3000 { _ = try? arena.allocate(byteCount: 1, alignment: 64) }
                    done.add(1, ordering: .releasing)
                }
            }
            let stats = arena.stats
            worst = max(worst, abs(stats.allocatedBytes - Int(stats.allocations)))
            if stats.lifetimeAllocatedBytes != Int(stats.lifetimeAllocations)
                || stats.used != stats.allocatedBytes + stats.paddingBytes
            {
                wrongLifetime += 1
            }
        }
        #expect(worst <= 63 * (Self.threads - 1))
        #expect(wrongLifetime == 0)
    }

    /// The state word counts allocations in a narrow field (17 bits) and folds the count into a wide counter
    /// when it fills; counts stay exact across folds, on one thread and on four, and across a reset.
    @Test(arguments: ArenaKind.allCases)
    func allocationCountsStayExactAcrossFoldsOnOneThread(kind: ArenaKind) throws {
        let arena = kind.make(.fixed(capacity: 1 << 20))
        for _ in 0..<300_000 { _ = try arena.allocate(byteCount: 0, alignment: 1) }
        #expect(arena.stats.allocations == 300_000 && arena.stats.used == 0)
        arena.reset()
        for _ in 0..<250_000 { _ = try arena.allocate(byteCount: 1, alignment: 1) }
        let stats = arena.stats
        #expect(stats.allocations == 250_000 && stats.lifetimeAllocations == 550_000)
        #expect(stats.used == 250_000 && stats.allocatedBytes == 250_000)
    }

    @Test func allocationCountsStayExactAcrossFoldsOnFourThreads() throws {
        let ring = TraceRing(capacity: 256)
        let arena = BumpArena(policy: .fixed(capacity: 1 << 20), trace: ring)
        arena.isTracing = false
        onThreads(Self.threads) { index in
            for round in 0..<100_000 {
                _ = try! arena.allocate(byteCount: (round + index) % 50 == 0 ? 1 : 0, alignment: 1)
            }
        }
        let stats = arena.stats
        #expect(stats.allocations == 400_000 && stats.lifetimeAllocations == 400_000)
        #expect(stats.used == 8000 && stats.allocatedBytes == 8000 && stats.paddingBytes == 0)
        #expect(ring.lastSequence == 0)
    }

    /// A reader polling while four writers record: with room for every event nothing is ever overwritten, so
    /// the reader must never report a missed event, and must see every sequence number once, in order. (An
    /// event whose writer is still at it ends the batch; it must not be counted as missed.)
    @Test func aConcurrentReaderMissesNothingWhenNothingIsOverwritten() {
        let perWriter = 10_000
        for round in 0..<30 {
            let ring = TraceRing(capacity: 4 * perWriter)
            let missed = Atomic<UInt64>(0)
            let seen = Atomic<Int>(0)
            let outOfOrder = Atomic<Int>(0)
            onThreads(5) { index in
                if index == 4 {
                    var next: UInt64 = 0
                    while next < UInt64(4 * perWriter) {
                        let batch = ring.events(after: next)
                        missed.add(batch.missed, ordering: .relaxed)
                        for (offset, event) in batch.enumerated() where event.sequence != next + UInt64(offset) + 1 {
                            outOfOrder.add(1, ordering: .relaxed)
                        }
                        seen.add(batch.count, ordering: .relaxed)
                        next = batch.next
                    }
                } else {
                    let arena = BumpArena(policy: .fixed(capacity: 1 << 20), trace: ring)
                    for _ in 0..<perWriter { _ = try! arena.allocate(byteCount: 0, alignment: 1) }
                }
            }
            let (m, s, o) = (
                missed.load(ordering: .relaxed), seen.load(ordering: .relaxed),
                outOfOrder.load(ordering: .relaxed)
            )
            if m != 0 || s != 4 * perWriter || o != 0 {
                Issue.record("round \(round): the reader missed \(m), saw \(s) of \(4 * perWriter), \(o) out of order")
                return
            }
        }
    }

    /// Writers lapping each other on tiny rings, in rounds that end together. After every round the reader is
    /// never stuck (`next == lastSequence`), every event it gets is intact (its fields come from one writer),
    /// and what it does not get is counted as missed. (A writer overtaken in its slot by the writer of a newer
    /// event must neither hide that event, by finishing last, nor mix its fields into it.)
    @Test(arguments: [1, 2, 4])
    func writersLappingATinyRingLeaveTheNewestEventsReadable(capacity: Int) {
        let ring = TraceRing(capacity: capacity)
        let barrier = Barrier(Self.threads)
        let problems = ArenaLock<[String]>([])
        onThreads(Self.threads) { index in
            // Thread `index` allocates `index + 1` bytes each time, so that fields of two writers do not agree.
            let arena = BumpArena(policy: .fixed(capacity: 1 << 20), trace: ring)
            for round in 0..<12_000 {
                barrier.wait()
                for _ in 0..<3 { _ = try! arena.allocate(byteCount: index + 1, alignment: 1) }
                if round % 256 == 255 { arena.reset() }
                barrier.wait()
                if index == 0 {
                    let batch = ring.events(after: 0)
                    let last = ring.lastSequence
                    let intact = batch.allSatisfy { event in
                        event.kind == .reset || (event.kind == .allocation && event.end == event.start + event.size - 1)
                    }
                    let numbers = batch.map(\.sequence)
                    let inWindow = numbers.allSatisfy { $0 > last - UInt64(capacity) && $0 <= last }
                    if batch.next != last || UInt64(batch.count) + batch.missed != last || !intact || !inWindow
                        || numbers != numbers.sorted() || Set(numbers).count != numbers.count
                    {
                        problems.withLock {
                            $0.append(
                                "round \(round): last \(last), got \(numbers) missed \(batch.missed) "
                                    + "next \(batch.next): \(batch.map { "\($0)" })")
                        }
                    }
                }
                barrier.wait()
            }
        }
        let found = problems.withLock { $0 }
        #expect(found.isEmpty, "\(found.count) bad rounds, first: \(found.first ?? "")")
    }
}

/// A reusable spinning barrier for the threads of one test.
final class Barrier: Sendable {
    let count: Int
    let arrived = Atomic<Int>(0)
    let phase = Atomic<Int>(0)

    init(_ count: Int) { self.count = count }

    func wait() {
        let current = phase.load(ordering: .acquiring)
        if arrived.add(1, ordering: .acquiringAndReleasing).newValue == count {
            arrived.store(0, ordering: .relaxed)
            phase.add(1, ordering: .releasing)
        } else {
            while phase.load(ordering: .acquiring) == current { sched_yield() }
        }
    }
}
