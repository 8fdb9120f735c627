import CArenaSanitizer
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The engine behind `BumpArena` (shared) and `LocalArena` (single owner): one implementation of the bump
/// fast path, the chunk growth, reset, checkpoints and the stats, parameterised only by how an allocation is
/// published: a fetch-add (a shared fixed arena, see `addingCapacity`), a compare-and-swap (any other shared
/// arena, and the shared fallback), or, for a single owner, a cursor of plain stores (`LocalCursor`) folded into
/// the state word before anything else reads it (`flushLocal`).
///
/// Invariants, for the state word `s` (see `BumpState`):
/// - `s.slot` names an installed chunk and `0 <= s.offset <= chunks.capacity(s.slot)`;
/// - that chunk is the last one of `ledger.order` (earlier chunks are full or abandoned);
/// - `used == chunks.logicalStart(s.slot) + s.offset`;
/// - the lifetime allocation count is `ledger.countCarry + s.count`.
/// The fast path only ever moves `s.offset` forward inside the current chunk and increments `s.count`.
/// Everything else (new chunk, count fold, failure, reset, rewind, checkpoint, stats) runs under `ledger`'s
/// lock.
///
/// A fetch-add arena adds a reservation to the word before it knows whether it fits, so the word may be
/// *overshot* for a moment: `s.offset > capacity`. The invariants above then hold for the settled word that the
/// overshoot will be undone to (see `reserve`); every reader under the lock waits for it (`settledState()`).
@usableFromInline
final class ArenaStorage: @unchecked Sendable {
    // @unchecked: every mutable field is an atomic or lives inside the `ledger` mutex.

    /// Bookkeeping that only the slow path touches, under the lock.
    struct Ledger {
        /// Installed chunk slots, oldest first; the last is the current one.
        var order: [Int] = []
        /// Allocation count folded out of the state word (see `BumpState.countLimit`), over the arena's life.
        var countCarry: UInt64 = 0
        /// Lifetime allocation count at the last reset.
        var countAtReset: UInt64 = 0
        /// Bytes released by rewinds since the last reset.
        var rewound = 0
        /// Highest `used` seen before a rewind since the last reset (the current `used` may be higher).
        var highWaterSinceReset = 0
        /// Highest `used` seen in earlier generations.
        var highWater = 0
        /// Allocated bytes and padding of earlier generations.
        var earlierAllocatedBytes = 0
        var earlierPaddingBytes = 0
        var failed: UInt64 = 0
        var resets: UInt64 = 0
        var rewinds: UInt64 = 0
        /// Rewinds since the last reset, as a stack of (serial, target) with increasing serials and increasing
        /// targets: the first entry with a serial above a checkpoint's is the lowest target any later rewind went
        /// to (found by binary search). At most `maxRewindFloor` entries (see `rewind(to:)`).
        var rewindFloor: [(serial: UInt64, target: Checkpoint.Position)] = []
        /// Failed allocations over the arena's life at the last reset.
        var failedAtReset: UInt64 = 0
        /// When the current generation began (reset or creation), in nanoseconds since 1970.
        var generationStartedAt: UInt64 = 0
        /// The ring's newest sequence number when the current generation began: its first event is the next one.
        var sequenceAtReset: UInt64 = 0
        /// The last `historyCapacity` generations that ended, oldest first.
        var history: [GenerationSummary] = []
        var rewindSerial: UInt64 = 0
    }

    /// The state word (`BumpState`): the only word the fast path reads and writes.
    @usableFromInline let state: Atomic<UInt64>
    @usableFromInline let chunks = ChunkTable()
    /// Non-zero only for a shared fixed arena, which publishes allocations with one fetch-add on `state` (a `lock
    /// xadd`, cheaper than a load and a `lock cmpxchg`) instead of a compare-and-swap: its one chunk (slot 0),
    /// whose capacity this is, never moves or changes, so a thread can tell from the value its add returns alone
    /// whether its reservation fit. Zero for growing arenas (a new chunk may be installed between a thread's
    /// read of the state and its add, and the add could land in a chunk whose bounds it never read), for arenas
    /// over `maxAddingCapacity`, and for single-owner arenas (their cursor, `LocalCursor`, is cheaper still).
    /// Invariant: when non-zero, `== chunks.capacity(0)` and `<= maxAddingCapacity`.
    @usableFromInline let addingCapacity: Int
    /// The address of the fetch-add arena's chunk (`chunks.base(0)`, constant for its life); 0 otherwise.
    @usableFromInline let addingBase: UInt
    /// Alignment padding, by the epoch of the state word the allocation was published in (only updated when an
    /// allocation needed some). The current epoch's counter holds the padding since the last reset; the other
    /// one holds padding of the previous generation whose add came after the reset that ended it (a thread
    /// descheduled between its compare-and-swap and its add), folded into the lifetime numbers.
    @usableFromInline let padding0 = Atomic<Int>(0)
    @usableFromInline let padding1 = Atomic<Int>(0)
    /// Resets so far.
    @usableFromInline let generation = Atomic<UInt64>(0)
    /// Whether events go to `trace`.
    @usableFromInline let tracing: Atomic<Bool>
    @usableFromInline let trace: TraceRing?
    @usableFromInline let id: UInt32
    let policy: ArenaPolicy
    let ledger = ArenaLock(Ledger())
    /// A single-owner arena's cursor (see `LocalCursor`). Only the owner writes it; a shared arena never arms it,
    /// and never reads it (`Arena.settled` folds it back for a `LocalArena` only).
    @usableFromInline let local = LocalCursor()

    private static let nextID = Atomic<UInt32>(0)

    /// The largest alignment an allocation may ask for (1 MiB).
    @usableFromInline static let maxAlignment = 1 << 20

