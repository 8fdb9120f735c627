import ArenaCore
import Testing

@testable import ArenaHTTP

/// Bearer-token authentication, in process and live.
@Suite struct APIAuthTests {
    static let token = "s3cret"

    func protected(_ transport: Transport, reads: Bool = false) throws -> TestClient {
        try TestClient(transport) {
            $0.auth.token = Self.token
            $0.auth.protectReads = reads
        }
    }

    /// Every request that changes something: method, path, body, and the status it gets with the token.
    static let changes: [(String, String, String, UInt16)] = [
        ("POST", "/arenas", #"{"name":"x","capacity":64}"#, 201),
        ("DELETE", "/arenas/request", "", 204),
        ("POST", "/arenas/request/allocations", #"{"size":16}"#, 201),
        ("POST", "/arenas/request/blobs", "bytes", 201),
        ("POST", "/arenas/request/reset", "", 200),
        ("POST", "/arenas/request/checkpoints", "", 201),
        ("POST", "/arenas/request/rewind", #"{"checkpoint":1}"#, 200),
        ("POST", "/reset", "", 200),
        ("POST", "/arenas/nope/allocations", #"{"size":16}"#, 404),
    ]

    /// Every read, and the status it gets with the token (there is no blob 1).
    static let reads: [(String, UInt16)] = [
        ("/", 200), ("/arenas", 200), ("/arenas/request", 200), ("/arenas/request/events", 200), ("/events", 200),
        ("/metrics", 200), ("/arenas/request/blobs/1", 404),
    ]

    func send(
        _ api: TestClient, _ method: String, _ path: String, _ body: String, authorization: String?
    )
        -> TestResponse
    {
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        return api.send(HTTPMethod(rawValue: method), path, headers: headers, body: Array(body.utf8))
    }

    @Test(arguments: Transport.allCases, changes)
    func changeWithoutTokenIs401(
        _ transport: Transport, _ example: (method: String, path: String, body: String, status: UInt16)
    ) throws {
        let (method, path, body, _) = example
        let api = try protected(transport)
        let response = send(api, method, path, body, authorization: nil)
        expectError(response, status: 401, code: "unauthorized", mentions: ["Authorization: Bearer"])
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="arena-server""#)
        // Nothing happened.
        #expect(try api.get("/arenas").json()["count"]?.int == 3)
        #expect(try api.arena("request")["stats"]?["allocations"]?.int == 0)
        #expect(try api.arena("request")["generation"]?.int == 0)
    }

    @Test(
        arguments: Transport.allCases,
        [
            "Bearer wrong", "Bearer s3cret2", "Bearer s3cre", "Bearer S3CRET", "Basic s3cret", "s3cret", "Bearer ",
            "Bearer", "Bearers3cret", "Token s3cret",
        ])
    func wrongTokenIs401(_ transport: Transport, authorization: String) throws {
        let api = try protected(transport)
        let response = send(api, "POST", "/arenas", #"{"name":"x","capacity":64}"#, authorization: authorization)
        expectError(response, status: 401, code: "unauthorized")
        #expect(response.headers["WWW-Authenticate"] == #"Bearer realm="arena-server""#)
        #expect(api.get("/arenas/x").status.code == 404)
    }

    @Test(arguments: Transport.allCases) func wrongTokenSaysSo(_ transport: Transport) throws {
        let api = try protected(transport)
        let response = send(api, "POST", "/reset", "", authorization: "Bearer nope")
        expectError(response, status: 401, code: "unauthorized", mentions: ["not valid"])
        #expect(!response.text.contains(Self.token), "the error must not reveal the token")
    }

    @Test(arguments: Transport.allCases, changes.filter { !$0.1.contains("nope") })
    func changeWithTokenSucceeds(
        _ transport: Transport, _ example: (method: String, path: String, body: String, status: UInt16)
    ) throws {
        let (method, path, body, status) = example
        let api = try protected(transport)
        if path.hasSuffix("/rewind") {
            _ = send(api, "POST", "/arenas/request/checkpoints", "", authorization: "Bearer s3cret")
        }
        if method == "DELETE" {
            try #require(
                send(
                    api, "POST", "/arenas", #"{"name":"gone","capacity":64}"#,
                    authorization: "Bearer s3cret"
                ).status.code == 201)
        }
        let target = method == "DELETE" ? "/arenas/gone" : path
        let response = send(api, method, target, body, authorization: "Bearer s3cret")
        #expect(response.status.code == status, "\(method) \(target): \(response.text)")
    }

    /// RFC 9110 section 11.1: the authentication scheme is a case-insensitive token.
    @Test(arguments: Transport.allCases, ["bearer s3cret", "BEARER s3cret", "Bearer s3cret"])
    func schemeIsCaseInsensitive(_ transport: Transport, authorization: String) throws {
        let api = try protected(transport)
        let response = send(api, "POST", "/arenas/request/reset", "", authorization: authorization)
        #expect(response.status.code == 200, "\(authorization): \(response.text)")
    }

    @Test(arguments: Transport.allCases, reads)
    func readsStayOpen(_ transport: Transport, _ example: (path: String, status: UInt16)) throws {
        let (path, status) = example
        let api = try protected(transport)
        #expect(api.get(path).status.code == status)
        #expect(api.send(.head, path).status.code == status)
    }

    @Test(arguments: Transport.allCases) func blobReadStaysOpen(_ transport: Transport) throws {
        let api = try protected(transport)
        let stored = send(api, "POST", "/arenas/request/blobs", "abc", authorization: "Bearer s3cret")
        let url = try #require(try stored.json()["url"]?.string)
        #expect(api.get(url).bytes == Array("abc".utf8))
    }

    @Test(arguments: Transport.allCases, reads)
    func protectReadsGuardsReads(_ transport: Transport, _ example: (path: String, status: UInt16)) throws {
        let (path, status) = example
        let api = try protected(transport, reads: true)
        let response = api.get(path)
        expectError(response, status: 401, code: "unauthorized")
        #expect(response.headers["WWW-Authenticate"] != nil)
        expectError(api.get(path, headers: ["Authorization": "Bearer wrong"]), status: 401, code: "unauthorized")
        let allowed = api.get(path, headers: ["Authorization": "Bearer s3cret"])
        #expect(allowed.status.code == status, "\(path): \(allowed.text)")
    }

    @Test(arguments: Transport.allCases, [false, true])
    func healthzIsAlwaysOpen(_ transport: Transport, protectReads: Bool) throws {
        let api = try protected(transport, reads: protectReads)
        #expect(api.get("/healthz").status.code == 200)
        #expect(api.get("/healthz", headers: ["Authorization": "Bearer wrong"]).status.code == 200)
        #expect(api.send(.head, "/healthz").status.code == 200)
    }

    @Test(arguments: Transport.allCases)
    func unknownRoutesAndMethodsAreNotHiddenBehindAuth(_ transport: Transport) throws {
        let api = try protected(transport, reads: true)
        #expect(api.get("/nope").status.code == 404)
        #expect(api.send(.put, "/arenas").status.code == 405)
    }

    @Test(arguments: Transport.allCases) func withoutATokenAuthorizationIsIgnored(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = send(api, "POST", "/arenas/request/reset", "", authorization: "Bearer anything")
        #expect(response.status.code == 200)
    }
}
