import ArenaCore
import Foundation
import Testing
@testable import ArenaServer
#if canImport(Glibc)
import Glibc
#endif

/// The real `arena-server` binary on an ephemeral port, driven with curl. Every wait is bounded and every daemon
/// is stopped (`defer { server.kill() }` backs up the graceful stop).
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LiveServerTests {
    static let json = "application/json"

    @Test func readmeWalkthrough() throws {
        let server = try LiveServer()
        defer { server.kill() }

        let health = try server.request("GET", "/healthz")
        #expect(health.status == 200)
        #expect(health.text == "ok\n")

        let list = try server.request("GET", "/arenas").json()
        #expect(list["arenas"]?.array?.compactMap { $0["name"]?.string } == ["frame", "request", "scratch"])

        let created = try server.request("POST", "/arenas",
                                         json: #"{"name":"req-42","capacity":"64KiB","class":"request"}"#)
        #expect(created.status == 201, "\(created.text)")
        #expect(created.headers["location"] == "/arenas/req-42")
        #expect(try created.json()["capacity"]?.int == 65536)

        let allocated = try server.request("POST", "/arenas/req-42/allocations", json: #"{"size":16}"#)
        #expect(allocated.status == 201)
        let allocation = try #require(try allocated.json()["allocations"]?[0])
        #expect(allocation["start"]?.int == 0)
        #expect(allocation["end"]?.int == 15)

        let events = try server.request("GET", "/arenas/req-42/events?format=text")
        #expect(events.status == 200)
        #expect(events.text == "Allocated 16 from 0 to 15\n")
        let accepted = try server.request("GET", "/arenas/req-42/events", headers: ["Accept": "text/plain"])
        #expect(accepted.text == "Allocated 16 from 0 to 15\n")

        let bytes: [UInt8] = [0, 1, 2, 0, 0, 255, 254, 10, 13, 0] + Array("arena".utf8) + [0]
        let stored = try server.request("POST", "/arenas/req-42/blobs", body: bytes,
                                        contentType: "application/octet-stream")
        #expect(stored.status == 201, "\(stored.text)")
        let url = try #require(try stored.json()["url"]?.string)
        #expect(stored.headers["location"] == url)
        let read = try server.request("GET", url)
        #expect(read.status == 200)
        #expect(read.headers["content-type"] == "application/octet-stream")
        #expect(read.headers["content-length"] == String(bytes.count))
        #expect(read.body == bytes)

        let reset = try server.request("POST", "/arenas/req-42/reset")
        #expect(reset.status == 200)
        #expect(try reset.json()["released_bytes"]?.int == 16 + bytes.count, "the allocation and the blob (align 1)")
        #expect(try reset.json()["generation"]?.int == 1)
        let gone = try server.request("GET", url)
        #expect(gone.status == 410)
        #expect(try gone.json()["error"]?.string == "gone")

        let deleted = try server.request("DELETE", "/arenas/req-42")
        #expect(deleted.status == 204)
        #expect(deleted.body.isEmpty)
        let missing = try server.request("GET", "/arenas/req-42")
        #expect(missing.status == 404)
        #expect(try missing.json()["error"]?.string == "unknown_arena")

        let stop = server.stop()
        #expect(stop.exited && stop.status == 0)
    }

    @Test func protocolDetailsOverTheWire() throws {
        let server = try LiveServer()
        defer { server.kill() }
        let wrongMethod = try server.request("PUT", "/arenas")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET, HEAD, POST")
        let head = try server.request("HEAD", "/arenas/request")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        let noRoute = try server.request("GET", "/nope")
        #expect(noRoute.status == 404)
        #expect(try noRoute.json()["error"]?.string == "not_found")
        // Query parameters are percent-decoded before the API sees them: a cursor with ':' and ','.
        #expect(try server.request("POST", "/arenas/request/allocations", json: #"{"size":8}"#).status == 201)
        #expect(try server.request("POST", "/arenas/frame/allocations", json: #"{"size":8}"#).status == 201)
        let page = try server.request("GET", "/events?since=request%3A0%2Cframe%3A1&format=text")
        #expect(page.status == 200)
        #expect(page.text == "request: Allocated 8 from 0 to 7\n")
        // curl's default form content type is refused, not misread.
        let form = try server.request("POST", "/arenas", body: Array(#"{"name":"f","capacity":64}"#.utf8),
                                      contentType: "application/x-www-form-urlencoded")
        #expect(form.status == 415)
    }

    @Test func bodyOverTheLimitIs413() throws {
        let server = try LiveServer(config: #"{"limits":{"max_body_bytes":"1KiB"}}"#)
        defer { server.kill() }
        let large = try server.request("POST", "/arenas/request/blobs", body: [UInt8](repeating: 1, count: 2048),
                                       contentType: "application/octet-stream")
        #expect(large.status == 413)
        #expect(try large.json()["error"]?.string == "payload_too_large")
        let fits = try server.request("POST", "/arenas/request/blobs", body: [UInt8](repeating: 1, count: 1024),
                                      contentType: "application/octet-stream")
        #expect(fits.status == 201)
        #expect(try server.request("GET", "/arenas/request").json()["stats"]?["used_bytes"]?.int == 1024)
        // A chunked body has no length up front: it is counted as it arrives.
        let chunked = ["Transfer-Encoding": "chunked"]
        let largeChunked = try server.request("POST", "/arenas/request/blobs", body: [UInt8](repeating: 2, count: 2048),
                                              contentType: "application/octet-stream", headers: chunked)
        #expect(largeChunked.status == 413)
        let bytes = (0..<512).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let smallChunked = try server.request("POST", "/arenas/request/blobs", body: bytes,
                                              contentType: "application/octet-stream", headers: chunked)
        #expect(smallChunked.status == 201)
        let url = try #require(try smallChunked.json()["url"]?.string)
        #expect(try server.request("GET", url).body == bytes)
        #expect(try server.request("GET", "/healthz").status == 200)
    }

    @Test func concurrentClientsGetDisjointRanges() throws {
        let server = try LiveServer()
        defer { server.kill() }
        let created = try server.request("POST", "/arenas", json: #"{"name":"shared","capacity":"1MiB"}"#)
        try #require(created.status == 201, "\(created.text)")

        let clients = 4
        let perClient = 50
        func requestedSize(_ client: Int, _ index: Int) -> Int { 1 + (client * perClient + index) % 97 }
        var processes: [StartedProcess] = []
        defer {
            for process in processes {
                if process.process.isRunning { Glibc.kill(process.process.processIdentifier, SIGKILL) }
                try? FileManager.default.removeItem(at: process.directory)
            }
        }
        for client in 0..<clients {
            var arguments: [String] = []
            for index in 0..<perClient {
                if index > 0 { arguments.append("--next") }
                arguments += ["-sS", "--max-time", "10", "-X", "POST", "-H", "Content-Type: application/json",
                              "-H", "Expect:", "--data-binary", #"{"size":\#(requestedSize(client, index))}"#,
                              "-w", "\t%{http_code}\n", server.baseURL + "/arenas/shared/allocations"]
            }
            processes.append(try startProcess("/usr/bin/curl", arguments))
        }
        let deadline = ContinuousClock.now + .seconds(40)
        var ranges: [(start: Int, end: Int, size: Int)] = []
        for (client, process) in processes.enumerated() {
            #expect(waitForExit(process.process, until: deadline), "client \(client) timed out")
            #expect(process.process.terminationStatus == 0,
                    "client \(client): \(String(decoding: process.readStderr(), as: UTF8.self))")
            let lines = String(decoding: process.readStdout(), as: UTF8.self).split(separator: "\n")
            #expect(lines.count == perClient, "client \(client) got \(lines.count) responses")
            for (index, line) in lines.enumerated() {
                let parts = line.split(separator: "\t")
                guard parts.count == 2, parts[1] == "201",
                      let allocation = try JSON.parse(Array(parts[0].utf8))["allocations"]?[0],
                      let start = allocation["start"]?.int, let end = allocation["end"]?.int,
                      let size = allocation["size"]?.int
                else {
                    Issue.record("client \(client) request \(index): \(line)")
                    continue
                }
                #expect(size == requestedSize(client, index))
                #expect(end == start + size - 1)
                #expect(start % 8 == 0, "default alignment")
                ranges.append((start, end, size))
            }
        }
        #expect(ranges.count == clients * perClient)
        let sorted = ranges.sorted { $0.start < $1.start }
        for (left, right) in zip(sorted, sorted.dropFirst()) {
            #expect(left.end < right.start, "[\(left.start), \(left.end)] overlaps [\(right.start), \(right.end)]")
        }
        let stats = try #require(try server.request("GET", "/arenas/shared").json()["stats"])
        #expect(stats["allocations"]?.int == clients * perClient)
        #expect(stats["allocated_bytes"]?.int == ranges.reduce(0) { $0 + $1.size })
        #expect(stats["used_bytes"]?.int == (sorted.last.map { $0.end + 1 } ?? 0))
        // The trace saw each allocation once.
        let events = try server.request("GET", "/arenas/shared/events?format=text").text.split(separator: "\n")
        #expect(events.count == clients * perClient)
        #expect(Set(events).count == events.count)
    }

    @Test func tokenFileProtectsChanges() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tokenFile = directory.appendingPathComponent("token")
        try Data("s3cret\n".utf8).write(to: tokenFile)
        let server = try LiveServer(arguments: ["--token-file", tokenFile.path])
        defer { server.kill() }

        let refused = try server.request("POST", "/arenas", json: #"{"name":"x","capacity":64}"#)
        #expect(refused.status == 401)
        #expect(refused.headers["www-authenticate"] == #"Bearer realm="arena-server""#)
        #expect(try refused.json()["error"]?.string == "unauthorized")
        let wrong = try server.request("POST", "/arenas", json: #"{"name":"x","capacity":64}"#,
                                       headers: ["Authorization": "Bearer s3cretx"])
        #expect(wrong.status == 401)
        // The file's trailing newline is not part of the token.
        let allowed = try server.request("POST", "/arenas", json: #"{"name":"x","capacity":64}"#,
                                         headers: ["Authorization": "Bearer s3cret"])
        #expect(allowed.status == 201, "\(allowed.text)")
        #expect(try server.request("DELETE", "/arenas/x").status == 401)
        #expect(try server.request("GET", "/arenas/x").status == 200)
        #expect(try server.request("GET", "/healthz").status == 200)
        #expect(!server.stderrText.contains("s3cret"), "the token must never be logged")
    }

    @Test func sigtermStopsCleanly() throws {
        let server = try LiveServer()
        defer { server.kill() }
        #expect(try server.request("POST", "/arenas/request/allocations", json: #"{"size":16}"#).status == 201)
        let stop = server.stop()
        #expect(stop.exited, "did not exit within 10 s of SIGTERM")
        #expect(stop.reason == .exit)
        #expect(stop.status == 0)
        #expect(server.stderrText.contains("received SIGTERM"))
    }

    @Test func sigintStopsCleanly() throws {
        let server = try LiveServer()
        defer { server.kill() }
        Glibc.kill(server.process.processIdentifier, SIGINT)
        let exited = waitForExit(server.process, until: .now + .seconds(10))
        #expect(exited)
        #expect(server.process.terminationReason == .exit)
        #expect(server.process.terminationStatus == 0)
    }

    /// The daemon must survive a client asking for a TTL too long to count: its idle sweeper runs every second.
    @Test func hugeTTLDoesNotKillTheDaemon() throws {
        let server = try LiveServer()
        defer { server.kill() }
        let created = try server.request("POST", "/arenas",
                                         json: #"{"name":"x","capacity":64,"ttl_seconds":9223372036854775807}"#)
        #expect(created.status == 201 || created.status == 400, "\(created.text)")
        usleep(1_500_000)  // at least one sweep
        #expect(server.process.isRunning, "the daemon died: \(server.stderrText.suffix(400))")
        #expect(try server.request("GET", "/healthz").status == 200)
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
        try #require(FileManager.default.isExecutableFile(atPath: serverBinary),
                     "\(serverBinary) is missing: run `swift build --build-tests` (or `make test`) first")
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("bad.json")
        try Data(config.utf8).write(to: file)
        let result = try runProcess(serverBinary, ["--port", "0", "--config", file.path],
                                    environment: cleanEnvironment, timeout: .seconds(15))
        #expect(!result.timedOut, "it started instead of refusing the configuration")
        #expect(result.terminationReason == .exit)
        #expect(result.terminationStatus == 2, "stderr: \(result.stderrText)")
        #expect(result.stderrText.contains("configuration error"), "stderr: \(result.stderrText)")
        #expect(result.stderrText.contains(keyPath), "stderr: \(result.stderrText)")
        #expect(!result.stdoutText.contains("port="))
    }

    @Test(.enabled(if: promtoolInstalled, "promtool is not installed at /usr/bin/promtool: skipping the lint"))
    func liveMetricsPassPromtool() throws {
        let server = try LiveServer()
        defer { server.kill() }
        #expect(try server.request("POST", "/arenas", json: #"{"name":"job-1","capacity":256,"class":"job"}"#)
            .status == 201)
        #expect(try server.request("POST", "/arenas/job-1/allocations", json: #"{"sizes":[1,2,3]}"#).status == 201)
        #expect(try server.request("DELETE", "/arenas/job-1").status == 204)
        _ = try server.request("GET", "/nope")
        let metrics = try server.request("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metricValue(metrics.text, #"arena_allocations_total{class="job"}"#) == 3)
        #expect(metricValue(metrics.text, #"http_requests_total{route="unmatched",code="404"}"#) == 1)
        let used = try server.request("GET", "/arenas/request").json()["stats"]?["used_bytes"]?.int
        #expect(metricValue(metrics.text, #"arena_used_bytes{class="request"}"#) == used.map(Double.init))
        #expect(try promtoolProblems(metrics.text) == nil)
    }
}
