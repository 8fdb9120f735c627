import Synchronization

/// Named arenas with budgets: how many, and how many bytes they may reserve in total.
///
/// ```swift
/// let registry = ArenaRegistry(limits: .init(maxArenas: 100, maxTotalBytes: 1 << 30, maxArenaBytes: 1 << 24))
/// let request = try registry.create(name: "req-42", policy: .fixed(capacity: 64 * 1024), traceCapacity: 1024)
/// _ = try request.arena.allocate(byteCount: 16, alignment: 8)
/// try registry.reset(named: "req-42")
/// try registry.remove(named: "req-42")
/// ```
/// An arena reserves its policy's `reservedBytes` (a fixed capacity, or a growing limit) and its trace ring's
/// `TraceRing.bytes(forCapacity:)` from the total
/// budget while it exists. The registry's lock guards only the name table; allocation never takes it.
public final class ArenaRegistry: Sendable {
    public struct Limits: Hashable, Sendable {
        /// Most arenas at once.
        public var maxArenas: Int
        /// Most bytes all arenas may reserve together.
        public var maxTotalBytes: Int
        /// Most bytes one arena may reserve.
        public var maxArenaBytes: Int

        public init(maxArenas: Int = 1024, maxTotalBytes: Int = 1 << 30, maxArenaBytes: Int = 256 << 20) {
            self.maxArenas = maxArenas
            self.maxTotalBytes = maxTotalBytes
            self.maxArenaBytes = maxArenaBytes
        }
    }

    /// What a reset released.
    public struct ResetResult: Hashable, Sendable {
        public let name: String
        public let releasedBytes: Int
        public let generation: UInt64
    }

    public let limits: Limits

    private struct Table {
        var arenas: [String: RegisteredArena] = [:]
        /// The same arenas, for `forEachArenaStats`: one contiguous walk that retains none of them. Invariant:
        /// `members[i]` is an arena of `arenas` whose `tablePosition` is `i`, each arena of `arenas` once; the
        /// references are unretained, kept alive by `arenas` (an arena leaves both under the same lock).
        var members: [Member] = []
        var reservedBytes = 0
        /// `arenas` in name order, kept until the set changes (nil from then until the next listing sorts it
        /// again): listing 10,000 arenas sorted their names on every request, 12% of a `GET /arenas` (perf,
        /// docs/PERFORMANCE.md), and copying them out of `arenas` retained each.
        var nameOrder: [RegisteredArena]?
        /// Counts insertions and removals, so that an order sorted outside the lock is kept only when the set did
        /// not change meanwhile.
        var changes: UInt64 = 0

        /// Forgets the kept order and returns it, for the caller to drop after the lock: releasing 10,000 arenas'
        /// references is not work for the lock every request's lookup takes.
        private mutating func changed() -> [RegisteredArena]? {
            changes &+= 1
            defer { nameOrder = nil }
            return nameOrder
        }

        /// Registers `entry` in both; returns the order it made stale (see `changed`).
        mutating func insert(_ entry: RegisteredArena) -> [RegisteredArena]? {
            let stale = changed()
            arenas[entry.name] = entry
            entry.tablePosition.store(members.count, ordering: .relaxed)
            members.append(Member(entry))
            reservedBytes += entry.reservedBytes
            return stale
        }

        /// Takes `entry` out of both (the last member moves into its place); returns the order it made stale.
        mutating func remove(_ entry: RegisteredArena) -> [RegisteredArena]? {
            let stale = changed()
            arenas[entry.name] = nil
            reservedBytes -= entry.reservedBytes
            let position = entry.tablePosition.load(ordering: .relaxed)
            let last = members.removeLast()
            if position < members.count {
                members[position] = last
                last.entry._withUnsafeGuaranteedRef { $0.tablePosition.store(position, ordering: .relaxed) }
            }
            return stale
        }
    }

    /// An arena of the table and its storage, for a walk that goes straight to the storage's words.
    private struct Member {
        let entry: Unmanaged<RegisteredArena>
        let storage: Unmanaged<ArenaStorage>

