/// A region of memory handed out by bumping an offset, that any number of threads may share.
///
/// Allocation is lock-free: one compare-and-swap on a word that holds the chunk, the offset and the
/// allocation count. Only a new chunk, a failure, `reset`, checkpoints and `stats` take the arena's lock.
/// Nothing is freed individually: `reset()` releases everything at once, `rewind(to:)` everything after a
/// checkpoint.
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
/// Memory handed out stays valid until the arena is reset, rewound past it, or deinitialized. `reset` and
/// `rewind` may run while other threads allocate (the arena stays consistent), but memory those threads are
/// still writing to is released with everything else: serialise writes with resets when that matters.
/// For code that never shares an arena, `LocalArena` is the same allocator without atomics.
public final class BumpArena: BumpAllocator, Sendable {
    /// The largest alignment `allocate` accepts (1 MiB).
    public static let maxAlignment = 1 << 20

    /// The engine (see `BumpAllocator._storage`).
    public let _storage: ArenaStorage

    /// - Parameters:
    ///   - policy: fixed or growing; a policy with impossible values (see `ArenaPolicy.problem`) is a
    ///     precondition failure.
    ///   - trace: where to record events, or nil for no tracing. Several arenas may share a ring; it must not
    ///     be a `singleWriter` ring.
    public init(policy: ArenaPolicy, trace: TraceRing? = nil) {
        precondition(trace?.singleWriter != true, "a shared BumpArena needs a TraceRing with concurrent writers")
        _storage = ArenaStorage(policy: policy, trace: trace)
    }

    /// Allocates `byteCount` bytes whose address is a multiple of `alignment`.
    ///
    /// A zero-byte allocation returns an aligned pointer that must not be dereferenced; it consumes the
    /// alignment padding like any other allocation, and fails like one when the padding does not fit.
    /// - Precondition: `byteCount >= 0`; `alignment` is a power of two, at most `maxAlignment`.
    /// - Throws: `ArenaError` with code `.arenaFull` (with requested, used and capacity) when it does not fit.
    @inlinable @inline(__always)
    public func allocate(byteCount: Int, alignment: Int) throws(ArenaError) -> UnsafeMutableRawPointer {
        try _storage.allocate(byteCount: byteCount, alignment: alignment, shared: true)
    }

    /// Like `allocate(byteCount:alignment:)`, and also says where the bytes landed.
    @inlinable @inline(__always)
    public func allocation(byteCount: Int, alignment: Int) throws(ArenaError) -> Allocation {
        try _storage.allocation(byteCount: byteCount, alignment: alignment, shared: true)
    }
}