    /// The largest fixed arena that publishes by fetch-add (512 GiB). An overshot word holds the settled offset
    /// plus the reservations added since it ran past the end (each at most `maxAddedBytes`, one per thread at a
    /// time): at most 2^39 + n * 2^24 for n threads, which stays inside the 40-bit offset field, without a carry
    /// into the slot bits, for up to 32768 threads between their read of the state and their add at once.
    @usableFromInline static let maxAddingCapacity = 1 << 39
    /// The largest reservation (padding and bytes) published by fetch-add; larger ones use a compare-and-swap.
    @usableFromInline static let maxAddedBytes = 1 << 24
    /// A fetch-add arena's fast path declines (and the slow path folds the count) once the count field reaches
    /// this, half its range: the other half absorbs the units that threads holding an older state word add
    /// meanwhile, so the field does not wrap unless 65536 threads sit between their read and their add at once
    /// (a wrap is still counted, by `noteCountWrap`).
    @usableFromInline static let addingCountBound: UInt64 = BumpState.countLimit / 2

    /// Most entries `Ledger.rewindFloor` keeps; past it the oldest half is folded into one entry.
    static let maxRewindFloor = 1024

    /// Generations `Ledger.history` keeps.
    let historyCapacity: Int
    /// Where ended generations go beyond the history (the registry's observer); nil for a standalone arena.
    let reporter: GenerationReporter?

    init(
        policy: ArenaPolicy, trace: TraceRing?, shared: Bool = true, historyCapacity: Int = 64,
        reporter: GenerationReporter? = nil
    ) {
        if let problem = policy.problem { preconditionFailure("invalid arena policy: \(problem)") }
        self.policy = policy
        self.historyCapacity = Swift.max(0, historyCapacity)
        self.reporter = reporter
        self.trace = trace
        self.tracing = Atomic(trace != nil)
        self.id = Self.nextID.wrappingAdd(1, ordering: .relaxed).newValue
        chunks.install(
            slot: 0, capacity: policy.initialCapacity, alignment: ChunkTable.chunkAlignment,
            logicalStart: 0)
        if shared, case .fixed(let capacity) = policy, capacity <= Self.maxAddingCapacity {
            addingCapacity = capacity
            addingBase = chunks.base(0)
        } else {
            addingCapacity = 0
            addingBase = 0
        }
        state = Atomic(BumpState(count: 0, epoch: 0, slot: 0, offset: 0).rawValue)
        let now = WallClock.now()
        ledger.withLock {
            $0.order = [0]
            $0.generationStartedAt = now
        }
    }

    // MARK: Fast path

    /// Adds an allocation's padding to the counter of the epoch its state word was published in.
    @inlinable @inline(__always)
    func addPadding(_ bytes: Int, epoch: Int, shared: Bool) {
        if shared {
            if epoch == 0 {
                padding0.wrappingAdd(bytes, ordering: .relaxed)
            } else {
                padding1.wrappingAdd(bytes, ordering: .relaxed)
            }
        } else if epoch == 0 {
            padding0.store(padding0.load(ordering: .relaxed) &+ bytes, ordering: .relaxed)
        } else {
            padding1.store(padding1.load(ordering: .relaxed) &+ bytes, ordering: .relaxed)
        }
    }

    func loadPadding(epoch: Int) -> Int {
        epoch == 0 ? padding0.load(ordering: .relaxed) : padding1.load(ordering: .relaxed)
    }

    func takePadding(epoch: Int) -> Int {
        epoch == 0 ? padding0.exchange(0, ordering: .relaxed) : padding1.exchange(0, ordering: .relaxed)
    }

    /// Claims `byteCount` bytes aligned to `alignment` in the current chunk, or returns nil when the request
    /// needs the slow path (a new chunk, a failure, or a count fold). The returned fit's padding has been added
    /// to its epoch's counter.
    @inlinable @inline(__always)
    func bump(byteCount: Int, alignment: Int, shared: Bool) -> BumpFit? {
        if shared && addingCapacity != 0 { return reserve(byteCount: byteCount, alignment: alignment) }
        return bumpByCompareExchange(byteCount: byteCount, alignment: alignment, shared: shared)
    }

    /// The compare-and-swap fast path (a plain store for a single owner): computes the fit from the state it
    /// read and publishes it only if the state is still that one.
    @inlinable @inline(__always)
    func bumpByCompareExchange(byteCount: Int, alignment: Int, shared: Bool) -> BumpFit? {
        var current = BumpState(rawValue: state.load(ordering: .acquiring))
        while true {
            let slot = current.slot
            // Read the chunk's base before its capacity: both belong to the slot named by `current`.
            let base = chunks.base(slot)
            guard
                let fit = current.fit(
                    byteCount: byteCount, alignment: alignment, base: base,
                    capacity: chunks.capacity(slot))
            else { return nil }
            if shared {
                let (exchanged, observed) = state.compareExchange(
                    expected: current.rawValue, desired: fit.next.rawValue, ordering: .acquiringAndReleasing)
                guard exchanged else {
                    current = BumpState(rawValue: observed)
                    continue
                }
            } else {
                state.store(fit.next.rawValue, ordering: .releasing)
            }
            if fit.padding != 0 { addPadding(fit.padding, epoch: fit.next.epoch, shared: shared) }
            return fit
        }
    }