        init(_ entry: RegisteredArena) {
            self.entry = Unmanaged.passUnretained(entry)
            self.storage = Unmanaged.passUnretained(entry.arena.storage)
        }
    }
    private let table = ArenaLock(Table())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Told about every generation that ends in the registry's arenas (a reset, or a removal); set it once, before
    /// the arenas are busy. The server sets it to feed its per-class scope metrics.
    public var generationObserver: (any GenerationObserver)? {
        get { observer.withLock { $0 } }
        set { observer.withLock { $0 = newValue } }
    }
    private let observer = ArenaLock<(any GenerationObserver)?>(nil)

    /// Creates and registers an arena.
    ///
    /// - Parameters:
    ///   - name: unique in the registry; 1-64 characters of `[A-Za-z0-9._-]`, not starting with `.` (`ArenaName`).
    ///   - policy: fixed or growing (see `ArenaPolicy`); its capacity or limit counts against the budget.
    ///   - traceCapacity: events its own `TraceRing` keeps; nil for no tracing.
    ///   - arenaClass: monitoring label; defaults to `name`.
    ///   - pinned: pinned arenas cannot be removed.
    ///   - idleTimeoutSeconds: `removeIdle(now:)` removes it after this long without `touch()`.
    ///   - keepingGenerations: how many ended generations the arena's `recentGenerations` keeps.
    /// - Throws: `.invalidName`, `.invalidPolicy`, `.duplicateName`, `.arenaTooLarge`, `.tooManyArenas`,
    ///   `.totalBudgetExceeded`, each with a message that gives the numbers.
    @discardableResult
    public func create(
        name: String, policy: ArenaPolicy, traceCapacity: Int? = nil, arenaClass: String? = nil,
        pinned: Bool = false, idleTimeoutSeconds: Int? = nil, keepingGenerations: Int = 64
    ) throws(ArenaError) -> RegisteredArena {
        if let problem = ArenaName.problem(with: name) {
            throw ArenaError(code: .invalidName, message: "invalid arena name '\(name)': \(problem)")
        }
        if let arenaClass, let problem = ArenaName.problem(with: arenaClass) {
            throw ArenaError(code: .invalidName, message: "invalid arena class '\(arenaClass)': \(problem)")
        }
        if let problem = policy.problem {
            throw ArenaError(code: .invalidPolicy, message: "invalid policy for arena '\(name)': \(problem)")
        }
        if let traceCapacity, traceCapacity < 1 || traceCapacity > TraceRing.maxCapacity {
            throw ArenaError(
                code: .invalidPolicy,
                message: "trace capacity must be in 1...\(TraceRing.maxCapacity), got \(traceCapacity)")
        }
        let reserved = policy.reservedBytes
        if reserved > limits.maxArenaBytes {
            throw ArenaError(
                code: .arenaTooLarge,
                message: "arena '\(name)' would reserve \(reserved) bytes; the per-arena maximum is "
                    + "\(limits.maxArenaBytes)")
        }
        // The trace ring's memory counts too: it grows with the events recorded, up to its capacity.
        let ringBytes = traceCapacity.map { TraceRing.bytes(forCapacity: $0) } ?? 0
        let total = reserved + ringBytes
        // Check the table before allocating the arena's memory, and again when inserting it.
        try table.withLock { table throws(ArenaError) in try admit(name: name, reserved: total, table) }
        let ring = traceCapacity.map { TraceRing(capacity: $0) }
        let entry = RegisteredArena(
            name: name, arenaClass: arenaClass ?? name,
            arena: BumpArena(
                policy: policy, trace: ring, keepingGenerations: keepingGenerations,
                reporter: GenerationReporter(name: name, arenaClass: arenaClass ?? name, registry: self)),
            isPinned: pinned, idleTimeoutSeconds: idleTimeoutSeconds, reservedBytes: total)
        // The stale order comes out of the lock and is released here.
        _ = try table.withLock { table throws(ArenaError) in
            try admit(name: name, reserved: total, table)
            return table.insert(entry)
        }
        return entry
    }

