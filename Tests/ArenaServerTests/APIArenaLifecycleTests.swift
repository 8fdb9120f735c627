import ArenaCore
import Testing

@testable import ArenaHTTP

/// `POST /arenas` and `DELETE /arenas/{name}`, in process and live: every way to create one, and every way to
/// fail.
@Suite struct APIArenaLifecycleTests {
    @Test(arguments: Transport.allCases) func createFixedArenaWithIntegerCapacity(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas", json: #"{"name":"req-42","policy":"fixed","capacity":4096}"#)
        #expect(response.status.code == 201)
        #expect(response.headers["Location"] == "/arenas/req-42")
        let arena = try response.json()
        #expect(arena["name"]?.string == "req-42")
        // Not the name: one class per request-scoped arena would grow /metrics without bound.
        #expect(arena["class"]?.string == "default", "class defaults to 'default'")
        #expect(arena["policy"]?.string == "fixed")
        #expect(arena["capacity"]?.int == 4096)
        #expect(arena["trace"]?.bool == true, "trace defaults to true")
        #expect(arena["trace_capacity"]?.int == 4096)
        #expect(arena["pinned"]?.bool == false)
        #expect(arena["ttl_seconds"]?.isNull == true)
        #expect(arena["generation"]?.int == 0)
        #expect(arena["stats"]?["capacity_bytes"]?.int == 4096)
        // It is now listed and readable.
        #expect(try api.arena("req-42")["capacity"]?.int == 4096)
        #expect(try api.get("/arenas").json()["count"]?.int == 4)
    }