    /// The fetch-add fast path of a shared fixed arena: one `lock xadd` claims the bytes and counts the
    /// allocation.
    ///
    /// The thread reads the state (`hint`), computes the padding its request needs after the hint's offset, and
    /// adds `count + 1, offset + padding + byteCount` to the word. The add returns the word as it was just before
    /// (`old`). When `old` is the hint, which is always the case without contention, the allocation is exactly
    /// the one a compare-and-swap would have published. Otherwise other threads' adds (or a reset, rewind or fold
    /// under the lock) came first, and `reserveContended` settles what the reservation `[old.offset,
    /// old.offset + padding + byteCount)` is: an allocation, an overshoot to undo, or bytes to give back.
    @inlinable @inline(__always)
    func reserve(byteCount: Int, alignment: Int) -> BumpFit? {
        guard _fastPath(alignment <= ChunkTable.chunkAlignment && byteCount <= Self.maxAddedBytes) else {
            return bumpByCompareExchange(byteCount: byteCount, alignment: alignment, shared: true)
        }
        let hint = state.load(ordering: .relaxed)
        let offset = BumpState(rawValue: hint).offset
        let mask = alignment &- 1
        // Safe: the chunk base is a multiple of `chunkAlignment`, hence of `alignment`, so aligning the offset
        // aligns the address; `offset < 2^40` (even overshot) and `mask < 2^12`, so the sum cannot overflow.
        let start = (offset &+ mask) & ~mask
        // Count below the bound, and room after the hint (false too for an overshot hint: start > capacity).
        guard hint < Self.addingCountBound &<< 47, byteCount <= addingCapacity &- start else { return nil }
        let reserved = start &- offset &+ byteCount
        let old = state.wrappingAdd(
            BumpState.countUnit &+ UInt64(truncatingIfNeeded: reserved), ordering: .acquiringAndReleasing
        ).oldValue
        guard _fastPath(old == hint) else {
            return reserveContended(old: old, byteCount: byteCount, alignment: alignment, reserved: reserved)
        }
        let padding = start &- offset
        let next = BumpState(rawValue: old &+ BumpState.countUnit &+ UInt64(truncatingIfNeeded: reserved))
        if padding != 0 { addPadding(padding, epoch: next.epoch, shared: true) }
        // Safe: `start + byteCount <= capacity`, so the address lies inside (or one past) the chunk.
        return BumpFit(
            pointer: UnsafeMutableRawPointer(bitPattern: addingBase &+ UInt(truncatingIfNeeded: start))
                .unsafelyUnwrapped,
            offsetInChunk: start, padding: padding, next: next)
    }

    /// The pointer-only allocation both arena types expose as `allocate(byteCount:alignment:)`.
    @inlinable @inline(__always)
    func allocate(
        byteCount: Int, alignment: Int, shared: Bool, site: AllocationSite
    ) throws(ArenaError)
        -> UnsafeMutableRawPointer
    {
        Self.checkArguments(byteCount: byteCount, alignment: alignment)
        if !shared {
            guard let (start, _) = bumpLocal(byteCount: byteCount, alignment: alignment) else {
                return try allocateLocalSlow(byteCount: byteCount, alignment: alignment, site: site).pointer
            }
            // Safe: `start` lies inside (or one past) the current chunk, so it is not null.
            let pointer = UnsafeMutableRawPointer(bitPattern: start).unsafelyUnwrapped
            arena_sanitizer_unpoison(pointer, byteCount)
            if trace != nil { traceLocal(start: start, byteCount: byteCount, alignment: alignment, site: site) }
            return pointer
        }
        if let fit = bump(byteCount: byteCount, alignment: alignment, shared: shared) {
            // Empty (and gone after inlining) unless an ASan build poisons released memory.
            arena_sanitizer_unpoison(fit.pointer, byteCount)
            if trace != nil { traceAllocation(fit, byteCount: byteCount, alignment: alignment, site: site) }
            return fit.pointer
        }
        return try allocateSlow(byteCount: byteCount, alignment: alignment, site: site).pointer
    }

    /// The allocation with its position, for callers that report offsets.
    @inlinable @inline(__always)
    func allocation(
        byteCount: Int, alignment: Int, shared: Bool, site: AllocationSite
    ) throws(ArenaError)
        -> Allocation
    {
        Self.checkArguments(byteCount: byteCount, alignment: alignment)
        if !shared {
            guard let (start, padding) = bumpLocal(byteCount: byteCount, alignment: alignment) else {
                return try allocateLocalSlow(byteCount: byteCount, alignment: alignment, site: site)
            }
            // Safe: `start` lies inside (or one past) the current chunk, so it is not null.
            let pointer = UnsafeMutableRawPointer(bitPattern: start).unsafelyUnwrapped
            arena_sanitizer_unpoison(pointer, byteCount)
            if trace != nil { traceLocal(start: start, byteCount: byteCount, alignment: alignment, site: site) }
            return Allocation(
                pointer: pointer, offset: local.logicalOffset(of: start), byteCount: byteCount, padding: padding,
                generation: generation.load(ordering: .relaxed))
        }
        guard let fit = bump(byteCount: byteCount, alignment: alignment, shared: shared) else {
            return try allocateSlow(byteCount: byteCount, alignment: alignment, site: site)
        }
        arena_sanitizer_unpoison(fit.pointer, byteCount)
        let offset = chunks.logicalStart(fit.next.slot) &+ fit.offsetInChunk
        let generation = generation.load(ordering: .relaxed)
        if trace != nil { traceAllocation(fit, byteCount: byteCount, alignment: alignment, site: site) }
        return Allocation(
            pointer: fit.pointer, offset: offset, byteCount: byteCount, padding: fit.padding,
            generation: generation)
    }

    @inlinable @inline(__always)
    static func checkArguments(byteCount: Int, alignment: Int) {
        precondition(byteCount >= 0, "byteCount must not be negative")
        precondition(
            alignment > 0 && alignment & (alignment &- 1) == 0 && alignment <= maxAlignment,
            "alignment must be a power of two in 1...\(maxAlignment)")
    }

    /// Records an allocation event; the caller tested `trace != nil` (a load and a predicted branch when the
    /// arena has no ring). `trace` is used in place, not bound to a local, which would retain and release the
    /// ring around every event.
    @inlinable @inline(__always)
    func traceAllocation(_ fit: BumpFit, byteCount: Int, alignment: Int, site: AllocationSite) {
        // In line: a single-writer ring costs seven stores and no call; a concurrent ring one call (its atomics
        // are out of line in `TraceRing.recordConcurrently`).
        guard trace != nil, tracing.load(ordering: .relaxed) else { return }
        let start = chunks.logicalStart(fit.next.slot) &+ fit.offsetInChunk
        trace?.record(
            kind: .allocation, arenaID: id, size: byteCount, alignment: alignment, start: start,
            end: start &+ byteCount &- 1, generation: generation.load(ordering: .relaxed), site: site)
    }

    // MARK: Single owner

