import Synchronization

/// Counts of HTTP requests by route and status, and their durations, for `/metrics`.
///
/// Durations go into fixed buckets of atomics (one row per route), so recording a request takes no lock;
/// status codes are few per route, so they live in a small locked table.
final class RequestMetrics: @unchecked Sendable {
    // @unchecked: `cells` points at atomics that this object owns for its whole life.
    /// Upper bounds of the duration buckets, in seconds.
    static let bounds: [Double] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                   0.5, 1, 2.5]
    static let boundLabels = bounds.map { PrometheusText.format($0) }


    /// `routes x (bounds + 2)` cells: per-bucket counts (non-cumulative), then count, then the sum in ns.
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    private let columns = bounds.count + 2
    private let statuses = Mutex<[String: [UInt16: UInt64]]>([:])
    /// Reads the number of open connections at scrape time: the HTTP server's count, once the daemon has
    /// connected it (`countOpenConnections(with:)`); until then the gauge reads 0.
    ///
    /// A class reference, not a closure, inside the mutex: `Mutex.withLock` hands its value to the body `inout`
    /// at the generic abstraction level, so a closure read with `withLock { $0 }` was re-abstracted and written
    /// back wrapped in two more thunks on every read. After n scrapes a scrape called through 2n thunks: /metrics
    /// got slower and bigger with each scrape (MetricsScrapeCostTests).
    private let openConnections = Mutex<OpenConnectionSource?>(nil)

    /// The counting function, fixed at creation.
    private final class OpenConnectionSource: Sendable {
        let count: @Sendable () -> Int
        init(_ count: @escaping @Sendable () -> Int) { self.count = count }
    }

    init() {
        let total = Route.labels.count * columns
        cells = .allocate(capacity: total)
        for index in 0..<total { (cells + index).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: Route.labels.count * columns)
        cells.deallocate()
    }

    /// Makes the `http_open_connections` gauge read `count` on each scrape.
    func countOpenConnections(with count: @escaping @Sendable () -> Int) {
        let source = OpenConnectionSource(count)
        openConnections.withLock { $0 = source }
    }

    /// Records one request to `route` (a `Route.label`, or "unmatched") answered with `status` in `seconds`.
    func record(route: String, status: UInt16, seconds: Double) {
        let row = Route.labels.firstIndex(of: route) ?? Route.labels.count - 1
        let bucket = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        // Safe: `row < Route.labels.count` and `bucket <= bounds.count`, inside the `columns` of a row.
        let base = cells + row * columns
        if bucket < Self.bounds.count { base[bucket].wrappingAdd(1, ordering: .relaxed) }
        base[columns - 2].wrappingAdd(1, ordering: .relaxed)
        base[columns - 1].wrappingAdd(UInt64(max(0, seconds) * 1e9), ordering: .relaxed)
        statuses.withLock { $0[route, default: [:]][status, default: 0] += 1 }
    }

    func render(into out: inout PrometheusText) {
        let table = statuses.withLock { $0 }
        out.family("http_requests_total", type: .counter, help: "HTTP requests answered, by route and status code.")
        for route in Route.labels {
            guard let codes = table[route] else { continue }
            for (code, count) in codes.sorted(by: { $0.key < $1.key }) {
                out.sample("http_requests_total", labels: [("route", route), ("code", String(code))], count)
            }
        }
        out.family("http_request_duration_seconds", type: .histogram,
                   help: "Time from a complete request to its response, by route.")
        for (row, route) in Route.labels.enumerated() {
            let base = cells + row * columns
            let count = base[columns - 2].load(ordering: .relaxed)
            guard count > 0 else { continue }
            var cumulative: [UInt64] = []
            var running: UInt64 = 0
            for bucket in 0..<Self.bounds.count {
                running += base[bucket].load(ordering: .relaxed)
                cumulative.append(running)
            }
            let sum = Double(base[columns - 1].load(ordering: .relaxed)) / 1e9
            out.histogram("http_request_duration_seconds", labels: [("route", route)], bounds: Self.boundLabels,
                          cumulativeCounts: cumulative, sum: PrometheusText.format(sum), count: max(count, running))
        }
        out.family("http_open_connections", type: .gauge, help: "HTTP connections open now.")
        let source = openConnections.withLock { $0 }
        out.sample("http_open_connections", source?.count() ?? 0)
    }
}
