import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A program a test runs: the daemon, curl, promtool, prometheus, chromium. The one way the tests start processes.
///
/// Standard input is read from a file, standard output and error are written to files in a directory of the
/// child's own, never to pipes: a pipe that nobody drains blocks a chatty child (the daemon's request log,
/// chromium) once its buffer is full. Every wait is bounded. Deinit kills a child that still runs and removes its
/// files.
///
/// ```swift
/// let lint = try ChildProcess.run("/usr/bin/promtool", ["check", "metrics"], stdin: Array(text.utf8))
/// #expect(lint.exit == .exited(0))
/// let follower = try ChildProcess.start("/usr/bin/curl", ["-sS", "-N", url])   // runs while the test goes on
/// #expect(follower.stop(signal: SIGTERM) != nil)
/// ```
final class ChildProcess: @unchecked Sendable {
    // @unchecked: `process` is configured before it runs and afterwards only signalled and asked about its state;
    // the output files are read afresh on every access.

    /// How a child ended.
    struct Exit: Equatable, Sendable, CustomStringConvertible {
        var reason: Process.TerminationReason
        /// The exit status, or the signal number when `reason` is `.uncaughtSignal`.
        var status: Int32

        /// A normal exit with `status`.
        static func exited(_ status: Int32) -> Exit { Exit(reason: .exit, status: status) }

        var description: String { reason == .exit ? "exit \(status)" : "signal \(status)" }
    }

    /// What a child run to completion did.
    struct Result: Sendable {
        /// nil when it still ran at the deadline and was killed.
        var exit: Exit?
        var stdout: String
        var stderr: String
    }

    let process: Process
    let stdout: CapturedOutput
    let stderr: CapturedOutput
    private let directory: URL

    private init(
        _ executable: String, _ arguments: [String], stdin: [UInt8], environment: [String: String]?
    )
        throws
    {
        directory = try TestPaths.temporaryDirectory("arena-child")
        let stdinURL = directory.appendingPathComponent("stdin")
        stdout = CapturedOutput(url: directory.appendingPathComponent("stdout"))
        stderr = CapturedOutput(url: directory.appendingPathComponent("stderr"))
        try Data(stdin).write(to: stdinURL)
        for output in [stdout, stderr] { _ = FileManager.default.createFile(atPath: output.url.path, contents: nil) }
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        process.standardInput = try FileHandle(forReadingFrom: stdinURL)
        process.standardOutput = try FileHandle(forWritingTo: stdout.url)
        process.standardError = try FileHandle(forWritingTo: stderr.url)
        do {
            try process.run()
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts `executable` in the background with `stdin` as its standard input.
    static func start(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], environment: [String: String]? = nil
    ) throws -> ChildProcess {
        try ChildProcess(executable, arguments, stdin: stdin, environment: environment)
    }

    /// Runs `executable` to completion, killed if it still runs after `timeout`.
    static func run(
        _ executable: String, _ arguments: [String], stdin: [UInt8] = [], environment: [String: String]? = nil,
        timeout: Duration = .seconds(20)
    ) throws -> Result {
        let child = try start(executable, arguments, stdin: stdin, environment: environment)
        let exit = child.waitForExit(timeout: timeout)
        child.kill()
        return Result(exit: exit, stdout: child.stdout.text, stderr: child.stderr.text)
    }

    /// Waits at most `timeout` for the child to exit; nil if it still runs then.
    func waitForExit(timeout: Duration = .seconds(10)) -> Exit? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            usleep(2_000)
        }
        process.waitUntilExit()
        return Exit(reason: process.terminationReason, status: process.terminationStatus)
    }

    /// Sends `signal` and waits at most `timeout` for the exit; nil if it did not come (the child is then killed).
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) -> Exit? {
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        guard let exit = waitForExit(timeout: timeout) else {
            kill()
            return nil
        }
        return exit
    }

    /// SIGKILL if the child still runs, and wait until it is gone. Its output stays readable until deinit.
    func kill() {
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        _ = waitForExit(timeout: .seconds(10))
    }
}

/// A child's standard output or standard error, written to a file while it runs.
struct CapturedOutput: Sendable {
    let url: URL

    /// Everything written so far.
    var text: String { String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }
}
