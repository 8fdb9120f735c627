/// A region of memory handed out by bumping an offset. `BumpArena` may be shared by any number of threads;
/// `LocalArena` is the same allocator for one owner.
///
/// ```swift
/// let ring = TraceRing(capacity: 4096)
/// let arena = BumpArena(policy: .fixed(capacity: 1024), trace: ring)
/// let p = try arena.allocate(byteCount: 16, alignment: 8)
/// ring.events(after: 0).map { "\($0)" }      // ["Allocated 16 from 0 to 15"]
/// arena.withCheckpoint { /* scratch work, rewound on exit */ }
/// arena.reset()
/// ```
///
/// Nothing is freed individually: `reset()` releases everything at once, `rewind(to:)` everything after a
/// checkpoint. Memory handed out stays valid until the arena is reset, rewound past it, or deinitialized.
///
/// `Mode` says how an allocation is published: `Shared` arenas are lock-free (one compare-and-swap on a word
/// that holds the chunk, the offset and the allocation count) and `Sendable`; `Unshared` arenas bump a cursor of
/// their own (an address and the chunk's end, in plain memory) and are not `Sendable`, so the compiler keeps them
/// on one thread at a time. Only a new chunk, a failure, `reset`, checkpoints and `stats` take the arena's lock.
/// `reset` and `rewind` may run while other threads allocate (the arena stays consistent), but memory those
/// threads are still writing to is released with everything else: serialise writes with resets when that matters
/// (`RegisteredArena` does).
public final class Arena<Mode: ArenaSharing>: BumpAllocator {
    /// The largest alignment `allocate` accepts (1 MiB).
    public static var maxAlignment: Int { ArenaStorage.maxAlignment }

    /// The engine: bump fast path, chunks, ledger. Not public: it is ArenaCore's to change.
    @usableFromInline let storage: ArenaStorage

    /// - Parameters:
    ///   - policy: fixed or growing; a policy with impossible values (see `ArenaPolicy.problem`) is a
    ///     precondition failure.
    ///   - trace: where to record events, or nil for no tracing. Several arenas may share a ring. A shared arena
    ///     needs a ring with concurrent writers; a `singleWriter` ring is the fast choice for one `LocalArena`.
    ///   - keepingGenerations: how many ended generations `recentGenerations` keeps.
    public convenience init(policy: ArenaPolicy, trace: TraceRing? = nil, keepingGenerations: Int = 64) {
        self.init(policy: policy, trace: trace, keepingGenerations: keepingGenerations, reporter: nil)
    }

    init(policy: ArenaPolicy, trace: TraceRing?, keepingGenerations: Int, reporter: GenerationReporter?) {
        precondition(
            !Mode.isShared || trace?.singleWriter != true,
            "a shared BumpArena needs a TraceRing with concurrent writers")
        storage = ArenaStorage(
            policy: policy, trace: trace, shared: Mode.isShared, historyCapacity: keepingGenerations,
            reporter: reporter)
    }

    /// The generations that ended most recently (by `reset()`, or when the arena left its registry), oldest
    /// first: what each scope needed (see `GenerationSummary`).
    public var recentGenerations: [GenerationSummary] { storage.recentGenerations() }

