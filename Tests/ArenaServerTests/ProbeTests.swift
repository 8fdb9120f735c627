import ArenaCore
import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// `GET /livez` and `GET /readyz` (`?verbose`), in the Kubernetes components' format: ready once the listener
/// and the declared arenas are up, not ready while stopping; no token and any `Host` for probes.
@Suite struct ProbeTests {
    /// `GET target` straight into an API around `registry` (no listener).
    static func ask(_ api: ArenaAPI, _ target: String) throws -> HTTPResponse {
        api.respond(to: HTTPRequest(method: .get, target: try RequestTarget(parsing: Array(target.utf8))))
    }

    static func text(_ response: HTTPResponse) -> String {
        guard let bytes = response.body.sentBytes else { return "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func aLiveServerIsAliveAndReady() throws {
        let client = try TestClient(.live)
        for target in ["/livez", "/readyz"] {
            let plain = client.get(target)
            #expect(plain.status == .ok, "\(target)")
            #expect(plain.text == "ok\n", "\(target)")
            #expect(plain.headers["Content-Type"]?.hasPrefix("text/plain") == true)
        }
        let verbose = client.get("/readyz?verbose")
        #expect(verbose.status == .ok)
        #expect(
            verbose.text == "[+]ping ok\n[+]listener ok\n[+]arenas ok\n[+]shutdown ok\nreadyz check passed\n")
        #expect(client.get("/livez?verbose").text == "[+]ping ok\nlivez check passed\n")
        #expect(client.send(.head, "/readyz").status == .ok)
        #expect(client.post("/readyz").status == .methodNotAllowed)
        #expect(client.get("/healthz").text == "ok\n", "/healthz stays")
        // Probes are counted like every route.
        let scrape = try client.metrics()
        #expect(scrape.value("http_requests_total", ["route": "/readyz", "code": "200"]) == 3)
        #expect(scrape.value("http_requests_total", ["route": "/livez", "code": "200"]) == 2)
    }

    /// An API that does not listen (in process: nothing started it) is alive but not ready, and says why even
    /// without `?verbose`.
    @Test func notListeningIsNotReady() throws {
        let client = try TestClient(.inProcess)
        #expect(client.get("/livez").status == .ok)
        let ready = client.get("/readyz")
        #expect(ready.status == .serviceUnavailable)
        #expect(ready.text.contains("[-]listener failed: the server is not listening\n"), "\(ready.text)")
        #expect(ready.text.hasSuffix("readyz check failed\n"))
    }

