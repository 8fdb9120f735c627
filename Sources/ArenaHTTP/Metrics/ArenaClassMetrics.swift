import ArenaCore
import Synchronization

/// What `/metrics` reports per arena class, beyond the live arenas' stats: the counters of arenas that were
/// removed (so a class's `_total` counters never go down when a per-request arena is deleted) and the
/// allocation-size histogram of allocations made over the API.
final class ArenaClassMetrics: Sendable {
    /// Sums over the arenas of one class: gauges over the live arenas, counters over live and removed ones.
    struct ClassTotals: Sendable {
        var arenas = 0
        var capacity = 0
        var limit = 0
        var used = 0
        var highWater = 0
        var allocations: UInt64 = 0
        var allocatedBytes = 0
        var paddingBytes = 0
        var failedAllocations: UInt64 = 0
        var resets: UInt64 = 0
        var traceOverwritten: UInt64 = 0
        /// used / limit of the class's fullest live arena: one full arena among idle ones shows here, where the
        /// class's sums would hide it.
        var maxFillRatio = 0.0

        /// Adds a live arena: its gauges and its counters.
        mutating func add(live stats: ArenaStats, traceOverwritten: UInt64) {
            arenas += 1
            if stats.limit > 0 {
                maxFillRatio = max(maxFillRatio, Double(stats.used) / Double(stats.limit))
            }
            capacity += stats.capacity
            limit += stats.limit
            used += stats.used
            highWater += stats.highWaterMark
            addCounters(of: stats, traceOverwritten: traceOverwritten)
        }

        /// Adds an arena's lifetime counters only (what a removed arena leaves behind).
        mutating func addCounters(of stats: ArenaStats, traceOverwritten: UInt64) {
            allocations += stats.lifetimeAllocations
            allocatedBytes += stats.lifetimeAllocatedBytes
            paddingBytes += stats.lifetimePaddingBytes
            failedAllocations += stats.failedAllocations
            resets += stats.resets
            self.traceOverwritten += traceOverwritten
        }

        /// Adds the counters of `other` (the removed arenas of the class).
        mutating func addCounters(_ other: ClassTotals) {
            allocations += other.allocations
            allocatedBytes += other.allocatedBytes
            paddingBytes += other.paddingBytes
            failedAllocations += other.failedAllocations
            resets += other.resets
            traceOverwritten += other.traceOverwritten
        }
    }

    /// Power-of-two upper bounds of the allocation-size histogram: 0, 1, 2, 4, ..., 1 GiB.
    static let sizeBounds: [Int] = [0] + (0...30).map { 1 << $0 }
    /// `sizeBounds` rendered once.
    static let renderedSizeBounds = PrometheusText.Bounds(sizeBounds)

    struct SizeHistogram: Sendable {
        /// Non-cumulative counts per bound, then one for larger sizes.
        var counts = [UInt64](repeating: 0, count: ArenaClassMetrics.sizeBounds.count + 1)
        var sum = 0
        var count: UInt64 = 0

        mutating func add(bucket: Int, bytes: Int) {
            counts[bucket] += 1
            sum += bytes
            count += 1
        }
    }

    /// Counters of removed arenas, per class.
    private let retired = ArenaLock<[String: ClassTotals]>([:])
    private let sizes = ArenaLock<[String: SizeHistogram]>([:])
    /// Held while an arena leaves the registry and its counters move to `retired`, and while a scrape reads the live
    /// arenas and `retired`. Without it a scrape in between counts the arena twice (snapshot before the removal,
    /// `retired` after it) or not at all, and a class's `_total` counters go down, which Prometheus reads as a
    /// restart. Order: this lock, then the registry's or `retired`'s.
    private let membership = ArenaLock(())
    /// Every class that has existed (they stay in /metrics after their arenas are gone), with when it was first
    /// seen (seconds since 1970: its counters' OpenMetrics `_created`): at most `limits.max_classes`, so the
    /// number of series stays bounded.
    private let known = ArenaLock<[String: Double]>([:])

