import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// The real `arena-server` binary (built by `swift build --build-tests`): flags, exit codes, signals and logging,
/// which only the executable has.
@Suite(.serialized) struct LiveDaemonTests {
    @Test func servesHealthzAndJSON404ThenExitsZeroOnSIGTERM() throws {
        let daemon = try LiveDaemon()
        let client = TestClient(port: daemon.port)
        #expect(client.get("/healthz").text == "ok\n")
        let missing = client.get("/no/such/route")
        #expect(missing.status == .notFound)
        #expect(missing.headers["Content-Type"] == "application/json")
        let object = try missing.json()
        #expect(object["error"]?.string == "not_found")
        #expect(object["message"]?.string == "no route for GET /no/such/route")

        #expect(daemon.stop(signal: SIGTERM) == .exited(0))
        let lines = TextLogLine.all(in: daemon.stderr.text)
        #expect(!lines.contains(nil), "\(daemon.stderr.text)")
        let notices = lines.compactMap { $0 }.filter { $0.notice != nil }
        #expect(notices.map(\.level) == ["notice", "notice", "notice", "notice"])
        #expect(
            notices.map(\.notice) == [
                "version \(ArenaHTTPServer.versionLine)", "listening on http://127.0.0.1:\(daemon.port)",
                "received SIGTERM, stopping", "stopped",
            ])
        let requests = lines.compactMap { $0?.request }
        #expect(requests.map(\.method) == ["GET", "GET"], "one log line per request")
        #expect(requests.map(\.path) == ["/healthz", "/no/such/route"])
        #expect(requests.map(\.status) == [200, 404])
        #expect(requests.first?.bytes == 3)
        #expect(requests.allSatisfy { $0.client.hasPrefix("127.0.0.1:") })
    }

    @Test func exitsZeroOnSIGINT() throws {
        let daemon = try LiveDaemon()
        #expect(daemon.stop(signal: SIGINT) == .exited(0))
        #expect(daemon.stderr.text.contains("received SIGINT, stopping"))
    }

    @Test func logRequestsFalseSilencesTheRequestLog() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        #expect(TestClient(port: daemon.port).get("/healthz").status == .ok)
        #expect(daemon.stop(signal: SIGTERM) == .exited(0))
        #expect(!daemon.stderr.text.contains("GET"), "stderr: \(daemon.stderr.text)")
    }

    @Test func checkConfigRejectsABadFileWithExitCode2() throws {
        let config = try TestPaths.temporaryFile(#"{ "limits": { "max_body_bytes": "lots" } }"#)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try LiveDaemon.run(["--check-config", "--config", config])
        #expect(result.exit == .exited(2))
        let line = try #require(TextLogLine(result.stderr.dropLast()), "\(result.stderr)")
        #expect(result.stderr == line.text + "\n", "one line")
        #expect(line.level == "error")
        #expect(
            line.notice == "configuration error: limits.max_body_bytes: "
                + #"expected a size like 1048576 or "1MiB", got "lots""#)
    }

    @Test func checkConfigAcceptsTheDefaultFile() throws {
        let config = TestPaths.repositoryRoot.appendingPathComponent("config/arena-server.json").path
        let result = try LiveDaemon.run(["--check-config", "--config", config])
        #expect(result.exit == .exited(0))
        #expect(result.stdout.hasPrefix("configuration OK\nlisten 127.0.0.1:8080, 2 threads, 3 arenas"))
    }

    /// Every key of the file is optional and falls back to the built-in default, `arenas` included: a file that
    /// only tunes limits keeps the three built-in arenas, and `"arenas": []` asks for none. The daemon says which
    /// it got, in `--check-config` and in `GET /arenas`.
    @Test(arguments: [
        (
            #"{ "limits": { "max_arenas": 64 } }"#, "3 arenas (request, frame, scratch)",
            ["frame", "request", "scratch"]
        ),
        (#"{ "arenas": [] }"#, "no arenas", []),
        (#"{ "arenas": [{ "name": "job", "capacity": "4KiB" }] }"#, "1 arena (job)", ["job"]),
    ])
    func aFileWithoutArenasKeepsTheBuiltInOnes(file: String, summary: String, names: [String]) throws {
        let config = try TestPaths.temporaryFile(file)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let check = try LiveDaemon.run(["--check-config", "--config", config])
        #expect(check.exit == .exited(0))
        #expect(check.stdout.contains(", \(summary), "), "\(check.stdout)")
        let daemon = try LiveDaemon(configuration: file)
        let listed = try TestClient(port: daemon.port).get("/arenas").json()["arenas"]?.array ?? []
        #expect(listed.compactMap { $0["name"]?.string }.sorted() == names)
        #expect(daemon.stop(signal: SIGTERM) == .exited(0))
    }

    @Test func badEnvironmentValueExits2NamingTheVariable() throws {
        let result = try LiveDaemon.run(["--check-config"], environment: ["ARENA_SERVER_THREADS": "0"])
        #expect(result.exit == .exited(2))
        #expect(result.stderr.contains(" error arena-server: configuration error: ARENA_SERVER_THREADS: "))
    }

    @Test func refusesNonLoopbackWithoutToken() throws {
        let result = try LiveDaemon.run(["--host", "0.0.0.0", "--port", "0"])
        #expect(result.exit == .exited(2))
        #expect(result.stderr.contains("--host: refusing to listen on non-loopback address 0.0.0.0"))
    }

    @Test(arguments: [
        (#"{"limits":{"max_arenas":0}}"#, "limits.max_arenas"),
        (#"{"listen":{"port":"x"}}"#, "listen.port"),
        (#"{"arenas":[{"name":"a","policy":"fixed","capacity":"lots"}]}"#, "arenas[0].capacity"),
        (#"{"trace":{"ring_capacity":3}}"#, "trace.ring_capacity"),
        (#"{"bogus":1}"#, "bogus"),
        (#"{"limits":"#, "line 1"),
    ])
    func badConfigExitsWith2AndTheKeyPath(config: String, keyPath: String) throws {
        let file = try TestPaths.temporaryFile(config)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try LiveDaemon.run(["--port", "0", "--config", file])
        #expect(result.exit != nil, "it started instead of refusing the configuration")
        #expect(result.exit == .exited(2), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("configuration error"), "stderr: \(result.stderr)")
        #expect(result.stderr.contains(keyPath), "stderr: \(result.stderr)")
        #expect(!result.stdout.contains("port="))
    }

    /// `--version` prints the release, the git revision `make` compiled in (from the generated
    /// `BuildRevision+Generated.swift`; `unknown` without it) and the Swift compiler.
    @Test func versionFlag() throws {
        let generated = TestPaths.repositoryRoot.appendingPathComponent(
            "Sources/ArenaHTTP/Server/BuildRevision+Generated.swift")
        let revision =
            (try? String(contentsOf: generated, encoding: .utf8))
            .flatMap { $0.firstMatch(of: /revision: String \{ "([^"]+)" \}/)?.output.1 }.map(String.init)
            ?? "unknown"
        let result = try LiveDaemon.run(["--version"])
        #expect(result.exit == .exited(0))
        #expect(result.stdout == "0.2.0 (revision \(revision), Swift \(ArenaHTTPServer.swiftVersion))\n")
        #expect(ArenaHTTPServer.version == "0.2.0")
    }
}
