/// The numbers an arena reports, read together under the arena's lock.
///
/// Exact whenever no allocation is in flight; while other threads allocate, each number is one they were
/// at during the read. Byte counts include alignment padding only where the name says so:
/// `used == allocatedBytes + paddingBytes` minus what rewinds released since the last reset.
public struct ArenaStats: Hashable, Sendable {
    /// Bytes the arena holds now, over all its chunks.
    public var capacity: Int
    /// The most bytes the arena may hold: the fixed capacity, or a growing arena's limit.
    public var limit: Int
    /// Bytes handed out (allocations and their padding) since the last reset, less what rewinds released.
    public var used: Int
    /// The highest `used` ever seen, over every generation.
    public var highWaterMark: Int
    /// The highest `used` seen since the last reset.
    public var highWaterMarkSinceReset: Int
    /// Successful allocations since the last reset (rewinds do not subtract).
    public var allocations: UInt64
    /// Bytes asked for by those allocations.
    public var allocatedBytes: Int
    /// Bytes skipped for alignment by those allocations.
    public var paddingBytes: Int
    /// Successful allocations over the arena's life.
    public var lifetimeAllocations: UInt64
    /// Bytes asked for over the arena's life.
    public var lifetimeAllocatedBytes: Int
    /// Alignment padding over the arena's life.
    public var lifetimePaddingBytes: Int
    /// Allocations that threw `.arenaFull`, over the arena's life.
    public var failedAllocations: UInt64
    /// Calls to `reset()`.
    public var resets: UInt64
    /// Successful calls to `rewind(to:)` (including the ones `withCheckpoint` makes).
    public var rewinds: UInt64
    /// Chunks the arena holds now.
    public var chunks: Int
    /// Resets so far: allocations and checkpoints carry it, so stale ones are recognised.
    public var generation: UInt64

    public init(
        capacity: Int = 0, limit: Int = 0, used: Int = 0, highWaterMark: Int = 0, highWaterMarkSinceReset: Int = 0,
        allocations: UInt64 = 0, allocatedBytes: Int = 0, paddingBytes: Int = 0, lifetimeAllocations: UInt64 = 0,
        lifetimeAllocatedBytes: Int = 0, lifetimePaddingBytes: Int = 0, failedAllocations: UInt64 = 0,
        resets: UInt64 = 0, rewinds: UInt64 = 0, chunks: Int = 0, generation: UInt64 = 0
    ) {
        self.capacity = capacity
        self.limit = limit
        self.used = used
        self.highWaterMark = highWaterMark
        self.highWaterMarkSinceReset = highWaterMarkSinceReset
        self.allocations = allocations
        self.allocatedBytes = allocatedBytes
        self.paddingBytes = paddingBytes
        self.lifetimeAllocations = lifetimeAllocations
        self.lifetimeAllocatedBytes = lifetimeAllocatedBytes
        self.lifetimePaddingBytes = lifetimePaddingBytes
        self.failedAllocations = failedAllocations
        self.resets = resets
        self.rewinds = rewinds
        self.chunks = chunks
        self.generation = generation
    }
}
