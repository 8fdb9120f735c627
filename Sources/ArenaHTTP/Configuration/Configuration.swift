import ArenaCore

/// Everything an arena server is configured with.
///
/// Every value has a built-in default, and the built-in defaults are the embedded default configuration,
/// `Configuration.builtInJSON` (byte for byte `config/arena-server.json`): `Configuration()` is that document
/// parsed, so no default is written anywhere else.
///
/// Sources for the daemon, highest precedence first: command-line flags, `ARENA_SERVER_*` environment variables,
/// the JSON file (`--config` or `ARENA_SERVER_CONFIG`), the built-in default. See
/// `Configuration.load(commandLine:environment:)`.
///
/// ```swift
/// var configuration = Configuration()
/// configuration.listen.port = 0              // any free port
/// configuration.limits.maxBodyBytes          // 1048576 unless configured otherwise
/// ```
public struct Configuration: Sendable, Equatable {
    /// Where to listen (`listen`).
    public struct Listen: Sendable, Equatable {
        /// `listen.host`: an IPv4 address, or `"localhost"` for 127.0.0.1. Any non-loopback address requires an
        /// auth token.
        public var host: String
        /// `listen.port`: 0...65535; 0 lets the kernel choose.
        public var port: UInt16
    }

    /// Bounds on resources (`limits`).
    public struct Limits: Sendable, Equatable {
        /// `limits.max_arenas`: arenas that may exist at once, declared ones included; >= 1.
        public var maxArenas: Int
        /// `limits.max_total_bytes`: bytes all arenas together may reserve; > 0.
        public var maxTotalBytes: Int
        /// `limits.max_arena_bytes`: bytes one arena may reserve; 1...max_total_bytes.
        public var maxArenaBytes: Int
        /// `limits.max_body_bytes`: largest request body; larger ones are answered 413; > 0.
        public var maxBodyBytes: Int
        /// `limits.max_batch`: most operations in one batch request; >= 1.
        public var maxBatch: Int
        /// `limits.max_connections`: simultaneous HTTP connections; 1...1000000.
        public var maxConnections: Int
        /// `limits.connection_timeout_seconds`: silent seconds before a connection is closed; 0 = never;
        /// 0...86400.
        public var connectionTimeoutSeconds: Int
        /// `limits.connection_memory`: memory pool per connection (headers and buffers); 4KiB...1GiB.
        public var connectionMemoryBytes: Int
    }

    /// Allocation tracing (`trace`).
    public struct Trace: Sendable, Equatable {
        /// `trace.ring_capacity`: events kept per traced arena; a power of two, 1...1048576.
        public var ringCapacity: Int
    }

    /// Bearer-token authentication (`auth`).
    public struct Auth: Sendable, Equatable {
        /// The token clients must present, once loaded: from `auth.token`, `ARENA_SERVER_TOKEN`, or read from the
        /// token file (trailing whitespace removed). nil = no authentication. Never logged.
        public var token: String?
        /// `auth.token_file` (or `ARENA_SERVER_TOKEN_FILE`, `--token-file`): file holding the token, relative
        /// paths from the current directory.
        public var tokenFile: String?
        /// `auth.protect_reads`: require the token for reads too, not only for changes.
        public var protectReads: Bool
    }

    /// An arena created at start-up (an entry of `arenas`).
    public struct Arena: Sendable, Equatable {
        /// `name` (required): 1-64 characters of `[A-Za-z0-9._-]`, not starting with `.`; unique.
        public var name: String
        /// `class`: a label for grouping in metrics, same character rules. Default: the name.
        public var arenaClass: String
        /// `policy` (`"fixed"`, the default, or `"growing"`) with its sizes: `capacity` for a fixed arena,
        /// `limit` and `initial_chunk` (default min(16 KiB, limit)) for a growing one (see `PolicyFields`).
        public var policy: ArenaPolicy
        /// `trace`: record allocation events in the trace ring. Default true.
        public var trace: Bool

        public init(name: String, arenaClass: String? = nil, policy: ArenaPolicy, trace: Bool = true) {
            self.name = name
            self.arenaClass = arenaClass ?? name
            self.policy = policy
            self.trace = trace
        }
    }

    /// `listen`.
    public var listen: Listen
    /// `threads`: HTTP worker threads, 1...256.
    public var threads: Int
    /// `log_requests`: one line per request on standard error.
    public var logRequests: Bool
    /// `limits`.
    public var limits: Limits
    /// `trace`.
    public var trace: Trace
    /// `auth`.
    public var auth: Auth
    /// `arenas`: created at start-up; an explicit list replaces the built-in one.
    public var arenas: [Arena]

    /// The built-in configuration: `builtInJSON`, parsed.
    public init() { self = Self.builtIn }

    init(
        listen: Listen, threads: Int, logRequests: Bool, limits: Limits, trace: Trace, auth: Auth,
        arenas: [Arena]
    ) {
        self.listen = listen
        self.threads = threads
        self.logRequests = logRequests
        self.limits = limits
        self.trace = trace
        self.auth = auth
        self.arenas = arenas
    }

    /// `builtInJSON` parsed over nothing: every key must be present in it (a test parses it on every run).
    static let builtIn: Configuration = {
        let unset = Configuration(
            listen: Listen(host: "", port: 0), threads: 0, logRequests: false,
            limits: Limits(
                maxArenas: 0, maxTotalBytes: 0, maxArenaBytes: 0, maxBodyBytes: 0, maxBatch: 0,
                maxConnections: 0, connectionTimeoutSeconds: 0, connectionMemoryBytes: 0),
            trace: Trace(ringCapacity: 0), auth: Auth(token: nil, tokenFile: nil, protectReads: false), arenas: [])
        do throws(ConfigurationError) {
            return try parse(
                json: Array(builtInJSON.utf8), source: builtInSourceName, over: unset,
                requireEveryKey: true)
        } catch {
            preconditionFailure("the built-in configuration does not parse: \(error.message)")
        }
    }()

    /// One line for `--check-config`; never shows the token.
    public var summary: String {
        let arenaList = arenas.map(\.name).joined(separator: ", ")
        let authText = auth.token == nil ? "auth off" : (auth.protectReads ? "auth on (reads too)" : "auth on (writes)")
        return "listen \(listen.host):\(listen.port), \(threads) threads, \(arenas.count) arenas (\(arenaList)), "
            + "max body \(ByteSize.format(limits.maxBodyBytes)), \(authText), "
            + "request log \(logRequests ? "on" : "off")"
    }
}
