import Synchronization

/// Counts of HTTP requests by route and status, and their durations, for `/metrics`.
///
/// Durations go into fixed buckets of atomics (one row per route), so recording a duration takes no lock;
/// status codes are few per route, so they live in a small locked table. Fed by `ExchangeRecorder`, with the one
/// duration the HTTP layer measured for the exchange.
final class RequestMetrics: @unchecked Sendable {
    // @unchecked: `cells` points at atomics that this object owns for its whole life.
    /// Upper bounds of the duration buckets, in seconds.
    static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        0.5, 1, 2.5,
    ]
    static let boundLabels = bounds.map { PrometheusText.format($0) }

    /// `routes x (bounds + 2)` cells: per-bucket counts (non-cumulative), then count, then the sum in ns.
    private let cells: UnsafeMutablePointer<Atomic<UInt64>>
    private let columns = bounds.count + 2
    private let statuses = Mutex<[String: [UInt16: UInt64]]>([:])
    init() {
        let total = Route.labels.count * columns
        cells = .allocate(capacity: total)
        for index in 0..<total { (cells + index).initialize(to: Atomic(0)) }
    }

    deinit {
        cells.deinitialize(count: Route.labels.count * columns)
        cells.deallocate()
    }

    /// Records one request to `route` (a `Route.label`, or "unmatched") answered with `status` in `nanoseconds`.
    func record(route: String, status: UInt16, nanoseconds: UInt64) {
        let seconds = Double(nanoseconds) / 1e9
        let row = Route.labels.firstIndex(of: route) ?? Route.labels.count - 1
        let bucket = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        // Safe: `row < Route.labels.count` and `bucket <= bounds.count`, inside the `columns` of a row.
        let base = cells + row * columns
        if bucket < Self.bounds.count { base[bucket].wrappingAdd(1, ordering: .relaxed) }
        base[columns - 2].wrappingAdd(1, ordering: .relaxed)
        base[columns - 1].wrappingAdd(nanoseconds, ordering: .relaxed)
        statuses.withLock { $0[route, default: [:]][status, default: 0] += 1 }
    }

    /// The `http_*` families; `openConnections` is the server's count now.
    func render(into out: inout PrometheusText, openConnections: Int) {
        let table = statuses.withLock { $0 }
        out.family("http_requests_total", type: .counter, help: "HTTP requests answered, by route and status code.")
        for route in Route.labels {
            guard let codes = table[route] else { continue }
            for (code, count) in codes.sorted(by: { $0.key < $1.key }) {
                out.sample("http_requests_total", labels: [("route", route), ("code", String(code))], count)
            }
        }
        out.family(
            "http_request_duration_seconds", type: .histogram,
            help: "Time from the request line to the response being queued, by route.")
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
            out.histogram(
                "http_request_duration_seconds", labels: [("route", route)], bounds: Self.boundLabels,
                cumulativeCounts: cumulative, sum: PrometheusText.format(sum), count: max(count, running))
        }
        out.family("http_open_connections", type: .gauge, help: "HTTP connections open now.")
        out.sample("http_open_connections", openConnections)
    }
}
