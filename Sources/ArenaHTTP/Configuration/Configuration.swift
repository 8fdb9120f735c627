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
        /// `listen.allowed_hosts`: the names clients may reach the server as, in the `Host` header (with or
        /// without a port); any other `Host` is answered 421, so a DNS-rebinding page cannot read or control the
        /// server. Always allowed besides these: `localhost`, `127.0.0.1`, `[::1]` and `listen.host`.
        public var allowedHosts: [String]
    }

    /// Bounds on resources (`limits`).
    public struct Limits: Sendable, Equatable {
        /// `limits.max_arenas`: arenas that may exist at once, declared ones included; >= 1.
        public var maxArenas: Int
        /// `limits.max_total_bytes`: bytes all arenas together may reserve; > 0.
        public var maxTotalBytes: Int
        /// `limits.max_arena_bytes`: bytes one arena may reserve; 1...max_total_bytes.
        public var maxArenaBytes: Int
        /// `limits.max_classes`: distinct arena classes (metric label values) that may ever exist, declared ones
        /// included; an arena of a new class past it is refused with 409. >= 1.
        public var maxClasses: Int
        /// `limits.max_blobs_per_arena`: blobs one arena keeps at once; past it, 409 until a reset. >= 1.
        public var maxBlobsPerArena: Int
        /// `limits.max_body_bytes`: largest request body; larger ones are answered 413; > 0.
        public var maxBodyBytes: Int
        /// `limits.max_batch`: most operations in one batch request; >= 1.
        public var maxBatch: Int
        /// `limits.max_response_bytes`: the largest events answer; a request that would exceed it gets fewer
        /// events (and the `next` cursor to continue). >= 4KiB.
        public var maxResponseBytes: Int
        /// `limits.max_concurrent_reads`: expensive reads (`/events`, `/metrics`, `GET /arenas`) running at
        /// once; more are answered 503 with `Retry-After`. >= 1.
        public var maxConcurrentReads: Int
        /// `limits.max_connections`: simultaneous HTTP connections; 1...1000000. A connection beyond it is let
        /// in by closing the one that has waited longest for a request head, or refused with 503.
        public var maxConnections: Int
        /// `limits.max_connections_per_client`: connections one client address may hold; 0 = no limit (behind a
        /// proxy every client has the proxy's address). 0...1000000.
        public var maxConnectionsPerClient: Int
        /// `limits.connection_timeout_seconds`: silent seconds before a connection is closed; 0 = never;
        /// 0...86400.
        public var connectionTimeoutSeconds: Int
        /// `limits.header_timeout_seconds`: a connection must send a complete request head within this many
        /// seconds of opening or of its previous response (also how long an idle keep-alive connection stays);
        /// past it a begun request is answered 408 and the connection closed. 0 = no limit; 0...3600.
        public var headerTimeoutSeconds: Int
        /// `limits.body_timeout_seconds`: a request's whole body must arrive within this many seconds of its
        /// head; past it, 408 and the connection is closed. 0 = no limit; 0...86400.
        public var bodyTimeoutSeconds: Int
        /// `limits.shutdown_grace_seconds`: on SIGTERM, how long open connections get to finish (each is answered
        /// with `Connection: close`, new requests with 503) before the rest are closed. 0...300.
        public var shutdownGraceSeconds: Int
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
        /// `auth.allowed_origins`: web origins (`https://ops.example.com`) allowed to send changes (POST,
        /// DELETE) from a browser besides the server's own; a change whose `Origin` or `Sec-Fetch-Site` says it
        /// comes from another site is refused with 403.
        public var allowedOrigins: [String]
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
    /// `log_format`: `"text"` (the default) or `"json"`, the layout of every line on standard error (see
    /// `LogFormat`).
    public var logFormat: LogFormat
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
        listen: Listen, threads: Int, logRequests: Bool, logFormat: LogFormat, limits: Limits, trace: Trace,
        auth: Auth, arenas: [Arena]
    ) {
        self.listen = listen
        self.threads = threads
        self.logRequests = logRequests
        self.logFormat = logFormat
        self.limits = limits
        self.trace = trace
        self.auth = auth
        self.arenas = arenas
    }

    /// `builtInJSON` parsed over nothing: every key must be present in it (a test parses it on every run).
    static let builtIn: Configuration = {
        let unset = Configuration(
            listen: Listen(host: "", port: 0, allowedHosts: []), threads: 0, logRequests: false, logFormat: .text,
            limits: Limits(
                maxArenas: 0, maxTotalBytes: 0, maxArenaBytes: 0, maxClasses: 0, maxBlobsPerArena: 0,
                maxBodyBytes: 0, maxBatch: 0, maxResponseBytes: 0, maxConcurrentReads: 0, maxConnections: 0,
                maxConnectionsPerClient: 0, connectionTimeoutSeconds: 0, headerTimeoutSeconds: 0,
                bodyTimeoutSeconds: 0, shutdownGraceSeconds: 0, connectionMemoryBytes: 0),
            trace: Trace(ringCapacity: 0),
            auth: Auth(token: nil, tokenFile: nil, protectReads: false, allowedOrigins: []), arenas: [])
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
        let arenaText =
            arenas.isEmpty
            ? "no arenas"
            : "\(arenas.count) arena\(arenas.count == 1 ? "" : "s") (\(arenas.map(\.name).joined(separator: ", ")))"
        let authText = auth.token == nil ? "auth off" : (auth.protectReads ? "auth on (reads too)" : "auth on (writes)")
        return "listen \(listen.host):\(listen.port), \(threads) threads, \(arenaText), "
            + "max body \(ByteSize.format(limits.maxBodyBytes)), \(authText), "
            + "request log \(logRequests ? "on" : "off"), log format \(logFormat.rawValue)"
    }
}
