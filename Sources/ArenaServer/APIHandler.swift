/// The seam between the HTTP layer and the API: the daemon hands every complete request to one `APIHandler`.
///
/// The real routes (arenas, events, metrics) plug in here: write a type conforming to `APIHandler` (a router that
/// maps method and path to route functions and turns route errors into `HTTPResponse.error` in one place), and
/// return it from `makeAPIHandler(configuration:)`. Nothing in `HTTP/` needs to change.
///
/// `handle(_:)` runs on libmicrohttpd's worker threads, concurrently with itself; it must be thread-safe and must
/// not block for long. It cannot throw: every failure is already a response.
///
/// ```swift
/// struct EchoAPI: APIHandler {
///     func handle(_ request: HTTPRequest) -> HTTPResponse {
///         .text(String(decoding: request.body, as: UTF8.self))
///     }
/// }
/// ```
protocol APIHandler: Sendable {
    /// Answers one request.
    func handle(_ request: HTTPRequest) -> HTTPResponse
}

/// The API the daemon serves until the real routes land: `GET /healthz` and a JSON 404 for everything else.
struct HealthOnlyAPI: APIHandler {
    /// Built once: returning it costs a retain, not two allocations.
    private static let healthy = HTTPResponse.text("ok\n")

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/healthz" && (request.method == .get || request.method == .head) {
            return Self.healthy
        }
        return .notFound(method: request.method, path: request.path)
    }
}

/// The API handler the daemon runs with `configuration`. Replace `HealthOnlyAPI` here with the router.
func makeAPIHandler(configuration: Configuration) -> any APIHandler {
    HealthOnlyAPI()
}
