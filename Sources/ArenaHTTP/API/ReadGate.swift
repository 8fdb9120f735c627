import Synchronization

/// Lets at most `limit` expensive reads (`/events`, `/metrics`, `GET /arenas`) run at once, so a burst of them
/// cannot take every worker thread and the memory they build their answers in; the others are answered 503 with
/// `Retry-After: 1` at once rather than queued.
final class ReadGate: Sendable {
    let limit: Int
    private let running = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Runs `read` if a place is free, else throws 503.
    func pass<Result>(_ what: String, _ read: () throws(APIError) -> Result) throws(APIError) -> Result {
        guard running.wrappingAdd(1, ordering: .acquiring).newValue <= limit else {
            running.wrappingSubtract(1, ordering: .releasing)
            var error = APIError(
                status: .serviceUnavailable, code: "busy",
                message: "\(limit) expensive reads are running (limits.max_concurrent_reads); retry \(what) shortly")
            error.headers.add(name: "Retry-After", value: "1")
            throw error
        }
        defer { running.wrappingSubtract(1, ordering: .releasing) }
        return try read()
    }
}
