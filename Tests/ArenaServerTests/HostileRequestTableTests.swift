import Foundation
import Testing

@testable import ArenaHTTP

/// Over a hundred hostile requests over raw sockets to one live server, each alone on its connection: README's
/// error contract (bad JSON, unknown fields, wrong types, negative and huge numbers, bad alignments, unknown
/// routes, 405 with `Allow`, 401, 404, 409, 410, 413, 415, 507, ...), the smuggling leniencies and the requests
/// libmicrohttpd answers itself. Each row gets exactly one well-formed response with its status and `error` code
/// (libmicrohttpd's rows: its status and a closed connection), and afterwards every arena's stats are what they
/// were: a failed request changes nothing, except that a 507 counts one failed allocation in its arena (marked
/// in its row).
@Suite struct HostileRequestTableTests {
    static let token = "t0ken"

    static func call(
        _ method: String, _ target: String, token: String? = token, headers: [String] = []
    ) -> [UInt8] {
        HostileRequest.request(method, target, token: token, headers: headers)
    }

    static func post(
        _ target: String, _ body: String, contentType: String? = "application/json", token: String? = token,
        headers: [String] = []
    ) -> [UInt8] {
        HostileRequest.request(
            "POST", target, body: Array(body.utf8), contentType: contentType, token: token, headers: headers)
    }

    static func row(_ name: String, _ bytes: [UInt8], _ status: Int, _ code: String) -> HostileRequest {
        HostileRequest(name, bytes, status, .json(code))
    }

    /// A 507 from `victim`, which counts one failed allocation there.
    static func full(_ name: String, _ bytes: [UInt8]) -> HostileRequest {
        HostileRequest(name, bytes, 507, .json("arena_full"), failedAllocationIn: "victim")
    }

