/// What `BumpArena` and `LocalArena` have in common; the typed helpers, scopes and tracing controls are
/// written once, here.
public protocol BumpAllocator: AnyObject {
    func allocate(byteCount: Int, alignment: Int) throws(ArenaError) -> UnsafeMutableRawPointer
    func allocation(byteCount: Int, alignment: Int) throws(ArenaError) -> Allocation
    @discardableResult func reset() -> Int
    func checkpoint() -> Checkpoint
    @discardableResult func rewind(to checkpoint: Checkpoint) throws(ArenaError) -> Int
    var stats: ArenaStats { get }
    /// The engine behind the arena: an opaque handle, not for use outside ArenaCore.
    var _storage: ArenaStorage { get }
}

extension BumpAllocator {
    /// Releases every allocation at once in O(1) (plus freeing extra chunks), keeps the largest chunk, and
    /// increments `generation`. Returns the bytes released.
    @discardableResult
    public func reset() -> Int { _storage.reset() }

    /// The current position; `rewind(to:)` releases everything allocated after it.
    public func checkpoint() -> Checkpoint { _storage.checkpoint() }

    /// Releases everything allocated after `checkpoint`; returns the bytes released.
    /// - Throws: `.staleCheckpoint` when the arena was reset since, or a later rewind went before it;
    ///   `.foreignCheckpoint` when it belongs to another arena.
    @discardableResult
    public func rewind(to checkpoint: Checkpoint) throws(ArenaError) -> Int { try _storage.rewind(to: checkpoint) }

    /// The arena's numbers, read together.
    public var stats: ArenaStats { _storage.stats() }

    /// Process-unique identifier; events carry it as `arenaID`.
    public var id: UInt32 { _storage.id }

    /// How the arena gets memory.
    public var policy: ArenaPolicy { _storage.policy }

    /// The ring events go to, if any.
    public var trace: TraceRing? { _storage.trace }

    /// Whether events are recorded now. Starts true when the arena has a ring; setting it without a ring
    /// has no effect.
    public var isTracing: Bool {
        get { _storage.trace != nil && _storage.tracing.load(ordering: .relaxed) }
        set { _storage.tracing.store(newValue && _storage.trace != nil, ordering: .relaxed) }
    }

    /// Resets so far; allocations and checkpoints from earlier generations are stale.
    public var generation: UInt64 { _storage.generation.load(ordering: .relaxed) }

    /// Whether `rewind(to: checkpoint)` would succeed: same arena, same generation, and no rewind since went to
    /// an earlier position. Everything allocated before a valid checkpoint is still live.
    public func isValid(_ checkpoint: Checkpoint) -> Bool { _storage.problem(with: checkpoint) == nil }

    /// Memory for `count` values of `T`, uninitialized, aligned for `T`.
    /// - Precondition: `count >= 0`.
    /// - Throws: `.arenaFull`, also when `count * stride` overflows.
    @inlinable
    public func allocate<T>(_ type: T.Type, count: Int) throws(ArenaError) -> UnsafeMutableBufferPointer<T> {
        precondition(count >= 0, "count must not be negative")
        let (byteCount, overflow) = MemoryLayout<T>.stride.multipliedReportingOverflow(by: count)
        guard !overflow else {
            // No arena can hold `Int.max` bytes (chunks are at most `BumpState.maxOffset`), so the request fails
            // through the ordinary path, which counts the failure in `failedAllocations` and traces it.
            _ = try allocate(byteCount: .max, alignment: MemoryLayout<T>.alignment)
            preconditionFailure("an allocation of Int.max bytes succeeded")
        }
        let raw = try allocate(byteCount: byteCount, alignment: MemoryLayout<T>.alignment)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
    }

    /// Copies trivial values into the arena (bumpalo's `alloc_slice_copy`).
    @inlinable
    public func copy<C: Collection>(_ elements: C) throws(ArenaError) -> UnsafeMutableBufferPointer<C.Element>
    where C.Element: BitwiseCopyable {
        let buffer = try allocate(C.Element.self, count: elements.count)
        // Safe: `buffer` holds exactly `elements.count` uninitialized values of the element type.
        _ = buffer.initialize(from: elements)
        return buffer
    }

    /// Copies raw bytes into the arena, aligned to `alignment`.
    @inlinable
    public func copy(bytes: UnsafeRawBufferPointer, alignment: Int = 1) throws(ArenaError) -> UnsafeMutableRawBufferPointer {
        let raw = try allocate(byteCount: bytes.count, alignment: alignment)
        if let source = bytes.baseAddress {
            // Safe: `raw` has room for `bytes.count` bytes and a fresh allocation cannot overlap `bytes`... unless
            // `bytes` points into this arena at released memory, which memmove semantics also cover.
            raw.copyMemory(from: source, byteCount: bytes.count)
        }
        return UnsafeMutableRawBufferPointer(start: raw, count: bytes.count)
    }

    /// Copies a string's UTF-8 bytes into the arena (bumpalo's `alloc_str`); no terminating NUL.
    @inlinable
    public func copy(_ string: String) throws(ArenaError) -> UnsafeMutableBufferPointer<UInt8> {
        var string = string
        let utf8Count = string.utf8.count
        let buffer = try allocate(UInt8.self, count: utf8Count)
        string.withUTF8 { utf8 in
            // Safe: `buffer` has exactly `utf8.count` bytes.
            _ = buffer.initialize(from: utf8)
        }
        return buffer
    }

    /// Runs `body` and rewinds to the position before it on exit, releasing everything `body` allocated.
    /// Scopes nest. When `body` resets the arena or rewinds past the scope's start, there is nothing left to
    /// release and the exit rewind does nothing.
    @inlinable
    public func withCheckpoint<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let start = checkpoint()
        defer { _ = try? rewind(to: start) }
        return try body()
    }
}
