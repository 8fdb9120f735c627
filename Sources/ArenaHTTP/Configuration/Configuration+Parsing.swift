extension Configuration {
    /// Valid ranges, shared by the file, environment and flag checks.
    enum Bounds {
        static let port = 0...65535
        static let threads = 1...256
        static let maxArenas = 1...1_048_576
        static let positiveSize = 1...Int.max
        static let maxBatch = 1...1_048_576
        static let maxConnections = 1...1_000_000
        static let connectionTimeoutSeconds = 0...86_400
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
                "listen", "threads", "log_requests", "limits", "trace", "auth", "arenas",
            ], requireEveryKey: every)
        var configuration = base

        if let listenValue = root.value("listen") {
            let listen = try ConfigurationObject(
                listenValue, path: "listen", allowedKeys: ["host", "port"],
                requireEveryKey: every)
            if let host = try listen.string("host") {
                configuration.listen.host = try ConfigurationValue.host(host, at: "listen.host")
            }
            if let port = try listen.integer("port", in: Bounds.port) {
                configuration.listen.port = UInt16(port)
            }
        }
        configuration.threads = try root.integer("threads", in: Bounds.threads) ?? configuration.threads
        configuration.logRequests = try root.bool("log_requests") ?? configuration.logRequests
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
            configuration.arenas = try parseArenas(arenasValue, limits: configuration.limits)
        } else {
            try checkArenaBudget(configuration.arenas, limits: configuration.limits)
        }
        return configuration
    }

    private static func parseLimits(
        _ value: JSONValue, over base: Limits, requireEveryKey: Bool
    )
        throws(ConfigurationError) -> Limits
    {
        let object = try ConfigurationObject(
            value, path: "limits",
            allowedKeys: [
                "max_arenas", "max_total_bytes", "max_arena_bytes", "max_body_bytes", "max_batch", "max_connections",
                "connection_timeout_seconds", "connection_memory",
            ], requireEveryKey: requireEveryKey)
        var limits = base
        limits.maxArenas = try object.integer("max_arenas", in: Bounds.maxArenas) ?? limits.maxArenas
        limits.maxTotalBytes = try object.size("max_total_bytes", in: Bounds.positiveSize) ?? limits.maxTotalBytes
        limits.maxArenaBytes = try object.size("max_arena_bytes", in: Bounds.positiveSize) ?? limits.maxArenaBytes
        limits.maxBodyBytes = try object.size("max_body_bytes", in: Bounds.positiveSize) ?? limits.maxBodyBytes
        limits.maxBatch = try object.integer("max_batch", in: Bounds.maxBatch) ?? limits.maxBatch
        limits.maxConnections =
            try object.integer("max_connections", in: Bounds.maxConnections)
            ?? limits.maxConnections
        limits.connectionTimeoutSeconds =
            try object.integer(
                "connection_timeout_seconds",
                in: Bounds.connectionTimeoutSeconds)
            ?? limits.connectionTimeoutSeconds
        limits.connectionMemoryBytes =
            try object.size("connection_memory", in: Bounds.connectionMemory)
            ?? limits.connectionMemoryBytes
        guard limits.maxArenaBytes <= limits.maxTotalBytes else {
            throw ConfigurationError(
                "limits.max_arena_bytes",
                "\(ByteSize.format(limits.maxArenaBytes)) is more "
                    + "than limits.max_total_bytes (\(ByteSize.format(limits.maxTotalBytes)))")
        }
        return limits
    }

    private static func parseAuth(
        _ value: JSONValue, over base: Auth, requireEveryKey: Bool
    )
        throws(ConfigurationError) -> Auth
    {
        let object = try ConfigurationObject(
            value, path: "auth", allowedKeys: ["token", "token_file", "protect_reads"],
            requireEveryKey: requireEveryKey)
        var auth = base
        if object.contains("token") { auth.token = try object.nullableString("token") }
        if object.contains("token_file") { auth.tokenFile = try object.nullableString("token_file") }
        auth.protectReads = try object.bool("protect_reads") ?? auth.protectReads
        if auth.token != nil && auth.tokenFile != nil {
            throw ConfigurationError("auth", "token and token_file are both set; set only one")
        }
        if auth.token?.isEmpty == true {
            throw ConfigurationError("auth.token", "must not be empty (use null for no token)")
        }
        if auth.tokenFile?.isEmpty == true {
            throw ConfigurationError("auth.token_file", "must not be empty (use null for no token file)")
        }
        return auth
    }

    private static func parseArenas(_ value: JSONValue, limits: Limits) throws(ConfigurationError) -> [Arena] {
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
        try checkArenaBudget(arenas, limits: limits)
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

    /// Declared arenas must fit `max_arenas` and, all at their largest, `max_total_bytes`.
    private static func checkArenaBudget(_ arenas: [Arena], limits: Limits) throws(ConfigurationError) {
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
            let (sum, overflow) = total.addingReportingOverflow(reserved)
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
