import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A bounded ring of `AllocationEvent`s: fixed capacity, overwrite-oldest, never blocks a writer.
///
/// Every event gets the next sequence number (from 1). Readers ask for the events after the last number they
/// saw and learn how many they missed because newer events overwrote them:
/// ```swift
/// let ring = TraceRing(capacity: 4096)
/// let arena = BumpArena(policy: .fixed(capacity: 1024), trace: ring)
/// _ = try arena.allocate(byteCount: 16, alignment: 8)
/// let batch = ring.events(after: 0)
/// batch.map { "\($0)" }          // ["Allocated 16 from 0 to 15"]
/// let later = ring.events(after: batch.next)
/// ```
///
/// Writers: by default any number of threads may write at once (each event costs a fetch-add for its number
/// and a compare-and-swap to claim its slot). A slot has one writer at a time: when writers lap the ring so
/// fast that an event's slot is still being written for the event `capacity` numbers older, the newer event
/// is dropped (readers count it as missed) rather than written over a half-written one. A ring made with
/// `singleWriter: true` skips the atomics and must only be written by one thread at a time, e.g. by a single
/// `LocalArena`. Readers may run on any thread in both modes; a slot is read under a sequence lock, so a
/// reader never returns a half-written event.
///
/// Timestamps come from a clock thread that ticks every millisecond (one per process), so stamping an event
/// costs a load, not a system call.
public final class TraceRing: @unchecked Sendable {
    /// One event's storage. `stamp` is the sequence lock: `2 * seq` once event `seq` is complete, 0 before the
    /// first write, and (with concurrent writers) `2 * seq + 1` while event `seq` is being written. It only
    /// grows. A single writer skips the odd stamp: readers learn that a slot is being overwritten from the
    /// ring's head instead. `end` is written for failures only; the other kinds derive it.
    @usableFromInline
    struct Slot: ~Copyable {
        @usableFromInline let stamp = Atomic<UInt64>(0)
        /// kind (bits 0-7) | log2(alignment) (bits 8-15) | site line (bits 16-31) | arena id (bits 32-63)
        @usableFromInline let meta = Atomic<UInt64>(0)
        @usableFromInline let size = Atomic<Int>(0)
        @usableFromInline let start = Atomic<Int>(0)
        @usableFromInline let end = Atomic<Int>(0)
        @usableFromInline let generation = Atomic<UInt64>(0)
        @usableFromInline let timestamp = Atomic<UInt64>(0)
        /// The highest sequence number whose writer gave up on this slot (see `claim`); 0 when none.
        @usableFromInline let dropped = Atomic<UInt64>(0)
    }

    /// The number of events the ring keeps: a power of two.
    public let capacity: Int
    /// Whether writes skip the atomics that make concurrent writers safe.
    public let singleWriter: Bool
    /// Whether allocation events keep their site (see `init`).
    public let recordsSites: Bool
    @usableFromInline let mask: Int
    /// The highest sequence number handed out so far; 0 when nothing was recorded.
    @usableFromInline let head = Atomic<UInt64>(0)
    /// Safe: `capacity` initialized slots, owned by the ring, deinitialized in `deinit`.
    @usableFromInline let slots: UnsafeMutablePointer<Slot>
    @usableFromInline let clock: TraceClock

    /// The largest ring one may create (2^24 events, 1 GiB of slots).
    public static let maxCapacity = 1 << 24