    /// The single-owner fast path: claims `byteCount` bytes at `alignment` from the cursor when it is armed and
    /// they fit in the rest of the current chunk; returns their address and padding, or nil (then
    /// `allocateLocalSlow`).
    @inlinable @inline(__always)
    func bumpLocal(byteCount: Int, alignment: Int) -> (start: UInt, padding: Int)? {
        let next = local.next.load(ordering: .relaxed)
        let mask = UInt(truncatingIfNeeded: alignment &- 1)
        // Safe: `next` is an address inside (or one past) a live chunk, or 1 when disarmed, so below 2^57 (user
        // space), `mask < 2^21` (the alignment is checked) and `0 <= byteCount < 2^63` (checked by the callers):
        // neither sum can wrap, and `end` alone bounds the request (`start <= end` follows).
        let start = (next &+ mask) & ~mask
        let end = start &+ UInt(truncatingIfNeeded: byteCount)
        guard end <= local.end.load(ordering: .relaxed) else { return nil }
        local.next.store(end, ordering: .relaxed)
        local.count.store(local.count.load(ordering: .relaxed) &+ 1, ordering: .relaxed)
        // Bytes rather than padding: one add of the request's size, no branch (the padding is derived when the
        // cursor is folded back).
        local.bytes.store(local.bytes.load(ordering: .relaxed) &+ byteCount, ordering: .relaxed)
        return (start, Int(truncatingIfNeeded: start &- next))
    }

    /// Records the event of an allocation the cursor made at address `start`; the caller tested `trace != nil`.
    @inlinable @inline(__always)
    func traceLocal(start address: UInt, byteCount: Int, alignment: Int, site: AllocationSite) {
        guard trace != nil, tracing.load(ordering: .relaxed) else { return }
        let start = local.logicalOffset(of: address)
        trace?.record(
            kind: .allocation, arenaID: id, size: byteCount, alignment: alignment, start: start,
            end: start &+ byteCount &- 1, generation: generation.load(ordering: .relaxed), site: site)
    }

    /// A single-owner request the cursor could not serve (disarmed, or the chunk is full): folds the cursor
    /// back, allocates through the state word (the shared path with a plain store, or the slow path: a new
    /// chunk, a count fold, a failure), then arms the cursor over the chunk that is current.
    @usableFromInline @inline(never)
    func allocateLocalSlow(byteCount: Int, alignment: Int, site: AllocationSite) throws(ArenaError) -> Allocation {
        flushLocal()
        defer { armLocal() }
        if let fit = bumpByCompareExchange(byteCount: byteCount, alignment: alignment, shared: false) {
            return record(fit, byteCount: byteCount, alignment: alignment, site: site)
        }
        return try allocateSlow(byteCount: byteCount, alignment: alignment, site: site)
    }

    /// Arms the cursor over the chunk the state word names, at its offset. Single owner, disarmed.
    private func armLocal() {
        let current = BumpState(rawValue: state.load(ordering: .relaxed))
        let base = chunks.base(current.slot)
        local.arm(
            next: base &+ UInt(truncatingIfNeeded: current.offset), base: base,
            capacity: chunks.capacity(current.slot), logicalStart: chunks.logicalStart(current.slot))
    }

    /// Folds an armed cursor back into the state word (its offset), the ledger (its count) and the padding
    /// counter, and disarms it: after this the state word is the arena's again. A single-owner arena calls it
    /// before anything but the fast path (`Arena.settled`, `allocateLocalSlow`); nothing to do when disarmed.
    /// Call without the lock.
    func flushLocal() {
        guard local.isArmed else { return }
        let (offset, count, bytes) = local.disarm()
        ledger.withLock { ledger in
            let current = BumpState(rawValue: state.load(ordering: .relaxed))
            state.store(
                BumpState(count: current.count, epoch: current.epoch, slot: current.slot, offset: offset).rawValue,
                ordering: .releasing)
            ledger.countCarry &+= count
            // What the cursor moved past that no request asked for: the word's offset is where it was armed.
            let padding = offset &- current.offset &- bytes
            if padding != 0 { addPadding(padding, epoch: current.epoch, shared: false) }
        }
    }

    // MARK: Fetch-add reservations under contention

    /// What a fetch-add reservation that did not land on its hint is, from the word `old` it landed on:
    ///
    /// - *void*: `old` is already overshot (`old.offset > capacity`). Every reservation added after the one that
    ///   ran past the end is void; that one's thread undoes them all at once (below). The request goes to the slow
    ///   path, which waits for the undo.
    /// - *overshoot*: the reservation starts inside the chunk and ends past it: this thread ran the word past the
    ///   end. It stores `old` back, which discards its own reservation and every void one added since (their
    ///   bytes and their counts) and leaves the word exactly as the last reservation that fit left it. Nothing
    ///   else can change the word meanwhile: every other writer of it (compare-and-swap fast path, slow path,
    ///   reset, rewind, fold) publishes over a settled word only, and the word stays overshot until this store.
    ///   Then the slow path decides (a failure, counted and traced there, as any other).
    /// - *fits*: the reservation lies inside the chunk and has room for the request at its alignment after
    ///   `old.offset`: an allocation, whose padding is the reservation's bytes beyond the request's (before it
    ///   for the alignment, after it when the hint asked for more than `old` needs).
    /// - *misaligned*: inside the chunk but too short once aligned after `old.offset` (another thread's
    ///   reservation moved the offset by an amount that is not a multiple of the alignment). When no one added
    ///   after it, a compare-and-swap takes it back and the request goes the compare-and-swap way. Otherwise its
    ///   bytes stay used: they become padding of this request, which is completed by a compare-and-swap that
    ///   counts no second allocation (`complete`).
    @usableFromInline @inline(never)
    func reserveContended(old: UInt64, byteCount: Int, alignment: Int, reserved: Int) -> BumpFit? {
        let landed = BumpState(rawValue: old)
        let offset = landed.offset
        let added = BumpState.countUnit &+ UInt64(truncatingIfNeeded: reserved)
        if offset > addingCapacity { return nil }  // void
        if reserved > addingCapacity - offset {  // overshoot
            while true {
                let current = state.load(ordering: .relaxed)
                if state.compareExchange(expected: current, desired: old, ordering: .acquiringAndReleasing).exchanged {
                    return nil
                }
            }
        }
        // The add may have carried the count field out of the word (see `addingCountBound`).
        let wrapped = landed.count == BumpState.countLimit - 1
        let mask = alignment &- 1
        let start = (offset &+ mask) & ~mask
        if start &+ byteCount <= offset &+ reserved {  // fits
            if wrapped { noteCountWrap() }
            let padding = reserved &- byteCount
            let next = BumpState(rawValue: old &+ added)
            if padding != 0 { addPadding(padding, epoch: next.epoch, shared: true) }
            // Safe: `start + byteCount <= offset + reserved <= capacity`: inside (or one past) the chunk.
            return BumpFit(
                pointer: UnsafeMutableRawPointer(bitPattern: addingBase &+ UInt(truncatingIfNeeded: start))!,
                offsetInChunk: start, padding: padding, next: next)
        }
        // Misaligned.
        if state.compareExchange(expected: old &+ added, desired: old, ordering: .acquiringAndReleasing).exchanged {
            return bumpByCompareExchange(byteCount: byteCount, alignment: alignment, shared: true)
        }
        if wrapped { noteCountWrap() }
        addPadding(reserved, epoch: landed.epoch, shared: true)
        return complete(byteCount: byteCount, alignment: alignment, countedIn: landed.epoch, padding: reserved)
    }

