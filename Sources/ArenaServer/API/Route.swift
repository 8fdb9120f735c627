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

    /// The route for `path`, or nil (404). A trailing slash is ignored.
    init?(path: String) {
        var segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.first == "" else { return nil }
        segments.removeFirst()
        if segments.count > 1, segments.last == "" { segments.removeLast() }
        switch segments.count {
        case 1:
            switch segments[0] {
            case "": self = .dashboard
            case "healthz": self = .healthz
            case "metrics": self = .metrics
            case "arenas": self = .arenas
            case "reset": self = .resetAll
            case "events": self = .events
            default: return nil
            }
        case 2 where segments[0] == "arenas" && !segments[1].isEmpty:
            self = .arena(segments[1])
        case 3 where segments[0] == "arenas" && !segments[1].isEmpty:
            switch segments[2] {
            case "events": self = .arenaEvents(segments[1])
            case "allocations": self = .allocations(segments[1])
            case "blobs": self = .blobs(segments[1])
            case "reset": self = .reset(segments[1])
            case "checkpoints": self = .checkpoints(segments[1])
            case "rewind": self = .rewind(segments[1])
            default: return nil
            }
        case 4 where segments[0] == "arenas" && segments[2] == "blobs" && !segments[1].isEmpty
            && !segments[3].isEmpty:
            self = .blob(segments[1], segments[3])
        default:
            return nil
        }
    }

    /// Methods this route answers; HEAD is allowed wherever GET is.
    var methods: [HTTPMethod] {
        switch self {
        case .dashboard, .healthz, .metrics, .arenaEvents, .blob, .events: [.get, .head]
        case .arenas: [.get, .head, .post]
        case .arena: [.get, .head, .delete]
        case .allocations, .blobs, .reset, .checkpoints, .rewind, .resetAll: [.post]
        }
    }
}

extension Route {
    /// The route's pattern, for the `route` label of HTTP metrics (bounded cardinality).
    var label: String {
        switch self {
        case .dashboard: "/"
        case .healthz: "/healthz"
        case .metrics: "/metrics"
        case .arenas: "/arenas"
        case .arena: "/arenas/{name}"
        case .arenaEvents: "/arenas/{name}/events"
        case .allocations: "/arenas/{name}/allocations"
        case .blobs: "/arenas/{name}/blobs"
        case .blob: "/arenas/{name}/blobs/{id}"
        case .reset: "/arenas/{name}/reset"
        case .checkpoints: "/arenas/{name}/checkpoints"
        case .rewind: "/arenas/{name}/rewind"
        case .resetAll: "/reset"
        case .events: "/events"
        }
    }

    /// Every label, plus the one for paths no route serves.
    static let labels = [
        "/", "/healthz", "/metrics", "/arenas", "/arenas/{name}", "/arenas/{name}/events",
        "/arenas/{name}/allocations", "/arenas/{name}/blobs", "/arenas/{name}/blobs/{id}", "/arenas/{name}/reset",
        "/arenas/{name}/checkpoints", "/arenas/{name}/rewind", "/reset", "/events", "unmatched",
    ]
}