    /// - Parameters:
    ///   - capacity: events kept; rounded up to a power of two, at least 1 (a precondition: at most
    ///     `maxCapacity`).
    ///   - singleWriter: true only when a single thread at a time writes (faster; see the type's notes).
    ///   - recordsSites: whether allocation events keep their `AllocationSite` (one more store each). On by
    ///     default; off gives the cost of tracing without sites, for comparison.
    public init(capacity: Int, singleWriter: Bool = false, recordsSites: Bool = true) {
        self.recordsSites = recordsSites
        precondition(
            capacity >= 1 && capacity <= Self.maxCapacity,
            "TraceRing capacity must be in 1...\(Self.maxCapacity), got \(capacity)")
        let rounded = 1 << (Int.bitWidth - (capacity - 1).leadingZeroBitCount)  // next power of two
        self.capacity = capacity == 1 ? 1 : rounded
        self.mask = self.capacity - 1
        self.singleWriter = singleWriter
        self.clock = TraceClock.shared
        // Safe: a `Slot` is eight atomics of integers whose initial value, 0, is the all-zero bit pattern, and
        // none needs deinitializing; `calloc` hands out memory that is exactly such slots. A large ring comes
        // from fresh zero pages that the kernel maps only when first written, so a ring costs memory for the
        // slots its events filled, not for its capacity (writing `Slot()` into every slot would touch them all).
        let memory = calloc(self.capacity, MemoryLayout<Slot>.stride)
        precondition(memory != nil, "TraceRing: cannot allocate \(self.capacity) slots")
        slots = memory!.bindMemory(to: Slot.self, capacity: self.capacity)
    }

    deinit {
        // Safe: see init; the slots need no deinitialization, and `free` matches `calloc`.
        free(slots)
        // Safe: every name was allocated by `site(named:)` and is freed once, with the ring whose events point to it.
        for name in siteNames.withLock({ Array($0.values) }) { free(UnsafeMutableRawPointer(bitPattern: name)) }
    }

    // MARK: Named sites

    /// Longest site name, in UTF-8 bytes.
    public static let maxSiteNameBytes = 128
    /// Most named sites one ring keeps.
    public static let maxSites = 256

    /// Named sites: each name's NUL-terminated copy (by address), which the ring's events point to. They live as
    /// long as the ring, so an event never outlives its site's name.
    private let siteNames = ArenaLock<[String: UInt]>([:])

