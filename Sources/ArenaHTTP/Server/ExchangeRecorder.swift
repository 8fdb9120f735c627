/// The one observer of every exchange: it feeds the request metrics and, when on, the request log, from the
/// same record (one route label, one status, one monotonic duration).
struct ExchangeRecorder: HTTPExchangeObserver {
    let metrics: RequestMetrics
    /// nil when `log_requests` is off.
    let log: ServerLog?

    func record(_ exchange: HTTPExchange) {
        metrics.record(
            route: exchange.routeLabel, status: exchange.status.code,
            nanoseconds: exchange.durationNanoseconds)
        log?.request(exchange)
    }
}
