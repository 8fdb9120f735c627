import Testing

@testable import ArenaHTTP

/// A web page the user visits must not read the server through a DNS-rebinding name, nor change it with a
/// cross-site request; curl (no `Origin`, no `Sec-Fetch-Site`) and the dashboard's own page still may. In process
/// and live. Before the edge hardening none of these checks existed: every request below that is now refused was
/// served.
@Suite struct EdgeOriginTests {
    /// The dashboard's own origin for `client` (live: its real port).
    func ownHost(_ client: TestClient) -> String { "127.0.0.1:\(client.port)" }

    /// An arena with one allocation, to see that a refused change did not touch it.
    func victim(_ client: TestClient) throws {
        try client.createArena(#"{"name":"victim","capacity":64}"#)
        try client.allocate("victim", #"{"size":16}"#)
    }

    func expectUntouched(_ client: TestClient, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let victim = try client.arena("victim", sourceLocation: sourceLocation)
        #expect(victim["generation"]?.int == 0, "not reset", sourceLocation: sourceLocation)
        #expect(victim["stats"]?["used_bytes"]?.int == 16, "nothing allocated", sourceLocation: sourceLocation)
    }

    /// DNS rebinding: `evil.example` resolves to 127.0.0.1 and the page reads the API as same-origin. It sends
    /// `Host: evil.example`, which names no one the server answers to: 421. `/healthz` is exempt (probes).
    @Test(arguments: Transport.allCases) func aForeignHostIs421(_ transport: Transport) throws {
        let client = try TestClient(transport)
        for target in ["/arenas", "/arenas/request", "/events", "/metrics", "/"] {
            expectError(
                client.get(target, headers: ["Host": "evil.example"]), status: 421, code: "unknown_host",
                mentions: [#""evil.example""#, "listen.allowed_hosts"])
        }
        expectError(
            client.post("/arenas/request/reset", headers: ["Host": "evil.example:8080"]), status: 421,
            code: "unknown_host")
        #expect(client.get("/healthz", headers: ["Host": "evil.example"]).status == .ok)
        // IP literals, localhost and the listen host are the server's own names.
        for host in ["127.0.0.1", "127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "10.0.0.7"] {
            #expect(client.get("/arenas", headers: ["Host": host]).status == .ok, "Host: \(host)")
        }
    }

    @Test(arguments: Transport.allCases) func listenAllowedHostsAreAnswered(_ transport: Transport) throws {
        let client = try TestClient(transport) { $0.listen.allowedHosts = ["arena.internal"] }
        #expect(client.get("/arenas", headers: ["Host": "arena.internal:8080"]).status == .ok)
        expectError(client.get("/arenas", headers: ["Host": "arena.internal.evil"]), status: 421, code: "unknown_host")
    }

    /// A cross-site form or fetch: its `Origin` is another site's. The reset is refused (403) and not done.
    @Test(arguments: Transport.allCases) func aChangeFromAnotherOriginIs403AndNotDone(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try victim(client)
        let host = ownHost(client)
        for origin in ["http://evil.example", "null", "http://127.0.0.1:1", "https://evil.example"] {
            for (method, target) in [
                (HTTPMethod.post, "/arenas/victim/reset"), (.post, "/reset"), (.delete, "/arenas/victim"),
            ] {
                expectError(
                    client.send(method, target, headers: ["Host": host, "Origin": origin]), status: 403,
                    code: "cross_origin", mentions: ["auth.allowed_origins"])
            }
        }
        expectError(
            client.post(
                "/arenas/victim/allocations", json: #"{"size":8}"#,
                headers: ["Host": host, "Origin": "http://evil.example"]),
            status: 403, code: "cross_origin")
        try expectUntouched(client)
        // A read from another origin is not a change (the browser keeps the answer from the page anyway).
        #expect(client.get("/arenas", headers: ["Host": host, "Origin": "http://evil.example"]).status == .ok)
    }

    /// Browsers that send no `Origin` on a simple request still send `Sec-Fetch-Site`.
    @Test(arguments: Transport.allCases, ["cross-site", "same-site", "Cross-Site"])
    func aChangeFromAnotherSiteWithoutOriginIs403(_ transport: Transport, site: String) throws {
        let client = try TestClient(transport)
        try victim(client)
        expectError(
            client.post("/arenas/victim/reset", headers: ["Sec-Fetch-Site": site]), status: 403,
            code: "cross_origin", mentions: ["Sec-Fetch-Site"])
        try expectUntouched(client)
        for allowed in ["same-origin", "none"] {
            #expect(client.post("/arenas/victim/reset", headers: ["Sec-Fetch-Site": allowed]).status == .ok)
        }
    }

    /// The dashboard's reset button: `Origin` is `http://` + the `Host` it was loaded from.
    @Test(arguments: Transport.allCases) func theDashboardsOwnOriginPasses(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try victim(client)
        let host = ownHost(client)
        let response = client.post(
            "/arenas/victim/reset",
            headers: ["Host": host, "Origin": "http://\(host)", "Sec-Fetch-Site": "same-origin"])
        #expect(response.status == .ok, "\(response.text)")
        #expect(try client.arena("victim")["generation"]?.int == 1)
    }

    @Test(arguments: Transport.allCases) func allowedOriginsLetAConfiguredSiteIn(_ transport: Transport) throws {
        let client = try TestClient(transport) { $0.auth.allowedOrigins = ["https://ops.example.com"] }
        try victim(client)
        for origin in ["https://ops.example.com", "https://OPS.example.com/"] {
            let response = client.post("/arenas/victim/reset", headers: ["Origin": origin])
            #expect(response.status == .ok, "\(origin): \(response.text)")
        }
        expectError(
            client.post("/arenas/victim/reset", headers: ["Origin": "http://ops.example.com"]), status: 403,
            code: "cross_origin")
        #expect(try client.arena("victim")["generation"]?.int == 2)
    }

    /// A page can post a body cross-site without asking first only as a form or `text/plain`, never as
    /// `application/json`: every JSON route requires the JSON type, and nothing is created, allocated or rewound
    /// without it. Before, a missing type was accepted.
    @Test(arguments: Transport.allCases, [nil, "text/plain", "text/plain; charset=utf-8", "multipart/form-data"])
    func jsonRoutesWithoutTheJSONTypeAre415(_ transport: Transport, contentType: String?) throws {
        let client = try TestClient(transport)
        try victim(client)
        #expect(client.post("/arenas/victim/checkpoints").status == .created)
        let headers: HTTPHeaders = contentType.map { ["Content-Type": $0] } ?? HTTPHeaders()
        for (target, body) in [
            ("/arenas", #"{"name":"made","capacity":64}"#), ("/arenas/victim/allocations", #"{"size":8}"#),
            ("/arenas/victim/rewind", #"{"checkpoint":1}"#),
        ] {
            expectError(
                client.send(.post, target, headers: headers, body: Array(body.utf8)), status: 415,
                code: "unsupported_media_type", mentions: ["application/json"])
        }
        expectError(client.get("/arenas/made"), status: 404, code: "unknown_arena")
        try expectUntouched(client)
        #expect(try client.arena("victim")["stats"]?["rewinds"]?.int == 0)
    }
}