    /// Whether an arena of `arenaClass` may be created: the class is known, or there is room for one more
    /// (which is then known).
    func admit(_ arenaClass: String, limit: Int) -> Bool {
        known.withLock { known in
            if known[arenaClass] != nil { return true }
            guard known.count < limit else { return false }
            known[arenaClass] = PrometheusText.secondsNow()
            return true
        }
    }

    /// Runs `create` if an arena of `arenaClass` may be created (see `admit`); a new class becomes known only
    /// when `create` succeeds, so a create that fails (a duplicate name, no memory) takes no class place.
    /// Returns nil, without running `create`, when the class would be one too many.
    ///
    /// A new class's create runs under the lock (creates of other new classes wait for it: they are rare); a known
    /// class's does not.
    func admitting<Created, Failure: Error>(
        _ arenaClass: String, limit: Int, _ create: () throws(Failure) -> Created
    ) throws(Failure) -> Created? {
        if known.withLock({ $0[arenaClass] != nil }) { return try create() }
        return try known.withLock { known throws(Failure) -> Created? in
            if known[arenaClass] != nil { return try create() }
            guard known.count < limit else { return nil }
            let created = try create()
            known[arenaClass] = PrometheusText.secondsNow()
            return created
        }
    }

    /// When each of `classes` was first seen; a class not admitted through the API (an arena an embedding
    /// program created in the registry itself) is first seen now.
    func firstSeen(_ classes: [String]) -> [String: Double] {
        known.withLock { known in
            for arenaClass in classes where known[arenaClass] == nil { known[arenaClass] = PrometheusText.secondsNow() }
            return known
        }
    }

    /// Removes arenas with `remove` and absorbs their counters, as one step for scrapes (see `withMembership`).
    func retire<Failure: Error>(
        _ remove: () throws(Failure) -> [RegisteredArena]
    ) throws(Failure) -> [RegisteredArena] {
        try membership.withLock { _ throws(Failure) in
            let entries = try remove()
            for entry in entries { absorb(entry) }
            return entries
        }
    }

    /// Runs `body`, which reads the live arenas and `retiredCounters()`, while no arena is being retired.
    func withMembership<Result>(_ body: () -> Result) -> Result {
        membership.withLock { _ in body() }
    }

    /// Adds a removed arena's lifetime counters to its class. Call through `retire`.
    private func absorb(_ entry: RegisteredArena) {
        let stats = entry.arena.stats
        let overwritten = entry.arena.trace?.overwritten ?? 0
        retired.withLock {
            $0[entry.arenaClass, default: ClassTotals()].addCounters(of: stats, traceOverwritten: overwritten)
        }
    }

    /// Records the sizes of successful allocations in `arenaClass`.
    func recordSizes<S: Sequence<Int>>(_ byteCounts: S, arenaClass: String) {
        sizes.withLock { table in
            // In place, through the values view: copying the histogram out and back would copy its counts array
            // on every request.
            // One lookup for a known class (each hashes the name), a second only to find a new one's entry.
            let index: [String: SizeHistogram].Index
            if let known = table.index(forKey: arenaClass) {
                index = known
            } else {
                table[arenaClass] = SizeHistogram()
                // Safe to force: the key was just inserted.
                index = table.index(forKey: arenaClass)!
            }
            for byteCount in byteCounts {
                let bucket =
                    byteCount == 0
                    ? 0 : min(Self.sizeBounds.count, 1 + (Int.bitWidth - (byteCount - 1).leadingZeroBitCount))
                table.values[index].add(bucket: bucket, bytes: byteCount)
            }
        }
    }

    func retiredCounters() -> [String: ClassTotals] { retired.withLock { $0 } }
    func sizeHistograms() -> [String: SizeHistogram] { sizes.withLock { $0 } }
}