    /// A declared arena missing from the registry fails the arenas check; the others pass.
    @Test func aMissingDeclaredArenaIsNotReady() throws {
        let registry = ArenaRegistry()
        _ = try registry.create(name: "request", policy: .fixed(capacity: 4096))
        let api = ArenaAPI(
            registry: registry, configuration: Configuration(), declaredArenas: ["request", "frame", "scratch"])
        api.serving.enter(.serving)
        let response = try Self.ask(api, "/readyz")
        #expect(response.status == .serviceUnavailable)
        #expect(
            Self.text(response)
                == "[+]ping ok\n[+]listener ok\n[-]arenas failed: declared arenas missing: frame, scratch\n"
                + "[+]shutdown ok\nreadyz check failed\n")
        _ = try registry.create(name: "frame", policy: .fixed(capacity: 4096))
        _ = try registry.create(name: "scratch", policy: .fixed(capacity: 4096))
        #expect(try Self.ask(api, "/readyz").status == .ok)
        api.serving.enter(.stopping)
        let stopping = try Self.ask(api, "/readyz")
        #expect(stopping.status == .serviceUnavailable)
        #expect(
            Self.text(stopping).contains("[+]listener ok\n[+]arenas ok\n[-]shutdown failed: the server is stopping\n"))
        #expect(try Self.ask(api, "/livez").status == .ok, "stopping is still alive")
    }

    /// `stop()` makes the server not ready; a server around an embedding program's registry expects no arena.
    @Test func stoppedServerIsNotReady() throws {
        var configuration = Configuration()
        configuration.listen.port = 0
        let server = ArenaHTTPServer(registry: ArenaRegistry(), configuration: configuration)
        #expect(server.api.declaredArenas.isEmpty)
        try server.start()
        #expect(try Self.ask(server.api, "/readyz").status == .ok)
        server.stop()
        #expect(server.api.serving.phase == .stopped)
        #expect(try Self.ask(server.api, "/readyz").status == .serviceUnavailable)
    }

    /// Deliberate: probes need no token (kubelets and load balancers have none) and answer under any `Host`
    /// (they probe by whatever address they were given), while every other route keeps its checks.
    @Test(arguments: Transport.allCases) func probesSkipTokenAndHostChecks(_ transport: Transport) throws {
        let client = try TestClient(transport) {
            $0.auth.token = "s3cret"
            $0.auth.protectReads = true
        }
        let readyStatus: HTTPStatus = transport == .live ? .ok : .serviceUnavailable
        for headers: HTTPHeaders in [[:], ["Host": "evil.example"], ["Host": "pod-10-1-2-3.cluster.local:8080"]] {
            #expect(client.get("/livez", headers: headers).status == .ok, "\(headers)")
            #expect(client.get("/readyz", headers: headers).status == readyStatus, "\(headers)")
            #expect(client.get("/healthz", headers: headers).status == .ok, "\(headers)")
        }
        // The same requests elsewhere: 401 without the token, 421 under a foreign Host.
        #expect(client.get("/metrics").status == .unauthorized)
        #expect(client.get("/arenas", headers: ["Host": "evil.example"]).status.code == 421)
        #expect(
            client.get("/metrics", headers: ["Authorization": "Bearer s3cret", "Host": "evil.example"]).status.code
                == 421)
        #expect(client.get("/metrics", headers: ["Authorization": "Bearer s3cret"]).status == .ok)
    }

    /// The daemon while it stops: SIGTERM closes the listener, and a probe that arrives on a connection opened
    /// before answers as a probe: `/livez` 200, `/readyz` 503 with the failed shutdown check. Each connection sent
    /// its request line before the signal, so the stop does not close it as idle; it holds the stop (within
    /// limits.shutdown_grace_seconds) until the test finishes the request.
    @Test func aStoppingDaemonIsAliveButNotReady() throws {
        let daemon = try LiveDaemon(
            configuration: #"{ "log_requests": false, "limits": {"shutdown_grace_seconds": 10} }"#)
        let ready = try RawHTTPConnection(port: daemon.port)
        try ready.send("GET /readyz?verbose HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let live = try RawHTTPConnection(port: daemon.port)
        try live.send("GET /livez HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        let before = try RawHTTPConnection(port: daemon.port)
        try before.send("GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try before.readResponse().status == 200)

        kill(daemon.process.processIdentifier, SIGTERM)
        // Stopping has begun once the listener is closed: a new connection is refused.
        let closed = eventually(timeout: .seconds(10)) { (try? RawHTTPConnection(port: daemon.port)) == nil }
        try #require(closed, "the listener did not close; stderr: \(daemon.stderr.text)")
        #expect(daemon.process.isRunning, "the open requests hold the stop")

        try ready.send("\r\n")
        let notReady = try ready.readResponse()
        #expect(notReady.status == 503)
        #expect(
            notReady.text == "[+]ping ok\n[+]listener ok\n[+]arenas ok\n[-]shutdown failed: the server is stopping\n"
                + "readyz check failed\n")
        #expect(notReady.header("connection")?.lowercased() == "close")
        try live.send("\r\n")
        let alive = try live.readResponse()
        #expect(alive.status == 200)
        #expect(alive.text == "ok\n")
        #expect(daemon.stop() == .exited(0), "stderr: \(daemon.stderr.text)")
    }
}
