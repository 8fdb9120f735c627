import ArenaCore
import Dispatch
import Synchronization

/// `GET /debug/pprof/allocs?arena=NAME|class=CLASS&seconds=N`: the allocations of one arena, of every arena of a
/// class, or of every traced arena, as a gzip-compressed pprof profile (`AllocationProfile`) that
/// `go tool pprof` reads.
///
/// Without `seconds`: what the arenas' trace rings still hold. With `seconds=N` (1 to 60): a delta profile, what
/// was allocated during the next N seconds (as Go's `net/http/pprof`), sent when the window closes; the
/// connection waits without holding a worker thread.
extension ArenaAPI {
    static let maxProfileSeconds = 60

    func allocationProfile(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let scope = try ProfileScope(request)
        var seconds: Int?
        if let text = request.query["seconds"] {
            guard let value = Int(text), (1...Self.maxProfileSeconds).contains(value) else {
                throw APIError.badRequest(
                    "query parameter 'seconds' must be a whole number from 1 to \(Self.maxProfileSeconds), got '\(text)'",
                    code: "bad_query")
            }
            seconds = value
        }
        let arenas = try scope.arenas(in: registry)
        var response: HTTPResponse
        if let seconds {
            // Where each ring stands now: the window's profile is what comes after.
            let start = Dictionary(
                uniqueKeysWithValues: arenas.compactMap { entry in
                    entry.arena.trace.map { (ObjectIdentifier(entry), $0.lastSequence) }
                })
            let window = ProfileWindow(
                registry: registry, scope: scope, start: start, seconds: seconds, startedAt: WallClock.now())
            response = HTTPResponse(status: .ok, body: .stream(window))
        } else {
            var profile = AllocationProfile()
            for entry in arenas {
                guard let ring = entry.arena.trace else { continue }
                for event in ring.events(after: 0) {
                    profile.add(event, arena: entry.name, arenaClass: entry.arenaClass)
                }
            }
            let now = WallClock.now()
            response = HTTPResponse(
                status: .ok,
                body: .bytes(Gzip.compress(profile.encoded(timeNanoseconds: now, durationNanoseconds: 0))))
        }
        response.headers.add(name: "Content-Type", value: "application/octet-stream")
        response.headers.add(name: "Content-Disposition", value: #"attachment; filename="allocs.pb.gz""#)
        response.headers.add(name: "Cache-Control", value: "no-cache")
        return response
    }
}

/// Which arenas a profile covers.
enum ProfileScope: Sendable {
    case arena(String)
    case arenaClass(String)
    case all

    init(_ request: HTTPRequest) throws(APIError) {
        switch (request.query["arena"], request.query["class"]) {
        case (let name?, nil): self = .arena(name)
        case (nil, let name?): self = .arenaClass(name)
        case (nil, nil): self = .all
        case (.some, .some):
            throw APIError.badRequest("give query parameter 'arena' or 'class', not both", code: "bad_query")
        }
    }

    /// The registered arenas in scope; an unknown arena is 404.
    func arenas(in registry: ArenaRegistry) throws(APIError) -> [RegisteredArena] {
        switch self {
        case .arena(let name):
            guard let entry = registry.arena(named: name) else {
                throw APIError.notFound("no arena named '\(name)'", code: "unknown_arena")
            }
            return [entry]
        case .arenaClass(let name):
            return registry.arenas().filter { $0.arenaClass == name }
        case .all:
            return registry.arenas()
        }
    }
}

/// The body of a delta profile: idle until the window closes, then the gzip bytes, then the end.
final class ProfileWindow: HTTPBodyStream, @unchecked Sendable {
    // @unchecked: mutable state is in `state`; the rest is immutable.

    private struct State {
        var body: [UInt8]?
        var sent = 0
        var waiter: TraceWaiter?
        var timerSet = false
    }

    private let registry: ArenaRegistry
    private let scope: ProfileScope
    /// Each ring's newest sequence number when the window opened, by arena.
    private let start: [ObjectIdentifier: UInt64]
    private let seconds: Int
    private let startedAt: UInt64
    private let state = ArenaLock(State())

    init(
        registry: ArenaRegistry, scope: ProfileScope, start: [ObjectIdentifier: UInt64], seconds: Int,
        startedAt: UInt64
    ) {
        self.registry = registry
        self.scope = scope
        self.start = start
        self.seconds = seconds
        self.startedAt = startedAt
    }

    func start(wake: @escaping @Sendable () -> Void) {
        let waiter = TraceWaiter(wake)
        state.withLock { $0.waiter = waiter }
    }

    func next(max: Int) -> HTTPBodyChunk {
        let now = WallClock.now()
        let closesAt = startedAt + UInt64(seconds) * 1_000_000_000
        return state.withLock { state in
            if state.body == nil {
                guard now >= closesAt else {
                    if !state.timerSet, let waiter = state.waiter {
                        state.timerSet = true
                        DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(Int(closesAt - now))) {
                            waiter.wake()
                        }
                    }
                    return .idle
                }
                state.body = profile(endedAt: now)
            }
            // Safe to force: set just above.
            let body = state.body!
            guard state.sent < body.count else { return .end }
            let count = Swift.min(max, body.count - state.sent)
            defer { state.sent += count }
            return .data(Array(body[state.sent..<(state.sent + count)]))
        }
    }

    func finish() {
        state.withLock { state in
            state.waiter = nil
            state.body = []
        }
    }

    /// The events recorded since the window opened, in arenas in scope now (an arena created during the window
    /// counts from its first event).
    private func profile(endedAt: UInt64) -> [UInt8] {
        var profile = AllocationProfile()
        for entry in (try? scope.arenas(in: registry)) ?? [] {
            guard let ring = entry.arena.trace else { continue }
            let after = start[ObjectIdentifier(entry)] ?? 0
            for event in ring.events(after: after) {
                profile.add(event, arena: entry.name, arenaClass: entry.arenaClass)
            }
        }
        return Gzip.compress(
            profile.encoded(timeNanoseconds: startedAt, durationNanoseconds: endedAt - startedAt))
    }
}
