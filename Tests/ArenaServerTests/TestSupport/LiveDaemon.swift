import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `arena-server` binary on an ephemeral port: started with `--port 0`, ready once it prints `port=N`.
///
/// The one way the tests start the daemon; `LiveServer` (curl requests) and `MonitoredServer` (JSON API calls)
/// build on it. Standard output and error go to files rather than pipes: the request log writes a line per request
/// to standard error, and a pipe that nobody drains would block the daemon once the pipe buffer is full.
/// Deinit kills the daemon and removes its files.
///
/// ```swift
/// let daemon = try LiveDaemon(arguments: ["--token-file", path], configuration: #"{ "log_requests": false }"#)
/// defer { daemon.kill() }
/// let exit = daemon.stop(signal: SIGINT)
/// #expect(exit?.status == 0)
/// ```
final class LiveDaemon: @unchecked Sendable {
    // @unchecked: every property is set in init and only read afterwards; `process` is only signalled and asked
    // about its state, and the output files are read afresh on each access.
    let process: Process
    let port: UInt16
    let stdout: CapturedOutput
    let stderr: CapturedOutput
    private let started: StartedProcess
    private let configurationPath: String?

    /// Starts the daemon with `--port 0`, then `arguments`, then `--config` with a file holding `configuration`
    /// (JSON) when given, and waits (at most `timeout`) for its `port=N` line.
    init(arguments: [String] = [], configuration: String? = nil, timeout: Duration = .seconds(20)) throws {
        try #require(FileManager.default.isExecutableFile(atPath: serverBinary),
                     "\(serverBinary) is missing: run `swift build --build-tests` (or `make test`) first")
        let configurationPath = try configuration.map { try TestSupport.temporaryFile($0) }
        let started: StartedProcess
        let port: UInt16
        do {
            started = try startProcess(
                serverBinary, ["--port", "0"] + arguments + (configurationPath.map { ["--config", $0] } ?? []),
                environment: cleanEnvironment)
            port = try Self.waitForPort(started, timeout: timeout)
        } catch {
            if let configurationPath { try? FileManager.default.removeItem(atPath: configurationPath) }
            throw error
        }
        self.started = started
        self.configurationPath = configurationPath
        self.port = port
        process = started.process
        stdout = CapturedOutput(url: started.stdoutURL)
        stderr = CapturedOutput(url: started.stderrURL)
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: started.directory)
        if let configurationPath { try? FileManager.default.removeItem(atPath: configurationPath) }
    }

    /// Polls standard output for `port=N`; if the daemon exits or `timeout` passes first, kills it, removes its
    /// files and throws with its standard error.
    private static func waitForPort(_ started: StartedProcess, timeout: Duration) throws -> UInt16 {
        let deadline = ContinuousClock.now + timeout
        while true {
            let output = String(decoding: started.readStdout(), as: UTF8.self)
            if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("port=") }),
               let port = UInt16(line.dropFirst(5)) {
                return port
            }
            if !started.process.isRunning || ContinuousClock.now >= deadline {
                let running = started.process.isRunning
                waitForExit(started.process, until: .now)
                let stderr = String(decoding: started.readStderr(), as: UTF8.self)
                try? FileManager.default.removeItem(at: started.directory)
                throw LiveServerError(
                    "arena-server \(running ? "did not print port= within \(timeout)" : "exited early") "
                        + "(status \(started.process.terminationStatus)); stderr:\n\(stderr)")
            }
            usleep(5_000)
        }
    }

    /// Sends `signal` and waits (at most `timeout`) for the exit; nil if it did not come and the daemon was killed.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10))
        -> (reason: Process.TerminationReason, status: Int32)?
    {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        guard waitForExit(process, until: .now + timeout) else { return nil }
        return (process.terminationReason, process.terminationStatus)
    }

    /// SIGKILL if the daemon still runs, and wait until it is gone. Its output stays readable until deinit.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        waitForExit(process, until: .now + .seconds(10))
    }
}

/// A child's standard output or standard error, written to a file while it runs.
struct CapturedOutput: Sendable {
    let url: URL

    /// Everything written so far.
    var text: String { String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
}
