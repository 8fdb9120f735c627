import ArenaCore
import Testing
@testable import ArenaServer

/// Input meant to break the rendering or the parser: every answer must still be a well-formed JSON error.
@Suite struct APIHostileInputTests {
    @Test(arguments: [
        #"{"name":"a\"b","capacity":64}"#,
        #"{"name":"line\nbreak","capacity":64}"#,
        #"{"name":"tab\there","capacity":64}"#,
        #"{"name":"nul\u0000byte","capacity":64}"#,
        #"{"name":"\u001b[31mred","capacity":64}"#,
        #"{"name":"back\\slash","capacity":64}"#,
        #"{"name":"emoji 🧨","capacity":64}"#,
        #"{"name":"x","capacity":64,"we\"ird\n":1}"#,
        #"{"name":"x","policy":"\"}, {\"","capacity":64}"#,
        #"{"name":"x","capacity":"\u0000KiB"}"#,
    ])
    func messagesWithHostileTextAreValidJSON(body: String) throws {
        let response = try APIHarness().post("/arenas", json: body)
        #expect(response.status.code == 400)
        let json = try response.json()
        #expect(json["error"]?.string != nil)
        #expect(json["message"]?.string?.isEmpty == false)
        #expect(json.keys == ["error", "message"])
    }

    @Test(arguments: [#"/arenas/a"b"#, "/arenas/a\nb", "/arenas/\u{0}", "/arenas/🧨/events", "/arenas/x\\y"])
    func hostilePathsAreValidJSON404s(path: String) throws {
        let response = try APIHarness().get(path)
        #expect(response.status.code == 404)
        let json = try response.json()
        #expect(json["error"]?.string == "unknown_arena")
    }

    @Test func hostileUnknownRouteIsValidJSON() throws {
        let response = try APIHarness().send(HTTPMethod(rawValue: "GET"), "/\"}\n{")
        #expect(response.status.code == 404)
        #expect(try response.json()["error"]?.string == "not_found")
    }

    @Test func deepNestingIsRefusedNotACrash() throws {
        let api = try APIHarness()
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectError(api.post("/arenas", json: deep), status: 400, code: "bad_json", mentions: ["not valid JSON"])
        let object = String(repeating: #"{"a":"#, count: 1000) + "1" + String(repeating: "}", count: 1000)
        expectError(api.post("/arenas", json: object), status: 400, code: "bad_json")
    }

    @Test(arguments: [
        #"{"size":1e400}"#, #"{"size":-0}"#, #"{"size":00}"#, #"{"size":0x10}"#, #"{"size":Infinity}"#,
        #"{"size":NaN}"#, #"{"size":+1}"#, #"{"size":.5}"#,
    ])
    func oddNumbersAre400(body: String) throws {
        let api = try APIHarness()
        let response = api.post("/arenas/request/allocations", json: body)
        #expect(response.status.code == 400, "\(body): \(response.text)")
        #expect(try response.json()["error"]?.string != nil)
        #expect(try api.arena("request")["stats"]?["allocations"]?.int == 0)
    }

    @Test func invalidUTF8BodyIsBadJSON() throws {
        let api = try APIHarness()
        let body: [UInt8] = Array(#"{"name":""#.utf8) + [0xFF, 0xFE] + Array(#"","capacity":64}"#.utf8)
        let response = api.send(.post, "/arenas", headers: ["Content-Type": "application/json"], body: body)
        #expect(response.status.code == 400)
        #expect(try response.json()["error"]?.string != nil)
    }

    @Test func longNameInErrorsIsStillJSON() throws {
        let name = String(repeating: "x", count: 100_000)
        let response = try APIHarness().post("/arenas", json: #"{"name":"\#(name)","capacity":64}"#)
        expectError(response, status: 400, code: "invalid_name", mentions: ["at most 64"])
    }
}