    /// Finishes a request whose misaligned reservation stayed used: `padding` bytes already counted as padding
    /// of epoch `epoch`, and one allocation counted in the state word of that epoch. Publishes the allocation
    /// by compare-and-swap without counting it again, in the same generation; when the generation changed
    /// (a reset came between) or the request no longer fits, gives the count back under the lock and returns
    /// nil, so that the request takes the slow path as a fresh one.
    ///
    /// The count is given back to the generation it went to: the current one when the epoch is the same,
    /// otherwise the one that ended (its summary keeps it; only a thread held up here across two resets sees the
    /// same epoch again and moves one count between generations, as a late padding add does, see `padding0`).
    /// A request that then fails leaves its `padding` bytes used and counted as padding, with no allocation that
    /// reports them: the one case where `paddingBytes` is more than the padding of the allocations made.
    @usableFromInline @inline(never)
    func complete(byteCount: Int, alignment: Int, countedIn epoch: Int, padding: Int) -> BumpFit? {
        while true {
            let current = settledState()
            guard current.epoch == epoch,
                let fit = current.fit(
                    byteCount: byteCount, alignment: alignment, base: addingBase, capacity: addingCapacity)
            else { break }
            let next = BumpState(rawValue: fit.next.rawValue &- BumpState.countUnit)
            if state.compareExchange(
                expected: current.rawValue, desired: next.rawValue, ordering: .acquiringAndReleasing
            )
            .exchanged {
                if fit.padding != 0 { addPadding(fit.padding, epoch: epoch, shared: true) }
                return BumpFit(
                    pointer: fit.pointer, offsetInChunk: fit.offsetInChunk, padding: padding &+ fit.padding, next: next)
            }
        }
        ledger.withLock { ledger in
            let current = settledState()
            ledger.countCarry &-= 1
            if current.epoch != epoch { ledger.countAtReset &-= 1 }
        }
        return nil
    }

    /// An add carried the count field out of the word: 2^17 allocations the field no longer holds.
    @usableFromInline @inline(never)
    func noteCountWrap() {
        ledger.withLock { $0.countCarry &+= BumpState.countLimit }
    }

    /// The state word once no reservation overshoots the chunk: what every reader and writer under the lock
    /// starts from. An overshoot lasts from one thread's add to its own compare-and-swap back (`reserveContended`),
    /// which takes no lock, so waiting here cannot deadlock.
    func settledState() -> BumpState {
        while true {
            let current = BumpState(rawValue: state.load(ordering: .acquiring))
            if addingCapacity == 0 || current.offset <= addingCapacity { return current }
            sched_yield()
        }
    }

    // MARK: Slow path

    /// Publishes `next` over `current` with a compare-and-swap; returns false when another thread moved the
    /// state meanwhile. Caller holds the lock.
    private func publish(over current: BumpState, _ next: BumpState) -> Bool {
        state.compareExchange(
            expected: current.rawValue, desired: next.rawValue,
            ordering: .acquiringAndReleasing
        ).exchanged
    }

    /// Folds the count field into `countCarry` so the fast path can go on counting. Caller holds the lock.
    private func foldCount(_ ledger: inout Ledger) {
        while true {
            let current = settledState()
            if publish(over: current, current.with(count: 0)) {
                ledger.countCarry &+= current.count
                return
            }
        }
    }

    private func used(_ state: BumpState) -> Int { chunks.logicalStart(state.slot) &+ state.offset }

    /// The count at which the slow path folds the count field: where the fast path stops counting (one below
    /// the field's limit, or `addingCountBound` for a fetch-add arena).
    private var foldThreshold: UInt64 {
        addingCapacity != 0 ? Self.addingCountBound : BumpState.countLimit &- 1
    }

    /// A new chunk, a count fold, or a failure. Out of line and cold: the fast path stays small.
    @usableFromInline @inline(never)
    func allocateSlow(byteCount: Int, alignment: Int, site: AllocationSite) throws(ArenaError) -> Allocation {
        let result: Result<Allocation, ArenaError> = ledger.withLock { ledger in
            while true {
                let current = settledState()
                if current.count >= foldThreshold {
                    foldCount(&ledger)
                    continue
                }
                let slot = current.slot
                if let fit = current.fit(
                    byteCount: byteCount, alignment: alignment, base: chunks.base(slot),
                    capacity: chunks.capacity(slot))
                {
                    guard publish(over: current, fit.next) else { continue }
                    if fit.padding != 0 { addPadding(fit.padding, epoch: fit.next.epoch, shared: true) }
                    return .success(record(fit, byteCount: byteCount, alignment: alignment, site: site))
                }
                guard let newSlot = grow(for: byteCount, alignment: alignment, &ledger) else {
                    return .failure(fail(byteCount: byteCount, alignment: alignment, used: used(current), &ledger))
                }
                // Switch to the new chunk. Other threads may still bump the old one until this succeeds; the
                // new chunk starts where they stopped.
                while true {
                    let current = settledState()
                    if current.count >= foldThreshold {
                        foldCount(&ledger)
                        continue
                    }
                    chunks.setLogicalStart(newSlot, used(current))
                    let next = BumpState(
                        count: current.count &+ 1, epoch: current.epoch, slot: newSlot,
                        offset: byteCount)
                    guard publish(over: current, next) else { continue }
                    ledger.order.append(newSlot)
                    let fit = BumpFit(
                        pointer: UnsafeMutableRawPointer(bitPattern: chunks.base(newSlot))!,
                        offsetInChunk: 0, padding: 0, next: next)
                    return .success(record(fit, byteCount: byteCount, alignment: alignment, site: site))
                }
            }
        }
        return try result.get()
    }

