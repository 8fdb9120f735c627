import Foundation
import Testing

@testable import ArenaHTTP

/// What a client can make the server keep or build: blobs per arena, metric classes, the size of one events
/// answer, and expensive reads at once. Each is bounded now; before the edge hardening none was.
@Suite struct EdgeTableTests {
    /// Past `max_blobs_per_arena` a store is refused (409) and the stored blobs stay readable; a reset makes room.
    /// Before, the oldest blob was forgotten silently (its id answered 410 though nothing had been reset).
    @Test(arguments: Transport.allCases) func blobsPastTheLimitAre409UntilAReset(_ transport: Transport) throws {
        let client = try TestClient(transport) { $0.limits.maxBlobsPerArena = 4 }
        for id in 1...4 {
            #expect(try client.post("/arenas/request/blobs", bytes: [UInt8(id)]).json()["id"]?.int == id)
        }
        let used = try client.arena("request")["stats"]?["used_bytes"]?.int
        expectError(
            client.post("/arenas/request/blobs", bytes: [5]), status: 409, code: "too_many_blobs",
            mentions: ["limits.max_blobs_per_arena", "4"])
        #expect(try client.arena("request")["stats"]?["used_bytes"]?.int == used, "a refused blob costs nothing")
        for id in 1...4 { #expect(client.get("/arenas/request/blobs/\(id)").bytes == [UInt8(id)]) }
        // Another arena has its own table.
        #expect(client.post("/arenas/frame/blobs", bytes: [9]).status == .created)
        #expect(client.post("/arenas/request/reset").status == .ok)
        let after = client.post("/arenas/request/blobs", bytes: [6])
        #expect(after.status == .created, "\(after.text)")
        expectError(client.get("/arenas/request/blobs/1"), status: 410, code: "gone")
    }

    /// An arena created without a class joins `default`: 20 create/delete cycles of request-scoped arenas leave
    /// the number of `arena_*` series as it was after the first. Before, each arena's name was its class, so
    /// every cycle added a class worth of series that stayed forever (`_total`s never go down).
    @Test(arguments: Transport.allCases) func classlessArenasDoNotGrowTheSeries(_ transport: Transport) throws {
        let client = try TestClient(transport)
        func cycle(_ index: Int) throws {
            try client.createArena(#"{"name":"req-\#(index)","capacity":64}"#)
            try client.allocate("req-\(index)", #"{"size":16}"#)
            #expect(client.delete("/arenas/req-\(index)").status == .noContent)
        }
        func arenaSeries() throws -> [PrometheusScrape.Sample] {
            try client.metrics().samples.filter { $0.name.hasPrefix("arena_") && !$0.name.hasPrefix("arena_registry_") }
        }
        try cycle(0)
        let first = try arenaSeries()
        for index in 1...20 { try cycle(index) }
        let after = try arenaSeries()
        #expect(after.count == first.count, "\(first.count) series after one cycle, \(after.count) after 21")
        #expect(Set(after.compactMap { $0.labels["class"] }) == ["request", "frame", "scratch", "default"])
        #expect(try client.metrics().value("arena_allocations_total", ["class": "default"]) == 21)
    }

    /// `max_classes` (3 declared classes + 1 here) refuses a new class with 409, while arenas keep joining the
    /// existing ones. Before, there was no limit: a client could make a class (and its series) per request.
    @Test(arguments: Transport.allCases) func aClassPastMaxClassesIs409(_ transport: Transport) throws {
        let client = try TestClient(transport) { $0.limits.maxClasses = 4 }
        try client.createArena(#"{"name":"a","capacity":64,"class":"jobs"}"#)
        expectError(
            client.post("/arenas", json: #"{"name":"b","capacity":64,"class":"frames"}"#), status: 409,
            code: "too_many_classes", mentions: [#""frames""#, "limits.max_classes", "4"])
        expectError(client.get("/arenas/b"), status: 404, code: "unknown_arena")
        try client.createArena(#"{"name":"c","capacity":64,"class":"jobs"}"#)
        try client.createArena(#"{"name":"d","capacity":64,"class":"request"}"#)
        // Deleting the arenas of a class does not free its place: its counters stay in /metrics.
        for name in ["a", "c"] { #expect(client.delete("/arenas/\(name)").status == .noContent) }
        expectError(
            client.post("/arenas", json: #"{"name":"b","capacity":64,"class":"frames"}"#), status: 409,
            code: "too_many_classes")
    }

    /// A request that fails is not an arena: it must not take one of the `max_classes` places. Here every place
    /// but one is taken, a create with a new class fails for another reason (duplicate name, too large), and a
    /// good create with a new class must still find the last place.
    @Test(arguments: Transport.allCases) func aFailedCreateDoesNotTakeAClassPlace(_ transport: Transport) throws {
        let client = try TestClient(transport) {
            $0.limits.maxClasses = 4
            $0.limits.maxArenaBytes = 16 << 20
        }
        expectError(
            client.post("/arenas", json: #"{"name":"request","capacity":64,"class":"c1"}"#), status: 409,
            code: "duplicate_name")
        expectError(
            client.post("/arenas", json: #"{"name":"huge","capacity":"1GiB","class":"c2"}"#), status: 409,
            code: "arena_too_large")
        let response = client.post("/arenas", json: #"{"name":"good","capacity":64,"class":"c3"}"#)
        #expect(response.status == .created, "\(response.text)")
    }

    /// `GET /events?limit=10000` over full rings stops near `max_response_bytes` and its `next` continues where
    /// it stopped: following it reads every event exactly once. Before, one answer held all of them (here about
    /// 1.6 MB; with the default 4096-event rings of many arenas, a multi-megabyte answer built per request).
    @Test(arguments: Transport.allCases, ["json", "text"])
    func anEventsAnswerStopsAtMaxResponseBytesAndContinues(_ transport: Transport, format: String) throws {
        let budget = 64 << 10
        let client = try TestClient(transport) {
            $0.limits.maxResponseBytes = budget
            $0.trace.ringCapacity = 1024
        }
        for name in ["a", "b", "c", "d"] {
            try client.createArena(#"{"name":"\#(name)","capacity":"1MiB"}"#)
            for _ in 0..<2 {
                try client.allocate(name, #"{"sizes":[\#(repeatElement("8", count: 1000).joined(separator: ","))]}"#)
            }
        }
        var seen: [String: [Int]] = [:]
        var since = "0"
        var pages = 0
        var largest = 0
        while pages < 100 {
            let response = client.get("/events?limit=10000&format=\(format)&since=\(since)")
            try #require(response.status == .ok, "\(response.text.prefix(300))")
            #expect(response.bytes.count <= budget + 1024, "page \(pages): \(response.bytes.count) bytes")
            largest = max(largest, response.bytes.count)
            let page = try Self.events(of: response, format: format)
            if page.events.isEmpty { break }
            for (arena, sequence) in page.events { seen[arena, default: []].append(sequence) }
            since = page.next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? page.next
            pages += 1
        }
        #expect(pages >= 2, "4096 events do not fit in one 64 KiB page, got \(pages)")
        print("EdgeTable: \(transport) \(format): 4096 events in \(pages) pages, the largest \(largest) bytes")
        for name in ["a", "b", "c", "d"] {
            let sequences = seen[name] ?? []
            #expect(sequences == Array(977...2000), "\(name): each of the 1024 newest events once, in order")
        }
    }

    /// The (arena, seq) pairs and the `next` cursor of one events answer.
    static func events(of response: TestResponse, format: String) throws -> (events: [(String, Int)], next: String) {
        if format == "text" {
            let next = try #require(response.headers["X-Events-Next"])
            // Lines are `arena: Allocated 8 from S to E`: event n of an arena (all 8 bytes) starts at 8 (n - 1).
            let events = response.text.split(separator: "\n").map { line -> (String, Int) in
                let words = line.split(separator: " ")
                return (String(words[0].dropLast()), (Int(words[4]) ?? -8) / 8 + 1)
            }
            return (events, next)
        }
        let json = try response.json()
        let events = try #require(json["events"]?.array).map { ($0["arena"]?.string ?? "?", $0["seq"]?.int ?? -1) }
        return (events, try #require(json["next"]?.string))
    }

    /// With `max_concurrent_reads` 1 and one expensive read in flight (the test holds the gate, deterministic),
    /// every other expensive read is answered 503 `busy` with `Retry-After: 1` at once; cheap ones are served.
    /// Before, any number ran at once, each on a worker thread and with its whole answer in memory.
    @Test(arguments: Transport.allCases) func expensiveReadsPastTheLimitAre503Busy(_ transport: Transport) throws {
        let client = try TestClient(transport) { $0.limits.maxConcurrentReads = 1 }
        let api = try #require(client.api)
        let expensive = [
            "/events", "/metrics", "/arenas", "/arenas/request/events", "/arenas/request/events?format=text",
        ]
        try api.reads.pass("a slow read") { () throws(APIError) in
            for target in expensive {
                let response = client.get(target)
                expectError(response, status: 503, code: "busy", mentions: ["limits.max_concurrent_reads"])
                #expect(response.headers["Retry-After"] == "1", "\(target)")
            }
            for cheap in ["/healthz", "/arenas/request", "/"] {
                #expect(client.get(cheap).status == .ok, "\(cheap) is not gated")
            }
        }
        for target in expensive { #expect(client.get(target).status == .ok, "\(target) once the gate is free") }
    }
}
