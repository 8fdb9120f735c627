import ArenaCore

/// The daemon's HTTP API: routes a request to its handler, checks the token, and turns every error into a
/// response in one place.
///
/// Runs on libmicrohttpd's worker threads, concurrently with itself: all state is in the registry and the
/// side tables, each with its own synchronisation.
final class ArenaAPI: APIHandler {
    /// What the API needs from the configuration.
    struct Settings: Sendable {
        /// Bearer token for controls (and reads when `protectReads`); nil = open.
        var token: String?
        var protectReads = false
        /// Most sizes in one allocation batch.
        var maxBatch = 1024
        /// Events kept per traced arena created over the API.
        var traceCapacity = 4096
        /// Most events one events request returns.
        var maxEventsPerRequest = 10_000
    }

    let registry: ArenaRegistry
    let settings: Settings
    let blobs = BlobStore()
    let checkpoints = CheckpointStore()
    let requestMetrics = RequestMetrics()
    /// Live `?follow=1` streams.
    let hub = EventHub()
    let classMetrics = ArenaClassMetrics()
    private let tokenBytes: [UInt8]?

    init(registry: ArenaRegistry, settings: Settings) {
        self.registry = registry
        self.settings = settings
        self.tokenBytes = settings.token.map { Array($0.utf8) }
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = ContinuousClock.now
        let route = Route(path: request.path)
        let response: HTTPResponse
        do {
            response = try self.route(request, route)
        } catch {
            response = error.response
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        requestMetrics.record(route: route?.label ?? "unmatched", status: response.status.code, seconds: seconds)
        return response
    }

    private func route(_ request: HTTPRequest, _ route: Route?) throws(APIError) -> HTTPResponse {
        guard let route else {
            throw APIError.notFound("no route for \(request.method) \(request.path)")
        }
        let methods = route.methods
        guard methods.contains(request.method) else {
            var error = APIError(
                status: .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method) is not allowed on \(request.path); allowed: "
                    + methods.map(\.rawValue).joined(separator: ", "))
            error.headers.replace(name: "Allow", value: methods.map(\.rawValue).joined(separator: ", "))
            throw error
        }
        let isRead = request.method == .get || request.method == .head
        if tokenBytes != nil, !isRead || settings.protectReads, route != .healthz {
            try authorize(request)
        }
        switch route {
        case .dashboard: return dashboard(request)
        case .healthz: return .text("ok\n")
        case .metrics: return metrics(request)
        case .arenas: return request.method == .post ? try createArena(request) : listArenas(request)
        case .arena(let name):
            return request.method == .delete ? try deleteArena(name) : try showArena(name)
        case .arenaEvents(let name): return try arenaEvents(name, request)
        case .allocations(let name): return try allocate(name, request)
        case .blobs(let name): return try storeBlob(name, request)
        case .blob(let name, let id): return try readBlob(name, id: id)
        case .reset(let name): return try resetArena(name)
        case .checkpoints(let name): return try takeCheckpoint(name)
        case .rewind(let name): return try rewind(name, request)
        case .resetAll: return resetAll(request)
        case .events: return try allEvents(request)
        }
    }

    /// Checks `Authorization: Bearer <token>` in constant time. The scheme name is case-insensitive (RFC 9110
    /// section 11.1: `bearer` and `BEARER` are the same scheme); the token is compared exactly.
    private func authorize(_ request: HTTPRequest) throws(APIError) {
        guard let tokenBytes else { return }
        let presented = request.headers["Authorization"].flatMap { value -> [UInt8]? in
            let prefix = "Bearer "
            guard value.utf8.count > prefix.utf8.count,
                  HTTPHeaders.namesEqual(String(decoding: value.utf8.prefix(prefix.utf8.count), as: UTF8.self),
                                         prefix)
            else { return nil }
            return Array(value.utf8.dropFirst(prefix.utf8.count))
        }
        guard let presented, constantTimeEquals(presented, tokenBytes) else {
            var error = APIError(
                status: .unauthorized, code: "unauthorized",
                message: presented == nil
                    ? "this request needs an 'Authorization: Bearer <token>' header"
                    : "the bearer token is not valid")
            error.headers.replace(name: "WWW-Authenticate", value: #"Bearer realm="arena-server""#)
            throw error
        }
    }

    /// Removes the arenas idle past their `ttl_seconds`; the daemon calls it about once a second.
    @discardableResult
    func removeIdleArenas(now: UInt64) -> [String] {
        let idle = registry.arenas().filter { !$0.isPinned && $0.isIdle(at: now) }
        var removed: [String] = []
        for entry in idle {
            // Removing by name can race with a touch or a new arena of the same name: re-check first.
            guard registry.arena(named: entry.name) === entry, entry.isIdle(at: now),
                  let gone = try? classMetrics.retire({ () throws(ArenaError) in
                      try registry.remove(named: entry.name)
                  })
            else { continue }
            forget(gone)
            removed.append(gone.name)
        }
        return removed
    }

    /// The arena named in the path; marks it as used (for idle timeouts).
    func arena(_ name: String) throws(APIError) -> RegisteredArena {
        guard let entry = registry.arena(named: name) else {
            throw APIError.notFound("no arena named '\(name)'", code: "unknown_arena")
        }
        entry.touch()
        return entry
    }
}