    private func record(_ fit: BumpFit, byteCount: Int, alignment: Int, site: AllocationSite) -> Allocation {
        arena_sanitizer_unpoison(fit.pointer, byteCount)
        traceAllocation(fit, byteCount: byteCount, alignment: alignment, site: site)
        return Allocation(
            pointer: fit.pointer, offset: chunks.logicalStart(fit.next.slot) &+ fit.offsetInChunk,
            byteCount: byteCount, padding: fit.padding, generation: generation.load(ordering: .relaxed))
    }

    /// Installs (but does not publish) a chunk that fits `byteCount` at `alignment`, or returns nil when the
    /// policy forbids it: a fixed arena, the limit, or no free slot. Caller holds the lock.
    private func grow(for byteCount: Int, alignment: Int, _ ledger: inout Ledger) -> Int? {
        guard case .growing(_, let limit) = policy, let slot = chunks.freeSlot() else { return nil }
        let held = ledger.order.reduce(0) { $0 + chunks.capacity($1) }
        let last = chunks.capacity(ledger.order[ledger.order.count - 1])
        // The new chunk is aligned to the request, so it needs no padding: exactly `byteCount` bytes.
        let wanted = Swift.max(last.multipliedReportingOverflow(by: 2).overflow ? Int.max : last * 2, byteCount)
        let size = Swift.min(wanted, limit - held)
        guard size >= byteCount, size >= 1 else { return nil }
        chunks.install(slot: slot, capacity: size, alignment: alignment, logicalStart: 0)
        return slot
    }

    private func fail(byteCount: Int, alignment: Int, used: Int, _ ledger: inout Ledger) -> ArenaError {
        ledger.failed += 1
        let limit = policy.reservedBytes
        if let trace, tracing.load(ordering: .relaxed) {
            trace.record(
                kind: .failure, arenaID: id, size: byteCount, alignment: alignment, start: used,
                end: limit, generation: generation.load(ordering: .relaxed))
        }
        return .arenaFull(requested: byteCount, alignment: alignment, used: used, capacity: limit)
    }

    // MARK: Reset, checkpoints, rewind

    /// Releases everything, keeps the largest chunk, starts a new generation. Returns the bytes released.
    func reset() -> Int {
        let (released, summary) = ledger.withLock { ledger in
            let summary = self.summary(ending: .reset, ledger)
            let keep = ledger.order.max { chunks.capacity($0) < chunks.capacity($1) }!
            // The epoch only changes here, under the lock: read it once.
            let oldEpoch = settledState().epoch
            let newEpoch = 1 - oldEpoch
            // The new generation's counter still holds late padding of the generation before the one ending now
            // (see `padding0`); that generation's bytes were counted as allocated bytes at its reset.
            let late = takePadding(epoch: newEpoch)
            ledger.earlierPaddingBytes += late
            ledger.earlierAllocatedBytes -= late
            // The kept chunk's bytes are released: filled (debug builds) and poisoned (ASan builds) before the
            // new generation can be handed them, so a pointer kept across the reset reads garbage or traps.
            let current = settledState()
            releaseMemory(keep, from: 0, to: keep == current.slot ? current.offset : chunks.capacity(keep))
            var replaced: BumpState
            var released: Int
            while true {
                replaced = settledState()
                released = used(replaced)
                // The kept chunk starts the new generation at offset 0, before the new state is published, so
                // no allocation of the new generation sees the old start. (An allocation of the old generation
                // that races with the reset may report a wrong offset; its memory is released anyway.)
                let oldStart = chunks.logicalStart(keep)
                chunks.setLogicalStart(keep, 0)
                if publish(over: replaced, BumpState(count: replaced.count, epoch: newEpoch, slot: keep, offset: 0)) {
                    break
                }
                chunks.setLogicalStart(keep, oldStart)
            }
            // Nothing can land in the other chunks any more: free them.
            for slot in ledger.order where slot != keep { chunks.release(slot) }
            // In place: a reset makes no malloc.
            ledger.order.removeAll(keepingCapacity: true)
            ledger.order.append(keep)

            let lifetimeCount = ledger.countCarry &+ replaced.count
            // Padding of an allocation of the ending generation that is added after this lands in its epoch's
            // counter, which the next reset folds in as `late`.
            let paddingBytes = takePadding(epoch: oldEpoch)
            ledger.earlierAllocatedBytes += released + ledger.rewound - paddingBytes
            ledger.earlierPaddingBytes += paddingBytes
            ledger.highWater = Swift.max(ledger.highWater, ledger.highWaterSinceReset, released)
            ledger.highWaterSinceReset = 0
            ledger.countAtReset = lifetimeCount
            ledger.rewound = 0
            ledger.rewindFloor.removeAll(keepingCapacity: true)
            ledger.failedAtReset = ledger.failed
            remember(summary, &ledger)
            ledger.generationStartedAt = summary.endedAt
            ledger.resets += 1
            let newGeneration = generation.wrappingAdd(1, ordering: .relaxed).newValue
            if let trace, tracing.load(ordering: .relaxed) {
                trace.record(
                    kind: .reset, arenaID: id, size: released, alignment: 1, start: 0, end: released - 1,
                    generation: newGeneration)
            }
            ledger.sequenceAtReset = trace?.lastSequence ?? 0
            return (released, summary)
        }
        reporter?.report(summary)
        return released
    }

    // MARK: Released memory

    /// The byte debug builds write over released memory: a read through a pointer kept across a reset or rewind
    /// sees `0xDEDEDEDE...`, not the next scope's data.
    static let releasedPattern: UInt8 = 0xDE