    /// The site called `name` for allocations recorded in this ring (`"parser.rs:120"`, what the HTTP API's
    /// `"site"` field is): the same name gives the same site.
    /// - Throws: `.invalidSite` for an empty name, one over `maxSiteNameBytes`, or one with a control
    ///   character; `.tooManySites` when the ring already knows `maxSites` others.
    public func site(named name: String) throws(ArenaError) -> AllocationSite {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= Self.maxSiteNameBytes, !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F })
        else {
            throw ArenaError(
                code: .invalidSite,
                message: "a site name has 1 to \(Self.maxSiteNameBytes) bytes and no control characters, got "
                    + "\(bytes.count) bytes")
        }
        let result: Result<UInt, ArenaError> = siteNames.withLock { names in
            if let address = names[name] { return .success(address) }
            guard names.count < Self.maxSites else {
                return .failure(
                    ArenaError(
                        code: .tooManySites,
                        message: "the ring already records \(Self.maxSites) named sites; reuse one of them"))
            }
            // Safe: room for the bytes and a NUL; written once here, read by events, freed in deinit.
            let copy = malloc(bytes.count + 1)!.assumingMemoryBound(to: UInt8.self)
            _ = UnsafeMutableBufferPointer(start: copy, count: bytes.count).initialize(from: bytes)
            copy[bytes.count] = 0
            let address = UInt(bitPattern: copy)
            names[name] = address
            return .success(address)
        }
        return AllocationSite(address: try result.get(), line: 0)
    }

    /// Bytes of memory a ring of `capacity` events can grow to (what a registry counts against its budget).
    public static func bytes(forCapacity capacity: Int) -> Int {
        let rounded = capacity <= 1 ? 1 : 1 << (Int.bitWidth - (capacity - 1).leadingZeroBitCount)
        return rounded * MemoryLayout<Slot>.stride
    }

    // MARK: Live readers

    /// Set while a reader waits in `notify(after:_:)`: the writer of the next event wakes the waiters. A plain
    /// load on every write, a call only when someone waits.
    @usableFromInline let waiting = Atomic<Bool>(false)
    private let waiters = ArenaLock<[TraceWaiter]>([])

    /// Calls `waiter` once, from the thread that records the first event after `sequence` (at once, here, when
    /// there is one already). For readers that follow the ring live: they sleep instead of polling.
    ///
    /// A wake can come late in one case: a writer that checked `waiting` just before it was set, and then never
    /// writes again. Followers keep a slow poll for that.
    public func notify(after sequence: UInt64, _ waiter: TraceWaiter) {
        waiters.withLock { $0.append(waiter) }
        waiting.store(true, ordering: .sequentiallyConsistent)
        if head.load(ordering: .sequentiallyConsistent) > sequence { wakeWaiters() }
    }

    /// Wakes and forgets every waiter.
    @usableFromInline @inline(never)
    func wakeWaiters() {
        guard waiting.exchange(false, ordering: .acquiringAndReleasing) else { return }
        let woken = waiters.withLock { waiters in
            defer { waiters.removeAll(keepingCapacity: true) }
            return waiters
        }
        for waiter in woken { waiter.wake() }
    }

    /// The sequence number of the newest event (0 when none).
    public var lastSequence: UInt64 { head.load(ordering: .acquiring) }

    /// Events overwritten before anyone could have read them all: everything older than the newest
    /// `capacity`.
    public var overwritten: UInt64 {
        let last = lastSequence
        return last > UInt64(capacity) ? last - UInt64(capacity) : 0
    }

    /// Appends an event. Never blocks; an older event in the same slot is overwritten.
    @inlinable @inline(__always)
    func record(
        kind: AllocationEvent.Kind, arenaID: UInt32, size: Int, alignment: Int, start: Int, end: Int,
        generation: UInt64, site: AllocationSite = .unknown
    ) {
        if singleWriter {
            // No `writing` stamp: the head moves first, and a reader that saw any of the stores below also sees
            // the new head (release fence here, acquire fence in `read`), by which it knows the slot's older
            // event is being overwritten. Seven stores an event.
            let sequence = head.load(ordering: .relaxed) &+ 1
            head.store(sequence, ordering: .relaxed)
            atomicMemoryFence(ordering: .releasing)
            // Safe: `mask == capacity - 1`, so the slot index lies in `0..<capacity`.
            fill(
                slots + (Int(truncatingIfNeeded: sequence) & mask), sequence: sequence, kind: kind,
                arenaID: arenaID, size: size, alignment: alignment, start: start, end: end, generation: generation,
                site: site)
            if _slowPath(waiting.load(ordering: .relaxed)) { wakeWaiters() }
        } else {
            recordConcurrently(
                kind: kind, arenaID: arenaID, size: size, alignment: alignment, start: start,
                end: end, generation: generation, site: site)
        }
    }

    /// `record` for rings with concurrent writers: a fetch-add for the number, a compare-and-swap for the slot.
    /// Out of line, so its registers and its call to `claim` stay out of the single-writer path.
    @usableFromInline @inline(never)
    func recordConcurrently(
        kind: AllocationEvent.Kind, arenaID: UInt32, size: Int, alignment: Int, start: Int, end: Int,
        generation: UInt64, site: AllocationSite
    ) {
        let sequence = head.wrappingAdd(1, ordering: .relaxed).newValue
        // Safe: `mask == capacity - 1`, so the slot index lies in `0..<capacity`.
        let target = slots + (Int(truncatingIfNeeded: sequence) & mask)
        guard claim(target, writing: sequence &<< 1 | 1) else {
            return  // overwritten by a newer event, or dropped (see `claim`)
        }
        atomicMemoryFence(ordering: .releasing)  // the payload stores stay after the `writing` stamp
        fill(
            target, sequence: sequence, kind: kind, arenaID: arenaID, size: size, alignment: alignment,
            start: start, end: end, generation: generation, site: site)
        if _slowPath(waiting.load(ordering: .relaxed)) { wakeWaiters() }
    }

    /// Stores an event's fields into its slot, then the complete stamp.
    @inlinable @inline(__always)
    func fill(
        _ target: UnsafeMutablePointer<Slot>, sequence: UInt64, kind: AllocationEvent.Kind, arenaID: UInt32,
        size: Int, alignment: Int, start: Int, end: Int, generation: UInt64, site: AllocationSite
    ) {
        let alignmentLog2 = UInt64(truncatingIfNeeded: alignment.trailingZeroBitCount)
        target.pointee.meta.store(
            UInt64(kind.rawValue) | alignmentLog2 &<< 8 | UInt64(site.line) &<< 16 | UInt64(arenaID) &<< 32,
            ordering: .relaxed)
        target.pointee.size.store(size, ordering: .relaxed)
        target.pointee.start.store(start, ordering: .relaxed)
        // Only a failure's end is not `start + size - 1` (see `AllocationEvent.end`): readers derive the others,
        // and an allocation's slot holds its site there instead.
        if kind == .failure {
            target.pointee.end.store(end, ordering: .relaxed)
        } else if kind == .allocation && recordsSites {
            target.pointee.end.store(Int(bitPattern: site.address), ordering: .relaxed)
        }
        target.pointee.generation.store(generation, ordering: .relaxed)
        target.pointee.timestamp.store(clock.now(), ordering: .relaxed)
        target.pointee.stamp.store(sequence &<< 1, ordering: .releasing)
    }

    /// How many times a writer re-reads a slot that the writer of an older event still holds before it drops
    /// its own event.
    @usableFromInline static let claimSpins = 128

    /// Marks the slot as being written for `writing / 2`. Returns false when a newer event already claimed it
    /// (ours is overwritten), or when the writer of an older event still holds it after `claimSpins` looks:
    /// then our event is dropped and noted in `dropped`, so that readers count it as missed.
    ///
    /// The slot is only taken from a complete (even) stamp. Two writers in one slot would interleave their
    /// field stores into a mixed event, and the older one, finishing last, would store its older stamp over
    /// the newer event's and leave readers waiting for an event that never completes.
    @usableFromInline
    func claim(_ slot: UnsafeMutablePointer<Slot>, writing: UInt64) -> Bool {
        var observed = slot.pointee.stamp.load(ordering: .relaxed)
        var spins = 0
        while observed < writing {
            if observed & 1 == 1 {
                // The writer of an older event is still at it.
                guard spins < Self.claimSpins else {
                    noteDropped(slot, sequence: writing >> 1)
                    return false
                }
                spins += 1
                observed = slot.pointee.stamp.load(ordering: .relaxed)
                continue
            }
            // Acquiring: our field stores come after those of the writer whose complete stamp we replace.
            let (exchanged, current) = slot.pointee.stamp.compareExchange(
                expected: observed, desired: writing, ordering: .acquiring)
            if exchanged { return true }
            observed = current
        }
        return false
    }

    @usableFromInline
    func noteDropped(_ slot: UnsafeMutablePointer<Slot>, sequence: UInt64) {
        var current = slot.pointee.dropped.load(ordering: .relaxed)
        while current < sequence {
            let (exchanged, observed) = slot.pointee.dropped.compareExchange(
                expected: current, desired: sequence, ordering: .releasing)
            if exchanged { return }
            current = observed
        }
    }

    /// The events recorded after sequence number `sequence`, oldest first, at most `limit` of them.
    ///
    /// `missed` counts the events after `sequence` that were overwritten before this read; `next` is the
    /// number to pass as `after` for the following read. An event whose writer has not finished yet ends the
    /// batch (it is returned by a later read), so the sequence numbers a reader sees have gaps only where
    /// `missed` says so.
    public func events(after sequence: UInt64, limit: Int = .max) -> TraceBatch {
        precondition(limit >= 0, "limit must not be negative")
        let last = head.load(ordering: .acquiring)
        // Nothing after the newest event. A reader may pass any number (a client's `after`, say); returning
        // here keeps `last - next` below from wrapping into a huge capacity to reserve.
        guard sequence < last else { return TraceBatch(events: [], missed: 0, next: sequence) }
        var next = sequence
        var missed: UInt64 = 0
        if last > UInt64(capacity), next < last - UInt64(capacity) {
            missed = last - UInt64(capacity) - next
            next = last - UInt64(capacity)
        }
        var events: [AllocationEvent] = []
        // Safe: `next < last` and `last - next <= capacity` here.
        events.reserveCapacity(Swift.min(limit, Int(truncatingIfNeeded: last - next)))
        while next < last, events.count < limit {
            let wanted = next + 1
            switch read(wanted) {
            case .event(let event):
                events.append(event)
            case .overwritten:
                missed += 1
            case .pending:
                return TraceBatch(events: events, missed: missed, next: next)
            }
            next = wanted
        }
        return TraceBatch(events: events, missed: missed, next: next)
    }

    enum SlotRead {
        case event(AllocationEvent)
        case overwritten
        case pending
    }

    func read(_ sequence: UInt64) -> SlotRead {
        // Safe: `mask == capacity - 1`, so the index lies in `0..<capacity`.
        let slot = slots + (Int(truncatingIfNeeded: sequence) & mask)
        let complete = sequence &<< 1
        let before = slot.pointee.stamp.load(ordering: .acquiring)
        // Its writer is still at it: a later read returns it (it is not missed).
        if before == complete | 1 { return .pending }
        if before > complete { return .overwritten }
        if before < complete {
            // Not claimed yet, or dropped by its writer (see `claim`).
            return slot.pointee.dropped.load(ordering: .acquiring) >= sequence ? .overwritten : .pending
        }
        let meta = slot.pointee.meta.load(ordering: .relaxed)
        let size = slot.pointee.size.load(ordering: .relaxed)
        let start = slot.pointee.start.load(ordering: .relaxed)
        let end = slot.pointee.end.load(ordering: .relaxed)
        let generation = slot.pointee.generation.load(ordering: .relaxed)
        let timestamp = slot.pointee.timestamp.load(ordering: .relaxed)
        atomicMemoryFence(ordering: .acquiring)  // the loads above complete before the stamp is checked again
        guard slot.pointee.stamp.load(ordering: .relaxed) == complete,
            // A single writer marks no slot as being written; it moves the head first (see `record`).
            !singleWriter || head.load(ordering: .relaxed) &- sequence < UInt64(capacity),
            let kind = AllocationEvent.Kind(rawValue: UInt8(truncatingIfNeeded: meta))
        else { return .overwritten }
        return .event(
            AllocationEvent(
                sequence: sequence, arenaID: UInt32(truncatingIfNeeded: meta >> 32), kind: kind, size: size,
                alignment: 1 << Int((meta >> 8) & 0xFF), start: start,
                end: kind == .failure ? end : start &+ size &- 1, generation: generation,
                timestamp: timestamp,
                site: kind == .allocation && recordsSites
                    ? AllocationSite(
                        address: UInt(bitPattern: end), line: UInt32(truncatingIfNeeded: (meta >> 16) & 0xFFFF))
                    : .unknown))
    }
}

/// What `TraceRing.events(after:limit:)` returns: the events, how many were missed, where to continue.
public struct TraceBatch: RandomAccessCollection, Hashable, Sendable {
    public let events: [AllocationEvent]
    /// Events after the requested sequence number that were overwritten before they could be read.
    public let missed: UInt64
    /// The sequence number to pass as `after` next time.
    public let next: UInt64

    public init(events: [AllocationEvent], missed: UInt64, next: UInt64) {
        self.events = events
        self.missed = missed
        self.next = next
    }

    public var startIndex: Int { events.startIndex }
    public var endIndex: Int { events.endIndex }
    public subscript(position: Int) -> AllocationEvent { events[position] }
}

/// What `TraceRing.notify(after:_:)` calls: a reader's way to be woken (for the server, resuming a suspended
/// stream). A class, so that waiters are kept by reference.
public final class TraceWaiter: Sendable {
    public let wake: @Sendable () -> Void

    public init(_ wake: @escaping @Sendable () -> Void) {
        self.wake = wake
    }
}
