import ArenaCore
import Testing

@testable import ArenaHTTP

/// Input meant to break the rendering or the parser: every answer must still be a well-formed JSON error.
@Suite struct APIHostileInputTests {
    @Test(
        arguments: Transport.allCases,
        [
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
    func messagesWithHostileTextAreValidJSON(_ transport: Transport, body: String) throws {
        let response = try TestClient(transport).post("/arenas", json: body)
        #expect(response.status.code == 400)
        let json = try response.json()
        #expect(json["error"]?.string != nil)
        #expect(json["message"]?.string?.isEmpty == false)
        #expect(json.keys == ["error", "message"])
    }

    /// Names no arena can have, percent-encoded as a client must send them: refused before any lookup, and quoted
    /// in a message that is still valid JSON.
    @Test(
        arguments: Transport.allCases,
        [
            ("/arenas/a%22b", "a\"b"), ("/arenas/a%0Ab", "a\nb"), ("/arenas/%1B%5B31m/events", "\u{1B}[31m"),
            ("/arenas/%F0%9F%A7%A8/events", "🧨"), ("/arenas/x%5Cy", "x\\y"),
        ])
    func hostilePathsAreValidJSON400s(_ transport: Transport, _ example: (path: String, name: String)) throws {
        let response = try TestClient(transport).get(example.path)
        expectError(response, status: 400, code: "invalid_name", mentions: [JSONWriter.quoted(example.name)])
        #expect(try response.json().keys == ["error", "message"])
    }

    @Test(arguments: Transport.allCases) func hostileUnknownRouteIsValidJSON(_ transport: Transport) throws {
        // `/"}\n{`, percent-encoded: the message quotes the path as sent.
        let response = try TestClient(transport).get("/%22%7D%0A%7B")
        expectError(response, status: 404, code: "not_found", mentions: ["GET /%22%7D%0A%7B"])
    }

    @Test(arguments: Transport.allCases) func deepNestingIsRefusedNotACrash(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        expectError(api.post("/arenas", json: deep), status: 400, code: "bad_json", mentions: ["not valid JSON"])
        let object = String(repeating: #"{"a":"#, count: 1000) + "1" + String(repeating: "}", count: 1000)
        expectError(api.post("/arenas", json: object), status: 400, code: "bad_json")
    }

    @Test(
        arguments: Transport.allCases,
        [
            #"{"size":1e400}"#, #"{"size":-0}"#, #"{"size":00}"#, #"{"size":0x10}"#, #"{"size":Infinity}"#,
            #"{"size":NaN}"#, #"{"size":+1}"#, #"{"size":.5}"#,
        ])
    func oddNumbersAre400(_ transport: Transport, body: String) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas/request/allocations", json: body)
        #expect(response.status.code == 400, "\(body): \(response.text)")
        #expect(try response.json()["error"]?.string != nil)
        #expect(try api.arena("request")["stats"]?["allocations"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func invalidUTF8BodyIsBadJSON(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let body: [UInt8] = Array(#"{"name":""#.utf8) + [0xFF, 0xFE] + Array(#"","capacity":64}"#.utf8)
        let response = api.send(.post, "/arenas", headers: ["Content-Type": "application/json"], body: body)
        #expect(response.status.code == 400)
        #expect(try response.json()["error"]?.string != nil)
    }

    @Test(arguments: Transport.allCases) func longNameInErrorsIsStillJSON(_ transport: Transport) throws {
        let name = String(repeating: "x", count: 100_000)
        let response = try TestClient(transport).post("/arenas", json: #"{"name":"\#(name)","capacity":64}"#)
        expectError(response, status: 400, code: "invalid_name", mentions: ["at most 64"])
    }
}
