import ArenaCore
import Synchronization

/// Counts of HTTP requests by route and status, and their durations, for `/metrics`.
///
/// Every count is an atomic in a table laid out when the metrics are made (one row per route: a counter per
/// known status code, the duration buckets, the count and the sum), so recording an exchange takes no lock and
/// allocates nothing. A status code outside the known list goes to a small locked table. Fed by
/// `ExchangeRecorder`, with the one duration the HTTP layer measured for the exchange.
final class RequestMetrics: Sendable {
    /// Upper bounds of the duration buckets, in seconds.
    static let bounds: [Double] = [
        0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
        0.5, 1, 2.5,
    ]
    /// Each route's label (`route="/healthz"`), rendered once, in `Route.labels` order.
    private static let routeLabels = Route.labels.map { PrometheusText.Label("route", $0) }
    /// The buckets' `le` values, rendered once.
    static let renderedBounds = PrometheusText.Bounds(bounds)
    private static let boundNanoseconds = bounds.map { UInt64($0 * 1e9) }

    /// The status codes the API answers with; each has its counter in every row.
    static let knownStatuses: [UInt16] = [
        200, 201, 204, 400, 401, 403, 404, 405, 408, 409, 410, 413, 415, 421, 429, 500, 501, 503, 507,
    ]

    /// One route's counters, in place in one object: a scrape reads ~500 of them, and with an object per counter
    /// it retained and released each (a third of the `http_*` families' instructions).
    private final class Row: Sendable {
        /// Per known status, in `knownStatuses` order (`init` checks the count).
        let statuses: InlineArray<19, Atomic<UInt64>> = InlineArray { _ in Atomic(0) }
        /// Per duration bucket (non-cumulative), in `bounds` order (`init` checks the count).
        let buckets: InlineArray<14, Atomic<UInt64>> = InlineArray { _ in Atomic(0) }
        let count = Atomic<UInt64>(0)
        let sumNanoseconds = Atomic<UInt64>(0)
    }

    /// In `Route.labels` order.
    private let rows = Route.labels.map { _ in Row() }
    /// Row candidates by label length in UTF-8 bytes (at most three share one): a label is found with a count and
    /// one or two comparisons, the match by identity (a route's label is the very `String` in `Route.labels`),
    /// instead of hashing it on every request.
    private static let rowsByLength: [[Int]] = {
        var table = Array(repeating: [Int](), count: (Route.labels.map(\.utf8.count).max() ?? 0) + 1)
        for (index, label) in Route.labels.enumerated() { table[label.utf8.count].append(index) }
        return table
    }()

    /// The row of `route`, or nil for a label that is not a route's.
    private static func row(for route: String) -> Int? {
        let length = route.utf8.count
        guard length < rowsByLength.count else { return nil }
        for index in rowsByLength[length] where Route.labels[index] == route { return index }
        return nil
    }
    /// Counts of status codes outside `knownStatuses`, by route and code.
    private let otherStatuses = ArenaLock<[String: [UInt16: UInt64]]>([:])
    /// When the counters started from zero (seconds since 1970): their OpenMetrics `_created`.
    private let createdSeconds = PrometheusText.secondsNow()

    init() {
        precondition(
            rows[0].statuses.count == Self.knownStatuses.count && rows[0].buckets.count == Self.bounds.count,
            "RequestMetrics.Row: a counter per known status and per bucket")
    }

    /// Records one request to `route` (a `Route.label`, or "unmatched") answered with `status` in `nanoseconds`.
    func record(route: String, status: UInt16, nanoseconds: UInt64) {
        let row = rows[Self.row(for: route) ?? rows.count - 1]
        if let column = Self.knownStatuses.firstIndex(of: status) {
            row.statuses[column].wrappingAdd(1, ordering: .relaxed)
        } else {
            otherStatuses.withLock { $0[route, default: [:]][status, default: 0] += 1 }
        }
        if let bucket = Self.boundNanoseconds.firstIndex(where: { nanoseconds <= $0 }) {
            row.buckets[bucket].wrappingAdd(1, ordering: .relaxed)
        }
        row.count.wrappingAdd(1, ordering: .relaxed)
        row.sumNanoseconds.wrappingAdd(nanoseconds, ordering: .relaxed)
    }

    /// The `http_*` families; `openConnections` is the server's count now.
    func render(into out: inout PrometheusText, openConnections: Int) {
        let others = otherStatuses.withLock { $0 }
        let openMetrics = out.format == .openMetrics
        let codes = Self.knownStatuses
        out.family("http_requests_total", type: .counter, help: "HTTP requests answered, by route and status code.")
        for (index, row) in rows.enumerated() {
            let route = Route.labels[index]
            let label = Self.routeLabels[index]
            func write(code: UInt16, count: UInt64) {
                out.startSample("http_requests_total")
                out.label(label)
                out.label("code", integer: code)
                out.value(count)
                guard openMetrics else { return }
                out.startCreated("http_requests_total")
                out.label(label)
                out.label("code", integer: code)
                out.value(createdSeconds)
            }
            if let unknown = others[route], !unknown.isEmpty {
                // Known and other codes merged in code order (rare: a status outside `knownStatuses`).
                var counts = unknown.map { (code: $0.key, count: $0.value) }
                for (column, code) in codes.enumerated() {
                    let count = row.statuses[column].load(ordering: .relaxed)
                    if count > 0 { counts.append((code, count)) }
                }
                for (code, count) in counts.sorted(by: { $0.code < $1.code }) { write(code: code, count: count) }
            } else {
                // `knownStatuses` is in code order: the samples come out sorted without a sort.
                for column in codes.indices {
                    let count = row.statuses[column].load(ordering: .relaxed)
                    if count > 0 { write(code: codes[column], count: count) }
                }
            }
        }
        out.family(
            "http_request_duration_seconds", type: .histogram,
            help: "Time from the request line to the response being queued, by route.")
        var cumulative = [UInt64](repeating: 0, count: Self.bounds.count)
        for (index, row) in rows.enumerated() {
            let count = row.count.load(ordering: .relaxed)
            guard count > 0 else { continue }
            var running: UInt64 = 0
            for bucket in cumulative.indices {
                running += row.buckets[bucket].load(ordering: .relaxed)
                cumulative[bucket] = running
            }
            out.histogram(
                "http_request_duration_seconds", label: Self.routeLabels[index], bounds: Self.renderedBounds,
                cumulativeCounts: cumulative, sum: .seconds(nanoseconds: row.sumNanoseconds.load(ordering: .relaxed)),
                count: max(count, running), created: createdSeconds)
        }
        out.family("http_open_connections", type: .gauge, help: "HTTP connections open now.")
        out.sample("http_open_connections", openConnections)
    }
}
