import ArenaCore

extension Configuration {
    /// Valid ranges, shared by the file, environment and flag checks.
    enum Bounds {
        static let port = 0...65535
        static let threads = 1...256
        static let maxArenas = 1...1_048_576
        static let positiveSize = 1...Int.max
        static let maxBatch = 1...1_048_576
        static let maxConnections = 1...1_000_000
        static let maxConnectionsPerClient = 0...1_000_000
        static let maxClasses = 1...1_048_576
        static let maxBlobsPerArena = 1...(1 << 24)
        static let maxResponseBytes = (4 << 10)...Int.max
        static let maxConcurrentReads = 1...1024
        static let connectionTimeoutSeconds = 0...86_400
        static let headerTimeoutSeconds = 0...3600
        static let bodyTimeoutSeconds = 0...86_400
        static let shutdownGraceSeconds = 0...300
        static let connectionMemory = (4 << 10)...(1 << 30)
        static let ringCapacity = 1...(1 << 20)
    }

    /// Parses and validates a configuration document. Keys not present keep their values in `base` (the built-in
    /// defaults unless given). Does not read the token file and does not apply environment or flags; see `load`.
    ///
    /// - Parameters:
    ///   - source: names the document in syntax errors, e.g. the file path.
    ///   - requireEveryKey: every key must be present (the built-in configuration itself).
    public static func parse(json bytes: [UInt8], source: String) throws(ConfigurationError) -> Configuration {
        try parse(json: bytes, source: source, over: Configuration(), requireEveryKey: false)
    }

    static func parse(
        json bytes: [UInt8], source: String, over base: Configuration, requireEveryKey: Bool
    )
        throws(ConfigurationError) -> Configuration
    {
        let document: JSONValue
        do {
            document = try JSONValue.parse(bytes)
        } catch {
            throw ConfigurationError(source, "invalid JSON: \(error)")
        }
        return try parse(document, over: base, requireEveryKey: requireEveryKey)
    }

    /// Reads a configuration from a parsed document.
    static func parse(
        _ document: JSONValue, over base: Configuration = Configuration(), requireEveryKey: Bool = false
    )
        throws(ConfigurationError) -> Configuration
    {
        let every = requireEveryKey
        let root = try ConfigurationObject(
            document, path: "",
            allowedKeys: [
                "listen", "threads", "log_requests", "log_format", "limits", "trace", "auth", "arenas",
            ], requireEveryKey: every)
        var configuration = base

        if let listenValue = root.value("listen") {
            let listen = try ConfigurationObject(
                listenValue, path: "listen", allowedKeys: ["host", "port", "allowed_hosts"], requireEveryKey: every)
            if let hosts = try listen.strings("allowed_hosts") {
                configuration.listen.allowedHosts = hosts
            }
            if let host = try listen.string("host") {
                configuration.listen.host = try ConfigurationValue.host(host, at: "listen.host")
            }
            if let port = try listen.integer("port", in: Bounds.port) {
                configuration.listen.port = UInt16(port)
            }
        }
        configuration.threads = try root.integer("threads", in: Bounds.threads) ?? configuration.threads
        configuration.logRequests = try root.bool("log_requests") ?? configuration.logRequests
        if let format = try root.string("log_format") {
            configuration.logFormat = try ConfigurationValue.logFormat(format, at: "log_format")
        }
        if let limitsValue = root.value("limits") {
            configuration.limits = try parseLimits(limitsValue, over: base.limits, requireEveryKey: every)
        }
        if let traceValue = root.value("trace") {
            let trace = try ConfigurationObject(
                traceValue, path: "trace", allowedKeys: ["ring_capacity"],
                requireEveryKey: every)
            if let capacity = try trace.integer("ring_capacity", in: Bounds.ringCapacity) {
                guard capacity & (capacity - 1) == 0 else {
                    throw ConfigurationError("trace.ring_capacity", "expected a power of two, got \(capacity)")
                }
                configuration.trace.ringCapacity = capacity
            }
        }
        if let authValue = root.value("auth") {
            configuration.auth = try parseAuth(authValue, over: base.auth, requireEveryKey: every)
        }
        if let arenasValue = root.value("arenas") {
            configuration.arenas = try parseArenas(
                arenasValue, limits: configuration.limits, ringCapacity: configuration.trace.ringCapacity)
        } else {
            try checkArenaBudget(
                configuration.arenas, limits: configuration.limits, ringCapacity: configuration.trace.ringCapacity)
        }
        return configuration
    }