    /// The generation in progress, summarised as if it ended now.
    public var currentGeneration: GenerationSummary { settled().currentGeneration() }
    /// Allocates `byteCount` bytes whose address is a multiple of `alignment`.
    ///
    /// A zero-byte allocation returns an aligned pointer that must not be dereferenced; it consumes the
    /// alignment padding like any other allocation, and fails like one when the padding does not fit. A traced
    /// arena records the caller's file and line with the event (see `AllocationSite`).
    /// - Precondition: `byteCount >= 0`; `alignment` is a power of two, at most `maxAlignment`.
    /// - Throws: `ArenaError` with code `.arenaFull` (with requested, used and capacity) when it does not fit.
    @inlinable @inline(__always)
    public func allocate(
        byteCount: Int, alignment: Int, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> UnsafeMutableRawPointer {
        try storage.allocate(
            byteCount: byteCount, alignment: alignment, shared: Mode.isShared,
            site: AllocationSite(file: file, line: line))
    }

    /// Like `allocate(byteCount:alignment:)`, recorded at `site` (a named site, e.g. from `TraceRing.site(named:)`).
    @inlinable @inline(__always)
    public func allocate(
        byteCount: Int, alignment: Int, site: AllocationSite
    ) throws(ArenaError)
        -> UnsafeMutableRawPointer
    {
        try storage.allocate(byteCount: byteCount, alignment: alignment, shared: Mode.isShared, site: site)
    }

    /// Like `allocate(byteCount:alignment:)`, and also says where the bytes landed.
    @inlinable @inline(__always)
    public func allocation(
        byteCount: Int, alignment: Int, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> Allocation {
        try storage.allocation(
            byteCount: byteCount, alignment: alignment, shared: Mode.isShared,
            site: AllocationSite(file: file, line: line))
    }

    /// Like `allocation(byteCount:alignment:)`, recorded at `site`.
    @inlinable @inline(__always)
    public func allocation(byteCount: Int, alignment: Int, site: AllocationSite) throws(ArenaError) -> Allocation {
        try storage.allocation(byteCount: byteCount, alignment: alignment, shared: Mode.isShared, site: site)
    }

    /// Releases every allocation at once in O(1) (plus freeing extra chunks), keeps the largest chunk, and
    /// increments `generation`. Returns the bytes released.
    @discardableResult
    public func reset() -> Int { settled().reset() }

    /// The current position; `rewind(to:)` releases everything allocated after it.
    public func checkpoint() -> Checkpoint { settled().checkpoint() }

    /// Releases everything allocated after `checkpoint`; returns the bytes released.
    /// - Throws: `.staleCheckpoint` when the arena was reset since, or a later rewind went before it;
    ///   `.foreignCheckpoint` when it belongs to another arena.
    @discardableResult
    public func rewind(to checkpoint: Checkpoint) throws(ArenaError) -> Int { try settled().rewind(to: checkpoint) }

    /// Whether `rewind(to: checkpoint)` would succeed: same arena, same generation, and no rewind since went to
    /// an earlier position. Everything allocated before a valid checkpoint is still live.
    public func isValid(_ checkpoint: Checkpoint) -> Bool { storage.problem(with: checkpoint) == nil }

    /// The arena's numbers, read together.
    public var stats: ArenaStats { settled().stats() }

    /// Process-unique identifier; events carry it as `arenaID`.
    public var id: UInt32 { storage.id }

    /// How the arena gets memory.
    public var policy: ArenaPolicy { storage.policy }

    /// The ring events go to, if any.
    public var trace: TraceRing? { storage.trace }

    /// Whether events are recorded now. Starts true when the arena has a ring; setting it without a ring
    /// has no effect.
    public var isTracing: Bool {
        get { storage.trace != nil && storage.tracing.load(ordering: .relaxed) }
        set { storage.tracing.store(newValue && storage.trace != nil, ordering: .relaxed) }
    }

    /// Resets so far; allocations and checkpoints from earlier generations are stale.
    public var generation: UInt64 { storage.generation.load(ordering: .relaxed) }

    /// Checks every invariant of the engine (see `ArenaStorage`) and traps on the first that does not hold.
    /// For tests, after each step of a model run; compiled to nothing in release builds.
    public func _checkInvariants() { settled()._checkInvariants() }

    /// The engine, with a `LocalArena`'s cursor folded back into its state first (see `LocalCursor`): what every
    /// read or change of the state but the fast path goes through. Nothing to do for a `BumpArena` (decided at
    /// compile time), which never arms the cursor: testing it there added a cache line to each arena's stats,
    /// 1.6 more L1 misses per arena to a `/metrics` walk over 10,000 (callgrind's cache simulation).
    @inline(__always)
    private func settled() -> ArenaStorage {
        if !Mode.isShared { storage.flushLocal() }
        return storage
    }
}

// Safe: every mutable field of the engine is an atomic or lives under its lock; a shared arena's fast path
// publishes with a compare-and-swap. An unshared arena's cursor (plain loads and stores) is why only `Shared` is
// `Sendable`.
extension Arena: @unchecked Sendable where Mode == Shared {}

/// How an `Arena` publishes an allocation: `Shared` or `Unshared`.
public protocol ArenaSharing {
    /// True for a compare-and-swap (any number of threads), false for a cursor of plain stores (one owner).
    static var isShared: Bool { get }
}

/// Any number of threads may allocate at once (`BumpArena`).
public enum Shared: ArenaSharing {
    @inlinable public static var isShared: Bool { true }
}

/// One owner at a time (`LocalArena`).
public enum Unshared: ArenaSharing {
    @inlinable public static var isShared: Bool { false }
}

/// The arena that threads share: allocation is lock-free, one compare-and-swap.
///
/// ```swift
/// let arena = BumpArena(policy: .growing(initialChunk: 16 << 10, limit: 1 << 24))
/// let p = try arena.allocate(byteCount: 64, alignment: 16)
/// ```
public typealias BumpArena = Arena<Shared>

/// The single-owner arena: the same allocator as `BumpArena` (same policies, stats, checkpoints and tracing),
/// allocating by bumping a cursor in plain memory (align, compare with the chunk's end, store) instead of a
/// compare-and-swap on the shared state word. Not `Sendable`.
///
/// ```swift
/// let scratch = LocalArena(policy: .growing(initialChunk: 4096, limit: 1 << 20))
/// let numbers = try scratch.copy([1, 2, 3])          // UnsafeMutableBufferPointer<Int> in the arena
/// let name = try scratch.copy("frame-7")             // ArenaString: its UTF-8 bytes, read in place
/// scratch.reset()
/// ```
public typealias LocalArena = Arena<Unshared>
