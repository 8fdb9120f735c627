import ArenaCore
import Testing
@testable import ArenaServer

/// Bearer-token authentication in-process.
@Suite struct APIAuthTests {
    static let token = "s3cret"

    func protected(reads: Bool = false) throws -> APIHarness {
        try APIHarness {
            $0.auth.token = Self.token
            $0.auth.protectReads = reads
        }
    }

    static let changes: [(String, String, String)] = [
        ("POST", "/arenas", #"{"name":"x","capacity":64}"#),
        ("DELETE", "/arenas/request", ""),
        ("POST", "/arenas/request/allocations", #"{"size":16}"#),
        ("POST", "/arenas/request/blobs", "bytes"),
        ("POST", "/arenas/request/reset", ""),
        ("POST", "/arenas/request/checkpoints", ""),
        ("POST", "/arenas/request/rewind", #"{"checkpoint":1}"#),
        ("POST", "/reset", ""),
        ("POST", "/arenas/nope/allocations", #"{"size":16}"#),
    ]

    func send(_ api: APIHarness, _ method: String, _ path: String, _ body: String, authorization: String?)
        -> HTTPResponse
    {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        return api.send(HTTPMethod(rawValue: method), path, headers: headers, body: Array(body.utf8))
    }

    @Test(arguments: changes)
    func changeWithoutTokenIs401(method: String, path: String, body: String) throws {
        let api = try protected()
        let response = send(api, method, path, body, authorization: nil)
        expectError(response, status: 401, code: "unauthorized", mentions: ["Authorization: Bearer"])
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="arena-server""#)
        // Nothing happened.
        #expect(try api.get("/arenas").json()["count"]?.int == 3)
        #expect(try api.arena("request")["stats"]?["allocations"]?.int == 0)
        #expect(try api.arena("request")["generation"]?.int == 0)
    }

    @Test(arguments: [
        "Bearer wrong", "Bearer s3cret2", "Bearer s3cre", "Bearer S3CRET", "Basic s3cret", "s3cret", "Bearer ",
        "Bearer", "Bearers3cret", "Token s3cret",
    ])
    func wrongTokenIs401(authorization: String) throws {
        let api = try protected()
        let response = send(api, "POST", "/arenas", #"{"name":"x","capacity":64}"#, authorization: authorization)
        expectError(response, status: 401, code: "unauthorized")
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="arena-server""#)
        #expect(api.get("/arenas/x").status.code == 404)
    }

    @Test func wrongTokenSaysSo() throws {
        let api = try protected()
        let response = send(api, "POST", "/reset", "", authorization: "Bearer nope")
        expectError(response, status: 401, code: "unauthorized", mentions: ["not valid"])
        #expect(!response.text.contains(Self.token), "the error must not reveal the token")
    }

    @Test(arguments: changes.filter { !$0.1.contains("nope") })
    func changeWithTokenSucceeds(method: String, path: String, body: String) throws {
        let api = try protected()
        if path.hasSuffix("/rewind") {
            _ = send(api, "POST", "/arenas/request/checkpoints", "", authorization: "Bearer s3cret")
        }
        if method == "DELETE" {
            try #require(send(api, "POST", "/arenas", #"{"name":"gone","capacity":64}"#,
                              authorization: "Bearer s3cret").status.code == 201)
        }
        let target = method == "DELETE" ? "/arenas/gone" : path
        let response = send(api, method, target, body, authorization: "Bearer s3cret")
        #expect((200..<300).contains(Int(response.status.code)), "\(method) \(target): \(response.text)")
    }

    /// RFC 9110 section 11.1: the authentication scheme is a case-insensitive token.
    @Test(arguments: ["bearer s3cret", "BEARER s3cret", "Bearer s3cret"])
    func schemeIsCaseInsensitive(authorization: String) throws {
        let api = try protected()
        let response = send(api, "POST", "/arenas/request/reset", "", authorization: authorization)
        #expect(response.status.code == 200, "\(authorization): \(response.text)")
    }

    @Test(arguments: ["/", "/arenas", "/arenas/request", "/arenas/request/events", "/events", "/metrics"])
    func readsStayOpen(path: String) throws {
        let api = try protected()
        #expect(api.get(path).status.code == 200)
        #expect(api.send(.head, path).status.code == 200)
    }

    @Test func blobReadStaysOpen() throws {
        let api = try protected()
        let stored = send(api, "POST", "/arenas/request/blobs", "abc", authorization: "Bearer s3cret")
        let url = try #require(try stored.json()["url"]?.string)
        #expect(api.get(url).bytes == Array("abc".utf8))
    }

    @Test(arguments: ["/", "/arenas", "/arenas/request", "/arenas/request/events", "/events", "/metrics",
                      "/arenas/request/blobs/1"])
    func protectReadsGuardsReads(path: String) throws {
        let api = try protected(reads: true)
        let response = api.get(path)
        expectError(response, status: 401, code: "unauthorized")
        #expect(response.headers["WWW-Authenticate"] != nil)
        expectError(api.get(path, headers: ["Authorization": "Bearer wrong"]), status: 401, code: "unauthorized")
        let allowed = api.get(path, headers: ["Authorization": "Bearer s3cret"])
        #expect(allowed.status.code != 401, "\(path): \(allowed.text)")
    }

    @Test(arguments: [false, true])
    func healthzIsAlwaysOpen(protectReads: Bool) throws {
        let api = try protected(reads: protectReads)
        #expect(api.get("/healthz").status.code == 200)
        #expect(api.get("/healthz", headers: ["Authorization": "Bearer wrong"]).status.code == 200)
        #expect(api.send(.head, "/healthz").status.code == 200)
    }

    @Test func unknownRoutesAndMethodsAreNotHiddenBehindAuth() throws {
        let api = try protected(reads: true)
        #expect(api.get("/nope").status.code == 404)
        #expect(api.send(.put, "/arenas").status.code == 405)
    }

    @Test func withoutATokenAuthorizationIsIgnored() throws {
        let api = try APIHarness()
        let response = send(api, "POST", "/arenas/request/reset", "", authorization: "Bearer anything")
        #expect(response.status.code == 200)
    }
}
