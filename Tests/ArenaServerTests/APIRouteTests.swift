import ArenaCore
import Testing

@testable import ArenaHTTP

/// Routing, in process and live: the read-only routes, unknown paths and arenas, and 405 with `Allow`.
@Suite struct APIRouteTests {
    @Test(arguments: Transport.allCases) func healthzAnswersOK(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.get("/healthz")
        #expect(response.status.code == 200)
        #expect(response.text == "ok\n")
        #expect(response.headers["Content-Type"]?.hasPrefix("text/plain") == true)
    }

    @Test(arguments: Transport.allCases) func rootServesTheDashboard(_ transport: Transport) throws {
        let response = try TestClient(transport).get("/")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "text/html; charset=utf-8")
        for use in ["authFetch(\"/arenas\")", "/events?follow=1&format=ndjson", "/reset"] {
            #expect(response.text.contains(use), "the dashboard does not use \(use)")
        }
    }

    @Test(arguments: Transport.allCases) func listShowsTheThreeDeclaredArenas(_ transport: Transport) throws {
        let response = try TestClient(transport).get("/arenas")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "application/json")
        let json = try response.json()
        let arenas = try #require(json["arenas"]?.array)
        #expect(arenas.compactMap { $0["name"]?.string } == ["frame", "request", "scratch"])
        #expect(json["count"]?.int == 3)
        #expect(json["reserved_bytes"]?.int == declaredReservedBytes)
        #expect(json["max_total_bytes"]?.int == 1 << 30)
        #expect(json["max_arenas"]?.int == 1024)
        for arena in arenas {
            #expect(arena["pinned"]?.bool == true)
            #expect(arena["stats"]?["used_bytes"]?.int == 0)
        }
    }

    static let statsFields: Set<String> = [
        "capacity_bytes", "limit_bytes", "used_bytes", "available_bytes", "high_water_bytes",
        "high_water_since_reset_bytes", "allocations", "allocated_bytes", "padding_bytes", "lifetime_allocations",
        "lifetime_allocated_bytes", "lifetime_padding_bytes", "failed_allocations", "resets", "rewinds", "chunks",
        "generation", "trace_overwritten_events",
    ]

    @Test(arguments: Transport.allCases) func showFixedArenaHasEveryField(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let arena = try api.arena("request")
        #expect(
            arena.keys == [
                "name", "class", "policy", "capacity", "trace", "trace_capacity", "pinned",
                "ttl_seconds", "created_at", "generation", "last_generation", "stats",
            ])
        #expect(arena["name"]?.string == "request")
        #expect(arena["class"]?.string == "request")
        #expect(arena["policy"]?.string == "fixed")
        #expect(arena["capacity"]?.int == 64 << 10)
        #expect(arena["trace"]?.bool == true)
        #expect(arena["trace_capacity"]?.int == 4096)
        #expect(arena["pinned"]?.bool == true)
        #expect(arena["ttl_seconds"]?.isNull == true)
        #expect(arena["generation"]?.int == 0)
        let createdAt = try #require(arena["created_at"]?.string)
        #expect(createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(createdAt)")
        let stats = try #require(arena["stats"])
        #expect(stats.keys == Self.statsFields)
        #expect(stats["capacity_bytes"]?.int == 64 << 10)
        #expect(stats["limit_bytes"]?.int == 64 << 10)
        #expect(stats["available_bytes"]?.int == 64 << 10)
        #expect(stats["chunks"]?.int == 1)
        for field in Self.statsFields.subtracting(["capacity_bytes", "limit_bytes", "available_bytes", "chunks"]) {
            #expect(stats[field]?.int == 0, "\(field) of a fresh arena")
        }
    }

    @Test(arguments: Transport.allCases) func showGrowingAndUntracedArenas(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let frame = try api.arena("frame")
        #expect(frame["policy"]?.string == "growing")
        #expect(frame["initial_chunk"]?.int == 16 << 10)
        #expect(frame["limit"]?.int == 16 << 20)
        #expect(frame["capacity"] == nil)
        #expect(frame["stats"]?["capacity_bytes"]?.int == 16 << 10)
        #expect(frame["stats"]?["limit_bytes"]?.int == 16 << 20)
        let scratch = try api.arena("scratch")
        #expect(scratch["trace"]?.bool == false)
        #expect(scratch["trace_capacity"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func generationFollowsResets(_ transport: Transport) throws {
        let api = try TestClient(transport)
        _ = api.post("/arenas/request/reset")
        _ = api.post("/arenas/request/reset")
        let arena = try api.arena("request")
        #expect(arena["generation"]?.int == 2)
        #expect(arena["stats"]?["generation"]?.int == 2)
        #expect(arena["stats"]?["resets"]?.int == 2)
    }

    @Test(
        arguments: Transport.allCases,
        [
            "/arenas/nope", "/arenas/nope/events", "/arenas/nope/blobs/1",
        ])
    func unknownArenaIs404(_ transport: Transport, path: String) throws {
        expectError(try TestClient(transport).get(path), status: 404, code: "unknown_arena", mentions: ["'nope'"])
    }

    @Test(
        arguments: Transport.allCases,
        [
            ("POST", "/arenas/nope/allocations"), ("POST", "/arenas/nope/blobs"), ("POST", "/arenas/nope/reset"),
            ("POST", "/arenas/nope/checkpoints"), ("POST", "/arenas/nope/rewind"), ("DELETE", "/arenas/nope"),
        ])
    func unknownArenaIs404ForChanges(_ transport: Transport, _ example: (method: String, path: String)) throws {
        let (method, path) = example
        let api = try TestClient(transport)
        let response = api.send(
            HTTPMethod(rawValue: method), path, headers: ["Content-Type": "application/json"],
            body: Array(#"{"size":1,"checkpoint":1}"#.utf8))
        expectError(response, status: 404, code: "unknown_arena", mentions: ["nope"])
    }

    @Test(
        arguments: Transport.allCases,
        ["/nope", "/arenas/request/nope", "/arenas/request/blobs/1/more", "/healthz/x"])
    func unknownRouteIs404(_ transport: Transport, path: String) throws {
        let response = try TestClient(transport).get(path)
        expectError(response, status: 404, code: "not_found", mentions: ["GET"])
    }

    @Test(arguments: Transport.allCases) func notFoundNamesTheRequest(_ transport: Transport) throws {
        let response = try TestClient(transport).send(.post, "/nowhere")
        expectError(response, status: 404, code: "not_found", mentions: ["POST /nowhere"])
    }

    @Test(arguments: Transport.allCases) func trailingSlashIsIgnored(_ transport: Transport) throws {
        let api = try TestClient(transport)
        #expect(api.get("/arenas/").status.code == 200)
        #expect(api.get("/arenas/request/").status.code == 200)
        #expect(api.get("/healthz/").status.code == 200)
    }

    @Test(
        arguments: Transport.allCases,
        [
            ("PUT", "/arenas", "GET, HEAD, POST"),
            ("DELETE", "/arenas", "GET, HEAD, POST"),
            ("GET", "/reset", "POST"),
            ("DELETE", "/healthz", "GET, HEAD"),
            ("POST", "/healthz", "GET, HEAD"),
            ("POST", "/metrics", "GET, HEAD"),
            ("PATCH", "/arenas/request", "GET, HEAD, DELETE"),
            ("POST", "/arenas/request", "GET, HEAD, DELETE"),
            ("GET", "/arenas/request/allocations", "POST"),
            ("GET", "/arenas/request/reset", "POST"),
            ("GET", "/arenas/request/checkpoints", "POST"),
            ("GET", "/arenas/request/rewind", "POST"),
            ("GET", "/arenas/request/blobs", "POST"),
            ("POST", "/arenas/request/blobs/1", "GET, HEAD"),
            ("DELETE", "/arenas/request/events", "GET, HEAD"),
            ("PUT", "/events", "GET, HEAD"),
            ("BREW", "/", "GET, HEAD"),
        ])
    func wrongMethodIs405WithAllow(
        _ transport: Transport, _ example: (method: String, path: String, allow: String)
    ) throws {
        let (method, path, allow) = example
        let response = try TestClient(transport).send(HTTPMethod(rawValue: method), path)
        expectError(response, status: 405, code: "method_not_allowed", mentions: [method, allow])
        #expect(response.headers["Allow"] == allow)
    }

    @Test(arguments: Transport.allCases) func methodCheckComesBeforeArenaLookup(_ transport: Transport) throws {
        // A wrong method on an unknown arena is still 405: the route exists, the method does not.
        let response = try TestClient(transport).send(.put, "/arenas/nope")
        #expect(response.status.code == 405)
    }

    @Test(arguments: Transport.allCases) func headIsAnsweredLikeGet(_ transport: Transport) throws {
        let api = try TestClient(transport)
        #expect(api.send(.head, "/healthz").status.code == 200)
        #expect(api.send(.head, "/arenas/request").status.code == 200)
        #expect(api.send(.head, "/arenas/nope").status.code == 404)
    }

    /// `Route.allows`, which the router asks on every request, says what `methods` (the 405's `Allow` and the
    /// OpenAPI contract) says, for every route and method, unknown and lowercase ones included.
    @Test func allowsAgreesWithMethodsForEveryRoute() throws {
        let methods: [HTTPMethod] = [
            .get, .head, .post, .put, .patch, .delete, .options, HTTPMethod(rawValue: "get"),
            HTTPMethod(rawValue: "BREW"),
        ]
        for label in Route.labels where label != Route.unmatchedLabel {
            let segments =
                label == "/"
                ? [""]
                : label.split(separator: "/").map { $0 == "{name}" ? "a" : $0 == "{id}" ? "1" : String($0) }
            let route = try #require(Route(segments), "no route for \(label)")
            for method in methods {
                #expect(route.allows(method) == route.methods.contains(method), "\(method) \(label)")
            }
        }
    }
}
