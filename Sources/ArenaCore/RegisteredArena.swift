import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An arena held by an `ArenaRegistry`, with what the registry knows about it.
public final class RegisteredArena: Sendable {
    /// The registry key (see `ArenaName`).
    public let name: String
    /// A label that groups arenas for monitoring (bounded cardinality); defaults to the name.
    public let arenaClass: String
    /// The arena itself; allocate from it directly.
    public let arena: BumpArena
    /// When it was created, in nanoseconds since 1970.
    public let createdAt: UInt64
    /// Pinned arenas (declared at start-up) can be reset but not removed.
    public let isPinned: Bool
    /// Idle time after which `ArenaRegistry.removeIdle(now:)` removes it, in seconds; nil for never.
    public let idleTimeoutSeconds: Int?
    /// Last `touch()`, in nanoseconds since 1970.
    private let lastUsed: Atomic<UInt64>
    /// Serialises code that reads or writes the arena's memory with resets and rewinds (see
    /// `withExclusiveContent`). Allocation itself never takes it.
    private let contentLock = ArenaLock(())
    /// Bodies of `whileRegistered` in progress (the low bits), plus `removedFlag` once the registry removed the
    /// arena. Once the flag is set the count only falls, apart from bodies that see the flag and leave at once.
    @usableFromInline let registration = Atomic<Int>(0)
    /// The bit of `registration` that says the arena left its registry.
    @usableFromInline static let removedFlag = 1 << 62

    /// What the arena reserves from its registry's total budget: its policy's `reservedBytes` plus its trace
    /// ring's bytes.
    public let reservedBytes: Int

    /// Where the arena is in its registry's walk list; written only under the registry's lock (atomic only so
    /// that the class stays `Sendable`).
    let tablePosition = Atomic<Int>(-1)

    init(
        name: String, arenaClass: String, arena: BumpArena, isPinned: Bool, idleTimeoutSeconds: Int?,
        reservedBytes: Int
    ) {
        self.reservedBytes = reservedBytes
        self.name = name
        self.arenaClass = arenaClass
        self.arena = arena
        self.isPinned = isPinned
        self.idleTimeoutSeconds = idleTimeoutSeconds
        let now = WallClock.now()
        self.createdAt = now
        self.lastUsed = Atomic(now)
    }

