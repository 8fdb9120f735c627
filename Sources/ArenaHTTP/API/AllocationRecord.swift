import ArenaCore

/// An allocation as the API reports it: logical offsets, size, padding, generation; no address.
struct AllocationRecord: Sendable, Equatable {
    let start: Int
    /// The last byte, inclusive (`start - 1` for zero bytes).
    let end: Int
    let size: Int
    let padding: Int
    let generation: UInt64

    init(_ allocation: Allocation) {
        start = allocation.offset
        end = allocation.lastOffset
        size = allocation.byteCount
        padding = allocation.padding
        generation = allocation.generation
    }
}
