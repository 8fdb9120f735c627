import ArenaHTTP
import ArgumentParser
import Foundation

/// The command line: `arena-server [--config <path>] [--host <address>] [--port <n>] [--threads <n>]
/// [--token-file <path>] [--check-config]`, plus `--version` and `--help`.
///
/// Exit codes: 0 after a clean shutdown or a good `--check-config`; 1 if the server cannot start
/// (e.g. the port is taken); 2 for any configuration error; 64 for unknown flags (ArgumentParser).
struct ArenaServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arena-server",
        abstract: "Serves named bump-allocator arenas over HTTP.",
        discussion: """
            Configuration precedence, highest first: flags, environment (ARENA_SERVER_CONFIG, ARENA_SERVER_HOST, \
            ARENA_SERVER_PORT, ARENA_SERVER_THREADS, ARENA_SERVER_TOKEN_FILE, ARENA_SERVER_TOKEN), the JSON \
            configuration file, built-in defaults (the text of config/arena-server.json).
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

    @Flag(help: "Validate the configuration, print a summary and exit.")
    var checkConfig = false

    /// The flags as configuration overrides.
    var overrides: CommandLineOverrides {
        CommandLineOverrides(configPath: config, host: host, port: port, threads: threads, tokenFile: tokenFile)
    }

    func run() throws {
        let configuration: Configuration
        do {
            configuration = try Configuration.load(
                commandLine: overrides,
                environment: ProcessInfo.processInfo.environment)
        } catch {
            Daemon.printError("configuration error: \(error.message)")
            throw ExitCode(2)
        }
        if checkConfig {
            print("configuration OK")
            print(configuration.summary)
            return
        }
        let server: ArenaHTTPServer
        do {
            server = try ArenaHTTPServer(configuration: configuration)
        } catch {
            Daemon.printError("configuration error: arenas: \(error.message)")
            throw ExitCode(2)
        }
        do {
            try Daemon.run(server)
        } catch {
            Daemon.printError(error.description)
            throw ExitCode(1)
        }
    }
}
