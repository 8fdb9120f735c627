import ArenaCore

/// A plain-value model of a bump arena, written from the documented rules only: the chunk-size rule, logical
/// offsets (a chunk starts at the arena's `used` when it became current), padding from in-chunk offsets
/// (chunks are 4096-aligned, so this holds for alignments up to 4096), reset keeping the largest chunk,
/// checkpoint staleness by generation and by later rewinds to earlier positions, the stats and the event text.
struct ArenaModel {
    struct Chunk {
        var capacity: Int
        var logicalStart: Int
    }

    /// Where an allocation landed.
    struct Placement: Equatable {
        var offset: Int
        var padding: Int
    }

    /// A checkpoint as the model knows it.
    struct Mark {
        var generation: UInt64
        var chunkIndex: Int
        var offsetInChunk: Int
        var offset: Int
        var valid = true

        func isAfter(_ other: Mark) -> Bool {
            (chunkIndex, offsetInChunk) > (other.chunkIndex, other.offsetInChunk)
        }
    }

    let policy: ArenaPolicy
    let arenaID: UInt32
    private(set) var chunks: [Chunk]
    private(set) var offsetInChunk = 0
    private(set) var marks: [Mark] = []
    /// Counters of `ArenaStats` that the model keeps directly; the derived ones are filled in by `stats`.
    private var counters = ArenaStats()
    var tracing: Bool
    /// Event lines not yet compared with the ring.
    var pendingEvents: [String] = []

    init(policy: ArenaPolicy, arenaID: UInt32, tracing: Bool) {
        self.policy = policy
        self.arenaID = arenaID
        self.tracing = tracing
        chunks = [Chunk(capacity: policy.initialCapacity, logicalStart: 0)]
    }

    var generation: UInt64 { counters.generation }
    var used: Int { chunks[chunks.count - 1].logicalStart + offsetInChunk }

    var stats: ArenaStats {
        var stats = counters
        stats.capacity = chunks.reduce(0) { $0 + $1.capacity }
        stats.limit = policy.reservedBytes
        stats.used = used
        stats.chunks = chunks.count
        return stats
    }

    private mutating func trace(_ line: String) {
        if tracing { pendingEvents.append(line) }
    }

    mutating func allocate(byteCount: Int, alignment: Int) -> Result<Placement, ArenaError> {
        precondition(alignment <= 4096, "the model predicts padding for alignments up to the chunk alignment")
        let current = chunks[chunks.count - 1]
        let start = (offsetInChunk + alignment - 1) / alignment * alignment
        let placement: Placement
        let held = chunks.reduce(0) { $0 + $1.capacity }
        if start + byteCount <= current.capacity {
            placement = Placement(offset: current.logicalStart + start, padding: start - offsetInChunk)
            offsetInChunk = start + byteCount
        } else if case .growing(_, let limit) = policy,
            case let size = min(max(2 * current.capacity, byteCount), limit - held),
            size >= byteCount, size >= 1
        {
            let start = used
            placement = Placement(offset: start, padding: 0)
            chunks.append(Chunk(capacity: size, logicalStart: start))
            offsetInChunk = byteCount
        } else {
            counters.failedAllocations += 1
            trace("Failed to allocate \(byteCount) bytes (used \(used) of \(policy.reservedBytes))")
            return .failure(
                ArenaError(
                    code: .arenaFull,
                    message: "cannot allocate \(byteCount) bytes aligned to \(alignment): used \(used) of "
                        + "\(policy.reservedBytes) bytes",
                    requested: byteCount, used: used, capacity: policy.reservedBytes))
        }
        counters.allocations += 1
        counters.lifetimeAllocations += 1
        counters.allocatedBytes += byteCount
        counters.lifetimeAllocatedBytes += byteCount
        counters.paddingBytes += placement.padding
        counters.lifetimePaddingBytes += placement.padding
        counters.highWaterMarkSinceReset = max(counters.highWaterMarkSinceReset, used)
        counters.highWaterMark = max(counters.highWaterMark, used)
        trace(
            byteCount == 0
                ? "Allocated 0 at \(placement.offset)"
                : "Allocated \(byteCount) from \(placement.offset) to \(placement.offset + byteCount - 1)")
        return .success(placement)
    }

    mutating func reset() -> Int {
        let released = used
        let largest = chunks.map(\.capacity).max()!
        chunks = [Chunk(capacity: largest, logicalStart: 0)]
        offsetInChunk = 0
        for index in marks.indices { marks[index].valid = false }
        counters.resets += 1
        counters.generation += 1
        counters.allocations = 0
        counters.allocatedBytes = 0
        counters.paddingBytes = 0
        counters.highWaterMarkSinceReset = 0
        trace("Reset: released \(released) bytes")
        return released
    }

    /// Takes a checkpoint; returns its index in `marks`.
    mutating func checkpoint() -> Int {
        marks.append(
            Mark(
                generation: generation, chunkIndex: chunks.count - 1, offsetInChunk: offsetInChunk,
                offset: used))
        return marks.count - 1
    }

    mutating func rewind(toMark index: Int) -> Result<Int, ArenaError> {
        let mark = marks[index]
        guard mark.generation == generation else {
            return .failure(
                ArenaError(
                    code: .staleCheckpoint,
                    message: "the checkpoint is from generation \(mark.generation); the arena was reset since and is "
                        + "at generation \(generation)"))
        }
        guard mark.valid else {
            return .failure(
                ArenaError(
                    code: .staleCheckpoint,
                    message: "the checkpoint at offset \(mark.offset) was released by a later rewind"))
        }
        let released = used - mark.offset
        chunks.removeSubrange((mark.chunkIndex + 1)...)
        offsetInChunk = mark.offsetInChunk
        for other in marks.indices where marks[other].isAfter(mark) { marks[other].valid = false }
        counters.rewinds += 1
        trace("Rewound to \(mark.offset): released \(released) bytes")
        return .success(released)
    }

    func foreignCheckpointError(_ checkpoint: Checkpoint) -> ArenaError {
        ArenaError(
            code: .foreignCheckpoint,
            message: "the checkpoint belongs to arena \(checkpoint.arenaID), not arena \(arenaID)")
    }
}