    /// Runs `body` while no other `withExclusiveContent` runs for this arena. `ArenaRegistry.reset` holds it, so
    /// code that copies bytes into or out of the arena under it never races with a reset freeing them.
    public func withExclusiveContent<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try contentLock.withLock { _ throws(Failure) in try body() }
    }

    /// Runs `body` if the arena is still in its registry, and returns its result; nil, without running it, once
    /// the registry removed the arena. A removal (`ArenaRegistry.remove(named:)`, `removeIdle(now:)`) waits for
    /// the bodies in progress before it returns, so what they allocate is in the stats the removal ends with.
    ///
    /// A server that counts a removed arena's allocations in a total (arena_allocations_total of its class) wraps
    /// each change it acknowledges to a client in it: without it, an allocation that looked the arena up just
    /// before a removal lands after the removal's final stats, acknowledged and never counted.
    ///
    /// ```swift
    /// let made = entry.whileRegistered { try? entry.arena.allocate(byteCount: 16, alignment: 8) }
    /// // nil: the arena was removed meanwhile, nothing was allocated
    /// ```
    ///
    /// `body` must be short and must not remove an arena or wait for one to be removed.
    @inlinable  // generic, on every allocation request's path: specialized in the caller
    public func whileRegistered<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        let before = registration.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
        defer { registration.wrappingSubtract(1, ordering: .releasing) }
        if before & Self.removedFlag != 0 { return nil }
        return try body()
    }

    /// Loads what a registry walk's body reads of this entry besides the stats (its own fields, its arena's, the
    /// trace ring's head), so that a walk can overlap these loads across arenas before it reads them.
    func touchForWalk() -> UInt64 {
        UInt64(truncatingIfNeeded: registration.load(ordering: .relaxed)) &+ (arena.trace?.lastSequence ?? 0)
    }

    /// Marks the arena removed and waits for the `whileRegistered` bodies in progress. Called by the registry
    /// once the arena is out of its table (so no new lookup finds it), before its final summary.
    func markRemoved() {
        registration.bitwiseOr(Self.removedFlag, ordering: .acquiringAndReleasing)
        // The bodies are short (one request's allocations); later ones see the flag and leave at once.
        while registration.load(ordering: .acquiring) != Self.removedFlag { sched_yield() }
    }

    /// Resets the arena under the exclusive-content lock and marks it as used; returns what was released.
    @discardableResult
    public func reset() -> ArenaRegistry.ResetResult {
        let released = withExclusiveContent { arena.reset() }
        touch()
        return ArenaRegistry.ResetResult(name: name, releasedBytes: released, generation: arena.generation)
    }

    /// Releases everything allocated after `checkpoint`, under the exclusive-content lock (a rewind frees chunks
    /// that a copy may be using), and marks the arena as used; returns the bytes released.
    /// - Throws: `.staleCheckpoint`, `.foreignCheckpoint` (see `Arena.rewind(to:)`).
    @discardableResult
    public func rewind(to checkpoint: Checkpoint) throws(ArenaError) -> Int {
        let released = try withExclusiveContent { () throws(ArenaError) in try arena.rewind(to: checkpoint) }
        touch()
        return released
    }

    /// Copies `bytes` into the arena, aligned to `alignment`, and returns a handle to read them back with
    /// `bytes(of:)` (bumpalo's `alloc_slice_copy`, with the copy kept apart from resets).
    ///
    /// ```swift
    /// let handle = try entry.storeCopy(of: Array("frame 7".utf8))
    /// entry.bytes(of: handle)        // the same bytes
    /// entry.reset()
    /// entry.bytes(of: handle)        // nil: released
    /// ```
    /// - Throws: `.arenaFull` when the bytes do not fit.
    public func storeCopy(
        of bytes: [UInt8], alignment: Int = 1, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> BlobHandle {
        try withExclusiveContent { () throws(ArenaError) in
            let allocation = try arena.allocation(
                byteCount: bytes.count, alignment: alignment, site: AllocationSite(file: file, line: line))
            bytes.withUnsafeBytes { source in
                guard let base = source.baseAddress else { return }
                // Safe: the allocation holds exactly `source.count` bytes, and `bytes` is not arena memory (a
                // Swift array owns its storage).
                allocation.pointer.copyMemory(from: base, byteCount: source.count)
            }
            return BlobHandle(
                address: UInt(bitPattern: allocation.pointer), offset: allocation.offset,
                byteCount: allocation.byteCount, generation: allocation.generation,
                after: arena.checkpoint())
        }
    }

    /// The bytes `handle` was stored with, or nil once a reset or a rewind released them (or when `handle`
    /// belongs to another arena).
    public func bytes(of handle: BlobHandle) -> [UInt8]? {
        withExclusiveContent {
            guard arena.isValid(handle.after), let start = UnsafeRawPointer(bitPattern: handle.address) else {
                return nil
            }
            // Safe: the checkpoint taken right after the copy is still valid, so no reset or rewind released the
            // bytes, and the exclusive-content lock keeps one from doing so while they are copied out.
            return Array(UnsafeRawBufferPointer(start: start, count: handle.byteCount))
        }
    }

    /// Marks the arena as used now (resets its idle timer).
    public func touch() { lastUsed.store(TraceClock.shared.now(), ordering: .relaxed) }

    /// When it was last touched, in nanoseconds since 1970.
    public var lastUsedAt: UInt64 { lastUsed.load(ordering: .relaxed) }

    /// Whether it has been idle longer than its timeout at `now` (nanoseconds since 1970).
    public func isIdle(at now: UInt64) -> Bool {
        guard let idleTimeoutSeconds else { return false }
        // A timeout too long to count in nanoseconds (over 584 years; any Int reaches here from `ttl_seconds`)
        // never expires: an unchecked multiply would trap in the daemon's idle sweeper.
        let (timeout, overflow) = UInt64(clamping: idleTimeoutSeconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return false }
        let last = lastUsedAt
        return now > last && now - last >= timeout
    }

    /// Its name, class, policy and stats, read together.
    public func snapshot() -> ArenaSnapshot {
        ArenaSnapshot(
            name: name, arenaClass: arenaClass, id: arena.id, policy: arena.policy, isTracing: arena.isTracing,
            createdAt: createdAt, isPinned: isPinned, idleTimeoutSeconds: idleTimeoutSeconds,
            stats: arena.stats, traceCapacity: arena.trace?.capacity ?? 0,
            traceOverwritten: arena.trace?.overwritten ?? 0, traceLastSequence: arena.trace?.lastSequence ?? 0,
            lastGeneration: arena.storage.lastGeneration())
    }
}

/// Bytes copied into a registered arena by `RegisteredArena.storeCopy(of:alignment:)`.
///
/// A handle holds no pointer a caller could follow: the bytes are read back through `RegisteredArena.bytes(of:)`,
/// which checks that no reset or rewind released them.
public struct BlobHandle: Hashable, Sendable {
    /// Where the copy starts in the arena, as a logical offset (like `Allocation.offset`).
    public let offset: Int
    /// The number of bytes copied.
    public let byteCount: Int
    /// The arena's generation when the bytes were copied.
    public let generation: UInt64
    /// The copy's first byte; only dereferenced by `bytes(of:)` while `after` is valid.
    let address: UInt
    /// A checkpoint taken right after the copy: valid exactly while no reset or rewind released the bytes.
    let after: Checkpoint

    init(address: UInt, offset: Int, byteCount: Int, generation: UInt64, after: Checkpoint) {
        self.address = address
        self.offset = offset
        self.byteCount = byteCount
        self.generation = generation
        self.after = after
    }

    /// The logical offset of the last byte (inclusive).
    public var lastOffset: Int { offset + byteCount - 1 }
}

/// One arena's description and stats at one moment.
public struct ArenaSnapshot: Hashable, Sendable {
    public let name: String
    public let arenaClass: String
    public let id: UInt32
    public let policy: ArenaPolicy
    public let isTracing: Bool
    public let createdAt: UInt64
    public let isPinned: Bool
    public let idleTimeoutSeconds: Int?
    public let stats: ArenaStats
    /// Events its ring keeps (0 without a ring).
    public let traceCapacity: Int
    /// Events its ring overwrote.
    public let traceOverwritten: UInt64
    /// Newest event sequence number in its ring.
    public let traceLastSequence: UInt64
    /// The generation that ended last (nil before the first reset).
    public let lastGeneration: GenerationSummary?
}
