import Foundation
import Testing

@testable import ArenaHTTP

@Suite struct ConfigurationLoadingTests {
    private func withFile<T>(_ contents: String, _ body: (String) throws -> T) throws -> T {
        let path = try TestPaths.temporaryFile(contents)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    private func loadError(
        commandLine: CommandLineOverrides = CommandLineOverrides(),
        environment: [String: String] = [:]
    ) -> ConfigurationError? {
        do {
            _ = try Configuration.load(commandLine: commandLine, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func precedenceIsFlagOverEnvironmentOverFileOverDefault() throws {
        try withFile(#"{ "listen": { "port": 1111 }, "threads": 3, "log_requests": false }"#) { path in
            // File over default.
            let fromFile = try Configuration.load(commandLine: CommandLineOverrides(configPath: path))
            #expect(fromFile.listen.port == 1111)
            #expect(fromFile.threads == 3)
            #expect(!fromFile.logRequests)
            #expect(fromFile.listen.host == "127.0.0.1")

            // Environment over file.
            let environment = [
                "ARENA_SERVER_PORT": "2222", "ARENA_SERVER_THREADS": "5",
                "ARENA_SERVER_HOST": "127.0.0.2",
            ]
            let fromEnvironment = try Configuration.load(
                commandLine: CommandLineOverrides(configPath: path),
                environment: environment)
            #expect(fromEnvironment.listen.port == 2222)
            #expect(fromEnvironment.threads == 5)
            #expect(fromEnvironment.listen.host == "127.0.0.2")
            #expect(!fromEnvironment.logRequests)

            // Flags over environment.
            let fromFlags = try Configuration.load(
                commandLine: CommandLineOverrides(configPath: path, host: "localhost", port: "3333", threads: "7"),
                environment: environment)
            #expect(fromFlags.listen.port == 3333)
            #expect(fromFlags.threads == 7)
            #expect(fromFlags.listen.host == "localhost")
        }
    }

    @Test func configFileFromEnvironmentAndFlagOverEnvironment() throws {
        let environmentFile = try TestPaths.temporaryFile(#"{ "threads": 9 }"#)
        let flagFile = try TestPaths.temporaryFile(#"{ "threads": 11 }"#)
        defer {
            try? FileManager.default.removeItem(atPath: environmentFile)
            try? FileManager.default.removeItem(atPath: flagFile)
        }
        let environment = ["ARENA_SERVER_CONFIG": environmentFile]
        #expect(try Configuration.load(environment: environment).threads == 9)
        #expect(
            try Configuration.load(
                commandLine: CommandLineOverrides(configPath: flagFile),
                environment: environment
            ).threads == 11)
    }

    @Test func emptyEnvironmentVariablesCountAsUnset() throws {
        let configuration = try Configuration.load(environment: ["ARENA_SERVER_PORT": "", "ARENA_SERVER_CONFIG": ""])
        #expect(configuration == Configuration())
    }

    @Test(arguments: [
        ("ARENA_SERVER_PORT", "http", #"ARENA_SERVER_PORT: expected an integer from 0 to 65535, got "http""#),
        ("ARENA_SERVER_PORT", "70000", "ARENA_SERVER_PORT: expected an integer from 0 to 65535"),
        ("ARENA_SERVER_PORT", "80.5", "ARENA_SERVER_PORT: expected an integer"),
        ("ARENA_SERVER_THREADS", "0", "ARENA_SERVER_THREADS: expected an integer from 1 to 256"),
        ("ARENA_SERVER_LOG_FORMAT", "yaml", #"ARENA_SERVER_LOG_FORMAT: expected "text" or "json", got "yaml""#),
        ("ARENA_SERVER_HOST", "::1", "ARENA_SERVER_HOST: expected an IPv4 address"),
        (
            "ARENA_SERVER_CONFIG", "/nonexistent/arena.json",
            #"ARENA_SERVER_CONFIG: cannot read configuration file "/nonexistent/arena.json": No such file"#
        ),
        (
            "ARENA_SERVER_TOKEN_FILE", "/nonexistent/token",
            #"ARENA_SERVER_TOKEN_FILE: cannot read token file "/nonexistent/token": No such file"#
        ),
    ])
    func badEnvironmentValuesNameTheVariable(name: String, value: String, message: String) {
        let error = loadError(environment: [name: value])
        #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        (CommandLineOverrides(port: "-1"), "--port: expected an integer from 0 to 65535"),
        (CommandLineOverrides(threads: "many"), #"--threads: expected an integer from 1 to 256, got "many""#),
        (CommandLineOverrides(host: "localhostt"), "--host: expected an IPv4 address"),
        (CommandLineOverrides(configPath: "/nonexistent.json"), "--config: cannot read configuration file"),
        (CommandLineOverrides(tokenFile: "/nonexistent"), "--token-file: cannot read token file"),
        (CommandLineOverrides(logFormat: "xml"), #"--log-format: expected "text" or "json", got "xml""#),
    ])
    func badFlagValuesNameTheFlag(commandLine: CommandLineOverrides, message: String) {
        let error = loadError(commandLine: commandLine)
        #expect(error?.message.hasPrefix(message) == true, "\(String(describing: error))")
    }

    @Test func badFileNamesTheFileAndKeyPath() throws {
        try withFile(#"{ "limits": { "max_body_bytes": "lots" } }"#) { path in
            let error = loadError(commandLine: CommandLineOverrides(configPath: path))
            #expect(error?.message == #"limits.max_body_bytes: expected a size like 1048576 or "1MiB", got "lots""#)
        }
        try withFile("{ nope }") { path in
            let error = loadError(commandLine: CommandLineOverrides(configPath: path))
            #expect(error?.message == "\(path): invalid JSON: line 1, column 3: expected a key in double quotes")
        }
    }

    @Test func tokenFileIsReadAndTrimmed() throws {
        // Trailing whitespace is trimmed (editors add newlines); a token cannot contain a space any more, so the
        // leading spaces this test kept before the edge hardening are now refused (EdgeHardeningStartupTests).
        let tokenPath = try TestPaths.temporaryFile("s3cret-token \t\n\n", suffix: ".token")
        defer { try? FileManager.default.removeItem(atPath: tokenPath) }
        let fromFlag = try Configuration.load(commandLine: CommandLineOverrides(tokenFile: tokenPath))
        #expect(fromFlag.auth.token == "s3cret-token")
        #expect(fromFlag.auth.tokenFile == tokenPath)

        try withFile(#"{ "auth": { "token_file": "\#(tokenPath)" } }"#) { path in
            let fromFile = try Configuration.load(commandLine: CommandLineOverrides(configPath: path))
            #expect(fromFile.auth.token == "s3cret-token")
            // The flag's token file replaces an inline token from the environment.
            let both = try Configuration.load(
                commandLine: CommandLineOverrides(tokenFile: tokenPath),
                environment: ["ARENA_SERVER_TOKEN": "other"])
            #expect(both.auth.token == "s3cret-token")
        }
        #expect(try Configuration.load(environment: ["ARENA_SERVER_TOKEN": "abc"]).auth.token == "abc")
    }

    @Test func emptyTokenFileIsRefused() throws {
        let tokenPath = try TestPaths.temporaryFile("\n\n", suffix: ".token")
        defer { try? FileManager.default.removeItem(atPath: tokenPath) }
        try withFile(#"{ "auth": { "token_file": "\#(tokenPath)" } }"#) { path in
            let error = loadError(commandLine: CommandLineOverrides(configPath: path))
            #expect(error?.message == "auth.token_file: token file \"\(tokenPath)\" is empty")
        }
    }

    @Test func unreadableTokenFileNamesTheKey() throws {
        try withFile(#"{ "auth": { "token_file": "/nonexistent/token" } }"#) { path in
            let error = loadError(commandLine: CommandLineOverrides(configPath: path))
            #expect(error?.message.hasPrefix(#"auth.token_file: cannot read token file "/nonexistent/token""#) == true)
        }
    }

    @Test func tokenAndTokenFileInEnvironmentAreRefused() {
        let error = loadError(environment: ["ARENA_SERVER_TOKEN": "a", "ARENA_SERVER_TOKEN_FILE": "/b"])
        #expect(error?.message == "ARENA_SERVER_TOKEN, ARENA_SERVER_TOKEN_FILE: both are set; set only one")
    }

    @Test func nonLoopbackNeedsAToken() throws {
        #expect(
            loadError(commandLine: CommandLineOverrides(host: "0.0.0.0"))?.message
                .hasPrefix("--host: refusing to listen on non-loopback address 0.0.0.0 without an auth token") == true)
        #expect(loadError(environment: ["ARENA_SERVER_HOST": "10.1.2.3"])?.keyPath == "ARENA_SERVER_HOST")
        try withFile(#"{ "listen": { "host": "0.0.0.0" } }"#) { path in
            #expect(loadError(commandLine: CommandLineOverrides(configPath: path))?.keyPath == "listen.host")
        }
        let withToken = try Configuration.load(
            commandLine: CommandLineOverrides(host: "0.0.0.0"),
            environment: ["ARENA_SERVER_TOKEN": "t"])
        #expect(withToken.listen.host == "0.0.0.0")
        // Every 127.0.0.0/8 address is loopback.
        #expect(try Configuration.load(commandLine: CommandLineOverrides(host: "127.1.2.3")).auth.token == nil)
    }

    /// `log_format`: flag over environment over file over the default (text); before the configuration is read,
    /// the flag's or the environment's valid value is the format a configuration error is written in.
    @Test func logFormatPrecedence() throws {
        #expect(try Configuration.load().logFormat == .text)
        try withFile(#"{ "log_format": "json" }"#) { path in
            let file = CommandLineOverrides(configPath: path)
            let fromFile = try Configuration.load(commandLine: file)
            #expect(fromFile.logFormat == .json)
            let environment = ["ARENA_SERVER_LOG_FORMAT": "text"]
            let fromEnvironment = try Configuration.load(commandLine: file, environment: environment)
            #expect(fromEnvironment.logFormat == .text)
            var flag = file
            flag.logFormat = "json"
            let fromFlag = try Configuration.load(commandLine: flag, environment: environment)
            #expect(fromFlag.logFormat == .json)
            #expect(Configuration.requestedLogFormat(commandLine: flag, environment: environment) == .json)
            #expect(Configuration.requestedLogFormat(commandLine: file, environment: environment) == .text)
        }
        let none = CommandLineOverrides()
        #expect(Configuration.requestedLogFormat(commandLine: none, environment: [:]) == nil)
        // A bad flag is not overruled by a good environment value: the error it causes is written as text.
        #expect(
            Configuration.requestedLogFormat(
                commandLine: CommandLineOverrides(logFormat: "xml"), environment: ["ARENA_SERVER_LOG_FORMAT": "json"])
                == nil)
        #expect(try Configuration.load(commandLine: none, environment: [:]).summary.hasSuffix("log format text"))
    }

    @Test func summaryNeverShowsTheToken() throws {
        let configuration = try Configuration.load(environment: ["ARENA_SERVER_TOKEN": "hunter2"])
        #expect(!configuration.summary.contains("hunter2"))
        #expect(configuration.summary.contains("auth on"))
    }
}
