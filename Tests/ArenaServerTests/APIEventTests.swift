import ArenaCore
import Foundation
import Testing

@testable import ArenaHTTP

/// `GET /arenas/{name}/events` and `GET /events`, in process and live: formats, cursors, limits, the ring
/// overwriting.
@Suite struct APIEventTests {
    @Test(arguments: Transport.allCases) func textFormatIsThePlainLines(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        try api.allocate("request", #"{"sizes":[8,1]}"#)
        let response = api.get("/arenas/request/events?format=text")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "text/plain; charset=utf-8")
        #expect(response.text == "Allocated 16 from 0 to 15\nAllocated 8 from 16 to 23\nAllocated 1 from 24 to 24\n")
        #expect(response.headers["X-Events-Next"] == "3")
        #expect(response.headers["X-Events-Missed"] == "0")
    }

    @Test(arguments: Transport.allCases) func acceptTextPlainPicksText(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        let text = api.get("/arenas/request/events", headers: ["Accept": "text/plain"])
        #expect(text.text == "Allocated 16 from 0 to 15\n")
        // JSON wins when the client takes both, and an explicit format wins over Accept.
        let both = api.get("/arenas/request/events", headers: ["Accept": "text/plain, application/json"])
        #expect(both.headers["Content-Type"] == "application/json")
        let explicit = api.get("/arenas/request/events?format=json", headers: ["Accept": "text/plain"])
        #expect(explicit.headers["Content-Type"] == "application/json")
        #expect(try explicit.json()["events"]?.array?.count == 1)
    }

