import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ArenaServer

/// The real `arena-server` binary (built by `swift build --build-tests`), on an ephemeral port.
@Suite(.serialized) struct LiveDaemonTests {
    static let binary = serverBinary

    /// The test process's environment without any ARENA_SERVER_* variable, plus `extra`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        cleanEnvironment.merging(extra) { $1 }
    }

    /// A running daemon; `stop()` or deinit ends it.
    typealias Daemon = LiveDaemon

    @Test func servesHealthzAndJSON404ThenExitsZeroOnSIGTERM() async throws {
        let daemon = try Daemon(arguments: [])
        defer { daemon.kill() }

        let health = try await TestSupport.send(port: daemon.port, path: "/healthz")
        #expect(health.status == 200)
        #expect(health.body == "ok\n")

        let missing = try await TestSupport.send(port: daemon.port, path: "/no/such/route")
        #expect(missing.status == 404)
        #expect(missing.response.value(forHTTPHeaderField: "Content-Type") == "application/json")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(missing.body.utf8)) as? [String: String])
        #expect(object["error"] == "not_found")
        #expect(object["message"] == "no route for GET /no/such/route")

        let exit = daemon.stop(signal: SIGTERM)
        #expect(exit?.reason == .exit)
        #expect(exit?.status == 0)
        #expect(daemon.stderr.text.contains("arena-server listening on http://127.0.0.1:\(daemon.port)"))
        #expect(daemon.stderr.text.contains("GET /healthz 200 3 "), "one log line per request")
    }

    @Test func exitsZeroOnSIGINT() throws {
        let daemon = try Daemon(arguments: [])
        defer { daemon.kill() }
        let exit = daemon.stop(signal: SIGINT)
        #expect(exit?.reason == .exit)
        #expect(exit?.status == 0)
    }

    @Test func bodyOverMaxBodyBytesIs413() async throws {
        let config = try TestSupport.temporaryFile(
            #"{ "limits": { "max_body_bytes": "1KiB" }, "log_requests": false }"#)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let daemon = try Daemon(arguments: ["--config", config])
        defer { daemon.kill() }
        let reply = try await TestSupport.send("POST", port: daemon.port, path: "/arenas",
                                               body: Data(repeating: 0x7B, count: 4096))
        #expect(reply.status == 413)
        #expect(reply.body.contains(#""error":"payload_too_large""#))
        #expect(!daemon.stderr.text.contains("POST"), "log_requests false silences the request log")
    }

    @Test func checkConfigRejectsABadFileWithExitCode2() throws {
        let config = try TestSupport.temporaryFile(#"{ "limits": { "max_body_bytes": "lots" } }"#)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try TestSupport.run(Self.binary, ["--check-config", "--config", config],
                                         environment: Self.environment())
        #expect(result.status == 2)
        #expect(result.stderr == "arena-server: configuration error: limits.max_body_bytes: "
                + #"expected a size like 1048576 or "1MiB", got "lots""# + "\n")
    }

    @Test func checkConfigAcceptsTheDefaultFile() throws {
        let config = TestSupport.repositoryRoot.appendingPathComponent("config/arena-server.json").path
        let result = try TestSupport.run(Self.binary, ["--check-config", "--config", config],
                                         environment: Self.environment())
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("configuration OK\nlisten 127.0.0.1:8080, 2 threads, 3 arenas"))
    }

    @Test func badEnvironmentValueExits2NamingTheVariable() throws {
        let result = try TestSupport.run(Self.binary, ["--check-config"],
                                         environment: Self.environment(["ARENA_SERVER_THREADS": "0"]))
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("arena-server: configuration error: ARENA_SERVER_THREADS: "))
    }

    @Test func refusesNonLoopbackWithoutToken() throws {
        let result = try TestSupport.run(Self.binary, ["--host", "0.0.0.0", "--port", "0"],
                                         environment: Self.environment())
        #expect(result.status == 2)
        #expect(result.stderr.contains("--host: refusing to listen on non-loopback address 0.0.0.0"))
    }

    @Test func versionFlag() throws {
        let result = try TestSupport.run(Self.binary, ["--version"], environment: Self.environment())
        #expect(result.status == 0)
        #expect(result.stdout == ServerVersion.string + "\n")
    }
}
