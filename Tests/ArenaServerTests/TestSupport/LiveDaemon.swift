import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `arena-server` binary on an ephemeral port: started with `--port 0`, ready once it prints `port=N`.
///
/// The one way the tests start the daemon (a `ChildProcess`); requests go to it through `TestClient(port:)`.
/// Deinit kills the daemon and removes its files.
///
/// ```swift
/// let daemon = try LiveDaemon(arguments: ["--token-file", path], configuration: #"{ "log_requests": false }"#)
/// let client = TestClient(port: daemon.port)
/// #expect(client.get("/healthz").status == .ok)
/// #expect(daemon.stop(signal: SIGINT) == .exited(0))
/// ```
final class LiveDaemon: Sendable {
    let child: ChildProcess
    let port: UInt16
    private let configurationPath: String?

    var process: Process { child.process }
    var stdout: CapturedOutput { child.stdout }
    var stderr: CapturedOutput { child.stderr }

    /// Starts the daemon with `--port 0`, then `arguments`, then `--config` with a file holding `configuration`
    /// (JSON) when given, and waits (at most `timeout`) for its `port=N` line. With a `launcher` (a program and its
    /// arguments, such as `unshare ... scripts/systemd-sandbox.py --`), that program is started with the daemon's
    /// path and arguments after its own, and must exec the daemon in its process. Under `make test-asan` a launched
    /// daemon runs without LeakSanitizer: the sandbox's seccomp filter refuses the ptrace(2) LSan stops threads with.
    init(
        arguments: [String] = [], configuration: String? = nil, launcher: [String] = [],
        timeout: Duration = .seconds(20)
    ) throws {
        try Self.requireBinary()
        let configurationPath = try configuration.map { try TestPaths.temporaryFile($0) }
        do {
            let daemonArguments = ["--port", "0"] + arguments + (configurationPath.map { ["--config", $0] } ?? [])
            let child = try ChildProcess.start(
                launcher.first ?? TestPaths.serverBinary,
                launcher.isEmpty
                    ? daemonArguments : Array(launcher.dropFirst()) + [TestPaths.serverBinary] + daemonArguments,
                environment: Self.environment(launcher.isEmpty ? [:] : Self.withoutLeakChecks))
            port = try Self.waitForPort(child, timeout: timeout)
            self.child = child
        } catch {
            if let configurationPath { try? FileManager.default.removeItem(atPath: configurationPath) }
            throw error
        }
        self.configurationPath = configurationPath
    }

    deinit {
        child.kill()
        if let configurationPath { try? FileManager.default.removeItem(atPath: configurationPath) }
    }

    /// Runs the binary with `arguments` to completion (`--check-config`, `--version`, a configuration it refuses).
    static func run(
        _ arguments: [String], environment extra: [String: String] = [:],
        timeout: Duration = .seconds(15)
    ) throws -> ChildProcess.Result {
        try requireBinary()
        return try ChildProcess.run(
            TestPaths.serverBinary, arguments, environment: environment(extra),
            timeout: timeout)
    }

    /// ASan's options for a daemon LeakSanitizer cannot check (nothing when the tests are not under ASan).
    static var withoutLeakChecks: [String: String] {
        guard ProcessInfo.processInfo.environment["ARENA_SANITIZER"] == "address" else { return [:] }
        return ["ASAN_OPTIONS": "detect_leaks=0"]
    }

    /// The test process's environment without the `ARENA_SERVER_*` settings that would change the daemon, plus
    /// `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARENA_SERVER_") }.merging(extra) { $1 }
    }

    private static func requireBinary() throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: TestPaths.serverBinary),
            "\(TestPaths.serverBinary) is missing: run `swift build --build-tests` (or `make test`) first")
    }

    /// Polls standard output for `port=N`; throws with the daemon's standard error if it exits or `timeout`
    /// passes first.
    private static func waitForPort(_ child: ChildProcess, timeout: Duration) throws -> UInt16 {
        var port: UInt16?
        let printed = eventually(timeout: timeout) {
            port = child.stdout.text.split(separator: "\n").first { $0.hasPrefix("port=") }
                .flatMap { UInt16($0.dropFirst(5)) }
            return port != nil || !child.process.isRunning
        }
        guard let port else {
            let why =
                printed
                ? "exited early (\(child.waitForExit().map(String.init(describing:)) ?? "?"))"
                : "did not print port= within \(timeout)"
            child.kill()
            throw LiveDaemonError(description: "arena-server \(why); stderr:\n\(child.stderr.text)")
        }
        return port
    }

    /// Sends `signal` and waits (at most `timeout`) for the exit; nil if it did not come and the daemon was killed.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) -> ChildProcess.Exit? {
        child.stop(signal: signal, timeout: timeout)
    }

    /// SIGKILL if the daemon still runs, and wait until it is gone. Its output stays readable until deinit.
    func kill() { child.kill() }
}

struct LiveDaemonError: Error, CustomStringConvertible {
    var description: String
}