    /// Bytes `from..<to` of `slot` are released: filled with `releasedPattern` in debug builds, poisoned in ASan
    /// builds (the next allocation of them unpoisons what it hands out). Caller holds the lock.
    private func releaseMemory(_ slot: Int, from start: Int, to end: Int) {
        guard end > start, let base = UnsafeMutableRawPointer(bitPattern: chunks.base(slot)) else { return }
        // Safe: `start..<end` lies within the chunk (`end` is at most its capacity), which stays installed.
        #if DEBUG
        (base + start).initializeMemory(as: UInt8.self, repeating: Self.releasedPattern, count: end - start)
        #endif
        arena_sanitizer_poison(base + start, end - start)
    }

    // MARK: Generations

    /// The current generation as it stands, summarised. Caller holds the lock.
    private func summary(ending: GenerationSummary.Ending, _ ledger: Ledger) -> GenerationSummary {
        let current = settledState()
        let used = used(current)
        let padding = loadPadding(epoch: current.epoch)
        let endedAt = WallClock.now()
        var startedAt = ledger.generationStartedAt
        if let trace, let first = trace.events(after: ledger.sequenceAtReset, limit: 1).first,
            first.sequence == ledger.sequenceAtReset + 1, first.kind == .allocation || first.kind == .failure
        {
            startedAt = first.timestamp
        }
        return GenerationSummary(
            generation: generation.load(ordering: .relaxed), peakBytes: Swift.max(ledger.highWaterSinceReset, used),
            limitBytes: policy.reservedBytes,
            allocations: (ledger.countCarry &+ current.count) &- ledger.countAtReset,
            allocatedBytes: used + ledger.rewound - padding, paddingBytes: padding,
            failedAllocations: ledger.failed - ledger.failedAtReset, startedAt: Swift.min(startedAt, endedAt),
            endedAt: endedAt, ending: ending)
    }

    /// Keeps `summary` in the history. Caller holds the lock.
    private func remember(_ summary: GenerationSummary, _ ledger: inout Ledger) {
        guard historyCapacity > 0 else { return }
        if ledger.history.count == historyCapacity { ledger.history.removeFirst() }
        ledger.history.append(summary)
    }

    /// The last generations that ended, oldest first.
    func recentGenerations() -> [GenerationSummary] { ledger.withLock { $0.history } }

    /// The generation that ended last, if any.
    func lastGeneration() -> GenerationSummary? { ledger.withLock { $0.history.last } }

    /// The generation in progress, summarised as if it ended now (without ending it).
    func currentGeneration() -> GenerationSummary { ledger.withLock { summary(ending: .reset, $0) } }

    /// The arena leaves its registry: its last generation ends, is remembered and reported.
    func endForRemoval() {
        let summary = ledger.withLock { ledger in
            let summary = self.summary(ending: .removal, ledger)
            remember(summary, &ledger)
            return summary
        }
        reporter?.report(summary)
    }

    /// The current position, to rewind to later.
    func checkpoint() -> Checkpoint {
        ledger.withLock { ledger in
            let current = settledState()
            return Checkpoint(
                arenaID: id, generation: generation.load(ordering: .relaxed), offset: used(current),
                chunkIndex: ledger.order.count - 1, slot: current.slot, offsetInChunk: current.offset,
                rewindSerial: ledger.rewindSerial)
        }
    }

    /// Releases everything allocated after `checkpoint`; returns the bytes released.
    func rewind(to checkpoint: Checkpoint) throws(ArenaError) -> Int {
        let result: Result<Int, ArenaError> = ledger.withLock { ledger in
            if let problem = staleness(of: checkpoint, ledger) { return .failure(problem) }
            let current = settledState()
            releaseMemory(
                checkpoint.slot, from: checkpoint.offsetInChunk,
                to: checkpoint.slot == current.slot ? current.offset : chunks.capacity(checkpoint.slot))
            var replaced: BumpState
            while true {
                replaced = settledState()
                let next = BumpState(
                    count: replaced.count, epoch: replaced.epoch, slot: checkpoint.slot,
                    offset: checkpoint.offsetInChunk)
                if publish(over: replaced, next) { break }
            }
            // Chunks after the checkpoint's can no longer be reached: free them.
            for slot in ledger.order[(checkpoint.chunkIndex + 1)...] { chunks.release(slot) }
            ledger.order.removeSubrange((checkpoint.chunkIndex + 1)...)

            let before = used(replaced)
            let released = before - checkpoint.offset
            ledger.highWaterSinceReset = Swift.max(ledger.highWaterSinceReset, before)
            ledger.rewound += released
            ledger.rewinds += 1
            ledger.rewindSerial += 1
            while let last = ledger.rewindFloor.last, last.target >= checkpoint.position {
                ledger.rewindFloor.removeLast()
            }
            ledger.rewindFloor.append((ledger.rewindSerial, checkpoint.position))
            if ledger.rewindFloor.count > Self.maxRewindFloor {
                // Rewinds to ever higher positions would grow the stack without bound. Fold the oldest half into
                // one entry: the newest serial of the half with its lowest target. A checkpoint older than the
                // half sees the same floor as before; one taken inside it sees a lower floor than the truth, so
                // it may be refused as stale while still valid. Never the reverse: no stale checkpoint passes.
                let half = Self.maxRewindFloor / 2
                let folded = (serial: ledger.rewindFloor[half - 1].serial, target: ledger.rewindFloor[0].target)
                ledger.rewindFloor.replaceSubrange(0..<half, with: CollectionOfOne(folded))
            }
            if let trace, tracing.load(ordering: .relaxed) {
                trace.record(
                    kind: .rewind, arenaID: id, size: released, alignment: 1, start: checkpoint.offset,
                    end: before - 1, generation: checkpoint.generation)
            }
            return .success(released)
        }
        return try result.get()
    }

    /// Why `checkpoint` can no longer be rewound to, or nil when it still can.
    func problem(with checkpoint: Checkpoint) -> ArenaError? {
        ledger.withLock { staleness(of: checkpoint, $0) }
    }

