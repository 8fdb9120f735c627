import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ArenaServer

/// A live `arena-server` on an ephemeral port, started from a configuration document, with JSON helpers.
///
/// Starting, the configuration file, the `port=N` handshake and killing are `LiveDaemon`'s; this adds the API calls
/// the monitoring tests make. Deinit kills the daemon.
///
/// ```swift
/// let server = try MonitoredServer(configuration: #"{ "log_requests": false }"#)
/// try await server.allocate("request", sizes: [16, 32])
/// let used = try await server.arena("request").stats.usedBytes
/// ```
final class MonitoredServer: Sendable {
    let daemon: LiveDaemon

    var port: UInt16 { daemon.port }
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the daemon with `configuration` (JSON; keys left out keep their defaults, so the three default
    /// arenas `request`, `frame` and `scratch` exist unless it lists `arenas`).
    init(configuration: String = #"{ "log_requests": false }"#) throws {
        daemon = try LiveDaemon(configuration: configuration)
    }

    // MARK: - Requests

    /// One request; `json` is sent as an `application/json` body.
    @discardableResult
    func send(_ method: String = "GET", _ path: String, json: String? = nil) async throws
        -> (status: Int, body: String)
    {
        let reply = try await TestSupport.send(
            method, port: port, path: path, body: json.map { Data($0.utf8) },
            headers: json == nil ? [:] : ["Content-Type": "application/json"])
        return (reply.status, reply.body)
    }

    /// `POST /arenas`; expects 201.
    func createArena(_ name: String, capacity: Int, arenaClass: String? = nil, trace: Bool = true) async throws {
        var fields = [#""name":"\#(name)""#, #""policy":"fixed""#, #""capacity":\#(capacity)"#, #""trace":\#(trace)"#]
        if let arenaClass { fields.append(#""class":"\#(arenaClass)""#) }
        let reply = try await send("POST", "/arenas", json: "{" + fields.joined(separator: ",") + "}")
        try #require(reply.status == 201, "create \(name): \(reply.status) \(reply.body)")
    }

    /// `POST /arenas/{name}/allocations` with `sizes`; returns the status (201, or 409 etc. on failure).
    @discardableResult
    func allocate(_ name: String, sizes: [Int]) async throws -> Int {
        let list = sizes.map(String.init).joined(separator: ",")
        return try await send("POST", "/arenas/\(name)/allocations", json: #"{"sizes":[\#(list)]}"#).status
    }

    /// `GET /arenas`, decoded.
    func arenas() async throws -> ArenaList {
        let reply = try await send("GET", "/arenas")
        try #require(reply.status == 200)
        return try Self.decoder.decode(ArenaList.self, from: Data(reply.body.utf8))
    }

    /// `GET /arenas/{name}`, decoded.
    func arena(_ name: String) async throws -> ArenaInfo {
        let reply = try await send("GET", "/arenas/\(name)")
        try #require(reply.status == 200, "GET /arenas/\(name): \(reply.status)")
        return try Self.decoder.decode(ArenaInfo.self, from: Data(reply.body.utf8))
    }

    /// `GET /metrics` as text.
    func scrape() async throws -> String {
        let reply = try await send("GET", "/metrics")
        try #require(reply.status == 200)
        return reply.body
    }

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()

    struct ArenaList: Decodable {
        var arenas: [ArenaInfo]
        var count: Int
        var reservedBytes: Int
        var maxTotalBytes: Int
        var maxArenas: Int
    }

    struct ArenaInfo: Decodable {
        var name: String
        var `class`: String
        var stats: Stats

        struct Stats: Decodable {
            var usedBytes: Int
            var limitBytes: Int
            var lifetimeAllocations: Int
            var failedAllocations: Int
            var resets: Int
        }
    }
}

/// A child process that runs in the background while a test talks to it (prometheus, a curl follower):
/// standard output is collected as it arrives, standard error too (separately); deinit kills it.
final class BackgroundProcess: @unchecked Sendable {
    // @unchecked: `process` is configured in init and then only read or signalled; output is in LockedData.
    let process = Process()
    let stdout = LockedData()
    let stderr = LockedData()

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        for (pipe, sink) in [(Pipe(), stdout), (Pipe(), stderr)] {
            if sink === stdout { process.standardOutput = pipe } else { process.standardError = pipe }
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                if data.isEmpty {
                    handle.readabilityHandler = nil  // end of file: stop polling
                } else {
                    sink.append(data)
                }
            }
        }
        try process.run()
    }

    deinit { kill() }

    /// Waits (bounded) for the exit; its status, or nil if it did not exit in time (it is then killed).
    func waitForExit(timeout: Duration = .seconds(10)) async -> Int32? {
        guard await eventually(timeout: timeout, { !process.isRunning }) else {
            kill()
            return nil
        }
        return process.terminationStatus
    }

    /// Sends `signal` and waits (bounded) for the exit; nil if it had to be killed.
    func stop(signal: Int32 = SIGTERM, timeout: Duration = .seconds(10)) async -> Int32? {
        if process.isRunning { Foundation.kill(process.processIdentifier, signal) }
        return await waitForExit(timeout: timeout)
    }

    /// SIGKILL if still running, and wait (bounded) until it is gone.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        for _ in 0..<1000 where process.isRunning { usleep(10_000) }
    }
}

/// A `curl -N -D -` reading a chunked response as it arrives (a live event stream), so tests see exactly what a
/// client sees, including whether the chunked body ended cleanly (exit status 0) or was cut off (18).
final class CurlStream: Sendable {
    let curl: BackgroundProcess

    /// Starts `curl` on `path` of the server at `port`; it gives up by itself after `maxSeconds`.
    /// The head goes to standard output with `-D -`, not `-i`: curl flushes a header file at once but keeps `-i`
    /// headers in its stdio buffer until the first body bytes, so a stream's head would seem to arrive late.
    init(port: UInt16, path: String, maxSeconds: Int = 30) throws {
        curl = try BackgroundProcess("/usr/bin/curl", [
            "-sS", "-N", "-D", "-", "--max-time", String(maxSeconds), "http://127.0.0.1:\(port)\(path)",
        ])
    }

    /// Everything received: status line, headers, blank line, body (chunk framing already removed by curl).
    var text: String { curl.stdout.text }

    /// The response head has arrived, so the server has registered the follower.
    var hasHeaders: Bool { text.contains("\r\n\r\n") }

    var head: String {
        let all = text
        guard let range = all.range(of: "\r\n\r\n") else { return all }
        return String(all[..<range.lowerBound])
    }

    /// The complete lines of the body so far.
    var lines: [String] {
        let all = text
        guard let range = all.range(of: "\r\n\r\n") else { return [] }
        let body = all[range.upperBound...]
        guard let lastNewline = body.lastIndex(of: "\n") else { return [] }
        return body[..<lastNewline].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Waits (bounded) until `condition` holds; false on timeout.
    func waitUntil(timeout: Duration = .seconds(10), _ condition: (CurlStream) -> Bool) async -> Bool {
        await eventually(timeout: timeout) { condition(self) }
    }

    /// Waits (bounded) for curl to exit; its exit status (0 = the body ended cleanly), nil on timeout.
    func waitForExit(timeout: Duration = .seconds(10)) async -> Int32? {
        await curl.waitForExit(timeout: timeout)
    }

    /// The client goes away.
    func kill() { curl.kill() }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return try await condition()
}

/// Processes the live tests drive besides the daemon: promtool, prometheus, chromium.
enum ExternalProcess {
    /// Runs `executable` with `input` on standard input; killed after `timeout` seconds.
    static func run(_ executable: String, _ arguments: [String], input: String, timeout: TimeInterval = 20) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let inputPath = try TestSupport.temporaryFile(input, suffix: ".txt")
        defer { try? FileManager.default.removeItem(atPath: inputPath) }
        // `sh -c 'exec ... < file'` keeps TestSupport.run's bounded wait and pipe draining.
        let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: #"'\''"#) + "'" }
        return try TestSupport.run("/bin/sh", ["-c", "exec " + quoted.joined(separator: " ") + " < '\(inputPath)'"],
                                   timeout: timeout)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago: bind to port 0, read the port, close.
    static func freePort() throws -> UInt16 {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socketFD >= 0)
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(socketFD, socketAddress, length) == 0 && getsockname(socketFD, socketAddress, &length) == 0
            }
        }
        try #require(bound, "bind to 127.0.0.1:0 failed: errno \(errno)")
        return UInt16(bigEndian: address.sin_port)
    }

    /// A new empty directory under the temporary directory; the caller removes it.
    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