    @Test(arguments: Transport.allCases) func createWithSizeStringsClassTTLAndNoTrace(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let arena = try api.createArena(
            #"{"name":"req-7","capacity":"64KiB","class":"request","ttl_seconds":60,"trace":false}"#)
        #expect(arena["capacity"]?.int == 65536)
        #expect(arena["class"]?.string == "request")
        #expect(arena["ttl_seconds"]?.int == 60)
        #expect(arena["trace"]?.bool == false)
        #expect(arena["trace_capacity"]?.int == 0)
        #expect(arena["policy"]?.string == "fixed", "policy defaults to fixed")
    }

    @Test(arguments: Transport.allCases) func createGrowingArena(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let arena = try api.createArena(
            #"{"name":"job-7","policy":"growing","initial_chunk":"4KiB","limit":"1MiB"}"#)
        #expect(arena["policy"]?.string == "growing")
        #expect(arena["initial_chunk"]?.int == 4096)
        #expect(arena["limit"]?.int == 1 << 20)
        #expect(arena["stats"]?["capacity_bytes"]?.int == 4096)
        #expect(arena["stats"]?["limit_bytes"]?.int == 1 << 20)
        // initial_chunk defaults to min(16 KiB, limit).
        let small = try api.createArena(#"{"name":"job-8","policy":"growing","limit":1000}"#)
        #expect(small["initial_chunk"]?.int == 1000)
        let large = try api.createArena(#"{"name":"job-9","policy":"growing","limit":"1MiB"}"#)
        #expect(large["initial_chunk"]?.int == 16384)
    }

    @Test(arguments: Transport.allCases) func growingArenaGrowsPastItsFirstChunk(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"grow","policy":"growing","initial_chunk":64,"limit":1024}"#)
        let made = try api.allocate("grow", #"{"sizes":[64,64,100]}"#)
        #expect(made.map { $0["start"]?.int } == [0, 64, 128])
        let stats = try api.arena("grow")["stats"]
        #expect(stats?["chunks"]?.int ?? 0 > 1)
        #expect(stats?["used_bytes"]?.int == 228)
    }

    @Test(arguments: Transport.allCases) func duplicateNameIs409(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"twice","capacity":64}"#)
        expectError(
            api.post("/arenas", json: #"{"name":"twice","capacity":64}"#),
            status: 409, code: "duplicate_name", mentions: ["'twice'"])
        // A declared arena's name is taken too.
        expectError(
            api.post("/arenas", json: #"{"name":"request","capacity":64}"#),
            status: 409, code: "duplicate_name", mentions: ["'request'"])
    }

    @Test(
        arguments: Transport.allCases,
        [
            (#""""#, "must not be empty"),
            ("\"" + String(repeating: "a", count: 65) + "\"", "at most 64"),
            (#"".hidden""#, "must not start with '.'"),
            (#""a/b""#, "may only contain"),
            (#""a b""#, "may only contain"),
            (#""caf\u00e9""#, "may only contain"),
        ])
    func invalidNameIs400(_ transport: Transport, _ example: (name: String, why: String)) throws {
        let (name, why) = example
        let response = try TestClient(transport).post("/arenas", json: #"{"name":\#(name),"capacity":64}"#)
        expectError(response, status: 400, code: "invalid_name", mentions: [why])
    }

    @Test(arguments: Transport.allCases) func longestValidNameIsAccepted(_ transport: Transport) throws {
        let name = String(repeating: "a", count: 64)
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"\#(name)","capacity":64}"#)
        #expect(api.get("/arenas/\(name)").status.code == 200)
    }

    @Test(arguments: Transport.allCases) func invalidClassIs400(_ transport: Transport) throws {
        let response = try TestClient(transport).post("/arenas", json: #"{"name":"x","capacity":64,"class":"a b"}"#)
        expectError(response, status: 400, code: "invalid_name", mentions: ["class", #""a b""#])
    }

    /// Bodies that are valid JSON objects but wrong, and the words the message must contain.
    @Test(
        arguments: Transport.allCases,
        [
            (#"{"capacity":64}"#, ["'name'", "required"]),
            (#"{"name":null,"capacity":64}"#, ["'name'", "required"]),
            // The policy fields are read by PolicyFields, as in a configuration file; policy defaults to fixed.
            (#"{"name":"x"}"#, ["'capacity'", "required for a fixed arena"]),
            (#"{"name":"x","policy":"fixed","limit":64}"#, ["'limit'", "not allowed for a fixed arena"]),
            (#"{"name":"x","policy":"growing"}"#, ["'limit'", "required for a growing arena"]),
            (#"{"name":"x","policy":"growing","capacity":64}"#, ["'capacity'", "not allowed for a growing arena"]),
            (
                #"{"name":"x","policy":"growing","limit":100,"initial_chunk":200}"#,
                ["'initial_chunk'", "200B is more than the arena's limit (100B)"]
            ),
            (#"{"name":"x","policy":"stretchy","capacity":64}"#, ["'policy'", "stretchy"]),
            (#"{"name":"x","policy":7,"capacity":64}"#, ["'policy'", "string"]),
            (#"{"name":"x","capacity":64,"colour":"red"}"#, ["unknown field 'colour'"]),
            (#"{"name":"x","capacity":64,"limit":64}"#, ["'limit'", "not allowed for a fixed arena"]),
            (#"{"name":5,"capacity":64}"#, ["'name'", "string"]),
            (#"{"name":["x"],"capacity":64}"#, ["'name'", "string"]),
            (#"{"name":"x","capacity":true}"#, ["'capacity'", "true"]),
            (#"{"name":"x","capacity":[64]}"#, ["'capacity'"]),
            (#"{"name":"x","capacity":"lots"}"#, ["'capacity'", "lots"]),
            (#"{"name":"x","capacity":"64 parsecs"}"#, ["'capacity'", "64 parsecs"]),
            (#"{"name":"x","capacity":-1}"#, ["'capacity'", "negative"]),
            (#"{"name":"x","capacity":"-1KiB"}"#, ["'capacity'", "negative"]),
            (#"{"name":"x","capacity":1.5}"#, ["'capacity'", "whole"]),
            (#"{"name":"x","capacity":1e3}"#, ["'capacity'", "whole"]),
            (#"{"name":"x","capacity":9223372036854775808}"#, ["'capacity'", "9223372036854775808"]),
            (#"{"name":"x","capacity":"9223372036854775807KiB"}"#, ["'capacity'", "larger than"]),
            (#"{"name":"x","policy":"growing","limit":"1MiB","initial_chunk":"big"}"#, ["'initial_chunk'"]),
            (#"{"name":"x","capacity":64,"trace":"yes"}"#, ["'trace'", "true or false"]),
            (#"{"name":"x","capacity":64,"trace":1}"#, ["'trace'", "true or false"]),
            (#"{"name":"x","capacity":64,"class":5}"#, ["'class'", "string"]),
            (#"{"name":"x","capacity":64,"ttl_seconds":"60"}"#, ["'ttl_seconds'", "whole number"]),
            (#"{"name":"x","capacity":64,"ttl_seconds":-5}"#, ["'ttl_seconds'", "negative"]),
            (#"{"name":"x","capacity":64,"ttl_seconds":1.5}"#, ["'ttl_seconds'", "whole"]),
            (#"{"name":"x","capacity":64,"ttl_seconds":0}"#, ["'ttl_seconds'", "at least 1"]),
            (#"{"name":"x","capacity":64,"ttl_seconds":18446744073709551616}"#, ["'ttl_seconds'", "too large"]),
            (#"{"name":"x","capacity":64,"name":"y"}"#, ["'name'", "twice"]),
        ])
    func badFieldIs400(_ transport: Transport, _ example: (body: String, mentions: [String])) throws {
        let (body, mentions) = example
        let response = try TestClient(transport).post("/arenas", json: body)
        expectError(response, status: 400, code: "bad_field", mentions: mentions)
    }

    @Test(
        arguments: Transport.allCases,
        [
            (#"{"name":"x","capacity":0}"#, ["capacity", "at least 1"]),
            (#"{"name":"x","capacity":"0KiB"}"#, ["capacity", "at least 1"]),
            (#"{"name":"x","policy":"growing","limit":"1MiB","initial_chunk":0}"#, ["initial chunk", "at least 1"]),
        ])
    func impossiblePolicyIs400(_ transport: Transport, _ example: (body: String, mentions: [String])) throws {
        let (body, mentions) = example
        let response = try TestClient(transport).post("/arenas", json: body)
        expectError(response, status: 400, code: "invalid_policy", mentions: mentions)
    }

    /// 409 like every other limit (README: "over a limit -> 409 naming the limit"); it was 400 before.
    @Test(arguments: Transport.allCases) func overMaxArenaBytesIs409(_ transport: Transport) throws {
        // The declared `frame` arena reserves 16 MiB, so that is the smallest maximum it starts with.
        let api = try TestClient(transport) { $0.limits.maxArenaBytes = 16 << 20 }
        expectError(
            api.post("/arenas", json: #"{"name":"big","capacity":"17MiB"}"#),
            status: 409, code: "arena_too_large", mentions: ["'big'", "\(17 << 20)", "\(16 << 20)"])
        expectError(
            api.post("/arenas", json: #"{"name":"big","policy":"growing","limit":"17MiB"}"#),
            status: 409, code: "arena_too_large", mentions: ["\(17 << 20)", "\(16 << 20)"])
        // Exactly the maximum is fine.
        try api.createArena(#"{"name":"edge","capacity":"16MiB"}"#)
    }

    @Test(arguments: Transport.allCases) func overMaxArenasIs409(_ transport: Transport) throws {
        let api = try TestClient(transport) { $0.limits.maxArenas = 4 }
        try api.createArena(#"{"name":"fourth","capacity":64}"#)
        expectError(
            api.post("/arenas", json: #"{"name":"fifth","capacity":64}"#),
            status: 409, code: "too_many_arenas", mentions: ["4"])
        // Deleting one makes room again.
        #expect(api.delete("/arenas/fourth").status.code == 204)
        try api.createArena(#"{"name":"fifth","capacity":64}"#)
    }

    @Test(arguments: Transport.allCases) func overTotalBudgetIs409(_ transport: Transport) throws {
        // The declared arenas reserve 17 MiB + 64 KiB and two trace rings (512 KiB) of the 18 MiB budget: 448 KiB
        // are left.
        let api = try TestClient(transport) {
            $0.limits.maxTotalBytes = 18 << 20
            $0.limits.maxArenaBytes = 16 << 20
        }
        try api.createArena(#"{"name":"fits","capacity":"256KiB","trace":false}"#)
        expectError(
            api.post("/arenas", json: #"{"name":"over","capacity":"256KiB","trace":false}"#),
            status: 409, code: "total_budget_exceeded", mentions: ["262144", "\(18 << 20)"])
        #expect(try api.get("/arenas").json()["reserved_bytes"]?.int == declaredReservedBytes + (256 << 10))
        // Deleting gives the bytes back.
        #expect(api.delete("/arenas/fits").status.code == 204)
        try api.createArena(#"{"name":"over","capacity":"256KiB","trace":false}"#)
    }

    /// A traced arena's ring counts against the budget too (it did not before the edge hardening): 64 bytes of
    /// policy fit in the 448 KiB left, the 256 KiB ring beside them do not twice.
    @Test(arguments: Transport.allCases) func aTraceRingCountsAgainstTheTotalBudget(_ transport: Transport) throws {
        let api = try TestClient(transport) {
            $0.limits.maxTotalBytes = 18 << 20
            $0.limits.maxArenaBytes = 16 << 20
        }
        let ring = TraceRing.bytes(forCapacity: 4096)
        #expect(ring == 256 << 10)
        try api.createArena(#"{"name":"traced","capacity":64}"#)
        #expect(try api.get("/arenas").json()["reserved_bytes"]?.int == declaredReservedBytes + 64 + ring)
        expectError(
            api.post("/arenas", json: #"{"name":"second","capacity":64}"#),
            status: 409, code: "total_budget_exceeded", mentions: ["\(64 + ring)"])
        try api.createArena(#"{"name":"second","capacity":64,"trace":false}"#)
    }

    @Test(
        arguments: Transport.allCases,
        [
            ("{bad", "not valid JSON"),
            (#"{"name":"x","capacity":64"#, "not valid JSON"),
            (#"{"name":"x"} trailing"#, "not valid JSON"),
            ("[1,2]", "an array"),
            (#"[{"name":"x","capacity":64}]"#, "an array"),
            (#""name""#, "JSON object"),
            ("42", "JSON object"),
            ("null", "JSON object"),
        ])
    func malformedBodyIs400(_ transport: Transport, _ example: (body: String, mentions: String)) throws {
        let (body, mentions) = example
        let response = try TestClient(transport).post("/arenas", json: body)
        expectError(response, status: 400, code: "bad_json", mentions: [mentions])
    }

    @Test(arguments: Transport.allCases) func emptyBodyIs400(_ transport: Transport) throws {
        let api = try TestClient(transport)
        expectError(api.post("/arenas", json: ""), status: 400, code: "bad_json", mentions: ["empty"])
    }

    /// A JSON route reads nothing without `Content-Type: application/json` (a cross-site form can send a body
    /// without one, never with it): 415, where it was 400 `bad_json` for an empty body and 201 for a good one.
    @Test(arguments: Transport.allCases) func missingContentTypeIs415(_ transport: Transport) throws {
        let api = try TestClient(transport)
        expectError(api.send(.post, "/arenas"), status: 415, code: "unsupported_media_type", mentions: ["none"])
        expectError(
            api.send(.post, "/arenas", body: Array(#"{"name":"x","capacity":64}"#.utf8)),
            status: 415, code: "unsupported_media_type", mentions: ["application/json"])
        #expect(api.get("/arenas/x").status.code == 404, "nothing was created")
    }

    @Test(arguments: Transport.allCases, ["text/plain", "application/x-www-form-urlencoded", "application/jsonp"])
    func nonJSONContentTypeIs415(_ transport: Transport, contentType: String) throws {
        let response = try TestClient(transport).post(
            "/arenas", json: #"{"name":"x","capacity":64}"#, headers: ["Content-Type": contentType])
        expectError(response, status: 415, code: "unsupported_media_type", mentions: [contentType])
    }

    @Test(
        arguments: Transport.allCases,
        [
            "application/json", "application/json; charset=utf-8", "Application/JSON",
            "application/merge-patch+json",
        ])
    func jsonContentTypesAreAccepted(_ transport: Transport, contentType: String) throws {
        let response = try TestClient(transport).post(
            "/arenas", json: #"{"name":"x","capacity":64}"#, headers: ["Content-Type": contentType])
        #expect(response.status.code == 201, "\(response.text)")
    }

    @Test(arguments: Transport.allCases) func deleteThenGoneThenUnknown(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"tmp","capacity":64}"#)
        try api.allocate("tmp", #"{"size":16}"#)
        let response = api.delete("/arenas/tmp")
        #expect(response.status.code == 204)
        #expect(response.bytes.isEmpty)
        expectError(api.get("/arenas/tmp"), status: 404, code: "unknown_arena", mentions: ["'tmp'"])
        expectError(api.delete("/arenas/tmp"), status: 404, code: "unknown_arena", mentions: ["'tmp'"])
        #expect(try api.get("/arenas").json()["count"]?.int == 3)
    }

    @Test(arguments: Transport.allCases, ["request", "frame", "scratch"])
    func declaredArenaCannotBeDeleted(_ transport: Transport, name: String) throws {
        let api = try TestClient(transport)
        expectError(api.delete("/arenas/\(name)"), status: 409, code: "arena_pinned", mentions: ["'\(name)'"])
        #expect(api.get("/arenas/\(name)").status.code == 200)
    }

    @Test(arguments: Transport.allCases) func recreatedArenaStartsFresh(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"again","capacity":64}"#)
        try api.allocate("again", #"{"size":32}"#)
        let blob = api.post("/arenas/again/blobs", bytes: [1, 2, 3])
        #expect(blob.status.code == 201)
        #expect(api.post("/arenas/again/checkpoints").status.code == 201)
        #expect(api.delete("/arenas/again").status.code == 204)
        try api.createArena(#"{"name":"again","capacity":64}"#)
        #expect(try api.arena("again")["stats"]?["used_bytes"]?.int == 0)
        // The old arena's blob and checkpoint ids mean nothing in the new one.
        expectError(api.get("/arenas/again/blobs/1"), status: 404, code: "unknown_blob")
        expectError(
            api.post("/arenas/again/rewind", json: #"{"checkpoint":1}"#),
            status: 404, code: "unknown_checkpoint")
    }
}
