import ArenaCore
import Synchronization

/// What request scopes (arena generations) needed, per class: the `arena_scope_*` histograms of /metrics and the
/// capacity advice of `GET /classes`. The registry reports every generation that ends (`GenerationObserver`).
///
/// Peak-byte buckets fit the class: powers of two below its largest limit (limit/1024 ... limit), so a class of
/// 64 KiB arenas and one of 16 MiB arenas each get a useful spread. Advice comes from the class's last
/// `recentScopes` peaks: the peak that covered 50%, 99% and 99.9% of them, and a recommended capacity (the
/// 99.9% peak plus a quarter, rounded up to a page).
final class ScopeMetrics: GenerationObserver {
    /// Scopes per class kept for the percentiles.
    static let recentScopes = 1000
    /// Upper bounds of the duration buckets, in seconds.
    static let durationBounds: [Double] = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300]
    /// Upper bounds of the allocations-per-scope buckets: powers of four.
    static let allocationBounds: [UInt64] = (0...10).map { 1 << (2 * $0) }
    /// The two fixed bound sets, rendered once.
    private static let renderedDurationBounds = PrometheusText.Bounds(durationBounds)
    private static let renderedAllocationBounds = PrometheusText.Bounds(allocationBounds)
    /// Headroom on top of the 99.9% peak in the recommendation.
    static let headroom = 1.25
    static let pageBytes = 4096

    /// One class's scopes.
    struct ClassScopes: Sendable {
        /// Bounds of the peak buckets, fixed by the first scope's limit.
        let peakBounds: [Int]
        /// `peakBounds` rendered, once per class rather than per scrape.
        let renderedPeakBounds: PrometheusText.Bounds
        var peakCounts: [UInt64]
        var peakSum = 0
        var durationCounts = [UInt64](repeating: 0, count: ScopeMetrics.durationBounds.count)
        var durationSum: UInt64 = 0
        var allocationCounts = [UInt64](repeating: 0, count: ScopeMetrics.allocationBounds.count)
        var allocationSum: UInt64 = 0
        var count: UInt64 = 0
        /// The largest arena limit seen in the class.
        var limit = 0
        /// The last `recentScopes` peaks, as a ring.
        var recentPeaks: [Int] = []
        var nextRecent = 0
        /// When the class's first scope ended (seconds since 1970): its histograms' OpenMetrics `_created`.
        let createdSeconds = PrometheusText.secondsNow()

        init(limit: Int) {
            self.limit = limit
            peakBounds = Self.bounds(forLimit: limit)
            renderedPeakBounds = PrometheusText.Bounds(peakBounds)
            peakCounts = [UInt64](repeating: 0, count: peakBounds.count)
        }

        /// limit/1024, limit/512, ..., limit, each at least 1 byte and without repeats.
        static func bounds(forLimit limit: Int) -> [Int] {
            var bounds: [Int] = []
            for shift in stride(from: 10, through: 0, by: -1) {
                let bound = Swift.max(1, limit >> shift)
                if bounds.last != bound { bounds.append(bound) }
            }
            return bounds
        }

        mutating func add(_ summary: GenerationSummary) {
            // The bounds stay those of the class's first scope: a series' buckets must never change (their
            // counters would seem to go down). Peaks of a larger arena that joins later may land in +Inf only.
            limit = Swift.max(limit, summary.limitBytes)
            if let bucket = peakBounds.firstIndex(where: { summary.peakBytes <= $0 }) { peakCounts[bucket] += 1 }
            peakSum += summary.peakBytes
            let seconds = Double(summary.durationNanoseconds) / 1e9
            if let bucket = ScopeMetrics.durationBounds.firstIndex(where: { seconds <= $0 }) {
                durationCounts[bucket] += 1
            }
            durationSum += summary.durationNanoseconds
            if let bucket = ScopeMetrics.allocationBounds.firstIndex(where: { summary.allocations <= $0 }) {
                allocationCounts[bucket] += 1
            }
            allocationSum += summary.allocations
            count += 1
            if recentPeaks.count < ScopeMetrics.recentScopes {
                recentPeaks.append(summary.peakBytes)
            } else {
                recentPeaks[nextRecent] = summary.peakBytes
                nextRecent = (nextRecent + 1) % ScopeMetrics.recentScopes
            }
        }
    }

    /// Capacity advice for one class.
    struct Advice: Sendable {
        var arenaClass: String
        var scopes: UInt64
        var recentScopes: Int
        var limitBytes: Int
        var p50: Int
        var p99: Int
        var p999: Int
        var recommendedCapacity: Int
    }

    private let classes = ArenaLock<[String: ClassScopes]>([:])

    init() {}

    func generationEnded(_ summary: GenerationSummary, arena name: String, arenaClass: String) {
        classes.withLock { classes in
            if classes[arenaClass] == nil { classes[arenaClass] = ClassScopes(limit: summary.limitBytes) }
            // Safe to force: the key was just ensured; in place through the values view (no copy of the arrays).
            let index = classes.index(forKey: arenaClass)!
            classes.values[index].add(summary)
        }
    }

    /// Every class's advice, by class name.
    func advice() -> [Advice] {
        let snapshot = classes.withLock { $0 }
        return snapshot.sorted { $0.key < $1.key }.map { name, scopes in
            let sorted = scopes.recentPeaks.sorted()
            func percentile(_ fraction: Double) -> Int {
                guard !sorted.isEmpty else { return 0 }
                // The smallest peak that covers `fraction` of the scopes (nearest rank).
                let rank = Int((fraction * Double(sorted.count)).rounded(.up))
                return sorted[Swift.min(sorted.count, Swift.max(1, rank)) - 1]
            }
            let p999 = percentile(0.999)
            let wanted = Int((Double(p999) * Self.headroom).rounded(.up))
            let recommended = (wanted + Self.pageBytes - 1) / Self.pageBytes * Self.pageBytes
            return Advice(
                arenaClass: name, scopes: scopes.count, recentScopes: sorted.count, limitBytes: scopes.limit,
                p50: percentile(0.5), p99: percentile(0.99), p999: p999,
                recommendedCapacity: Swift.max(Self.pageBytes, recommended))
        }
    }

    /// The `arena_scope_*` histograms.
    func render(into out: inout PrometheusText) {
        // Each class's label rendered once for its three histograms.
        let snapshot = classes.withLock { $0 }.sorted { $0.key < $1.key }
            .map { (label: PrometheusText.Label("class", $0.key), scopes: $0.value) }
        out.family(
            "arena_scope_peak_bytes", type: .histogram,
            help: "Most bytes a scope (an arena generation, from a reset to the next) had in use, by class.")
        for (label, scopes) in snapshot {
            out.histogram(
                "arena_scope_peak_bytes", label: label, bounds: scopes.renderedPeakBounds,
                cumulativeCounts: Self.cumulative(scopes.peakCounts), sum: .integer(UInt64(clamping: scopes.peakSum)),
                count: scopes.count, created: scopes.createdSeconds)
        }
        out.family(
            "arena_scope_duration_seconds", type: .histogram,
            help: "How long scopes lasted, from their first allocation to their reset, by class.")
        for (label, scopes) in snapshot {
            out.histogram(
                "arena_scope_duration_seconds", label: label, bounds: Self.renderedDurationBounds,
                cumulativeCounts: Self.cumulative(scopes.durationCounts),
                sum: .seconds(nanoseconds: scopes.durationSum), count: scopes.count, created: scopes.createdSeconds)
        }
        out.family("arena_scope_allocations", type: .histogram, help: "Allocations a scope made, by class.")
        for (label, scopes) in snapshot {
            out.histogram(
                "arena_scope_allocations", label: label, bounds: Self.renderedAllocationBounds,
                cumulativeCounts: Self.cumulative(scopes.allocationCounts), sum: .integer(scopes.allocationSum),
                count: scopes.count, created: scopes.createdSeconds)
        }
    }

    private static func cumulative(_ counts: [UInt64]) -> [UInt64] {
        var running: UInt64 = 0
        return counts.map {
            running += $0
            return running
        }
    }
}
