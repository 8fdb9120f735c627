import ArenaCore

/// The arena server's HTTP API: routes a request to its handler, checks the token, and turns every error into a
/// response in one place (`respond(to:)`), the refusals of the HTTP layer included.
///
/// Runs on libmicrohttpd's worker threads, concurrently with itself: all state is in the registry and the
/// tables, each with its own synchronisation. It sees Swift values only (`HTTPRequest` in, `HTTPResponse` out).
final class ArenaAPI: HTTPResponder {
    let registry: ArenaRegistry
    let configuration: Configuration
    /// Blobs copied into arenas, by id per arena.
    let blobs: BlobTable
    /// Checkpoints taken over the API, by id per arena.
    let checkpoints = CheckpointTable(capacity: 1024, whenFull: .forgetOldest)
    /// Live `?follow=1` streams.
    let hub = EventHub()
    let classMetrics = ArenaClassMetrics()
    /// What scopes (arena generations) needed, per class; the registry reports each generation that ends.
    let scopeMetrics = ScopeMetrics()
    let requestMetrics = RequestMetrics()
    let log: ServerLog
    /// Reads `http_open_connections` at scrape time; set by `ArenaHTTPServer` once its HTTP server exists.
    let openConnections = OpenConnectionGauge()
    /// The configured bearer token's check; nil when there is no token.
    private let token: TokenCheck?
    /// Expensive reads running at once.
    let reads: ReadGate
    /// Host and Origin checks against DNS rebinding and cross-site changes.
    private let origins: OriginPolicy
    /// Whether the server listens or stops, for `/readyz`; set by `ArenaHTTPServer`.
    let serving = ServingState()
    /// The arenas the configuration declared, which `/readyz` expects in the registry (none for a server around
    /// an embedding program's registry).
    let declaredArenas: [String]

    /// Most events one events request returns.
    static let maxEventsPerRequest = 10_000

    init(
        registry: ArenaRegistry, configuration: Configuration, declaredArenas: [String] = [],
        log: ServerLog = .standardError
    ) {
        self.registry = registry
        self.declaredArenas = declaredArenas
        self.configuration = configuration
        self.log = log
        self.blobs = BlobTable(capacity: configuration.limits.maxBlobsPerArena, whenFull: .refuse)
        self.token = configuration.auth.token.map(TokenCheck.init(token:))
        self.origins = OriginPolicy(configuration)
        self.reads = ReadGate(limit: configuration.limits.maxConcurrentReads)
        // The registry's arenas (declared ones, or an embedding program's) count against limits.max_classes.
        for entry in registry.arenas() { _ = classMetrics.admit(entry.arenaClass, limit: .max) }
    }

    func respond(to request: HTTPRequest) -> HTTPResponse {
        let route = Route(request.target.segments)
        var response: HTTPResponse
        do {
            response = try self.route(request, route)
        } catch {
            response = error.response
        }
        response.routeLabel = route?.label ?? Route.unmatchedLabel
        return response
    }

    func respond(to rejection: HTTPRejection, request: HTTPRequest) -> HTTPResponse {
        // While the server stops, the probes still answer as probes: alive, and not ready.
        if case .shuttingDown = rejection, let route = Route(request.target.segments),
            route == .livez || route == .readyz,
            route.allows(request.method)
        {
            var response = probe(route, request)
            response.routeLabel = route.label
            return response
        }
        var error: APIError
        switch rejection {
        case .bodyTooLarge(let limit):
            error = APIError(
                status: .payloadTooLarge, code: "payload_too_large",
                message: "request body exceeds the limit of \(limit) bytes")
        case .badTarget(let reason):
            error = .badRequest("bad request target: \(reason)", code: "bad_target")
        case .badMethod:
            error = .badRequest("the request method contains a NUL byte", code: "bad_method")
        case .badHeader(let reason):
            error = .badRequest("bad request header: \(reason)", code: "bad_header")
        case .unsupportedTransferCoding(let coding):
            error = APIError(
                status: .notImplemented, code: "unsupported_transfer_coding",
                message: "Transfer-Encoding \(JSONWriter.quoted(coding)) is not supported; send a "
                    + "Content-Length or Transfer-Encoding: chunked")
        case .headerTimeout(let seconds):
            error = APIError(
                status: .requestTimeout, code: "header_timeout",
                message: "the request head did not arrive within \(seconds) seconds")
        case .bodyTimeout(let seconds):
            error = APIError(
                status: .requestTimeout, code: "body_timeout",
                message: "the request body did not arrive within \(seconds) seconds")
        case .tooManyConnections(let limit):
            error = APIError(
                status: .serviceUnavailable, code: "too_many_connections",
                message: "the server holds its maximum of \(limit) connections and none is idle")
            error.headers.add(name: "Retry-After", value: "1")
        case .shuttingDown:
            error = APIError(status: .serviceUnavailable, code: "shutting_down", message: "the server is stopping")
        }
        var response = error.response
        response.routeLabel = Route(request.target.segments)?.label ?? Route.unmatchedLabel
        return response
    }

