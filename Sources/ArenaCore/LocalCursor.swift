import Synchronization

/// A single-owner arena's bump cursor (`LocalArena`): the current chunk's next free address and end, with the
/// allocations and their bytes since it was loaded from the state word.
///
/// A shared arena publishes every allocation in its state word (`BumpState`), which packs the chunk slot, the
/// offset and a count, so that other threads see one consistent word. One owner needs none of that between two
/// reads of the arena: its fast path aligns `next`, compares with `end`, and stores (bumpalo's shape), and the
/// cursor is folded back into the state word (`ArenaStorage.flushLocal`) before anything else reads or changes
/// the state: the slow path (`allocateLocalSlow`), and reset, rewind, checkpoint, stats, the current generation's
/// summary and the invariant check (through `Arena.settled`).
///
/// The fields are atomics used only with relaxed loads and stores, which compile to plain moves: no exclusivity
/// check (a class's stored `var` would take one on each access) and no lock prefix. They live inline in the
/// engine, at fixed offsets from its address: with the address in a register across a loop of allocations, the
/// processor can forward each store of `next` to the next load of it (memory renaming) as it does for the state
/// word; through a pointer loaded anew for each allocation it could not, and the fast path was slower in time
/// (2.9 ns against 2.0) with half the instructions.
///
/// Invariant: *armed* exactly when `end != 0`. Armed, `base` is the base of the chunk the state word names,
/// `base <= next <= end == base + capacity`, and the arena's true offset is `next - base` (the word's offset is
/// where the cursor was armed), its lifetime count `countCarry + word.count + count`, its padding its epoch's
/// counter plus what the cursor moved past beyond `bytes` (`next - base - word.offset - bytes`). Disarmed,
/// `next == 1` and `end == 0`, so no request fits (an aligned start is at least 1), and the counts are 0.
@usableFromInline
struct LocalCursor: ~Copyable {
    @usableFromInline let next = Atomic<UInt>(1)
    @usableFromInline let end = Atomic<UInt>(0)
    /// The current chunk's base address and its logical start (the arena offset of its first byte).
    @usableFromInline let base = Atomic<UInt>(0)
    @usableFromInline let logicalStart = Atomic<Int>(0)
    /// Allocations, and the bytes they asked for, since the cursor was armed: not yet in the ledger and the
    /// padding counter.
    @usableFromInline let count = Atomic<UInt64>(0)
    @usableFromInline let bytes = Atomic<Int>(0)

    init() {}

    /// The arena offset of `address`, an address in the current chunk (armed).
    @inlinable @inline(__always)
    func logicalOffset(of address: UInt) -> Int {
        logicalStart.load(ordering: .relaxed) &+ Int(truncatingIfNeeded: address &- base.load(ordering: .relaxed))
    }

    /// Whether the fast path may bump it.
    var isArmed: Bool { end.load(ordering: .relaxed) != 0 }

    /// Points the cursor at `next` in the chunk at `base` with `capacity` bytes, starting at arena offset
    /// `logicalStart`, with no allocation counted yet.
    func arm(next: UInt, base: UInt, capacity: Int, logicalStart: Int) {
        self.next.store(next, ordering: .relaxed)
        end.store(base &+ UInt(truncatingIfNeeded: capacity), ordering: .relaxed)
        self.base.store(base, ordering: .relaxed)
        self.logicalStart.store(logicalStart, ordering: .relaxed)
        count.store(0, ordering: .relaxed)
        bytes.store(0, ordering: .relaxed)
    }

    /// Disarms the cursor and returns what it held: its offset in the chunk, its count and bytes.
    func disarm() -> (offset: Int, count: UInt64, bytes: Int) {
        let taken = (
            Int(truncatingIfNeeded: next.load(ordering: .relaxed) &- base.load(ordering: .relaxed)),
            count.load(ordering: .relaxed), bytes.load(ordering: .relaxed)
        )
        next.store(1, ordering: .relaxed)
        end.store(0, ordering: .relaxed)
        count.store(0, ordering: .relaxed)
        bytes.store(0, ordering: .relaxed)
        return taken
    }
}