    /// Why `checkpoint` cannot be rewound to, or nil when it can. Caller holds the lock.
    private func staleness(of checkpoint: Checkpoint, _ ledger: Ledger) -> ArenaError? {
        guard checkpoint.arenaID == id else {
            return ArenaError(
                code: .foreignCheckpoint,
                message: "the checkpoint belongs to arena \(checkpoint.arenaID), not arena \(id)")
        }
        let generation = generation.load(ordering: .relaxed)
        guard checkpoint.generation == generation else {
            return ArenaError(
                code: .staleCheckpoint,
                message: "the checkpoint is from generation \(checkpoint.generation); the arena was reset since "
                    + "and is at generation \(generation)")
        }
        // The lowest target of the rewinds made after the checkpoint was taken: the first entry with a later
        // serial (serials increase along the stack).
        var low = 0
        var high = ledger.rewindFloor.count
        while low < high {
            let middle = (low + high) / 2
            if ledger.rewindFloor[middle].serial > checkpoint.rewindSerial { high = middle } else { low = middle + 1 }
        }
        if low < ledger.rewindFloor.count, ledger.rewindFloor[low].target < checkpoint.position {
            return ArenaError(
                code: .staleCheckpoint,
                message: "the checkpoint at offset \(checkpoint.offset) was released by a later rewind")
        }
        return nil
    }

    // MARK: Stats

    /// Loads (relaxed, so no lock and no race) words on the cache lines `stats()` reads: the state word, the
    /// counters beside the ledger, the first chunk's entry. For walks over many arenas, which load these for a
    /// block of arenas first (the loads overlap), then take each lock (see `ArenaRegistry.forEachArenaStats`).
    func touchForStats() -> UInt64 {
        state.load(ordering: .relaxed) &+ generation.load(ordering: .relaxed)
            &+ UInt64(truncatingIfNeeded: padding1.load(ordering: .relaxed) &+ chunks.capacity(0))
    }

    func stats() -> ArenaStats {
        ledger.withLock { ledger in
            // The state word and the padding counters are separate atomics: read them until the state is the
            // same before and after, so `used` and `paddingBytes` come from one moment even while other threads
            // allocate (a reader descheduled between the two loads would otherwise mix far-apart moments).
            var current = settledState()
            var paddingBytes = 0
            var late = 0
            for _ in 0..<64 {
                paddingBytes = loadPadding(epoch: current.epoch)
                late = loadPadding(epoch: 1 - current.epoch)
                let again = settledState()
                if again == current { break }
                current = again
            }
            let used = used(current)
            let lifetimeCount = ledger.countCarry &+ current.count
            let allocatedBytes = used + ledger.rewound - paddingBytes
            let sinceReset = Swift.max(ledger.highWaterSinceReset, used)
            return ArenaStats(
                capacity: ledger.order.reduce(0) { $0 + chunks.capacity($1) },
                limit: policy.reservedBytes,
                used: used,
                highWaterMark: Swift.max(ledger.highWater, sinceReset),
                highWaterMarkSinceReset: sinceReset,
                allocations: lifetimeCount &- ledger.countAtReset,
                allocatedBytes: allocatedBytes,
                paddingBytes: paddingBytes,
                lifetimeAllocations: lifetimeCount,
                lifetimeAllocatedBytes: ledger.earlierAllocatedBytes - late + allocatedBytes,
                lifetimePaddingBytes: ledger.earlierPaddingBytes + late + paddingBytes,
                failedAllocations: ledger.failed,
                resets: ledger.resets,
                rewinds: ledger.rewinds,
                chunks: ledger.order.count,
                generation: generation.load(ordering: .relaxed))
        }
    }

    // MARK: Invariants

    /// Traps unless every invariant in the type's documentation holds, and those of `Ledger`. Debug builds only
    /// (release builds compile it to nothing); for tests, between the steps of a model run, with no allocation
    /// in flight.
    func _checkInvariants() {
        #if DEBUG
        ledger.withLock { ledger in
            let current = settledState()
            precondition(!ledger.order.isEmpty, "an arena always has a current chunk")
            precondition(ledger.order.last == current.slot, "the state names the last chunk of the order")
            precondition(Set(ledger.order).count == ledger.order.count, "a chunk is in the order once")
            for slot in 0..<BumpState.slotCount {
                precondition(
                    chunks.isInstalled(slot) == ledger.order.contains(slot),
                    "slot \(slot): installed exactly when it is in the order")
            }
            precondition(
                current.offset >= 0 && current.offset <= chunks.capacity(current.slot),
                "offset \(current.offset) within the current chunk's \(chunks.capacity(current.slot))")
            var start = 0
            for (index, slot) in ledger.order.enumerated() {
                precondition(chunks.base(slot) % UInt(ChunkTable.chunkAlignment) == 0, "chunks are page aligned")
                if index > 0 {
                    precondition(chunks.logicalStart(slot) >= start, "chunks start where earlier ones stopped")
                }
                start = chunks.logicalStart(slot)
            }
            let capacity = ledger.order.reduce(0) { $0 + chunks.capacity($1) }
            precondition(capacity <= policy.reservedBytes, "chunks hold \(capacity) of at most \(policy.reservedBytes)")
            if case .fixed = policy { precondition(ledger.order.count == 1, "a fixed arena has one chunk") }
            let used = used(current)
            precondition(used >= 0 && used <= policy.reservedBytes, "used \(used) within the limit")
            precondition(
                ledger.highWater >= 0 && ledger.highWaterSinceReset >= 0 && ledger.rewound >= 0,
                "high-water marks and rewound bytes are not negative")
            precondition(
                ledger.countCarry &+ current.count >= ledger.countAtReset,
                "the lifetime count does not go below its value at the last reset")
            precondition(ledger.rewindFloor.count <= Self.maxRewindFloor, "the rewind floor is bounded")
            for (earlier, later) in zip(ledger.rewindFloor, ledger.rewindFloor.dropFirst()) {
                precondition(
                    earlier.serial < later.serial && earlier.target < later.target,
                    "rewind floor entries increase in serial and target")
            }
            precondition(
                ledger.rewindFloor.last.map { $0.serial <= ledger.rewindSerial } ?? true,
                "no floor entry is newer than the last rewind")
        }
        #endif
    }
}
