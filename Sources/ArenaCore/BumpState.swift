/// The one word that a bump arena's fast path reads and swaps: which chunk is current, how far into it the
/// bump finger is, how many allocations have been made (modulo `countLimit`), and the parity of the arena's
/// generation (`epoch`).
///
/// Packing the allocation count next to the offset lets a shared arena keep an exact count with the single
/// compare-and-swap that claims the bytes, instead of a second atomic read-modify-write per allocation.
///
/// The epoch tells a thread whose compare-and-swap succeeded which generation its allocation belongs to, so
/// that it adds its alignment padding to that generation's counter even when a reset publishes a new
/// generation before the thread gets to the add.
///
/// ```
///  63           47 46 45    40 39                                0
/// +---------------+--+--------+-----------------------------------+
/// |  count (17)   |e |slot (6)|  offset in the chunk (40)         |
/// +---------------+--+--------+-----------------------------------+
/// ```
/// Invariant: `0 <= offset <= capacity(slot)`; `count < countLimit`. When `count` would reach `countLimit`,
/// the fast path declines and the slow path folds the field into a wide counter under the arena's lock.
@usableFromInline
@frozen
struct BumpState: Hashable, Sendable {
    @usableFromInline var rawValue: UInt64

    @inlinable init(rawValue: UInt64) { self.rawValue = rawValue }

    @inlinable init(count: UInt64, epoch: Int, slot: Int, offset: Int) {
        assert(
            count < Self.countLimit && (epoch == 0 || epoch == 1) && slot >= 0 && slot < Self.slotCount
                && offset >= 0 && offset <= Self.maxOffset)
        rawValue =
            count << 47 | UInt64(truncatingIfNeeded: epoch) << 46 | UInt64(truncatingIfNeeded: slot) << 40
            | UInt64(truncatingIfNeeded: offset)
    }

    @usableFromInline static let offsetMask: UInt64 = (1 << 40) - 1
    /// The largest offset a chunk may have: chunks are at most 1 TiB.
    @usableFromInline static let maxOffset = Int(offsetMask)
    /// Number of chunk slots; a growing arena can hold at most this many chunks at once.
    @usableFromInline static let slotCount = 64
    /// The count field wraps into the slow path at this value (every 131,072 allocations).
    @usableFromInline static let countLimit: UInt64 = 1 << 17
    /// One allocation in the count field.
    @usableFromInline static let countUnit: UInt64 = 1 << 47

    @inlinable var offset: Int { Int(truncatingIfNeeded: rawValue & Self.offsetMask) }
    @inlinable var slot: Int { Int(truncatingIfNeeded: (rawValue >> 40) & 63) }
    @inlinable var count: UInt64 { rawValue >> 47 }
    /// The parity of the generation this state belongs to: 0 or 1.
    @inlinable var epoch: Int { Int(truncatingIfNeeded: (rawValue >> 46) & 1) }

    /// The same position with the count field replaced (used by the count fold).
    @inlinable func with(count: UInt64) -> BumpState {
        BumpState(count: count, epoch: epoch, slot: slot, offset: offset)
    }
}

/// Where a request lands in a chunk, computed by `BumpState.fit`. The single implementation of the bump
/// arithmetic: the shared arena publishes `next` with a compare-and-swap, the single-owner arena with a store.
@usableFromInline
@frozen
struct BumpFit {
    /// The first byte of the allocation (aligned).
    @usableFromInline let pointer: UnsafeMutableRawPointer
    /// The allocation's first byte as an offset into its chunk.
    @usableFromInline let offsetInChunk: Int
    /// Bytes skipped to reach the alignment.
    @usableFromInline let padding: Int
    /// The state to publish: the finger moved past the allocation and the count incremented.
    @usableFromInline let next: BumpState

    @inlinable init(pointer: UnsafeMutableRawPointer, offsetInChunk: Int, padding: Int, next: BumpState) {
        self.pointer = pointer
        self.offsetInChunk = offsetInChunk
        self.padding = padding
        self.next = next
    }
}

extension BumpState {
    /// Places `byteCount` bytes aligned to `alignment` (a power of two) after the finger of this state in
    /// the chunk at `base` with `capacity` bytes, or returns nil when they do not fit (or the count must fold).
    ///
    /// The alignment applies to the address, not just the offset, so a chunk base that is less aligned than
    /// the request still yields an aligned pointer.
    ///
    /// Up to `ChunkTable.chunkAlignment` the arithmetic runs on the offset alone: every chunk base is a multiple
    /// of it, so an aligned offset is an aligned address. That keeps the chunk's base (a load that depends on the
    /// slot in this state) off the chain from one state word to the next; the base is only added to build the
    /// returned pointer.
    @inlinable @inline(__always)
    func fit(byteCount: Int, alignment: Int, base: UInt, capacity: Int) -> BumpFit? {
        // One compare: the count field is below `countLimit - 1`, so incrementing it cannot reach the limit.
        guard rawValue < (Self.countLimit &- 1) &<< 47 else { return nil }
        let offset = self.offset
        let mask = alignment &- 1
        let start: Int
        // `_fastPath`: keeps LLVM from computing both arms and selecting with a cmov, which would put the base
        // load back on the chain when the alignment is not a compile-time constant.
        if _fastPath(alignment <= ChunkTable.chunkAlignment) {
            // Safe: `base` is a multiple of `chunkAlignment` (`ChunkTable.install`), hence of `alignment`; and
            // `offset <= capacity < 2^40`, `mask < 2^21`, so the sum cannot overflow.
            start = (offset &+ mask) & ~mask
        } else {
            // Safe: `offset <= capacity` (invariant) and `base + capacity` is the end of a live allocation, so the
            // sum is a valid address; addresses are below 2^63 in user space and `mask < 2^21` (alignment is
            // bounded by `BumpArena.maxAlignment`), so adding the mask cannot wrap.
            let current = base &+ UInt(truncatingIfNeeded: offset)
            let addressMask = UInt(truncatingIfNeeded: mask)
            start = Int(truncatingIfNeeded: ((current &+ addressMask) & ~addressMask) &- base)
        }
        // `byteCount >= 0` is checked by the callers; comparing `byteCount` against the room left, rather than
        // adding it to `start`, keeps a huge request from overflowing.
        guard start <= capacity, byteCount <= capacity &- start else { return nil }
        // Safe: `start <= capacity`, so the address lies in `base...base+capacity`, inside (or one past) the
        // chunk's memory, and is not null.
        let pointer = UnsafeMutableRawPointer(bitPattern: base &+ UInt(truncatingIfNeeded: start)).unsafelyUnwrapped
        return BumpFit(
            pointer: pointer,
            offsetInChunk: start,
            padding: start &- offset,
            // The same fields with the count incremented and the offset moved forward, as two additions: the count
            // cannot overflow (checked above) and the new offset `start + byteCount <= capacity < 2^40` stays in
            // its field, so no carry crosses into the slot or epoch bits.
            next: BumpState(
                rawValue: rawValue &+ Self.countUnit
                    &+ UInt64(truncatingIfNeeded: start &+ byteCount &- offset)))
    }
}
