/// What every arena offers (`BumpArena`, `LocalArena`), for code that works with either: the allocation
/// primitives here, and the typed helpers and scopes below, written once on top of them.
///
/// ```swift
/// func fill(_ arena: some BumpAllocator) throws(ArenaError) {
///     let numbers = try arena.copy([1, 2, 3])
///     arena.withCheckpoint { _ = try? arena.allocate(byteCount: 512, alignment: 64) }
/// }
/// ```
public protocol BumpAllocator: AnyObject {
    /// Allocates `byteCount` bytes aligned to `alignment`, traced at `site` (see `Arena`).
    func allocate(byteCount: Int, alignment: Int, site: AllocationSite) throws(ArenaError) -> UnsafeMutableRawPointer
    /// Like `allocate(byteCount:alignment:site:)`, and also says where the bytes landed.
    func allocation(byteCount: Int, alignment: Int, site: AllocationSite) throws(ArenaError) -> Allocation
    @discardableResult func reset() -> Int
    func checkpoint() -> Checkpoint
    @discardableResult func rewind(to checkpoint: Checkpoint) throws(ArenaError) -> Int
    func isValid(_ checkpoint: Checkpoint) -> Bool
    var stats: ArenaStats { get }
    var id: UInt32 { get }
    var policy: ArenaPolicy { get }
    var trace: TraceRing? { get }
    var isTracing: Bool { get set }
    var generation: UInt64 { get }
    /// See `Arena._checkInvariants()`.
    func _checkInvariants()
}

