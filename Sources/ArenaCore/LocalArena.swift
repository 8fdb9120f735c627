/// The single-owner bump arena: the same allocator as `BumpArena` (same policies, stats, checkpoints and
/// tracing), for code that never shares the arena between threads.
///
/// It publishes each allocation with a plain store instead of a compare-and-swap, so an allocation costs a
/// few instructions. The type is not `Sendable`: the compiler keeps it on one thread at a time.
///
/// ```swift
/// let scratch = LocalArena(policy: .growing(initialChunk: 4096, limit: 1 << 20))
/// let numbers = try scratch.copy([1, 2, 3])          // UnsafeMutableBufferPointer<Int> in the arena
/// let name = try scratch.copy("frame-7")             // its UTF-8 bytes
/// scratch.reset()
/// ```
public final class LocalArena: BumpAllocator {
    /// The engine (see `BumpAllocator._storage`).
    public let _storage: ArenaStorage

    /// - Parameters:
    ///   - policy: fixed or growing (see `ArenaPolicy`).
    ///   - trace: where to record events, or nil. A `singleWriter` ring is the fast choice when only this
    ///     arena writes to it.
    public init(policy: ArenaPolicy, trace: TraceRing? = nil) {
        _storage = ArenaStorage(policy: policy, trace: trace)
    }

    /// Allocates `byteCount` bytes whose address is a multiple of `alignment`; see `BumpArena.allocate`.
    @inlinable @inline(__always)
    public func allocate(byteCount: Int, alignment: Int) throws(ArenaError) -> UnsafeMutableRawPointer {
        try _storage.allocate(byteCount: byteCount, alignment: alignment, shared: false)
    }

    /// Like `allocate(byteCount:alignment:)`, and also says where the bytes landed.
    @inlinable @inline(__always)
    public func allocation(byteCount: Int, alignment: Int) throws(ArenaError) -> Allocation {
        try _storage.allocation(byteCount: byteCount, alignment: alignment, shared: false)
    }
}
