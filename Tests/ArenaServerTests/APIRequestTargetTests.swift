import ArenaCore
import Testing

@testable import ArenaHTTP

/// Paths are routed on their raw segments, then decoded: what a percent-encoded target can and cannot reach, in
/// process and live (where libmicrohttpd hands over the target exactly as sent).
@Suite struct APIRequestTargetTests {
    /// A `%00` would end the name for any C string reader; it is refused before routing, so no request can act on
    /// `victim` by naming `victim%00`.
    @Test(
        arguments: Transport.allCases,
        [
            (HTTPMethod.delete, "/arenas/victim%00/reset"), (.post, "/arenas/victim%00/reset"),
            (.delete, "/arenas/victim%00"), (.post, "/arenas/victim%00/allocations"), (.get, "/arenas/victim%00x"),
        ])
    func nulInThePathIsRefusedAndTouchesNothing(_ transport: Transport, _ example: (HTTPMethod, String)) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"victim","capacity":64}"#)
        try api.allocate("victim", #"{"size":16}"#)
        let response = api.send(
            example.0, example.1, headers: ["Content-Type": "application/json"],
            body: Array(#"{"size":8}"#.utf8))
        expectError(response, status: 400, code: "bad_target", mentions: ["NUL"])
        let victim = try api.arena("victim")
        #expect(victim["generation"]?.int == 0, "not reset")
        #expect(victim["stats"]?["allocations"]?.int == 1, "nothing allocated")
        // Live, the refusal closes its connection and is recorded just after its answer: a scrape on the next
        // connection may come first.
        #expect(
            try eventually {
                try api.metrics().value("http_requests_total", ["route": "unmatched", "code": "400"]) == 1
            })
    }

    /// An encoded `/` stays inside its segment: `request%2Fevents` is one name (which no arena can have), never
    /// the events route of `request`.
    @Test(arguments: Transport.allCases) func encodedSlashIsANameNotARoute(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        let response = api.get("/arenas/request%2Fevents")
        expectError(response, status: 400, code: "invalid_name", mentions: [#""request/events""#, "in the path"])
        // `DELETE /arenas/{name}` with the name `request/reset`; POST would be 405 first (the route has no POST).
        expectError(api.delete("/arenas/request%2Freset"), status: 400, code: "invalid_name")
        expectError(api.post("/arenas/request%2Freset"), status: 405, code: "method_not_allowed")
        #expect(try api.arena("request")["generation"]?.int == 0)
        // Any other encoding of a valid name reaches the arena.
        #expect(api.get("/arenas/re%71uest/events?format=text").text == "Allocated 16 from 0 to 15\n")
    }

    @Test(arguments: Transport.allCases) func emptyNameInThePathIsInvalid(_ transport: Transport) throws {
        let api = try TestClient(transport)
        expectError(api.get("/arenas//events"), status: 400, code: "invalid_name", mentions: ["empty"])
        expectError(api.post("/arenas//reset"), status: 400, code: "invalid_name", mentions: ["empty"])
    }

    @Test(
        arguments: Transport.allCases,
        [
            ("/arenas/%zz", "'%' that is not followed by two hex digits"), ("/arenas/request%2", "two hex digits"),
            ("/arenas/%FF", "not valid UTF-8"), ("/events?since=%C3", "not valid UTF-8"),
            ("/events?since=1%00", "NUL"),
        ])
    func unreadableTargetIs400(_ transport: Transport, _ example: (target: String, why: String)) throws {
        let response = try TestClient(transport).get(example.target)
        expectError(response, status: 400, code: "bad_target", mentions: ["bad request target", example.why])
    }

    @Test(arguments: Transport.allCases, ["healthz", "*", "arenas/request"])
    func targetThatIsNotAPathIs400(_ transport: Transport, target: String) throws {
        let response = try TestClient(transport).get(target)
        expectError(response, status: 400, code: "bad_target", mentions: ["must be a path starting with '/'"])
    }

    @Test(arguments: Transport.allCases) func queryIsDecodedPlusIsASpace(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"a-b","capacity":64}"#)
        try api.allocate("a-b", #"{"size":8}"#)
        try api.allocate("request", #"{"size":8}"#)
        // `prefix=a%2D` is `a-`; a `+` in a query is a space, so `prefix=a+` matches nothing.
        #expect(try api.post("/reset?prefix=a%2D").json()["count"]?.int == 1)
        #expect(try api.post("/reset?prefix=a+").json()["count"]?.int == 0)
        // The last of repeated parameters wins.
        #expect(api.get("/arenas/request/events?format=json&format=text").text == "Allocated 8 from 0 to 7\n")
    }
}
