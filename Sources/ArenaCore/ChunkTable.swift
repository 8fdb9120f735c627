import CArenaSanitizer
import Synchronization

/// The memory of an arena: up to `BumpState.slotCount` chunks, each a block from the system allocator, and
/// the table of their addresses that the lock-free fast path reads.
///
/// All raw memory of an arena is owned here: chunks are allocated by `install` and freed by `release` or
/// `deinit`, and nothing else in ArenaCore allocates or frees arena memory.
///
/// Concurrency: the table entries are atomics because a fast-path thread may read an entry while the slow path
/// (holding the arena's lock) rewrites it. Such a reader then holds a stale `BumpState`, its compare-and-swap
/// fails, and it never hands out the stale address. Entries are written before the state word that names
/// their slot is published (release), and read after that word is loaded (acquire).
@usableFromInline
final class ChunkTable: @unchecked Sendable {
    /// One chunk's location. `base == 0` marks a free slot.
    @usableFromInline
    struct Entry: ~Copyable {
        /// Address of the chunk's first byte; aligned to at least `ChunkTable.chunkAlignment`.
        @usableFromInline let base = Atomic<UInt>(0)
        /// Bytes in the chunk; the bump finger of a state naming this slot is always `<= capacity`.
        @usableFromInline let capacity = Atomic<Int>(0)
        /// The arena-wide (logical) offset of the chunk's first byte: the arena's used bytes when the chunk
        /// became current. Logical offsets are what events and allocation records report.
        @usableFromInline let logicalStart = Atomic<Int>(0)
    }

    /// Chunks are page aligned, so that an alignment up to 4096 costs the same padding in every chunk and a
    /// model of the arena can predict it from offsets alone. `BumpState.fit` relies on it: up to this
    /// alignment, aligning the offset aligns the address.
    @usableFromInline static let chunkAlignment = 4096

    /// Safe: allocated with `BumpState.slotCount` initialized entries in `init`, deinitialized in `deinit`.
    @usableFromInline let entries: UnsafeMutablePointer<Entry>

    init() {
        entries = .allocate(capacity: BumpState.slotCount)
        for slot in 0..<BumpState.slotCount {
            (entries + slot).initialize(to: Entry())
        }
    }

    deinit {
        for slot in 0..<BumpState.slotCount where isInstalled(slot) {
            release(slot)
        }
        entries.deinitialize(count: BumpState.slotCount)
        entries.deallocate()
    }

    @inlinable func base(_ slot: Int) -> UInt { entries[slot].base.load(ordering: .relaxed) }
    @inlinable func capacity(_ slot: Int) -> Int { entries[slot].capacity.load(ordering: .relaxed) }
    @inlinable func logicalStart(_ slot: Int) -> Int { entries[slot].logicalStart.load(ordering: .relaxed) }

    func isInstalled(_ slot: Int) -> Bool { base(slot) != 0 }

    /// The first free slot, or nil when all are in use. Caller holds the arena's lock.
    func freeSlot() -> Int? {
        (0..<BumpState.slotCount).first { !isInstalled($0) }
    }

    /// Allocates a chunk of `capacity` bytes aligned to `max(alignment, chunkAlignment)` into the free `slot`.
    /// Caller holds the arena's lock and publishes the slot afterwards.
    func install(slot: Int, capacity: Int, alignment: Int, logicalStart: Int) {
        precondition(!isInstalled(slot), "chunk slot \(slot) is in use")
        let memory = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(capacity, 1), alignment: Swift.max(alignment, Self.chunkAlignment))
        entries[slot].capacity.store(capacity, ordering: .relaxed)
        entries[slot].logicalStart.store(logicalStart, ordering: .relaxed)
        entries[slot].base.store(UInt(bitPattern: memory), ordering: .releasing)
    }

    /// Moves an installed chunk's logical start (reset moves the kept chunk to 0). Caller holds the lock.
    func setLogicalStart(_ slot: Int, _ value: Int) {
        entries[slot].logicalStart.store(value, ordering: .relaxed)
    }

    /// Frees the chunk in `slot`. Caller holds the lock and has already published a state that no longer
    /// names the slot, so no new allocation can land in it.
    func release(_ slot: Int) {
        let address = entries[slot].base.exchange(0, ordering: .acquiringAndReleasing)
        let bytes = capacity(slot)
        entries[slot].capacity.store(0, ordering: .relaxed)
        // Safe: a non-zero base came from `install`'s `allocate` and is freed once, since it is swapped to 0. It may
        // have been poisoned (ASan builds): unpoisoned first, as the allocator that gets it back expects.
        if let memory = UnsafeMutableRawPointer(bitPattern: address) {
            arena_sanitizer_unpoison(memory, bytes)
            memory.deallocate()
        }
    }
}