    /// The integer and size keys of `limits`, each with its field and its range.
    private static var limitIntegers: [(key: String, field: WritableKeyPath<Limits, Int>, range: ClosedRange<Int>)] {
        [
            ("max_arenas", \.maxArenas, Bounds.maxArenas),
            ("max_classes", \.maxClasses, Bounds.maxClasses),
            ("max_blobs_per_arena", \.maxBlobsPerArena, Bounds.maxBlobsPerArena),
            ("max_batch", \.maxBatch, Bounds.maxBatch),
            ("max_concurrent_reads", \.maxConcurrentReads, Bounds.maxConcurrentReads),
            ("max_connections", \.maxConnections, Bounds.maxConnections),
            ("max_connections_per_client", \.maxConnectionsPerClient, Bounds.maxConnectionsPerClient),
            ("connection_timeout_seconds", \.connectionTimeoutSeconds, Bounds.connectionTimeoutSeconds),
            ("header_timeout_seconds", \.headerTimeoutSeconds, Bounds.headerTimeoutSeconds),
            ("body_timeout_seconds", \.bodyTimeoutSeconds, Bounds.bodyTimeoutSeconds),
            ("shutdown_grace_seconds", \.shutdownGraceSeconds, Bounds.shutdownGraceSeconds),
        ]
    }
    private static var limitSizes: [(key: String, field: WritableKeyPath<Limits, Int>, range: ClosedRange<Int>)] {
        [
            ("max_total_bytes", \.maxTotalBytes, Bounds.positiveSize),
            ("max_arena_bytes", \.maxArenaBytes, Bounds.positiveSize),
            ("max_body_bytes", \.maxBodyBytes, Bounds.positiveSize),
            ("max_response_bytes", \.maxResponseBytes, Bounds.maxResponseBytes),
            ("connection_memory", \.connectionMemoryBytes, Bounds.connectionMemory),
        ]
    }

    private static func parseLimits(
        _ value: JSONValue, over base: Limits, requireEveryKey: Bool
    )
        throws(ConfigurationError) -> Limits
    {
        let object = try ConfigurationObject(
            value, path: "limits", allowedKeys: limitIntegers.map(\.key) + limitSizes.map(\.key),
            requireEveryKey: requireEveryKey)
        var limits = base
        for (key, field, range) in limitIntegers {
            if let number = try object.integer(key, in: range) { limits[keyPath: field] = number }
        }
        for (key, field, range) in limitSizes {
            if let bytes = try object.size(key, in: range) { limits[keyPath: field] = bytes }
        }
        guard limits.maxArenaBytes <= limits.maxTotalBytes else {
            throw ConfigurationError(
                "limits.max_arena_bytes",
                "\(ByteSize.format(limits.maxArenaBytes)) is more than limits.max_total_bytes "
                    + "(\(ByteSize.format(limits.maxTotalBytes)))")
        }
        return limits
    }

    private static func parseAuth(
        _ value: JSONValue, over base: Auth, requireEveryKey: Bool
    )
        throws(ConfigurationError) -> Auth
    {
        let object = try ConfigurationObject(
            value, path: "auth", allowedKeys: ["token", "token_file", "protect_reads", "allowed_origins"],
            requireEveryKey: requireEveryKey)
        var auth = base
        if let origins = try object.strings("allowed_origins") { auth.allowedOrigins = origins }
        if object.contains("token") { auth.token = try object.nullableString("token") }
        if object.contains("token_file") { auth.tokenFile = try object.nullableString("token_file") }
        auth.protectReads = try object.bool("protect_reads") ?? auth.protectReads
        if auth.token != nil && auth.tokenFile != nil {
            throw ConfigurationError("auth", "token and token_file are both set; set only one")
        }
        if let token = auth.token, let problem = Self.tokenProblem(token) {
            throw ConfigurationError("auth.token", problem + " (use null for no token)")
        }
        if auth.tokenFile?.isEmpty == true {
            throw ConfigurationError("auth.token_file", "must not be empty (use null for no token file)")
        }
        return auth
    }

