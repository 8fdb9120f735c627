import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import ArenaCore
@testable import ArenaServer

/// The live event streams (`?follow=1`) against the real daemon, read by `curl -N` as a client would.
@Suite(.serialized) struct StreamTests {
    /// The text line of the `index`-th (from 0) allocation of `size` bytes into a fresh arena, `size` a multiple
    /// of 8 (so there is no padding).
    static func allocatedLine(_ index: Int, size: Int) -> String {
        "Allocated \(size) from \(index * size) to \(index * size + size - 1)"
    }

    /// `lines == expected`, reported by the first difference (Swift Testing's diff of long arrays is very slow).
    func expectSameLines(_ lines: [String], _ expected: [String], _ what: String,
                         sourceLocation: SourceLocation = #_sourceLocation) {
        let firstDifference = lines.indices.first { $0 >= expected.count || lines[$0] != expected[$0] }
            ?? (lines.count < expected.count ? lines.count : nil)
        guard let firstDifference else { return }
        let got = lines.dropFirst(firstDifference).prefix(3)
        let wanted = expected.dropFirst(firstDifference).prefix(3)
        let message = "\(what): \(lines.count) lines, not \(expected.count); from line \(firstDifference): \(got) "
            + "instead of \(wanted)"
        Issue.record(Comment(rawValue: message), sourceLocation: sourceLocation)
    }

    @Test func threeFollowersReceiveEveryEventOfABurstInOrder() async throws {
        let server = try MonitoredServer()
        let followers = try (0..<3).map { _ in
            try CurlStream(port: server.port, path: "/arenas/request/events?follow=1")
        }
        defer { for follower in followers { follower.kill() } }
        for follower in followers {
            #expect(await follower.waitUntil { $0.hasHeaders }, "stream head")
            #expect(follower.head.hasPrefix("HTTP/1.1 200"))
            #expect(follower.head.lowercased().contains("transfer-encoding: chunked"))
            #expect(follower.head.lowercased().contains("content-type: text/plain; charset=utf-8"))
        }
        // 200 requests, one allocation each, while the followers are attached (mostly suspended between them).
        for _ in 0..<200 { #expect(try await server.allocate("request", sizes: [16]) == 201) }
        let expected = (0..<200).map { Self.allocatedLine($0, size: 16) }
        for (index, follower) in followers.enumerated() {
            #expect(await follower.waitUntil(timeout: .seconds(15)) { $0.lines.count >= 200 },
                    "follower \(index) got \(follower.lines.count) lines")
            expectSameLines(follower.lines, expected, "follower \(index)")
        }
    }

    @Test func ndjsonFollowerOfAllArenasSeesEventsOfTwoArenas() async throws {
        let server = try MonitoredServer()
        let follower = try CurlStream(port: server.port, path: "/events?follow=1&format=ndjson")
        defer { follower.kill() }
        #expect(await follower.waitUntil { $0.hasHeaders })
        #expect(follower.head.lowercased().contains("content-type: application/x-ndjson"))
        #expect(try await server.allocate("request", sizes: [32]) == 201)
        #expect(try await server.allocate("frame", sizes: [64, 8]) == 201)
        #expect(await follower.waitUntil { $0.lines.count >= 3 }, "got: \(follower.lines)")

        struct Line: Decodable {
            var type: String
            var arena: String?
            var seq: Int?
            var kind: String?
            var size: Int?
            var text: String?
        }
        let lines = try follower.lines.map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
        #expect(lines.allSatisfy { $0.type == "event" && $0.kind == "allocation" })
        let byArena = Dictionary(grouping: lines, by: { $0.arena ?? "?" })
        #expect(byArena["request"]?.map(\.text) == ["Allocated 32 from 0 to 31"])
        #expect(byArena["frame"]?.map(\.text) == ["Allocated 64 from 0 to 63", "Allocated 8 from 64 to 71"])
        #expect(byArena["frame"]?.map(\.seq) == [1, 2])
    }