    @Test(arguments: Transport.allCases) func jsonFormatHasEventsNextAndMissed(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16,"align":8}"#)
        let response = api.get("/arenas/request/events")
        #expect(response.headers["Content-Type"] == "application/json")
        let json = try response.json()
        #expect(json.keys == ["arena", "trace", "events", "next", "missed"])
        #expect(json["arena"]?.string == "request")
        #expect(json["trace"]?.bool == true)
        #expect(json["next"]?.int == 1)
        #expect(json["missed"]?.int == 0)
        let event = try #require(json["events"]?[0])
        #expect(
            event.keys == [
                "seq", "kind", "size", "align", "start", "end", "generation", "time_unix_ns", "site", "text",
            ])
        #expect(event["seq"]?.int == 1)
        #expect(event["kind"]?.string == "allocation")
        #expect(event["size"]?.int == 16)
        #expect(event["align"]?.int == 8)
        #expect(event["start"]?.int == 0)
        #expect(event["end"]?.int == 15)
        #expect(event["generation"]?.int == 0)
        #expect(event["text"]?.string == "Allocated 16 from 0 to 15")
        // Nanoseconds since 1970, within a minute of now.
        let time = try #require(event["time_unix_ns"]?.uint64)
        let now = WallClock.now()
        #expect(time <= now + 1_000_000_000 && time + 60_000_000_000 > now, "time_unix_ns \(time), now \(now)")
    }

    @Test(arguments: Transport.allCases) func sinceAndLimitPage(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[1,2,3,4,5]}"#)
        let first = try api.get("/arenas/request/events?limit=2").json()
        #expect(first["events"]?.array?.compactMap { $0["size"]?.int } == [1, 2])
        #expect(first["next"]?.int == 2)
        let rest = try api.get("/arenas/request/events?since=2").json()
        #expect(rest["events"]?.array?.compactMap { $0["size"]?.int } == [3, 4, 5])
        #expect(rest["events"]?.array?.compactMap { $0["seq"]?.int } == [3, 4, 5])
        #expect(rest["next"]?.int == 5)
        // Caught up: nothing new, and the cursor stays.
        let caughtUp = try api.get("/arenas/request/events?since=5").json()
        #expect(caughtUp["events"]?.array?.isEmpty == true)
        #expect(caughtUp["next"]?.int == 5)
        #expect(caughtUp["missed"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func sinceBeyondTheNewestEventIsEmpty(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":1}"#)
        let json = try api.get("/arenas/request/events?since=1000").json()
        #expect(json["events"]?.array?.isEmpty == true)
        #expect(json["missed"]?.int == 0)
        #expect(api.get("/arenas/request/events?since=1000&format=text").text == "")
        #expect(api.get("/arenas/request/events?since=18446744073709551615").status.code == 200)
    }

    @Test(
        arguments: Transport.allCases,
        [
            ("since=-1", "'since'"), ("since=abc", "'since'"), ("since=1.5", "'since'"),
            ("since=18446744073709551616", "'since'"),
            ("limit=0", "'limit'"), ("limit=-1", "'limit'"), ("limit=ten", "'limit'"), ("limit=10001", "'limit'"),
            ("limit=", "'limit'"),
            ("format=xml", "'format'"), ("format=TEXT", "'format'"), ("format=", "'format'"),
        ])
    func badQueryIs400(_ transport: Transport, _ example: (query: String, parameter: String)) throws {
        let (query, parameter) = example
        let api = try TestClient(transport)
        expectError(api.get("/arenas/request/events?\(query)"), status: 400, code: "bad_query", mentions: [parameter])
        expectError(api.get("/events?\(query)"), status: 400, code: "bad_query", mentions: [parameter])
    }

    @Test(arguments: Transport.allCases) func largestLimitIsAccepted(_ transport: Transport) throws {
        #expect(try TestClient(transport).get("/arenas/request/events?limit=10000").status.code == 200)
    }

    @Test(arguments: Transport.allCases) func untracedArenaHasNoEvents(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("scratch", #"{"size":16}"#)
        let json = try api.get("/arenas/scratch/events").json()
        #expect(json["trace"]?.bool == false)
        #expect(json["events"]?.array?.isEmpty == true)
        #expect(json["missed"]?.int == 0)
        #expect(api.get("/arenas/scratch/events?format=text").text == "")
        // Nor does an arena created with "trace": false.
        try api.createArena(#"{"name":"quiet","capacity":64,"trace":false}"#)
        try api.allocate("quiet", #"{"size":16}"#)
        #expect(try api.get("/arenas/quiet/events").json()["events"]?.array?.isEmpty == true)
    }

    @Test(arguments: Transport.allCases) func ringOverwriteCountsMissedEvents(_ transport: Transport) throws {
        let api = try TestClient(transport) { $0.trace.ringCapacity = 8 }
        let created = try api.createArena(#"{"name":"ring","capacity":4096}"#)
        #expect(created["trace_capacity"]?.int == 8)
        try api.allocate("ring", "{\"sizes\":[\((1...20).map(String.init).joined(separator: ","))]}")
        let json = try api.get("/arenas/ring/events").json()
        #expect(json["missed"]?.int == 12)
        #expect(json["events"]?.array?.compactMap { $0["seq"]?.int } == Array(13...20))
        #expect(json["events"]?.array?.compactMap { $0["size"]?.int } == Array(13...20))
        #expect(json["next"]?.int == 20)
        // A reader that had seen 10 events missed only two.
        let later = try api.get("/arenas/ring/events?since=10").json()
        #expect(later["missed"]?.int == 2)
        #expect(later["events"]?.array?.count == 8)
        let text = api.get("/arenas/ring/events?format=text")
        #expect(text.headers["X-Events-Missed"] == "12")
        #expect(text.text.split(separator: "\n").count == 8)
        #expect(try api.arena("ring")["stats"]?["trace_overwritten_events"]?.int == 12)
        // The declared arenas take the configured ring capacity too.
        #expect(try api.arena("request")["trace_capacity"]?.int == 8)
    }

    @Test(arguments: Transport.allCases) func resetAndRewindAreTraced(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        let checkpoint = try #require(try api.post("/arenas/request/checkpoints").json()["checkpoint"]?.int)
        try api.allocate("request", #"{"size":8}"#)
        #expect(api.post("/arenas/request/rewind", json: #"{"checkpoint":\#(checkpoint)}"#).status.code == 200)
        #expect(api.post("/arenas/request/reset").status.code == 200)
        let lines = api.get("/arenas/request/events?format=text").text.split(separator: "\n")
        #expect(
            lines == [
                "Allocated 16 from 0 to 15", "Allocated 8 from 16 to 23", "Rewound to 16: released 8 bytes",
                "Reset: released 16 bytes",
            ])
        let kinds = try api.get("/arenas/request/events").json()["events"]?.array?.compactMap { $0["kind"]?.string }
        #expect(kinds == ["allocation", "allocation", "rewind", "reset"])
    }

    // MARK: GET /events

    /// `name:seq` pairs of a cursor, in any order.
    func cursor(_ text: String?) -> [String: Int] {
        var positions: [String: Int] = [:]
        for part in (text ?? "").split(separator: ",") {
            let pieces = part.split(separator: ":")
            if pieces.count == 2, let number = Int(pieces[1]) { positions[String(pieces[0])] = number }
        }
        return positions
    }

    @Test(arguments: Transport.allCases) func allEventsMergeArenasWithNamePrefix(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[16,16,16]}"#)
        try api.allocate("frame", #"{"size":8}"#)
        try api.allocate("scratch", #"{"size":4}"#)
        let text = api.get("/events?format=text")
        #expect(text.status.code == 200)
        let lines = text.text.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(
            lines.filter { $0.hasPrefix("request: ") } == [
                "request: Allocated 16 from 0 to 15", "request: Allocated 16 from 16 to 31",
                "request: Allocated 16 from 32 to 47",
            ])
        #expect(lines.filter { $0.hasPrefix("frame: ") } == ["frame: Allocated 8 from 0 to 7"])
        #expect(!text.text.contains("scratch"), "untraced arenas have no events")
        #expect(cursor(text.headers["X-Events-Next"]) == ["request": 3, "frame": 1])

        let json = try api.get("/events").json()
        #expect(json.keys == ["events", "next", "missed"])
        let events = try #require(json["events"]?.array)
        #expect(events.count == 4)
        #expect(Set(events.compactMap { $0["arena"]?.string }) == ["request", "frame"])
        #expect(events.allSatisfy { $0["text"]?.string != nil && $0["seq"]?.int != nil })
        #expect(cursor(json["next"]?.string) == ["request": 3, "frame": 1])
        #expect(json["missed"]?.int == 0)
        // Merged in time order.
        let times = events.compactMap { $0["time_unix_ns"]?.uint64 }
        #expect(times == times.sorted())
    }

    @Test(arguments: Transport.allCases) func allEventsCursorContinues(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[1,2,3]}"#)
        try api.allocate("frame", #"{"size":4}"#)
        let next = try #require(try api.get("/events").json()["next"]?.string)
        #expect(api.get("/events?since=\(next)&format=text").text == "")

        try api.allocate("frame", #"{"size":5}"#)
        try api.allocate("request", #"{"size":6}"#)
        let later = try api.get("/events?since=\(next)").json()
        let texts = later["events"]?.array?.compactMap { $0["text"]?.string }
        #expect(texts == ["Allocated 5 from 8 to 12", "Allocated 6 from 24 to 29"])
        #expect(cursor(later["next"]?.string) == ["request": 4, "frame": 2])
        // The cursor the brief's example uses, in its order, works the same.
        let handWritten = api.get("/events?since=request:3,frame:1&format=text")
        #expect(handWritten.status.code == 200)
        #expect(handWritten.text == "frame: Allocated 5 from 8 to 12\nrequest: Allocated 6 from 24 to 29\n")
    }

    @Test(arguments: Transport.allCases)
    func allEventsPlainNumberSinceAppliesToEveryArena(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[1,2,3]}"#)
        try api.allocate("frame", #"{"sizes":[4,5]}"#)
        let texts = try api.get("/events?since=2").json()["events"]?.array?.compactMap { $0["text"]?.string }
        #expect(texts == ["Allocated 3 from 16 to 18"])
    }

    @Test(arguments: Transport.allCases) func allEventsLimitLosesNothing(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[1,2,3]}"#)
        try api.allocate("frame", #"{"sizes":[4,5]}"#)
        var seen: [String] = []
        var since = ""
        for _ in 0..<5 {
            let page = try api.get("/events?limit=2" + (since.isEmpty ? "" : "&since=\(since)")).json()
            let events = try #require(page["events"]?.array)
            #expect(events.count <= 2)
            seen += events.compactMap { event in
                guard let arena = event["arena"]?.string, let seq = event["seq"]?.int else { return nil }
                return "\(arena):\(seq)"
            }
            since = try #require(page["next"]?.string)
            if events.isEmpty { break }
        }
        #expect(seen.sorted() == ["frame:1", "frame:2", "request:1", "request:2", "request:3"])
        #expect(Set(seen).count == seen.count, "no event twice: \(seen)")
    }

    @Test(arguments: Transport.allCases) func allEventsCountMissed(_ transport: Transport) throws {
        let api = try TestClient(transport) { $0.trace.ringCapacity = 4 }
        try api.allocate("request", #"{"sizes":[1,1,1,1,1,1]}"#)
        let json = try api.get("/events").json()
        #expect(json["missed"]?.int == 2)
        #expect(json["events"]?.array?.count == 4)
        #expect(api.get("/events?format=text").headers["X-Events-Missed"] == "2")
    }

    @Test(
        arguments: Transport.allCases,
        ["request", "request:x", ":3", "request:3,frame", ".bad:1", "a b:1", "request:-1"])
    func allEventsBadCursorIs400(_ transport: Transport, since: String) throws {
        // Percent-encoded as a client must send it: a space cannot go into a request line as it is.
        let encoded = try #require(since.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
        let response = try TestClient(transport).get("/events?since=\(encoded)")
        expectError(response, status: 400, code: "bad_query", mentions: ["'since'", since])
    }

    @Test(arguments: Transport.allCases) func allEventsWithNothingTraced(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let json = try api.get("/events").json()
        #expect(json["events"]?.array?.isEmpty == true)
        #expect(json["missed"]?.int == 0)
        #expect(api.get("/events?format=text").text == "")
        // The cursor of an empty read may be empty, and must be accepted back.
        let next = try #require(json["next"]?.string)
        #expect(api.get("/events?since=\(next)").status.code == 200)
        #expect(api.get("/arenas/request/events?since=").status.code == 400, "an arena's since is a number")
    }
}
