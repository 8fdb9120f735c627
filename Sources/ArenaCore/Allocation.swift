/// Where one allocation landed: its memory and its position in the arena.
///
/// ```swift
/// let a = try arena.allocation(byteCount: 16, alignment: 8)
/// print(a.offset, a.lastOffset, a.padding)   // 0 15 0
/// ```
@frozen
public struct Allocation {
    /// The first byte; aligned to the requested alignment. Valid until the arena is reset or rewound past it.
    public let pointer: UnsafeMutableRawPointer
    /// The logical offset of the first byte in the arena: the arena's used bytes before the allocation plus
    /// the alignment padding. Offsets count the used bytes of earlier chunks.
    public let offset: Int
    /// The bytes asked for.
    public let byteCount: Int
    /// Bytes skipped before `offset` to honour the alignment.
    public let padding: Int
    /// The arena's generation (number of resets) the allocation belongs to.
    public let generation: UInt64

    /// The logical offset of the last byte (inclusive); `offset - 1` for a zero-byte allocation.
    @inlinable public var lastOffset: Int { offset + byteCount - 1 }

    @inlinable
    init(pointer: UnsafeMutableRawPointer, offset: Int, byteCount: Int, padding: Int, generation: UInt64) {
        self.pointer = pointer
        self.offset = offset
        self.byteCount = byteCount
        self.padding = padding
        self.generation = generation
    }
}