    private func admit(name: String, reserved: Int, _ table: Table) throws(ArenaError) {
        if table.arenas[name] != nil {
            throw ArenaError(code: .duplicateName, message: "an arena named '\(name)' already exists")
        }
        if table.arenas.count >= limits.maxArenas {
            throw ArenaError(
                code: .tooManyArenas,
                message: "the registry already holds its maximum of \(limits.maxArenas) arenas")
        }
        if reserved > limits.maxTotalBytes - table.reservedBytes {
            throw ArenaError(
                code: .totalBudgetExceeded,
                message: "arena '\(name)' would reserve \(reserved) bytes; \(table.reservedBytes) of the "
                    + "\(limits.maxTotalBytes) byte total budget are reserved, \(limits.maxTotalBytes - table.reservedBytes) left"
            )
        }
    }

    /// The arena with that name, or nil.
    public func arena(named name: String) -> RegisteredArena? {
        table.withLock { $0.arenas[name] }
    }

    /// The arena with that name.
    /// - Throws: `.unknownArena`.
    public func require(_ name: String) throws(ArenaError) -> RegisteredArena {
        guard let entry = arena(named: name) else {
            throw ArenaError(code: .unknownArena, message: "no arena named '\(name)'")
        }
        return entry
    }

    /// Removes an arena and returns it; its memory is freed when the last reference goes. Waits for the
    /// arena's `RegisteredArena.whileRegistered` bodies in progress.
    /// - Throws: `.unknownArena`, `.arenaPinned`.
    @discardableResult
    public func remove(named name: String) throws(ArenaError) -> RegisteredArena {
        let (entry, _) = try table.withLock { table throws(ArenaError) in
            guard let entry = table.arenas[name] else {
                throw ArenaError(code: .unknownArena, message: "no arena named '\(name)'")
            }
            if entry.isPinned {
                throw ArenaError(
                    code: .arenaPinned,
                    message: "arena '\(name)' is declared in the configuration: it can be reset, not removed")
            }
            return (entry, table.remove(entry))  // the stale order is released after the lock
        }
        entry.markRemoved()
        entry.arena.storage.endForRemoval()
        return entry
    }

    /// Resets one arena.
    /// - Throws: `.unknownArena`.
    @discardableResult
    public func reset(named name: String) throws(ArenaError) -> ResetResult {
        try require(name).reset()
    }

    /// Resets every arena whose name starts with `prefix` (all when nil), in name order.
    @discardableResult
    public func resetAll(prefix: String? = nil) -> [ResetResult] {
        arenas(prefix: prefix).map { $0.reset() }
    }

    /// The registered arenas in name order, optionally only those whose name starts with `prefix`.
    public func arenas(prefix: String? = nil) -> [RegisteredArena] {
        let all = nameOrdered().arenas
        guard let prefix else { return all }
        return all.filter { $0.name.hasPrefix(prefix) }
    }

    /// The registered arenas in name order and the bytes they reserve, both from one moment: the table's kept
    /// order, or one sorted now and kept unless the set changed meanwhile. The sort runs outside the lock, which
    /// every request's lookup takes.
    private func nameOrdered() -> (arenas: [RegisteredArena], reservedBytes: Int) {
        let (kept, unsorted, changes, reserved) = table.withLock { table in
            (
                table.nameOrder, table.nameOrder == nil ? Array(table.arenas.values) : [], table.changes,
                table.reservedBytes
            )
        }
        if let kept { return (kept, reserved) }
        let sorted = unsorted.sorted { $0.name < $1.name }
        table.withLock { table in
            if table.changes == changes { table.nameOrder = sorted }
        }
        return (sorted, reserved)
    }

