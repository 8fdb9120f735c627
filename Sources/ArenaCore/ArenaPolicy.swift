/// How an arena gets its memory.
///
/// ```swift
/// let frame = BumpArena(policy: .fixed(capacity: 64 * 1024))               // fails when full
/// let job = BumpArena(policy: .growing(initialChunk: 16 * 1024, limit: 1 << 24)) // doubles up to 16 MiB
/// ```
public enum ArenaPolicy: Hashable, Sendable, CustomStringConvertible {
    /// One chunk of `capacity` bytes, allocated up front; an allocation that does not fit throws `.arenaFull`
    /// (the seed's model).
    case fixed(capacity: Int)
    /// Starts with a chunk of `initialChunk` bytes; when a request does not fit, a new chunk at least twice
    /// the size of the current one is added (bumpalo's model), as long as the total capacity of all chunks
    /// stays within `limit`.
    case growing(initialChunk: Int, limit: Int)

    /// The most bytes an arena with this policy can ever hold: what a registry reserves for it.
    public var reservedBytes: Int {
        switch self {
        case .fixed(let capacity): capacity
        case .growing(_, let limit): limit
        }
    }

    /// The size of the arena's first chunk.
    public var initialCapacity: Int {
        switch self {
        case .fixed(let capacity): capacity
        case .growing(let initialChunk, _): initialChunk
        }
    }

    /// `"fixed"` or `"growing"`.
    public var name: String {
        switch self {
        case .fixed: "fixed"
        case .growing: "growing"
        }
    }

    public var description: String {
        switch self {
        case .fixed(let capacity): "fixed(capacity: \(capacity))"
        case .growing(let initialChunk, let limit): "growing(initialChunk: \(initialChunk), limit: \(limit))"
        }
    }

    /// Why this policy cannot build an arena, or nil when it can.
    public var problem: String? {
        switch self {
        case .fixed(let capacity):
            if capacity < 1 { return "capacity must be at least 1 byte, got \(capacity)" }
            if capacity > BumpState.maxOffset { return "capacity must be at most \(BumpState.maxOffset) bytes" }
        case .growing(let initialChunk, let limit):
            if initialChunk < 1 { return "initial chunk must be at least 1 byte, got \(initialChunk)" }
            if limit > BumpState.maxOffset { return "limit must be at most \(BumpState.maxOffset) bytes" }
            if initialChunk > limit { return "initial chunk (\(initialChunk)) is larger than the limit (\(limit))" }
        }
        return nil
    }
}
