import ArenaCore
import Foundation
import Testing
@testable import ArenaServer
#if canImport(Glibc)
import Glibc
#endif

// Helpers shared by the API tests: an in-process harness around `ArenaAPI`, JSON reading with Foundation (an
// independent parser, so the hand-rendered JSON is checked by someone else's rules), and a live daemon driven
// through curl.

// MARK: - In-process

/// An `ArenaAPI` built from a configuration, with one-line request helpers.
///
/// ```swift
/// let api = try APIHarness { $0.limits.maxArenas = 4 }
/// let response = api.post("/arenas", json: #"{"name":"a","capacity":64}"#)
/// ```
struct APIHarness {
    let api: ArenaAPI

    init(_ configure: (inout Configuration) -> Void = { _ in }) throws {
        var configuration = Configuration()
        configure(&configuration)
        api = try ArenaAPI(configuration: configuration)
    }

    /// Sends `method target`, where `target` may carry a query string (`/events?since=3&format=text`).
    func send(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []
    ) -> HTTPResponse {
        let (path, query) = splitTarget(target)
        return api.handle(HTTPRequest(method: method, path: path, query: query, headers: headers, body: body))
    }

    func get(_ target: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        send(.get, target, headers: headers)
    }

    /// A POST with a JSON body (and `Content-Type: application/json`), or without a body when `json` is nil.
    func post(_ target: String, json: String? = nil, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        var headers = headers
        if json != nil, headers["Content-Type"] == nil {
            headers.add(name: "Content-Type", value: "application/json")
        }
        return send(.post, target, headers: headers, body: Array((json ?? "").utf8))
    }

    /// A POST of raw bytes (blobs), without a content type unless `headers` give one.
    func post(_ target: String, bytes: [UInt8], headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        send(.post, target, headers: headers, body: bytes)
    }

    func delete(_ target: String, headers: HTTPHeaders = HTTPHeaders()) -> HTTPResponse {
        send(.delete, target, headers: headers)
    }

    /// `GET /arenas/{name}` as JSON; records an issue and throws when it is not 200.
    func arena(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let response = get("/arenas/\(name)")
        try #require(response.status.code == 200, "GET /arenas/\(name): \(response.text)",
                     sourceLocation: sourceLocation)
        return try response.json(sourceLocation: sourceLocation)
    }

    /// Creates an arena from a JSON body; requires 201.
    @discardableResult
    func createArena(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let response = post("/arenas", json: json)
        try #require(response.status.code == 201, "POST /arenas \(json): \(response.text)",
                     sourceLocation: sourceLocation)
        return try response.json(sourceLocation: sourceLocation)
    }

    /// Allocates from `arena` with a JSON body; requires 201 and returns the allocations.
    @discardableResult
    func allocate(
        _ arena: String, _ json: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [JSON] {
        let response = post("/arenas/\(arena)/allocations", json: json)
        try #require(response.status.code == 201, "POST /arenas/\(arena)/allocations \(json): \(response.text)",
                     sourceLocation: sourceLocation)
        return try #require(try response.json(sourceLocation: sourceLocation)["allocations"]?.array,
                            sourceLocation: sourceLocation)
    }

    /// `GET /metrics` as text.
    func metricsText() -> String { get("/metrics").text }
}

/// Splits `/path?a=1&b` into the path and its percent-decoded query parameters (`b` maps to "").
func splitTarget(_ target: String) -> (path: String, query: [String: String]) {
    guard let mark = target.firstIndex(of: "?") else { return (target, [:]) }
    var query: [String: String] = [:]
    for pair in target[target.index(after: mark)...].split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = String(parts[0]).removingPercentEncoding ?? String(parts[0])
        let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
        query[name] = value
    }
    return (String(target[..<mark]), query)
}

extension HTTPResponse {
    var bytes: [UInt8] {
        switch body {
        case .bytes(let bytes): bytes
        case .stream: []  // streams are tested live (StreamTests)
        }
    }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The body parsed by Foundation's JSONSerialization; a body that is not a JSON value fails the test.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        try JSON.parse(bytes, sourceLocation: sourceLocation)
    }
}

// MARK: - JSON

/// A value from JSONSerialization with typed, optional accessors: `json["stats"]?["used_bytes"]?.int`.
struct JSON: CustomStringConvertible {
    let value: Any

    static func parse(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        do {
            return JSON(value: try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]))
        } catch {
            Issue.record("not JSON (\(error)): \(String(decoding: bytes, as: UTF8.self))",
                         sourceLocation: sourceLocation)
            throw error
        }
    }

    subscript(key: String) -> JSON? {
        (value as? [String: Any])?[key].map(JSON.init(value:))
    }

    subscript(index: Int) -> JSON? {
        guard let array = value as? [Any], array.indices.contains(index) else { return nil }
        return JSON(value: array[index])
    }

    var object: [String: JSON]? { (value as? [String: Any])?.mapValues(JSON.init(value:)) }
    var keys: Set<String> { Set((value as? [String: Any])?.keys.map { $0 } ?? []) }
    var array: [JSON]? { (value as? [Any])?.map(JSON.init(value:)) }
    var string: String? { value as? String }
    var isNull: Bool { value is NSNull }

    /// A whole number (JSONSerialization gives NSNumber; fractional values are refused).
    var int: Int? {
        guard let number = value as? NSNumber else { return nil }
        let double = number.doubleValue
        guard double == double.rounded() else { return nil }
        return number.intValue
    }

    var uint64: UInt64? {
        guard let number = value as? NSNumber else { return nil }
        return number.uint64Value
    }

    var bool: Bool? { value as? Bool }

    var description: String {
        guard JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])
        else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: - Error assertions