    @Test func sinceSendsTheBacklogAfterThatSequenceThenLiveEvents() async throws {
        let server = try MonitoredServer()
        #expect(try await server.allocate("request", sizes: Array(repeating: 8, count: 10)) == 201)
        let follower = try CurlStream(port: server.port, path: "/arenas/request/events?follow=1&since=7")
        defer { follower.kill() }
        let backlog = (7..<10).map { Self.allocatedLine($0, size: 8) }
        #expect(await follower.waitUntil { $0.lines.count >= 3 })
        #expect(follower.lines == backlog)
        #expect(try await server.allocate("request", sizes: [8]) == 201)
        #expect(await follower.waitUntil { $0.lines.count >= 4 })
        #expect(follower.lines == backlog + [Self.allocatedLine(10, size: 8)])

        // The all-arenas stream takes a cursor per arena.
        #expect(try await server.allocate("frame", sizes: [16]) == 201)
        let all = try CurlStream(port: server.port, path: "/events?follow=1&since=request:11,frame:0")
        defer { all.kill() }
        #expect(await all.waitUntil { $0.lines.count >= 1 })
        #expect(all.lines == ["frame: Allocated 16 from 0 to 15"])
    }

    @Test func aFollowerThatLeavesIsCleanedUpAndTheServerKeepsWorking() async throws {
        let server = try MonitoredServer()
        // Only curl talks to this daemon in this test, so its open-connection gauge is exact.
        func openConnections() throws -> Double? {
            let scrape = try TestSupport.run("/usr/bin/curl", ["-sS", "--max-time", "5", server.baseURL + "/metrics"])
            // The scrape's own connection counts too.
            return try PrometheusScrape(scrape.stdout).value("http_open_connections").map { $0 - 1 }
        }
        #expect(try openConnections() == 0)
        let leaving = try CurlStream(port: server.port, path: "/arenas/frame/events?follow=1&heartbeat=1")
        #expect(await leaving.waitUntil { $0.hasHeaders })
        #expect(try openConnections() == 1)
        leaving.kill()
        // Suspended while idle, the stream notices the closed socket at its next heartbeat (1 s).
        let closed = await eventually(timeout: .seconds(10)) { (try? openConnections()) == 0 }
        #expect(closed, "the server should close the follower's connection")

        let health = try TestSupport.run("/usr/bin/curl", ["-sS", "--max-time", "5", server.baseURL + "/healthz"])
        #expect(health.stdout == "ok\n")
        let next = try CurlStream(port: server.port, path: "/arenas/frame/events?follow=1")
        defer { next.kill() }
        #expect(await next.waitUntil { $0.hasHeaders })
        #expect(try await server.allocate("frame", sizes: [24]) == 201)
        #expect(await next.waitUntil { $0.lines == ["Allocated 24 from 0 to 23"] }, "got \(next.lines)")
    }

    @Test func idleStreamSendsHeartbeats() async throws {
        let server = try MonitoredServer()
        let follower = try CurlStream(port: server.port, path: "/arenas/frame/events?follow=1&heartbeat=1")
        defer { follower.kill() }
        #expect(await follower.waitUntil(timeout: .seconds(8)) { $0.lines.count >= 2 }, "got \(follower.lines)")
        #expect(follower.lines.prefix(2) == ["# heartbeat", "# heartbeat"])
    }

