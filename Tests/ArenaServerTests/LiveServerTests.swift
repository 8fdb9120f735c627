import ArenaCore
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// The real `arena-server` binary on an ephemeral port, driven over sockets like any client. Every wait is
/// bounded, and deinit kills every daemon that a failed test left running.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LiveServerTests {
    @Test func readmeWalkthrough() throws {
        let daemon = try LiveDaemon()
        let client = TestClient(port: daemon.port)

        let health = client.get("/healthz")
        #expect(health.status == .ok)
        #expect(health.text == "ok\n")

        let list = try client.get("/arenas").json()
        #expect(list["arenas"]?.array?.compactMap { $0["name"]?.string } == ["frame", "request", "scratch"])

        let created = client.post("/arenas", json: #"{"name":"req-42","capacity":"64KiB","class":"request"}"#)
        #expect(created.status == .created, "\(created.text)")
        #expect(created.headers["Location"] == "/arenas/req-42")
        #expect(try created.json()["capacity"]?.int == 65536)

        let allocation = try #require(try client.allocate("req-42", #"{"size":16}"#).first)
        #expect(allocation["start"]?.int == 0)
        #expect(allocation["end"]?.int == 15)

        let events = client.get("/arenas/req-42/events?format=text")
        #expect(events.status == .ok)
        #expect(events.text == "Allocated 16 from 0 to 15\n")
        let accepted = client.get("/arenas/req-42/events", headers: ["Accept": "text/plain"])
        #expect(accepted.text == "Allocated 16 from 0 to 15\n")

        let bytes: [UInt8] = [0, 1, 2, 0, 0, 255, 254, 10, 13, 0] + Array("arena".utf8) + [0]
        let stored = client.post(
            "/arenas/req-42/blobs", bytes: bytes,
            headers: ["Content-Type": "application/octet-stream"])
        #expect(stored.status == .created, "\(stored.text)")
        let url = try #require(try stored.json()["url"]?.string)
        #expect(stored.headers["Location"] == url)
        let read = client.get(url)
        #expect(read.status == .ok)
        #expect(read.headers["Content-Type"] == "application/octet-stream")
        #expect(read.headers["Content-Length"] == String(bytes.count))
        #expect(read.bytes == bytes)

        let reset = client.post("/arenas/req-42/reset")
        #expect(reset.status == .ok)
        #expect(try reset.json()["released_bytes"]?.int == 16 + bytes.count, "the allocation and the blob (align 1)")
        #expect(try reset.json()["generation"]?.int == 1)
        expectError(client.get(url), status: 410, code: "gone")

        let deleted = client.delete("/arenas/req-42")
        #expect(deleted.status == .noContent)
        #expect(deleted.bytes.isEmpty)
        expectError(client.get("/arenas/req-42"), status: 404, code: "unknown_arena")

        #expect(daemon.stop() == .exited(0))
    }

    @Test func protocolDetailsOverTheWire() throws {
        let daemon = try LiveDaemon()
        let client = TestClient(port: daemon.port)
        let wrongMethod = client.send(.put, "/arenas")
        #expect(wrongMethod.status == .methodNotAllowed)
        #expect(wrongMethod.headers["Allow"] == "GET, HEAD, POST")
        let head = client.send(.head, "/arenas/request")
        #expect(head.status == .ok)
        #expect(head.bytes.isEmpty)
        expectError(client.get("/nope"), status: 404, code: "not_found")
        // Query parameters are percent-decoded before the API sees them: a cursor with ':' and ','.
        try client.allocate("request", #"{"size":8}"#)
        try client.allocate("frame", #"{"size":8}"#)
        let page = client.get("/events?since=request%3A0%2Cframe%3A1&format=text")
        #expect(page.status == .ok)
        #expect(page.text == "request: Allocated 8 from 0 to 7\n")
        // curl's default form content type is refused, not misread.
        let form = client.post(
            "/arenas", json: #"{"name":"f","capacity":64}"#,
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(form.status == .unsupportedMediaType)
    }

    @Test func bodyOverTheLimitIs413() throws {
        let daemon = try LiveDaemon(configuration: #"{"limits":{"max_body_bytes":"1KiB"}}"#)
        let client = TestClient(port: daemon.port)
        let octets: HTTPHeaders = ["Content-Type": "application/octet-stream"]
        let large = client.post("/arenas/request/blobs", bytes: [UInt8](repeating: 1, count: 2048), headers: octets)
        expectError(large, status: 413, code: "payload_too_large", mentions: ["1024"])
        let fits = client.post("/arenas/request/blobs", bytes: [UInt8](repeating: 1, count: 1024), headers: octets)
        #expect(fits.status == .created)
        #expect(try client.arena("request")["stats"]?["used_bytes"]?.int == 1024)
        // A chunked body has no length up front: it is counted as it arrives.
        let largeChunked = client.send(
            .post, "/arenas/request/blobs", headers: octets,
            body: [UInt8](repeating: 2, count: 2048), chunked: true)
        expectError(largeChunked, status: 413, code: "payload_too_large")
        let bytes = (0..<512).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let smallChunked = client.send(.post, "/arenas/request/blobs", headers: octets, body: bytes, chunked: true)
        #expect(smallChunked.status == .created)
        let url = try #require(try smallChunked.json()["url"]?.string)
        #expect(client.get(url).bytes == bytes)
        #expect(client.get("/healthz").status == .ok)
    }

    /// A refusal of the HTTP layer is one exchange like any other: the metrics count it under its route and the
    /// request log reports it, with the same status.
    @Test func oversizedBodyIsCountedAndLoggedAs413() throws {
        let daemon = try LiveDaemon(configuration: #"{"limits":{"max_body_bytes":"1KiB"}}"#)
        // Only the declared length is sent: the daemon answers before any body arrives, and closes.
        let connection = try RawHTTPConnection(port: daemon.port)
        try connection.send(
            "POST /arenas/request/allocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: 2048\r\n\r\n")
        let refused = try connection.readResponse()
        #expect(refused.status == 413)
        #expect(refused.header("connection")?.lowercased() == "close")
        #expect(try JSON.parse(refused.body)["error"]?.string == "payload_too_large")

        let client = TestClient(port: daemon.port)
        // The exchange is recorded just after its response is queued, possibly after a new connection's scrape.
        var counted: Double?
        #expect(
            try eventually {
                counted = try client.metrics().value(
                    "http_requests_total", ["route": "/arenas/{name}/allocations", "code": "413"])
                return counted != nil
            }, "no 413 in /metrics:\n\(client.metricsText())")
        #expect(counted == 1)
        let logged = eventually { daemon.stderr.text.contains(" POST /arenas/request/allocations 413 ") }
        #expect(logged, "stderr: \(daemon.stderr.text)")
        let lines = TextLogLine.all(in: daemon.stderr.text).compactMap { $0?.request }
            .filter { $0.path.hasPrefix("/arenas/request/") }
        #expect(lines.count == 1, "one exchange, one line: \(lines)")
        #expect(lines.first?.method == "POST")
        #expect(lines.first?.status == 413)
    }

    @Test func concurrentClientsGetDisjointRanges() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        let client = TestClient(port: daemon.port)
        try client.createArena(#"{"name":"shared","capacity":"1MiB"}"#)

        let clients = 4
        let perClient = 50
        @Sendable func requestedSize(_ client: Int, _ index: Int) -> Int { 1 + (client * perClient + index) % 97 }
        let ranges = ArenaLock<[(start: Int, end: Int, size: Int)]>([])
        let failures = ArenaLock<[String]>([])
        // Each worker thread takes a keep-alive connection of its own from the client.
        DispatchQueue.concurrentPerform(iterations: clients) { worker in
            for index in 0..<perClient {
                let size = requestedSize(worker, index)
                let response = client.post("/arenas/shared/allocations", json: #"{"size":\#(size)}"#)
                let allocation = (try? JSON.parse(response.bytes))?["allocations"]?[0]
                guard response.status == .created, let start = allocation?["start"]?.int,
                    let end = allocation?["end"]?.int, allocation?["size"]?.int == size, end == start + size - 1
                else {
                    failures.withLock { $0.append("client \(worker) request \(index): \(response.text)") }
                    continue
                }
                ranges.withLock { $0.append((start, end, size)) }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty, "\(failures.withLock { $0.prefix(5) })")
        let sorted = ranges.withLock { $0 }.sorted { $0.start < $1.start }
        #expect(sorted.count == clients * perClient)
        #expect(sorted.allSatisfy { $0.start % 8 == 0 }, "default alignment")
        for (left, right) in zip(sorted, sorted.dropFirst()) {
            #expect(left.end < right.start, "[\(left.start), \(left.end)] overlaps [\(right.start), \(right.end)]")
        }
        let stats = try #require(try client.arena("shared")["stats"])
        #expect(stats["allocations"]?.int == clients * perClient)
        #expect(stats["allocated_bytes"]?.int == sorted.reduce(0) { $0 + $1.size })
        #expect(stats["used_bytes"]?.int == (sorted.last.map { $0.end + 1 } ?? 0))
        // The trace saw each allocation once.
        let events = client.get("/arenas/shared/events?format=text").text.split(separator: "\n")
        #expect(events.count == clients * perClient)
        #expect(Set(events).count == events.count)
    }

    @Test func tokenFileProtectsChanges() throws {
        let tokenFile = try TestPaths.temporaryFile("s3cret\n", suffix: ".token")
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let daemon = try LiveDaemon(arguments: ["--token-file", tokenFile])
        let client = TestClient(port: daemon.port)
        let body = #"{"name":"x","capacity":64}"#

        let refused = client.post("/arenas", json: body)
        expectError(refused, status: 401, code: "unauthorized")
        #expect(refused.headers["WWW-Authenticate"] == #"Bearer realm="arena-server""#)
        let wrong = client.post("/arenas", json: body, headers: ["Authorization": "Bearer s3cretx"])
        #expect(wrong.status == .unauthorized)
        // The file's trailing newline is not part of the token.
        let allowed = client.post("/arenas", json: body, headers: ["Authorization": "Bearer s3cret"])
        #expect(allowed.status == .created, "\(allowed.text)")
        #expect(client.delete("/arenas/x").status == .unauthorized)
        #expect(client.get("/arenas/x").status == .ok)
        #expect(client.get("/healthz").status == .ok)
        #expect(!daemon.stderr.text.contains("s3cret"), "the token must never be logged")
    }

    /// `ttl_seconds` is a whole number: a huge one is accepted and never expires, and the idle sweeper (once a
    /// second) must not trap on it.
    @Test func hugeTTLDoesNotKillTheDaemon() throws {
        let daemon = try LiveDaemon()
        let client = TestClient(port: daemon.port)
        let huge = try client.createArena(#"{"name":"huge","capacity":64,"ttl_seconds":9223372036854775807}"#)
        #expect(huge["ttl_seconds"]?.int == Int.max)
        // A witness with a one-second ttl, created after: once a sweep has removed it, a sweep has also looked at
        // `huge`. `GET /arenas` does not touch arenas, so polling it does not keep the witness alive.
        try client.createArena(#"{"name":"witness","capacity":64,"ttl_seconds":1}"#)
        let swept = eventually(timeout: .seconds(10)) {
            let names = (try? client.get("/arenas").json())?["arenas"]?.array?.compactMap { $0["name"]?.string }
            return names.map { !$0.contains("witness") } ?? false
        }
        #expect(swept, "the sweeper never removed the witness; stderr: \(daemon.stderr.text.suffix(400))")
        #expect(daemon.process.isRunning, "the daemon died: \(daemon.stderr.text.suffix(400))")
        #expect(daemon.stderr.text.contains("removed arena 'witness': idle past its ttl_seconds"))
        #expect(client.get("/healthz").status == .ok)
        #expect(client.get("/arenas/huge").status == .ok)
    }

    @Test(.enabled(if: Promtool.isInstalled, "promtool is not installed at /usr/bin/promtool: skipping the lint"))
    func liveMetricsPassPromtool() throws {
        let daemon = try LiveDaemon()
        let client = TestClient(port: daemon.port)
        try client.createArena(#"{"name":"job-1","capacity":256,"class":"job"}"#)
        try client.allocate("job-1", #"{"sizes":[1,2,3]}"#)
        #expect(client.delete("/arenas/job-1").status == .noContent)
        #expect(client.get("/nope").status == .notFound)
        let response = client.get("/metrics")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        let metrics = try PrometheusScrape(response.text)
        #expect(metrics.value("arena_allocations_total", ["class": "job"]) == 3)
        #expect(metrics.value("http_requests_total", ["route": "unmatched", "code": "404"]) == 1)
        let used = try client.arena("request")["stats"]?["used_bytes"]?.int
        #expect(metrics.value("arena_used_bytes", ["class": "request"]) == used.map(Double.init))
        try Promtool.expectAccepts(response.text)
    }
}