    /// Why `token` cannot be a bearer token, or nil. Empty, or holding a space or control character: such a token
    /// would be read differently by a client's `Authorization: Bearer <token>` header (a whitespace-only token
    /// would let `Bearer ` plus spaces in).
    static func tokenProblem(_ token: String) -> String? {
        if token.isEmpty { return "must not be empty" }
        if token.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return "must not contain spaces or control characters"
        }
        return nil
    }

    private static func parseArenas(
        _ value: JSONValue, limits: Limits, ringCapacity: Int
    )
        throws(ConfigurationError) -> [Arena]
    {
        guard case .array(let entries) = value else {
            throw ConfigurationError("arenas", "expected an array of arena objects, got \(value.summary)")
        }
        var arenas: [Arena] = []
        var names = Set<String>()
        for (index, entry) in entries.enumerated() {
            let arena = try parseArena(entry, path: "arenas[\(index)]", limits: limits)
            guard names.insert(arena.name).inserted else {
                throw ConfigurationError(
                    "arenas[\(index)].name", "duplicate arena name \(JSONWriter.quoted(arena.name))")
            }
            arenas.append(arena)
        }
        try checkArenaBudget(arenas, limits: limits, ringCapacity: ringCapacity)
        return arenas
    }

    private static func parseArena(
        _ value: JSONValue, path: String, limits: Limits
    ) throws(ConfigurationError)
        -> Arena
    {
        let object = try ConfigurationObject(
            value, path: path,
            allowedKeys: [
                "name", "class", "trace",
            ] + PolicyFields.keys)
        guard let nameText = try object.string("name") else {
            throw ConfigurationError(object.childPath("name"), "required")
        }
        let name = try ConfigurationValue.label(nameText, at: object.childPath("name"))
        let arenaClass = try object.string("class").map { (text: String) throws(ConfigurationError) in
            try ConfigurationValue.label(text, at: object.childPath("class"))
        }
        let trace = try object.bool("trace") ?? true
        var fields = object
        let policy = try PolicyFields.read(from: &fields)
        return Arena(name: name, arenaClass: arenaClass, policy: policy, trace: trace)
    }

    /// Declared arenas must fit `max_arenas` and, all at their largest with their trace rings full,
    /// `max_total_bytes` (as the registry counts them).
    private static func checkArenaBudget(
        _ arenas: [Arena], limits: Limits, ringCapacity: Int
    )
        throws(ConfigurationError)
    {
        guard arenas.count <= limits.maxArenas else {
            throw ConfigurationError(
                "arenas",
                "\(arenas.count) arenas declared, more than limits.max_arenas "
                    + "(\(limits.maxArenas))")
        }
        var total = 0
        for (index, arena) in arenas.enumerated() {
            let reserved = arena.policy.reservedBytes
            guard reserved <= limits.maxArenaBytes else {
                let key = if case .fixed = arena.policy { "capacity" } else { "limit" }
                throw ConfigurationError(
                    "arenas[\(index)].\(key)",
                    "\(ByteSize.format(reserved)) is more than "
                        + "limits.max_arena_bytes (\(ByteSize.format(limits.maxArenaBytes)))")
            }
            let ringBytes = arena.trace ? TraceRing.bytes(forCapacity: ringCapacity) : 0
            let (sum, overflow) = total.addingReportingOverflow(reserved + ringBytes)
            guard !overflow, sum <= limits.maxTotalBytes else {
                throw ConfigurationError(
                    "arenas",
                    "declared arenas reserve more than limits.max_total_bytes "
                        + "(\(ByteSize.format(limits.maxTotalBytes))) together; "
                        + "arenas[0...\(index)] already need more")
            }
            total = sum
        }
    }
}