extension BumpAllocator {
    /// Allocates `byteCount` bytes aligned to `alignment`, traced at the caller's file and line.
    @inlinable
    public func allocate(
        byteCount: Int, alignment: Int, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> UnsafeMutableRawPointer {
        try allocate(byteCount: byteCount, alignment: alignment, site: AllocationSite(file: file, line: line))
    }

    /// Like `allocate(byteCount:alignment:)`, and also says where the bytes landed.
    @inlinable
    public func allocation(
        byteCount: Int, alignment: Int, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> Allocation {
        try allocation(byteCount: byteCount, alignment: alignment, site: AllocationSite(file: file, line: line))
    }

    /// Memory for `count` values of `T`, uninitialized, aligned for `T`.
    /// - Precondition: `count >= 0`.
    /// - Throws: `.arenaFull`, also when `count * stride` overflows.
    @inlinable
    public func allocate<T>(
        _ type: T.Type, count: Int, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> UnsafeMutableBufferPointer<T> {
        let site = AllocationSite(file: file, line: line)
        precondition(count >= 0, "count must not be negative")
        let (byteCount, overflow) = MemoryLayout<T>.stride.multipliedReportingOverflow(by: count)
        guard !overflow else {
            // No arena can hold `Int.max` bytes (chunks are at most `BumpState.maxOffset`), so the request fails
            // through the ordinary path, which counts the failure in `failedAllocations` and traces it.
            _ = try allocate(byteCount: .max, alignment: MemoryLayout<T>.alignment, site: site)
            preconditionFailure("an allocation of Int.max bytes succeeded")
        }
        let raw = try allocate(byteCount: byteCount, alignment: MemoryLayout<T>.alignment, site: site)
        return UnsafeMutableBufferPointer(start: raw.bindMemory(to: T.self, capacity: count), count: count)
    }

    /// Moves one value into the arena (bumpalo's `alloc`): memory aligned for `T`, initialized with `value`.
    ///
    /// ```swift
    /// struct Point { var x, y: Double }
    /// let origin = try arena.allocate(Point(x: 0, y: 0))   // UnsafeMutablePointer<Point>
    /// origin.pointee.x = 3
    /// ```
    ///
    /// The arena never deinitializes what it holds: for a type that owns references (a class, a `String`, an
    /// `Array`), call `deinitialize(count: 1)` before the reset or rewind that releases it, or what it
    /// references leaks. The pointer is valid until then. (`allocate(T.self, count:)` gives uninitialized room;
    /// `allocate(Int.self)` would store the metatype itself.)
    /// - Throws: `.arenaFull` when `MemoryLayout<T>.size` bytes do not fit.
    @inlinable
    public func allocate<T>(
        _ value: T, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> UnsafeMutablePointer<T> {
        let raw = try allocate(
            byteCount: MemoryLayout<T>.size, alignment: MemoryLayout<T>.alignment,
            site: AllocationSite(file: file, line: line))
        // Safe: `raw` is fresh memory of `MemoryLayout<T>.size` bytes aligned for `T`.
        return raw.initializeMemory(as: T.self, to: value)
    }

    /// Copies trivial values into the arena (bumpalo's `alloc_slice_copy`).
    @inlinable
    public func copy<C: Collection>(
        _ elements: C, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> UnsafeMutableBufferPointer<C.Element>
    where C.Element: BitwiseCopyable {
        let buffer = try allocate(C.Element.self, count: elements.count, file: file, line: line)
        // Safe: `buffer` holds exactly `elements.count` uninitialized values of the element type.
        _ = buffer.initialize(from: elements)
        return buffer
    }

    /// Copies raw bytes into the arena, aligned to `alignment`.
    @inlinable
    public func copy(
        bytes: UnsafeRawBufferPointer, alignment: Int = 1, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> UnsafeMutableRawBufferPointer {
        let raw = try allocate(
            byteCount: bytes.count, alignment: alignment, site: AllocationSite(file: file, line: line))
        if let source = bytes.baseAddress {
            // Safe: `raw` has room for `bytes.count` bytes and a fresh allocation cannot overlap `bytes`... unless
            // `bytes` points into this arena at released memory, which memmove semantics also cover.
            raw.copyMemory(from: source, byteCount: bytes.count)
        }
        return UnsafeMutableRawBufferPointer(start: raw, count: bytes.count)
    }

    /// Copies a string's UTF-8 bytes into the arena (bumpalo's `alloc_str`), once, and returns a view of them that
    /// reads as a `String` without a second copy; no terminating NUL, no alignment padding.
    ///
    /// ```swift
    /// let name = try arena.copy("frame-7")
    /// print(name)                             // frame-7
    /// name == "frame-7"                       // true
    /// name.withUTF8 { $0.count }              // 7, read in place
    /// ```
    ///
    /// The view is valid until the arena is reset or rewound past it (see `ArenaString`).
    @inlinable
    public func copy(
        _ string: String, file: StaticString = #fileID, line: UInt = #line
    ) throws(ArenaError) -> ArenaString {
        var string = string
        let utf8Count = string.utf8.count
        let buffer = try allocate(UInt8.self, count: utf8Count, file: file, line: line)
        string.withUTF8 { utf8 in
            // Safe: `buffer` has exactly `utf8.count` bytes.
            _ = buffer.initialize(from: utf8)
        }
        // Safe: a zero-byte allocation still returns an aligned, non-nil address. The ASCII flag is the one a native
        // String keeps (no scan).
        return ArenaString(
            start: UnsafePointer(buffer.baseAddress!), count: utf8Count, isKnownASCII: stringIsKnownASCII(string))
    }

    /// Runs `body` and rewinds to the position before it on exit, releasing everything `body` allocated.
    /// Scopes nest. When `body` resets the arena or rewinds past the scope's start, there is nothing left to
    /// release and the exit rewind does nothing. An `async` body takes `withCheckpoint(isolation:_:)`.
    ///
    /// ```swift
    /// let total = try arena.withCheckpoint { () throws(ArenaError) -> Int in
    ///     let scratch = try arena.copy([1, 2, 3])   // released when the scope ends
    ///     return scratch.reduce(0, +)
    /// }
    /// ```
    @inlinable
    public func withCheckpoint<Result, Failure: Error>(
        _ body: () throws(Failure) -> Result
    ) throws(Failure) -> Result {
        let start = checkpoint()
        defer { _ = try? rewind(to: start) }
        return try body()
    }
}
