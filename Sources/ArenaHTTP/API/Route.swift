/// Every path the API serves, and the methods each allows (for 405 and `Allow`).
enum Route: Equatable {
    case dashboard
    case healthz
    case metrics
    case arenas
    case arena(String)
    case arenaEvents(String)
    case allocations(String)
    case blobs(String)
    case blob(String, String)
    case reset(String)
    case checkpoints(String)
    case rewind(String)
    case resetAll
    case events
    case generations(String)
    case classes
    case allocationProfile
    case livez
    case readyz
    case openAPIDocument

    /// The route for the decoded path segments (`RequestTarget.segments`), or nil (404).
    init?(_ segments: [String]) {
        switch segments.count {
        case 1:
            switch segments[0] {
            case "": self = .dashboard
            case "healthz": self = .healthz
            case "metrics": self = .metrics
            case "arenas": self = .arenas
            case "reset": self = .resetAll
            case "events": self = .events
            case "classes": self = .classes
            case "livez": self = .livez
            case "readyz": self = .readyz
            case "openapi.yaml": self = .openAPIDocument
            default: return nil
            }
        case 2 where segments[0] == "arenas":
            self = .arena(segments[1])
        case 3 where segments[0] == "arenas":
            switch segments[2] {
            case "events": self = .arenaEvents(segments[1])
            case "allocations": self = .allocations(segments[1])
            case "blobs": self = .blobs(segments[1])
            case "reset": self = .reset(segments[1])
            case "checkpoints": self = .checkpoints(segments[1])
            case "rewind": self = .rewind(segments[1])
            case "generations": self = .generations(segments[1])
            default: return nil
            }
        case 3 where segments == ["debug", "pprof", "allocs"]:
            self = .allocationProfile
        case 4 where segments[0] == "arenas" && segments[2] == "blobs":
            self = .blob(segments[1], segments[3])
        default:
            return nil
        }
    }

    /// The arena name the path carries, if any (checked against `ArenaName` before the route runs).
    var arenaName: String? {
        switch self {
        case .arena(let name), .arenaEvents(let name), .allocations(let name), .blobs(let name), .blob(let name, _),
            .reset(let name), .checkpoints(let name), .rewind(let name), .generations(let name):
            name
        case .dashboard, .healthz, .metrics, .arenas, .resetAll, .events, .classes, .allocationProfile, .livez,
            .readyz, .openAPIDocument:
            nil
        }
    }

    /// Methods this route answers; HEAD is allowed wherever GET is.
    var methods: [HTTPMethod] {
        switch self {
        case .dashboard, .healthz, .metrics, .arenaEvents, .blob, .events, .generations, .classes, .allocationProfile,
            .livez, .readyz, .openAPIDocument:
            [.get, .head]
        case .arenas: [.get, .head, .post]
        case .arena: [.get, .head, .delete]
        case .allocations, .blobs, .reset, .checkpoints, .rewind, .resetAll: [.post]
        }
    }

    /// Whether the route answers `method`: `methods.contains(method)` without building the array, since this runs
    /// for every request.
    func allows(_ method: HTTPMethod) -> Bool {
        switch self {
        case .dashboard, .healthz, .metrics, .arenaEvents, .blob, .events, .generations, .classes, .allocationProfile,
            .livez, .readyz, .openAPIDocument:
            method == .get || method == .head
        case .arenas: method == .get || method == .head || method == .post
        case .arena: method == .get || method == .head || method == .delete
        case .allocations, .blobs, .reset, .checkpoints, .rewind, .resetAll: method == .post
        }
    }

    /// The route's pattern, for the `route` label of the request log and metrics (bounded cardinality).
    var label: String { Self.labels[labelIndex] }

    /// The position of `label` in `labels`.
    var labelIndex: Int {
        switch self {
        case .dashboard: 0
        case .healthz: 1
        case .metrics: 2
        case .arenas: 3
        case .arena: 4
        case .arenaEvents: 5
        case .allocations: 6
        case .blobs: 7
        case .blob: 8
        case .reset: 9
        case .checkpoints: 10
        case .rewind: 11
        case .resetAll: 12
        case .events: 13
        case .generations: 14
        case .classes: 15
        case .allocationProfile: 16
        case .livez: 17
        case .readyz: 18
        case .openAPIDocument: 19
        }
    }

    /// The health probes (`/healthz`, `/livez`, `/readyz`): open without a token and under any `Host`, since
    /// load balancers and kubelets probe by whatever address they were given.
    var isProbe: Bool {
        switch self {
        case .healthz, .livez, .readyz: true
        default: false
        }
    }

    /// Routes that never need the token, even with `auth.protect_reads`: the probes, and the API's OpenAPI document
    /// (the same for every server, it tells nothing about this one's arenas). Unlike the probes, the document
    /// still checks `Host`: browsers read documentation, and the rule against DNS rebinding stays one rule.
    var isPublic: Bool {
        isProbe || self == .openAPIDocument
    }

    /// Every label, in `labelIndex` order, then the one for paths no route serves.
    static let labels = [
        "/", "/healthz", "/metrics", "/arenas", "/arenas/{name}", "/arenas/{name}/events",
        "/arenas/{name}/allocations", "/arenas/{name}/blobs", "/arenas/{name}/blobs/{id}", "/arenas/{name}/reset",
        "/arenas/{name}/checkpoints", "/arenas/{name}/rewind", "/reset", "/events", "/arenas/{name}/generations",
        "/classes", "/debug/pprof/allocs", "/livez", "/readyz", "/openapi.yaml", unmatchedLabel,
    ]

    /// The label of requests no route serves (and of refusals whose path is unreadable).
    static let unmatchedLabel = "unmatched"
}