    /// Calls `body` with every registered arena and its stats, in no particular order (sorting thousands of names
    /// costs more than reading their stats, and a sum needs no order); returns how many there were and the bytes
    /// they reserve, both from the moment they were listed.
    ///
    /// `body` runs under the registry's lock: it must not create, look up or remove arenas (it would wait for
    /// itself), and while it runs none are created or removed. That is what lets the walk read the arenas without
    /// retaining each: at 10,000 arenas a copy of the table retained and released 10,000 objects on as many cache
    /// lines, 22% of a scrape (docs/PERFORMANCE.md).
    ///
    /// The walk is memory-bound at scale (each arena's stats sit in its own objects, and the lock each read takes
    /// lets no later load start early): it runs in blocks of `statsBlock` arenas, first touching the words each
    /// stats read needs with plain atomic loads, which the CPU overlaps (the table keeps each arena's storage
    /// beside it, so no load waits for another), then reading the stats from cache.
    public func forEachArenaStats(_ body: (RegisteredArena, ArenaStats) -> Void) -> (count: Int, reservedBytes: Int) {
        table.withLock { table in
            table.members.withUnsafeBufferPointer { members in
                var block = 0
                while block < members.count {
                    let end = Swift.min(block + Self.statsBlock, members.count)
                    var touched: UInt64 = 0
                    // Safe: the table holds every member's arena (and so its storage) while its lock is held.
                    for index in block..<end {
                        touched &+= members[index].storage._withUnsafeGuaranteedRef { $0.touchForStats() }
                        touched &+= members[index].entry._withUnsafeGuaranteedRef { $0.touchForWalk() }
                    }
                    // Keeps the loads (their sum is never used otherwise); the branch is never taken in practice.
                    if touched == UInt64.max { Self.keep(touched) }
                    for index in block..<end {
                        // Safe: as above.
                        members[index].entry._withUnsafeGuaranteedRef { entry in
                            body(entry, members[index].storage._withUnsafeGuaranteedRef { $0.stats() })
                        }
                    }
                    block = end
                }
            }
            return (table.members.count, table.reservedBytes)
        }
    }

    /// Arenas per block of `forEachArenaStats`: their touched lines (a few each) stay in the first-level caches.
    static let statsBlock = 64

    @inline(never) private static func keep(_ value: UInt64) { _ = value }

    /// Every arena's snapshot (in name order unless `ordered` is false: sorting thousands of names costs more
    /// than reading their stats, and a sum does not need it), and the registry's totals.
    public func snapshot(ordered: Bool = true) -> RegistrySnapshot {
        let (entries, reserved) =
            ordered ? nameOrdered() : table.withLock { (Array($0.arenas.values), $0.reservedBytes) }
        return RegistrySnapshot(
            arenas: entries.map { $0.snapshot() },
            reservedBytes: reserved,
            limits: limits)
    }

    /// Arenas now registered.
    public var count: Int { table.withLock { $0.arenas.count } }

    /// Bytes reserved by the registered arenas.
    public var reservedBytes: Int { table.withLock { $0.reservedBytes } }

    /// Removes the unpinned arenas idle past their timeout at `now` (nanoseconds since 1970) and returns them, in
    /// name order. The check and the removal happen together under the registry's lock, so an arena touched or
    /// replaced meanwhile is not removed.
    @discardableResult
    public func removeIdle(now: UInt64) -> [RegisteredArena] {
        let (removed, _) = table.withLock { table in
            let idle = table.arenas.values.filter { !$0.isPinned && $0.isIdle(at: now) }
            // Only the first removal returns a kept order; it is released after the lock.
            let stale = idle.map { table.remove($0) }.first ?? nil
            return (idle.sorted { $0.name < $1.name }, stale)
        }
        for entry in removed {
            entry.markRemoved()
            entry.arena.storage.endForRemoval()
        }
        return removed
    }
}

/// All arenas' snapshots and the registry's totals at one moment.
public struct RegistrySnapshot: Hashable, Sendable {
    public let arenas: [ArenaSnapshot]
    public let reservedBytes: Int
    public let limits: ArenaRegistry.Limits
}