    private func route(_ request: HTTPRequest, _ route: Route?) throws(APIError) -> HTTPResponse {
        guard let route else {
            throw APIError.notFound("no route for \(request.method) \(request.path)")
        }
        guard route.allows(request.method) else {
            let allowed = route.methods.map(\.rawValue).joined(separator: ", ")
            var error = APIError(
                status: .methodNotAllowed, code: "method_not_allowed",
                message: "\(request.method) is not allowed on \(request.path); allowed: \(allowed)")
            error.headers.add(name: "Allow", value: allowed)
            throw error
        }
        if let name = route.arenaName, let problem = ArenaName.problem(with: name) {
            throw APIError.badRequest(
                "invalid arena name \(JSONWriter.quoted(name)) in the path: \(problem)",
                code: "invalid_name")
        }
        if !route.isProbe {
            try origins.checkHost(request)
        }
        try origins.checkOrigin(request)
        let isRead = request.method == .get || request.method == .head
        if token != nil, !isRead || configuration.auth.protectReads, !route.isPublic {
            try authorize(request)
        }
        switch route {
        case .dashboard: return dashboard(request)
        case .healthz: return Self.healthzResponse
        case .openAPIDocument: return openAPIDocument()
        case .livez, .readyz: return probe(route, request)
        case .metrics: return try reads.pass("/metrics") { () throws(APIError) in metrics(request) }
        case .arenas:
            if request.method == .post { return try createArena(request) }
            return try reads.pass("GET /arenas") { () throws(APIError) in listArenas(request) }
        case .arena(let name):
            return request.method == .delete ? try deleteArena(name) : try showArena(name)
        case .arenaEvents(let name):
            if try Self.isFollow(request) { return try arenaEvents(name, request) }
            return try reads.pass("/arenas/\(name)/events") { () throws(APIError) in try arenaEvents(name, request) }
        case .allocations(let name): return try allocate(name, request)
        case .blobs(let name): return try storeBlob(name, request)
        case .blob(let name, let id): return try readBlob(name, id: id)
        case .reset(let name): return try resetArena(name)
        case .checkpoints(let name): return try takeCheckpoint(name)
        case .rewind(let name): return try rewind(name, request)
        case .resetAll: return resetAll(request)
        case .generations(let name): return try generations(name)
        case .classes: return classes()
        case .allocationProfile:
            return try reads.pass("/debug/pprof/allocs") { () throws(APIError) in try allocationProfile(request) }
        case .events:
            if try Self.isFollow(request) { return try allEvents(request) }
            return try reads.pass("/events") { () throws(APIError) in try allEvents(request) }
        }
    }

    /// `/healthz`'s answer, made once: its body and headers are shared by every response (no allocation).
    private static let healthzResponse = HTTPResponse.text("ok\n")

    /// Checks `Authorization: Bearer <token>` in constant time. The scheme name is case-insensitive (RFC 9110
    /// section 11.1: `bearer` and `BEARER` are the same scheme); the token is compared exactly.
    private func authorize(_ request: HTTPRequest) throws(APIError) {
        guard let token else { return }
        let prefix = "Bearer "
        let presented = request.headers["Authorization"].flatMap { value -> [UInt8]? in
            guard value.utf8.count > prefix.utf8.count,
                HTTPHeaders.bytesEqualIgnoringASCIICase(value.utf8.prefix(prefix.utf8.count), prefix.utf8)
            else { return nil }
            return Array(value.utf8.dropFirst(prefix.utf8.count))
        }
        guard let presented, token.matches(presented) else {
            var error = APIError(
                status: .unauthorized, code: "unauthorized",
                message: presented == nil
                    ? "this request needs an 'Authorization: Bearer <token>' header"
                    : "the bearer token is not valid")
            error.headers.add(name: "WWW-Authenticate", value: #"Bearer realm="arena-server""#)
            throw error
        }
    }

    /// The arena named in the path; marks it as used (for idle timeouts).
    func arena(_ name: String) throws(APIError) -> RegisteredArena {
        guard let entry = registry.arena(named: name) else {
            throw APIError.notFound("no arena named '\(name)'", code: "unknown_arena")
        }
        entry.touch()
        return entry
    }

    /// Runs `body` with the arena named in the path while it stays in the registry (`whileRegistered`): a delete
    /// or an idle removal waits for `body`, so what it allocates or resets is in the counters the removal leaves
    /// in the arena's class (`classMetrics.retire`); an arena removed since the lookup is 404, as if looked up
    /// after. Every route that changes an arena's counters goes through here.
    func withArena<Result>(
        _ name: String, _ body: (RegisteredArena) throws(APIError) -> Result
    ) throws(APIError) -> Result {
        let entry = try arena(name)
        guard let result = try entry.whileRegistered({ () throws(APIError) in try body(entry) }) else {
            throw APIError.notFound("no arena named '\(name)'", code: "unknown_arena")
        }
        return result
    }

    /// Removes the arenas idle past their `ttl_seconds` (the idle sweeper calls it about once a second), with
    /// their counters kept in their class, and forgets their tables. Returns them.
    @discardableResult
    func removeIdleArenas(now: UInt64) -> [RegisteredArena] {
        let removed = classMetrics.retire { registry.removeIdle(now: now) }
        for entry in removed { forget(entry) }
        return removed
    }

    /// Drops the tables of an arena that left the registry (through `classMetrics.retire`).
    func forget(_ entry: RegisteredArena) {
        blobs.forget(arenaID: entry.arena.id)
        checkpoints.forget(arenaID: entry.arena.id)
    }
}