    static let create: [HostileRequest] = [
        row("bad JSON", post("/arenas", "{bad"), 400, "bad_json"),
        row("truncated JSON", post("/arenas", #"{"name":"x","capacity":64"#), 400, "bad_json"),
        row("JSON and trailing bytes", post("/arenas", #"{"name":"x"} trailing"#), 400, "bad_json"),
        row("an array", post("/arenas", "[1,2]"), 400, "bad_json"),
        row("a string", post("/arenas", #""name""#), 400, "bad_json"),
        row("null", post("/arenas", "null"), 400, "bad_json"),
        row("a number", post("/arenas", "42"), 400, "bad_json"),
        row("an empty JSON body", post("/arenas", ""), 400, "bad_json"),
        row(
            "invalid UTF-8",
            HostileRequest.request(
                "POST", "/arenas", body: Array(#"{"name":""#.utf8) + [0xFF, 0xFE] + Array(#"","capacity":64}"#.utf8),
                token: token), 400, "bad_json"),
        row(
            "nesting 100 deep",
            post("/arenas", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)), 400,
            "bad_json"),
        row("a member twice", post("/arenas", #"{"name":"x","capacity":64,"name":"y"}"#), 400, "bad_field"),
        row("an unknown field", post("/arenas", #"{"name":"x","capacity":64,"colour":"red"}"#), 400, "bad_field"),
        row("no name", post("/arenas", #"{"capacity":64}"#), 400, "bad_field"),
        row("a number as name", post("/arenas", #"{"name":5,"capacity":64}"#), 400, "bad_field"),
        row("a bool as capacity", post("/arenas", #"{"name":"x","capacity":true}"#), 400, "bad_field"),
        row("a word as capacity", post("/arenas", #"{"name":"x","capacity":"lots"}"#), 400, "bad_field"),
        row("a string as trace", post("/arenas", #"{"name":"x","capacity":64,"trace":"yes"}"#), 400, "bad_field"),
        row("a number as class", post("/arenas", #"{"name":"x","capacity":64,"class":5}"#), 400, "bad_field"),
        row("a string as ttl", post("/arenas", #"{"name":"x","capacity":64,"ttl_seconds":"60"}"#), 400, "bad_field"),
        row("a negative capacity", post("/arenas", #"{"name":"x","capacity":-1}"#), 400, "bad_field"),
        row("a negative size string", post("/arenas", #"{"name":"x","capacity":"-1KiB"}"#), 400, "bad_field"),
        row("capacity 2^63", post("/arenas", #"{"name":"x","capacity":9223372036854775808}"#), 400, "bad_field"),
        row(
            "a size string past Int.max", post("/arenas", #"{"name":"x","capacity":"9223372036854775807KiB"}"#),
            400, "bad_field"),
        row("capacity 1e3", post("/arenas", #"{"name":"x","capacity":1e3}"#), 400, "bad_field"),
        row("capacity 1.5", post("/arenas", #"{"name":"x","capacity":1.5}"#), 400, "bad_field"),
        row(
            "ttl 2^64", post("/arenas", #"{"name":"x","capacity":64,"ttl_seconds":18446744073709551616}"#), 400,
            "bad_field"),
        row("ttl 0", post("/arenas", #"{"name":"x","capacity":64,"ttl_seconds":0}"#), 400, "bad_field"),
        row("capacity 0", post("/arenas", #"{"name":"x","capacity":0}"#), 400, "invalid_policy"),
        row("growing without a limit", post("/arenas", #"{"name":"x","policy":"growing"}"#), 400, "bad_field"),
        row("an unknown policy", post("/arenas", #"{"name":"x","policy":"stretchy","capacity":64}"#), 400, "bad_field"),
        row("a space in the name", post("/arenas", #"{"name":"a b","capacity":64}"#), 400, "invalid_name"),
        row(
            "a name of 65 bytes", post("/arenas", #"{"name":"\#(String(repeating: "a", count: 65))","capacity":64}"#),
            400, "invalid_name"),
        row("a space in the class", post("/arenas", #"{"name":"x","capacity":64,"class":"a b"}"#), 400, "invalid_name"),
        row("a duplicate name", post("/arenas", #"{"name":"request","capacity":64}"#), 409, "duplicate_name"),
        row("over max_arena_bytes", post("/arenas", #"{"name":"x","capacity":"17MiB"}"#), 409, "arena_too_large"),
        row("over max_total_bytes", post("/arenas", #"{"name":"x","capacity":"8MiB"}"#), 409, "total_budget_exceeded"),
        row(
            "a class past max_classes", post("/arenas", #"{"name":"x","capacity":64,"class":"jobs"}"#), 409,
            "too_many_classes"),
        row(
            "no Content-Type", post("/arenas", #"{"name":"x","capacity":64}"#, contentType: nil), 415,
            "unsupported_media_type"),
        row(
            "Content-Type text/plain", post("/arenas", #"{"name":"x","capacity":64}"#, contentType: "text/plain"), 415,
            "unsupported_media_type"),
    ]

    static let allocate: [HostileRequest] = [
        row("a negative size", post("/arenas/victim/allocations", #"{"size":-1}"#), 400, "bad_field"),
        row("a string as size", post("/arenas/victim/allocations", #"{"size":"8"}"#), 400, "bad_field"),
        row("size 16.0", post("/arenas/victim/allocations", #"{"size":16.0}"#), 400, "bad_field"),
        row("size 2^63", post("/arenas/victim/allocations", #"{"size":9223372036854775808}"#), 400, "bad_field"),
        row("a negative size in a batch", post("/arenas/victim/allocations", #"{"sizes":[16,-1]}"#), 400, "bad_field"),
        row("an empty batch", post("/arenas/victim/allocations", #"{"sizes":[]}"#), 400, "bad_field"),
        row("neither size nor sizes", post("/arenas/victim/allocations", "{}"), 400, "bad_field"),
        row("size and sizes", post("/arenas/victim/allocations", #"{"size":8,"sizes":[8]}"#), 400, "bad_field"),
        row(
            "a batch over max_batch", post("/arenas/victim/allocations", #"{"sizes":[1,2,3,4,5,6,7,8,9]}"#), 400,
            "batch_too_large"),
        row("align 3", post("/arenas/victim/allocations", #"{"size":8,"align":3}"#), 400, "bad_field"),
        row("align 0", post("/arenas/victim/allocations", #"{"size":8,"align":0}"#), 400, "bad_field"),
        row("align 2 MiB", post("/arenas/victim/allocations", #"{"size":8,"align":2097152}"#), 400, "bad_field"),
        row("align -8", post("/arenas/victim/allocations", #"{"size":8,"align":-8}"#), 400, "bad_field"),
        row(
            "an unknown allocation field", post("/arenas/victim/allocations", #"{"size":8,"zero":true}"#), 400,
            "bad_field"),
        row("size 1e400", post("/arenas/victim/allocations", #"{"size":1e400}"#), 400, "bad_field"),
        row("size 0x10", post("/arenas/victim/allocations", #"{"size":0x10}"#), 400, "bad_json"),
        full("more than the arena holds", post("/arenas/victim/allocations", #"{"size":1000}"#)),
        full("size Int.max", post("/arenas/victim/allocations", #"{"size":9223372036854775807}"#)),
        full("a batch of one too large", post("/arenas/victim/allocations", #"{"sizes":[300]}"#)),
        row(
            "allocations without Content-Type",
            post("/arenas/victim/allocations", #"{"size":8}"#, contentType: nil), 415, "unsupported_media_type"),
        row("allocations in an unknown arena", post("/arenas/nope/allocations", #"{"size":8}"#), 404, "unknown_arena"),
        HostileRequest(
            "GET allocations", call("GET", "/arenas/victim/allocations"), 405, .json("method_not_allowed"),
            requiredHeader: ("allow", "POST")),
    ]

    static let blobsAndCheckpoints: [HostileRequest] = [
        row(
            "an empty blob", post("/arenas/victim/blobs", "", contentType: "application/octet-stream"), 400,
            "empty_body"),
        row("blob align 3", post("/arenas/victim/blobs?align=3", "x", contentType: nil), 400, "bad_field"),
        row("blob align x", post("/arenas/victim/blobs?align=x", "x", contentType: nil), 400, "bad_field"),
        row(
            "a blob over max_body_bytes",
            post("/arenas/victim/blobs", String(repeating: "x", count: 2000), contentType: nil), 413,
            "payload_too_large"),
        row(
            "a chunked blob over max_body_bytes",
            Array(
                ("POST /arenas/victim/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n7d0\r\n\(String(repeating: "x", count: 2000))\r\n0\r\n\r\n")
                    .utf8), 413, "payload_too_large"),
        full(
            "a blob larger than the arena",
            post("/arenas/victim/blobs", String(repeating: "x", count: 512), contentType: nil)),
        row("a released blob", call("GET", "/arenas/victim/blobs/1"), 410, "gone"),
        row("an unknown blob", call("GET", "/arenas/victim/blobs/99"), 404, "unknown_blob"),
        row("blob 0", call("GET", "/arenas/victim/blobs/0"), 404, "unknown_blob"),
        row("blob abc", call("GET", "/arenas/victim/blobs/abc"), 404, "unknown_blob"),
        row("blob -1", call("GET", "/arenas/victim/blobs/-1"), 404, "unknown_blob"),
        HostileRequest(
            "POST to a blob", post("/arenas/victim/blobs/2", "x", contentType: nil), 405, .json("method_not_allowed"),
            requiredHeader: ("allow", "GET, HEAD")),
        row("an unknown checkpoint", post("/arenas/victim/rewind", #"{"checkpoint":99}"#), 404, "unknown_checkpoint"),
        row("a stale checkpoint", post("/arenas/victim/rewind", #"{"checkpoint":1}"#), 409, "stale_checkpoint"),
        row("rewind without checkpoint", post("/arenas/victim/rewind", "{}"), 400, "bad_field"),
        row("a string checkpoint", post("/arenas/victim/rewind", #"{"checkpoint":"2"}"#), 400, "bad_field"),
        row("a negative checkpoint", post("/arenas/victim/rewind", #"{"checkpoint":-1}"#), 400, "bad_field"),
        row("rewind with a JSON array", post("/arenas/victim/rewind", "[2]"), 400, "bad_json"),
        row(
            "rewind without Content-Type", post("/arenas/victim/rewind", #"{"checkpoint":2}"#, contentType: nil),
            415, "unsupported_media_type"),
        HostileRequest(
            "GET checkpoints", call("GET", "/arenas/victim/checkpoints"), 405, .json("method_not_allowed"),
            requiredHeader: ("allow", "POST")),
    ]

    static let unauthorized = ("www-authenticate", #"Bearer realm="arena-server""#)

    static let authAndRoutes: [HostileRequest] = [
        HostileRequest(
            "a reset without a token", call("POST", "/arenas/victim/reset", token: nil), 401, .json("unauthorized"),
            requiredHeader: unauthorized),
        row("a wrong token", call("POST", "/arenas/victim/reset", token: "wrong"), 401, "unauthorized"),
        row("the token in capitals", call("POST", "/arenas/victim/reset", token: "T0KEN"), 401, "unauthorized"),
        row("a prefix of the token", call("POST", "/arenas/victim/reset", token: "t0ke"), 401, "unauthorized"),
        row("the token and more", call("POST", "/arenas/victim/reset", token: "t0ken2"), 401, "unauthorized"),
        row(
            "Basic credentials",
            call("POST", "/arenas/victim/reset", token: nil, headers: ["Authorization: Basic dDBrZW46"]), 401,
            "unauthorized"),
        row(
            "Bearer without a token",
            call("POST", "/arenas/victim/reset", token: nil, headers: ["Authorization: Bearer"]),
            401, "unauthorized"),
        row("a delete without a token", call("DELETE", "/arenas/victim", token: nil), 401, "unauthorized"),
        row("a reset of all without a token", call("POST", "/reset", token: nil), 401, "unauthorized"),
        row(
            "a create without a token", post("/arenas", #"{"name":"x","capacity":64}"#, token: nil), 401,
            "unauthorized"),
        row(
            "a checkpoint without a token", call("POST", "/arenas/victim/checkpoints", token: nil), 401,
            "unauthorized"),
        row("an unknown route", call("GET", "/nope"), 404, "not_found"),
        row("an unknown arena route", call("GET", "/arenas/victim/nope"), 404, "not_found"),
        row("a path below a blob", call("GET", "/arenas/victim/blobs/2/more"), 404, "not_found"),
        row("an unknown arena", call("GET", "/arenas/nope"), 404, "unknown_arena"),
        row("a reset of an unknown arena", call("POST", "/arenas/nope/reset"), 404, "unknown_arena"),
        HostileRequest(
            "PUT /arenas", call("PUT", "/arenas"), 405, .json("method_not_allowed"),
            requiredHeader: ("allow", "GET, HEAD, POST")),
        HostileRequest(
            "DELETE /healthz", call("DELETE", "/healthz"), 405, .json("method_not_allowed"),
            requiredHeader: ("allow", "GET, HEAD")),
        row("BREW /", call("BREW", "/"), 405, "method_not_allowed"),
        row("PATCH an arena", call("PATCH", "/arenas/victim"), 405, "method_not_allowed"),
        row("a delete of a declared arena", call("DELETE", "/arenas/request"), 409, "arena_pinned"),
        row("a space in the arena path", call("GET", "/arenas/a%20b"), 400, "invalid_name"),
        row("an encoded slash", call("POST", "/arenas/victim%2Freset", headers: []), 405, "method_not_allowed"),
        row("a delete through an encoded slash", call("DELETE", "/arenas/victim%2Freset"), 400, "invalid_name"),
        row("a bad percent escape", call("GET", "/arenas/%zz"), 400, "bad_target"),
        row("an encoded NUL", call("POST", "/arenas/victim%00/reset"), 400, "bad_target"),
        row("a target without a slash", call("GET", "healthz"), 400, "bad_target"),
        row("limit 0", call("GET", "/arenas/victim/events?limit=0"), 400, "bad_query"),
        row("limit 10001", call("GET", "/arenas/victim/events?limit=10001"), 400, "bad_query"),
        row("limit x", call("GET", "/events?limit=x"), 400, "bad_query"),
        row("since -1", call("GET", "/arenas/victim/events?since=-1"), 400, "bad_query"),
        row("format xml", call("GET", "/events?format=xml"), 400, "bad_query"),
        row("follow 2", call("GET", "/events?follow=2"), 400, "bad_query"),
        row("heartbeat 0", call("GET", "/events?follow=1&heartbeat=0"), 400, "bad_query"),
        row("a foreign Host", call("GET", "/arenas", headers: []).replacingHost("evil.example"), 421, "unknown_host"),
        row(
            "a reset from another origin",
            call("POST", "/arenas/victim/reset", headers: ["Origin: http://evil.example"]), 403, "cross_origin"),
        row(
            "a reset from a cross-site page",
            call("POST", "/arenas/victim/reset", headers: ["Sec-Fetch-Site: cross-site"]), 403, "cross_origin"),
    ]

    static let rows =
        create + allocate + blobsAndCheckpoints + authAndRoutes + HostileRequest.smuggling
        + HostileRequest.refusedByLibmicrohttpd

    @Test func everyHostileRequestGetsOneAnswerAndChangesNothing() throws {
        #expect(Self.rows.count >= 80)
        let client = try TestClient(.live) {
            $0.auth.token = Self.token
            $0.limits.maxBodyBytes = 1024
            $0.limits.maxBatch = 8
            $0.limits.maxArenaBytes = 16 << 20
            $0.limits.maxTotalBytes = 24 << 20
            $0.limits.maxClasses = 4
        }
        let auth: HTTPHeaders = ["Authorization": "Bearer \(Self.token)"]
        func change(_ method: HTTPMethod, _ target: String, _ body: String? = nil) -> Int {
            var headers = auth
            if body != nil { headers.add(name: "Content-Type", value: "application/json") }
            return Int(client.send(method, target, headers: headers, body: Array((body ?? "").utf8)).status.code)
        }
        // victim: blob 1 released by a reset, checkpoint 1 made stale by another, blob 2 and checkpoint 2 live.
        #expect(change(.post, "/arenas", #"{"name":"victim","capacity":256}"#) == 201)
        #expect(client.send(.post, "/arenas/victim/blobs", headers: auth, body: [1]).status == .created)
        #expect(change(.post, "/arenas/victim/reset") == 200)
        #expect(change(.post, "/arenas/victim/checkpoints") == 201)
        #expect(change(.post, "/arenas/victim/allocations", #"{"size":16}"#) == 201)
        #expect(change(.post, "/arenas/victim/reset") == 200)
        #expect(client.send(.post, "/arenas/victim/blobs", headers: auth, body: [2]).status == .created)
        #expect(change(.post, "/arenas/victim/checkpoints") == 201)
        #expect(change(.post, "/arenas/victim/allocations", #"{"size":16}"#) == 201)
        let before = try client.get("/arenas").json()

        let start = ContinuousClock.now
        for row in Self.rows {
            try WireExchange(row.bytes, port: client.port).expect(row)
        }
        print("HostileRequestTable: \(Self.rows.count) rows in \((ContinuousClock.now - start).milliseconds) ms")

        let after = try client.get("/arenas").json()
        for key in ["count", "reserved_bytes"] {
            #expect(after[key]?.int == before[key]?.int, "\(key)")
        }
        let failures = Dictionary(grouping: Self.rows.compactMap(\.failedAllocationIn)) { $0 }.mapValues(\.count)
        let arenasAfter = Dictionary(
            uniqueKeysWithValues: (after["arenas"]?.array ?? []).map { ($0["name"]?.string ?? "", $0) })
        for arena in before["arenas"]?.array ?? [] {
            let name = try #require(arena["name"]?.string)
            let now = try #require(arenasAfter[name], "\(name) is gone")
            for (key, value) in arena.object ?? [:] where key != "stats" {
                #expect(now[key]?.description == value.description, "\(name).\(key)")
            }
            for (key, value) in arena["stats"]?.object ?? [:] {
                let expected = key == "failed_allocations" ? (value.int ?? 0) + (failures[name] ?? 0) : value.int
                #expect(now["stats"]?[key]?.int == expected, "\(name).stats.\(key)")
            }
        }
        #expect(client.get("/healthz").status == .ok)
    }
}

extension [UInt8] {
    /// The request with its `Host: 127.0.0.1` header naming `host` instead.
    fileprivate func replacingHost(_ host: String) -> [UInt8] {
        Array(
            String(decoding: self, as: UTF8.self).replacingOccurrences(of: "Host: 127.0.0.1", with: "Host: \(host)")
                .utf8)
    }
}
