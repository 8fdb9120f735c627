import ArenaHTTP
import ArgumentParser
import Foundation
import Logging

/// The command line: `arena-server [--config <path>] [--host <address>] [--port <n>] [--threads <n>]
/// [--token-file <path>] [--log-format text|json] [--check-config]`, plus `--version` and `--help`.
///
/// Exit codes: 0 after a clean shutdown or a good `--check-config`; 1 if the server cannot start
/// (e.g. the port is taken); 2 for any configuration error; 64 for unknown flags (ArgumentParser).
struct ArenaServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arena-server",
        abstract: "Serves named bump-allocator arenas over HTTP.",
        discussion: """
            Configuration precedence, highest first: flags, environment (ARENA_SERVER_CONFIG, ARENA_SERVER_HOST, \
            ARENA_SERVER_PORT, ARENA_SERVER_THREADS, ARENA_SERVER_TOKEN_FILE, ARENA_SERVER_TOKEN, \
            ARENA_SERVER_LOG_FORMAT), the JSON configuration file, built-in defaults (the text of \
            config/arena-server.json).

            Logs go to standard error, one line each: a timestamp (UTC), a level, then a notice \
            ("arena-server: listening on ...") or a request (client address, method, path, status, body bytes, \
            duration). With --log-format json each line is a JSON object: ts, level, msg, and for requests \
            client, method, path, route, status, bytes, duration_us.
            """,
        version: ArenaHTTPServer.versionLine
    )

    @Option(help: ArgumentHelp("JSON configuration file (default: built-in configuration).", valueName: "path"))
    var config: String?

    @Option(help: ArgumentHelp("IPv4 address to listen on, or localhost.", valueName: "address"))
    var host: String?

    @Option(
        help: ArgumentHelp(
            "TCP port; 0 picks a free one and prints port=N on standard output.",
            valueName: "n"))
    var port: String?

    @Option(help: ArgumentHelp("HTTP worker threads (1-256).", valueName: "n"))
    var threads: String?

    @Option(help: ArgumentHelp("File holding the bearer token clients must present.", valueName: "path"))
    var tokenFile: String?

    @Option(
        help: ArgumentHelp(
            "Log lines as text (the default) or one JSON object a line.", valueName: "text|json"))
    var logFormat: String?

    @Flag(help: "Validate the configuration, print a summary and exit.")
    var checkConfig = false

    /// The flags as configuration overrides.
    var overrides: CommandLineOverrides {
        CommandLineOverrides(
            configPath: config, host: host, port: port, threads: threads, tokenFile: tokenFile, logFormat: logFormat)
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        // Until the configuration is read, the log is in the format the flag or the environment asks for (text if
        // neither names one), so that a configuration error is already in it.
        let early = ServerLog(
            fileDescriptor: STDERR_FILENO,
            format: Configuration.requestedLogFormat(commandLine: overrides, environment: environment) ?? .text)
        let configuration: Configuration
        do {
            configuration = try Configuration.load(commandLine: overrides, environment: environment)
        } catch {
            early.error("configuration error: \(error.message)")
            throw ExitCode(2)
        }
        if checkConfig {
            print("configuration OK")
            print(configuration.summary)
            return
        }
        let format = configuration.logFormat
        // Anything in the process that logs with swift-log writes the same lines to the same place.
        LoggingSystem.bootstrap { label in
            ServerLogHandler(label: label, format: format, fileDescriptor: STDERR_FILENO)
        }
        let log = ServerLog(fileDescriptor: STDERR_FILENO, format: format)
        let server: ArenaHTTPServer
        do {
            server = try ArenaHTTPServer(configuration: configuration)
        } catch {
            log.error("configuration error: arenas: \(error.message)")
            throw ExitCode(2)
        }
        do {
            try Daemon.run(server, log: log)
        } catch {
            log.error(error.description)
            throw ExitCode(1)
        }
    }
}
