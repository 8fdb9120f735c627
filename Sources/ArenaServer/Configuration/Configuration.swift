/// Everything the daemon is configured with. Every field has a built-in default, and the built-in defaults are
/// exactly what `config/arena-server.json` (embedded as `Configuration.builtInJSON`) says.
///
/// Sources, highest precedence first: command-line flags, `ARENA_SERVER_*` environment variables, the JSON file
/// (`--config` or `ARENA_SERVER_CONFIG`), the built-in default. See `Configuration.load(commandLine:environment:)`.
///
/// ```swift
/// let configuration = try Configuration.load(environment: ProcessInfo.processInfo.environment)
/// configuration.limits.maxBodyBytes   // 1048576 unless configured otherwise
/// ```
struct Configuration: Sendable, Equatable {
    /// Where to listen (`listen`).
    struct Listen: Sendable, Equatable {
        /// `listen.host`: an IPv4 address, or `"localhost"` for 127.0.0.1. Default `"127.0.0.1"`.
        /// Any non-loopback address requires an auth token.
        var host: String = "127.0.0.1"
        /// `listen.port`: 0...65535; 0 lets the kernel choose. Default 8080.
        var port: UInt16 = 8080
    }

    /// Bounds on resources (`limits`).
    struct Limits: Sendable, Equatable {
        /// `limits.max_arenas`: arenas that may exist at once, declared ones included; >= 1. Default 1024.
        var maxArenas: Int = 1024
        /// `limits.max_total_bytes`: bytes all arenas together may reserve; > 0. Default 1 GiB.
        var maxTotalBytes: Int = 1 << 30
        /// `limits.max_arena_bytes`: bytes one arena may reserve; 1...max_total_bytes. Default 256 MiB.
        var maxArenaBytes: Int = 256 << 20
        /// `limits.max_body_bytes`: largest request body; larger ones are answered 413; > 0. Default 1 MiB.
        var maxBodyBytes: Int = 1 << 20
        /// `limits.max_batch`: most operations in one batch request; >= 1. Default 1024.
        var maxBatch: Int = 1024
        /// `limits.max_connections`: simultaneous HTTP connections; 1...1000000. Default 512.
        var maxConnections: Int = 512
        /// `limits.connection_timeout_seconds`: idle seconds before a connection is closed; 0 = never;
        /// 0...86400. Default 30.
        var connectionTimeoutSeconds: Int = 30
        /// `limits.connection_memory`: memory pool per connection (headers and buffers); 4KiB...1GiB.
        /// Default 64 KiB.
        var connectionMemoryBytes: Int = 64 << 10
    }

    /// Allocation tracing (`trace`).
    struct Trace: Sendable, Equatable {
        /// `trace.ring_capacity`: events kept per traced arena; a power of two, 1...1048576. Default 4096.
        var ringCapacity: Int = 4096
    }

    /// Bearer-token authentication (`auth`).
    struct Auth: Sendable, Equatable {
        /// The token clients must present, once loaded: from `auth.token`, `ARENA_SERVER_TOKEN`, or read from the
        /// token file (trailing whitespace removed). nil = no authentication. Default nil. Never logged.
        var token: String?
        /// `auth.token_file` (or `ARENA_SERVER_TOKEN_FILE`, `--token-file`): file holding the token, relative
        /// paths from the current directory. Default nil.
        var tokenFile: String?
        /// `auth.protect_reads`: require the token for reads too, not only for changes. Default false.
        var protectReads: Bool = false
    }

    /// How an arena gets its memory.
    enum Policy: Sendable, Equatable {
        /// `"policy": "fixed"`: one block of `capacity` bytes (`capacity`, required).
        case fixed(capacity: Int)
        /// `"policy": "growing"`: chunks starting at `initialChunk` bytes (`initial_chunk`, default
        /// min(16 KiB, limit)), up to `limit` bytes in all (`limit`, required).
        case growing(initialChunk: Int, limit: Int)

        /// The most memory the arena can hold, counted against `limits.max_total_bytes`.
        var reservedBytes: Int {
            switch self {
            case .fixed(let capacity): capacity
            case .growing(_, let limit): limit
            }
        }
    }

    /// An arena created at start-up (an entry of `arenas`).
    struct Arena: Sendable, Equatable {
        /// `name` (required): 1-64 characters of `[A-Za-z0-9._-]`, not starting with `.`; unique.
        var name: String
        /// `class`: a label for grouping in metrics, same character rules. Default: the name.
        var arenaClass: String
        /// `policy` (required) with its sizes.
        var policy: Policy
        /// `trace`: record allocation events in the trace ring. Default true.
        var trace: Bool = true

        init(name: String, arenaClass: String? = nil, policy: Policy, trace: Bool = true) {
            self.name = name
            self.arenaClass = arenaClass ?? name
            self.policy = policy
            self.trace = trace
        }
    }

    /// `listen`. Default 127.0.0.1:8080.
    var listen = Listen()
    /// `threads`: HTTP worker threads, 1...256. Default 2.
    var threads: Int = 2
    /// `log_requests`: one line per request on standard error. Default true.
    var logRequests: Bool = true
    /// `limits`.
    var limits = Limits()
    /// `trace`.
    var trace = Trace()
    /// `auth`. Default: no token.
    var auth = Auth()
    /// `arenas`: created at start-up. Default: `request` (fixed 64 KiB, traced), `frame` (growing 16 KiB chunks up
    /// to 16 MiB, traced), `scratch` (fixed 1 MiB, not traced). An explicit list replaces the default one.
    var arenas: [Arena] = Configuration.defaultArenas

    /// The arenas of the built-in configuration.
    static let defaultArenas: [Arena] = [
        Arena(name: "request", policy: .fixed(capacity: 64 << 10), trace: true),
        Arena(name: "frame", policy: .growing(initialChunk: 16 << 10, limit: 16 << 20), trace: true),
        Arena(name: "scratch", policy: .fixed(capacity: 1 << 20), trace: false),
    ]

    /// Built-in defaults, identical to parsing `builtInJSON`.
    init() {}

    /// One line for `--check-config`; never shows the token.
    var summary: String {
        let arenaList = arenas.map(\.name).joined(separator: ", ")
        let authText = auth.token == nil ? "auth off" : (auth.protectReads ? "auth on (reads too)" : "auth on (writes)")
        return "listen \(listen.host):\(listen.port), \(threads) threads, \(arenas.count) arenas (\(arenaList)), "
            + "max body \(ByteSize.format(limits.maxBodyBytes)), \(authText), "
            + "request log \(logRequests ? "on" : "off")"
    }
}
