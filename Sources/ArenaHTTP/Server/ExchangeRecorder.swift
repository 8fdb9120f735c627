/// The one observer of every exchange: it feeds the request metrics and, when on, the request log, from the
/// same record (one route label, one status, one monotonic duration); and it logs libmicrohttpd's messages.
struct ExchangeRecorder: HTTPExchangeObserver {
    let metrics: RequestMetrics
    let log: ServerLog
    /// `log_requests`: a line per exchange.
    let logRequests: Bool

    func record(_ exchange: HTTPExchange) {
        metrics.record(
            route: exchange.routeLabel, status: exchange.status.code,
            nanoseconds: exchange.durationNanoseconds)
        if logRequests { log.request(exchange) }
    }

    func libraryMessage(_ message: String) {
        log.log(.warning, "libmicrohttpd: " + message)
    }
}