    @Test func followerBehindATinyRingIsToldHowManyEventsItMissed() async throws {
        let server = try MonitoredServer(configuration: #"{ "log_requests": false, "trace": { "ring_capacity": 8 } }"#)
        #expect(try await server.allocate("request", sizes: Array(repeating: 16, count: 100)) == 201)
        let follower = try CurlStream(port: server.port, path: "/arenas/request/events?follow=1&since=0")
        defer { follower.kill() }
        #expect(await follower.waitUntil { $0.lines.count >= 9 })
        expectSameLines(follower.lines, ["# request: missed 92 events (overwritten in the ring)"]
                        + (92..<100).map { Self.allocatedLine($0, size: 16) }, "text follower")

        let ndjson = try CurlStream(port: server.port, path: "/events?follow=1&format=ndjson&since=0")
        defer { ndjson.kill() }
        #expect(await ndjson.waitUntil { $0.lines.count >= 9 })
        #expect(ndjson.lines.first == #"{"type":"missed","arena":"request","count":92}"#)
    }

    @Test func removingTheArenaEndsItsStreamCleanly() async throws {
        let server = try MonitoredServer()
        try await server.createArena("short-lived", capacity: 1024)
        let follower = try CurlStream(port: server.port, path: "/arenas/short-lived/events?follow=1")
        defer { follower.kill() }
        #expect(await follower.waitUntil { $0.hasHeaders })
        #expect(try await server.allocate("short-lived", sizes: [8]) == 201)
        #expect(await follower.waitUntil { $0.lines.count >= 1 })
        #expect(try await server.send("DELETE", "/arenas/short-lived").status == 204)
        #expect(await follower.waitForExit() == 0, "curl exits 0 after a complete chunked body")
        expectSameLines(follower.lines, ["Allocated 8 from 0 to 7", "# arena short-lived was removed"], "follower")
    }

    /// In-process: once the arena is gone the follower sends one note, then ends (it used to repeat the note).
    @Test func followerOfARemovedArenaSendsOneNoteThenEnds() throws {
        let registry = ArenaRegistry(limits: .init())
        try registry.create(name: "gone", policy: .fixed(capacity: 1024), traceCapacity: 16)
        let follower = EventFollower(registry: registry, scope: .arena("gone"), format: .text, cursor: EventCursor(),
                                     heartbeatSeconds: 300)
        follower.start(wake: {})
        var buffer = [UInt8](repeating: 0, count: 4096)
        func read() -> (StreamRead, String) {
            let result = buffer.withUnsafeMutableBytes { follower.read(into: $0) }
            guard case .data(let count) = result else { return (result, "") }
            return (result, String(decoding: buffer.prefix(count), as: UTF8.self))
        }
        #expect(read().0 == .idle)
        try registry.remove(named: "gone")
        #expect(follower.hasWork(now: 0), "the poller must wake it")
        #expect(read().1 == "# arena gone was removed\n")
        #expect(read().0 == .end)
        #expect(read().0 == .end)
        follower.finish()
        #expect(follower.isFinished)
    }

    @Test func sigtermEndsEveryStreamCleanlyAndExitsZero() async throws {
        let server = try MonitoredServer()
        let text = try CurlStream(port: server.port, path: "/arenas/request/events?follow=1")
        let ndjson = try CurlStream(port: server.port, path: "/events?follow=1&format=ndjson")
        defer { text.kill(); ndjson.kill() }
        #expect(await text.waitUntil { $0.hasHeaders })
        #expect(await ndjson.waitUntil { $0.hasHeaders })
        #expect(try await server.allocate("request", sizes: [16]) == 201)
        #expect(await text.waitUntil { $0.lines.count == 1 })
        #expect(await ndjson.waitUntil { $0.lines.count == 1 })

        let daemon = server.daemon
        let exit = await TestSupport.onThread { daemon.stop(signal: SIGTERM) }
        #expect(exit?.reason == .exit)
        #expect(exit?.status == 0)
        #expect(await text.waitForExit() == 0, "text follower: clean end of the chunked body")
        #expect(await ndjson.waitForExit() == 0, "NDJSON follower: clean end of the chunked body")
        expectSameLines(text.lines, ["Allocated 16 from 0 to 15"], "text follower")
    }

    static let badFollowQueries = [
        "/arenas/request/events?follow=2",
        "/arenas/request/events?follow=1&format=json",
        "/events?follow=1&format=json",
        "/arenas/request/events?follow=1&heartbeat=0",
        "/events?follow=1&heartbeat=301",
        "/arenas/request/events?follow=1&since=-1",
        "/events?follow=1&since=request",
    ]

    @Test func badFollowParametersAre400OnTheLiveServer() async throws {
        let server = try MonitoredServer()
        for path in Self.badFollowQueries {
            let reply = try await server.send("GET", path)
            #expect(reply.status == 400, "\(path)")
            #expect(reply.body.contains(#""error":"bad_query""#), "\(path): \(reply.body)")
        }
        #expect(try await server.send("GET", "/arenas/nope/events?follow=1").status == 404)
    }

    @Test(arguments: badFollowQueries)
    func badFollowParametersAre400InProcess(_ target: String) throws {
        let api = try ArenaAPI(configuration: Configuration())
        let parts = target.split(separator: "?", maxSplits: 1)
        var query: [String: String] = [:]
        for pair in parts[1].split(separator: "&") {
            let keyValue = pair.split(separator: "=", maxSplits: 1)
            query[String(keyValue[0])] = keyValue.count > 1 ? String(keyValue[1]) : ""
        }
        let response = api.handle(HTTPRequest(method: .get, path: String(parts[0]), query: query))
        #expect(response.status.code == 400)
        #expect(api.hub.count == 0, "a refused follow registers no follower")
    }
}