/// Asserts the API's error shape: `status`, `{"error": code, "message": ...}` as JSON, and that the message
/// mentions each of `mentions` (the field, the value, the limit: whatever tells the client what is wrong).
func expectError(
    _ response: HTTPResponse, status: UInt16, code: String, mentions: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(response.status.code == status, "body: \(response.text)", sourceLocation: sourceLocation)
    #expect(response.headers["Content-Type"] == "application/json", sourceLocation: sourceLocation)
    guard let json = try? JSON.parse(response.bytes, sourceLocation: sourceLocation) else { return }
    #expect(json["error"]?.string == code, "body: \(response.text)", sourceLocation: sourceLocation)
    let message = json["message"]?.string ?? ""
    #expect(!message.isEmpty, "the error has no message: \(response.text)", sourceLocation: sourceLocation)
    for word in mentions {
        #expect(message.contains(word), "message should mention '\(word)': \(message)",
                sourceLocation: sourceLocation)
    }
    // Internal representations must never leak into what clients read.
    for leak in ["Optional(", "Error(", "SizeError", "JSONValue"] {
        #expect(!message.contains(leak), "message leaks '\(leak)': \(message)", sourceLocation: sourceLocation)
    }
}

// MARK: - Prometheus text

/// The value of the sample written exactly as `series` (name with labels), e.g.
/// `arena_used_bytes{class="request"}`; nil when absent.
func metricValue(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where !line.hasPrefix("#") {
        guard line.hasPrefix(series + " ") else { continue }
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// Every sample line (not comments) whose name starts with `prefix`.
func metricLines(_ text: String, prefix: String) -> [String] {
    text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.hasPrefix(prefix) }.map(String.init)
}

/// Runs `promtool check metrics` on `text`; nil when it passed, else its complaint.
func promtoolProblems(_ text: String) throws -> String? {
    let result = try runProcess(promtoolPath, ["check", "metrics"], stdin: Array(text.utf8))
    guard result.terminationStatus != 0 || result.timedOut else { return nil }
    return "promtool exit \(result.terminationStatus): \(result.stdoutText)\(result.stderrText)"
}

let promtoolPath = "/usr/bin/promtool"
let promtoolInstalled = FileManager.default.isExecutableFile(atPath: promtoolPath)

// MARK: - Processes

/// What a child process did.
struct ProcessResult {
    var terminationStatus: Int32
    var terminationReason: Process.TerminationReason
    var stdout: [UInt8]
    var stderr: [UInt8]
    /// It was still running at the deadline and was killed.
    var timedOut: Bool

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// A fresh directory under the system temporary directory.
func makeTemporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("arena-api-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Waits for `process` to exit until `deadline`; kills it (SIGTERM, then SIGKILL) when it does not. Returns whether
/// it exited on its own.
@discardableResult
func waitForExit(_ process: Process, until deadline: ContinuousClock.Instant) -> Bool {
    while process.isRunning {
        if ContinuousClock.now >= deadline {
            process.terminate()
            let grace = ContinuousClock.now + .seconds(2)
            while process.isRunning && ContinuousClock.now < grace { usleep(5_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return false
        }
        usleep(2_000)
    }
    process.waitUntilExit()
    return true
}

/// Runs a program to completion with `stdin`, collecting its output through files (pipes could fill up and
/// deadlock), and kills it after `timeout`.
func runProcess(
    _ executable: String, _ arguments: [String], stdin: [UInt8] = [], environment: [String: String]? = nil,
    timeout: Duration = .seconds(15)
) throws -> ProcessResult {
    let process = try startProcess(executable, arguments, stdin: stdin, environment: environment)
    let exited = waitForExit(process.process, until: .now + timeout)
    defer { try? FileManager.default.removeItem(at: process.directory) }
    return ProcessResult(
        terminationStatus: process.process.terminationStatus, terminationReason: process.process.terminationReason,
        stdout: process.readStdout(), stderr: process.readStderr(), timedOut: !exited)
}

/// A started child process whose standard output and error go to files in `directory`.
struct StartedProcess {
    let process: Process
    let directory: URL

    var stdoutURL: URL { directory.appendingPathComponent("stdout") }
    var stderrURL: URL { directory.appendingPathComponent("stderr") }

    func readStdout() -> [UInt8] { (try? [UInt8](Data(contentsOf: stdoutURL))) ?? [] }
    func readStderr() -> [UInt8] { (try? [UInt8](Data(contentsOf: stderrURL))) ?? [] }
}

func startProcess(
    _ executable: String, _ arguments: [String], stdin: [UInt8] = [], environment: [String: String]? = nil
) throws -> StartedProcess {
    let directory = try makeTemporaryDirectory()
    let stdinURL = directory.appendingPathComponent("stdin")
    try Data(stdin).write(to: stdinURL)
    let started = StartedProcess(process: Process(), directory: directory)
    _ = FileManager.default.createFile(atPath: started.stdoutURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: started.stderrURL.path, contents: nil)
    let process = started.process
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    process.standardInput = try FileHandle(forReadingFrom: stdinURL)
    process.standardOutput = try FileHandle(forWritingTo: started.stdoutURL)
    process.standardError = try FileHandle(forWritingTo: started.stderrURL)
    try process.run()
    return started
}

// MARK: - Live daemon

/// The package's root directory, from this file's path (Tests/ArenaServerTests/TestSupport/...).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The daemon binary that `swift build` (and `make test`) leaves in the debug build directory.
let serverBinary = repositoryRoot.appendingPathComponent(".build/debug/arena-server").path

/// The environment for a daemon under test: the caller's, without `ARENA_SERVER_*` settings that would change it.
var cleanEnvironment: [String: String] {
    ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARENA_SERVER_") }
}

/// A running `arena-server --port 0` driven through curl, stopped by `stop()` or, at the latest, when it is
/// deinitialized. Starting, stopping and the output files are `LiveDaemon`'s.
///
/// ```swift
/// let server = try LiveServer()
/// defer { server.kill() }
/// let response = try server.request("GET", "/healthz")
/// ```
final class LiveServer {
    let daemon: LiveDaemon

    var port: Int { Int(daemon.port) }
    var process: Process { daemon.process }

    /// Starts the daemon with `arguments` (after `--port 0`) and, when given, a configuration file with `config`,
    /// and waits (at most `timeout`) for its `port=N` line.
    init(arguments: [String] = [], config: String? = nil, timeout: Duration = .seconds(20)) throws {
        daemon = try LiveDaemon(arguments: arguments, configuration: config, timeout: timeout)
    }

    /// Sends SIGTERM and waits (at most `timeout`) for the daemon to exit.
    @discardableResult
    func stop(timeout: Duration = .seconds(10)) -> (status: Int32, reason: Process.TerminationReason, exited: Bool) {
        let exit = daemon.stop(signal: SIGTERM, timeout: timeout)
        return (process.terminationStatus, process.terminationReason, exit != nil)
    }

    /// Kills the daemon if it still runs.
    func kill() { daemon.kill() }

    var stderrText: String { daemon.stderr.text }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// One request through curl. `body` goes out as is, with `contentType` (none when nil).
    func request(
        _ method: String, _ target: String, body: [UInt8]? = nil, contentType: String? = nil,
        headers: [String: String] = [:]
    ) throws -> LiveResponse {
        try LiveResponse.parse(try runProcess("/usr/bin/curl", curlArguments(
            method, target, body: body, contentType: contentType, headers: headers), stdin: body ?? []))
    }

    /// A JSON request: `contentType` defaults to application/json.
    func request(_ method: String, _ target: String, json: String, headers: [String: String] = [:]) throws
        -> LiveResponse
    {
        try request(method, target, body: Array(json.utf8), contentType: "application/json", headers: headers)
    }

    func curlArguments(
        _ method: String, _ target: String, body: [UInt8]?, contentType: String?, headers: [String: String]
    ) -> [String] {
        var arguments = ["-sS", "-i", "--max-time", "10", "-H", "Expect:"]
        arguments += method == "HEAD" ? ["-I"] : ["-X", method]
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { arguments += ["-H", "\(name): \(value)"] }
        if body != nil {
            arguments += ["--data-binary", "@-", "-H", contentType.map { "Content-Type: \($0)" } ?? "Content-Type:"]
        }
        arguments.append(baseURL + target)
        return arguments
    }
}

struct LiveServerError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A response read back from `curl -i`.
struct LiveResponse {
    var status: Int
    /// Header names lowercased.
    var headers: [String: String]
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        try JSON.parse(body, sourceLocation: sourceLocation)
    }

    static func parse(_ result: ProcessResult) throws -> LiveResponse {
        guard result.terminationStatus == 0, !result.timedOut else {
            throw LiveServerError("curl failed (status \(result.terminationStatus), timed out: \(result.timedOut)): "
                                  + result.stderrText)
        }
        var rest = result.stdout[...]
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            guard let end = rest.firstRange(of: separator) else {
                throw LiveServerError("no HTTP header in curl output: \(result.stdoutText)")
            }
            let head = String(decoding: rest[..<end.lowerBound], as: UTF8.self)
            var lines = head.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                throw LiveServerError("bad status line in: \(head)")
            }
            rest = rest[end.upperBound...]
            if status == 100 { continue }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...]
                    .trimmingCharacters(in: .whitespaces)
            }
            return LiveResponse(status: status, headers: headers, body: Array(rest))
        }
    }
}
