/// What was given on the command line; nil = not given. Numbers stay text so that bad values are configuration
/// errors (exit 2) naming the flag, like bad environment values.
public struct CommandLineOverrides: Sendable, Equatable {
    /// `--config <path>`.
    public var configPath: String?
    /// `--host <address>`.
    public var host: String?
    /// `--port <n>`; 0 picks a free port.
    public var port: String?
    /// `--threads <n>`.
    public var threads: String?
    /// `--token-file <path>`.
    public var tokenFile: String?
    /// `--log-format text|json`.
    public var logFormat: String?

    public init(
        configPath: String? = nil, host: String? = nil, port: String? = nil, threads: String? = nil,
        tokenFile: String? = nil, logFormat: String? = nil
    ) {
        self.configPath = configPath
        self.host = host
        self.port = port
        self.threads = threads
        self.tokenFile = tokenFile
        self.logFormat = logFormat
    }
}

extension Configuration {
    /// The environment variables the daemon reads. An empty variable counts as unset.
    public enum EnvironmentKey {
        public static let config = "ARENA_SERVER_CONFIG"
        public static let host = "ARENA_SERVER_HOST"
        public static let port = "ARENA_SERVER_PORT"
        public static let threads = "ARENA_SERVER_THREADS"
        public static let tokenFile = "ARENA_SERVER_TOKEN_FILE"
        public static let token = "ARENA_SERVER_TOKEN"
        public static let logFormat = "ARENA_SERVER_LOG_FORMAT"
    }

    /// The log format the flag or the environment asks for, before the configuration is read (so that even a
    /// configuration error is written in it); nil when neither names a valid one.
    public static func requestedLogFormat(
        commandLine: CommandLineOverrides, environment: [String: String]
    ) -> LogFormat? {
        for text in [commandLine.logFormat, environment[EnvironmentKey.logFormat]] {
            if let text, !text.isEmpty { return LogFormat(rawValue: text) }
        }
        return nil
    }

    /// Builds the configuration the daemon runs with. Precedence, highest first: flags, environment, the file named
    /// by `--config` or `ARENA_SERVER_CONFIG`, the built-in default (`builtInJSON`). Then reads the token file and
    /// refuses a non-loopback listen address without a token.
    ///
    /// ```swift
    /// let configuration = try Configuration.load(
    ///     commandLine: CommandLineOverrides(port: "0"),
    ///     environment: ProcessInfo.processInfo.environment)
    /// ```
    public static func load(
        commandLine: CommandLineOverrides = CommandLineOverrides(),
        environment: [String: String] = [:]
    ) throws(ConfigurationError) -> Configuration {
        let environment = environment.filter { !$0.value.isEmpty }

        var configuration: Configuration
        if let path = commandLine.configPath {
            configuration = try parseFile(path: path, namedBy: "--config")
        } else if let path = environment[EnvironmentKey.config] {
            configuration = try parseFile(path: path, namedBy: EnvironmentKey.config)
        } else {
            configuration = Configuration()
        }

        // Where the values that later checks talk about came from, for their error messages.
        var hostSource = "listen.host"
        var tokenFileSource = "auth.token_file"

        // Environment over file.
        if let host = environment[EnvironmentKey.host] {
            configuration.listen.host = try ConfigurationValue.host(host, at: EnvironmentKey.host)
            hostSource = EnvironmentKey.host
        }
        if let port = environment[EnvironmentKey.port] {
            configuration.listen.port = UInt16(
                try ConfigurationValue.integer(
                    text: port, in: Bounds.port,
                    at: EnvironmentKey.port))
        }
        if let threads = environment[EnvironmentKey.threads] {
            configuration.threads = try ConfigurationValue.integer(
                text: threads, in: Bounds.threads,
                at: EnvironmentKey.threads)
        }
        if let format = environment[EnvironmentKey.logFormat] {
            configuration.logFormat = try ConfigurationValue.logFormat(format, at: EnvironmentKey.logFormat)
        }
        switch (environment[EnvironmentKey.token], environment[EnvironmentKey.tokenFile]) {
        case (.some, .some):
            throw ConfigurationError(
                "\(EnvironmentKey.token), \(EnvironmentKey.tokenFile)",
                "both are set; set only one")
        case (.some(let token), nil):
            if let problem = tokenProblem(token) {
                throw ConfigurationError(EnvironmentKey.token, problem)
            }
            configuration.auth.token = token
            configuration.auth.tokenFile = nil
        case (nil, .some(let path)):
            configuration.auth.token = nil
            configuration.auth.tokenFile = path
            tokenFileSource = EnvironmentKey.tokenFile
        case (nil, nil):
            break
        }

        // Flags over environment.
        if let host = commandLine.host {
            configuration.listen.host = try ConfigurationValue.host(host, at: "--host")
            hostSource = "--host"
        }
        if let port = commandLine.port {
            configuration.listen.port = UInt16(
                try ConfigurationValue.integer(
                    text: port, in: Bounds.port,
                    at: "--port"))
        }
        if let threads = commandLine.threads {
            configuration.threads = try ConfigurationValue.integer(text: threads, in: Bounds.threads, at: "--threads")
        }
        if let format = commandLine.logFormat {
            configuration.logFormat = try ConfigurationValue.logFormat(format, at: "--log-format")
        }
        if let path = commandLine.tokenFile {
            configuration.auth.token = nil
            configuration.auth.tokenFile = path
            tokenFileSource = "--token-file"
        }

        if let path = configuration.auth.tokenFile {
            configuration.auth.token = try readToken(path: path, namedBy: tokenFileSource)
        }

        // Safe to force: every host assigned above went through ConfigurationValue.host, which parses it the same way.
        let address = try! IPv4ListenAddress(host: configuration.listen.host, port: configuration.listen.port)
        if !address.isLoopback && configuration.auth.token == nil {
            throw ConfigurationError(
                hostSource,
                "refusing to listen on non-loopback address "
                    + "\(configuration.listen.host) without an auth token (set auth.token or "
                    + "auth.token_file, \(EnvironmentKey.token) or \(EnvironmentKey.tokenFile), "
                    + "or --token-file)")
        }
        return configuration
    }

    private static func parseFile(path: String, namedBy source: String) throws(ConfigurationError) -> Configuration {
        switch FileContents.read(path: path) {
        case .failure(let error):
            throw ConfigurationError(
                source, "cannot read configuration file \(JSONWriter.quoted(path)): \(error.reason)")
        case .success(let bytes):
            return try parse(json: bytes, source: path)
        }
    }

    /// The token in the file at `path`, without trailing whitespace (editors add a newline).
    private static func readToken(path: String, namedBy source: String) throws(ConfigurationError) -> String {
        switch FileContents.read(path: path) {
        case .failure(let error):
            throw ConfigurationError(source, "cannot read token file \(JSONWriter.quoted(path)): \(error.reason)")
        case .success(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ConfigurationError(source, "token file \(JSONWriter.quoted(path)) is not UTF-8 text")
            }
            var token = Substring(text)
            while let last = token.last, last.isWhitespace { token = token.dropLast() }
            guard !token.isEmpty else {
                throw ConfigurationError(source, "token file \(JSONWriter.quoted(path)) is empty")
            }
            if let problem = tokenProblem(String(token)) {
                throw ConfigurationError(source, "the token in \(JSONWriter.quoted(path)) \(problem)")
            }
            return String(token)
        }
    }
}
