import ArenaCore
import Foundation
import Testing

@testable import ArenaHTTP

/// Memory per scope (generation summaries, per-class histograms, capacity advice), call sites, and the pprof
/// profile of them, over both transports; `go tool pprof` on a live profile.
@Suite struct ScopeInsightTests {
    /// A traced arena for each test, with three scopes of known peaks: 1,100, 2,100 and 3,100 bytes (+ padding).
    private func threeScopes(_ client: TestClient) throws {
        try client.createArena(#"{"name":"scope","capacity":"64KiB","class":"job"}"#)
        for size in [1000, 2000, 3000] {
            try client.allocate("scope", #"{"sizes":[100,\#(size)],"site":"parser.rs:\#(size)"}"#)
            #expect(client.post("/arenas/scope/reset").status == .ok)
        }
    }

    @Test(arguments: Transport.allCases)
    func eachResetRecordsWhatTheScopeUsed(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try threeScopes(client)
        try client.allocate("scope", #"{"size":16}"#)
        let json = try client.get("/arenas/scope/generations").json()
        let ended = try #require(json["generations"]?.array)
        #expect(ended.compactMap { $0["generation"]?.int } == [0, 1, 2])
        #expect(ended.compactMap { $0["peak_bytes"]?.int } == [1104, 2104, 3104], "100, padding 4, then the size")
        #expect(ended.compactMap { $0["allocations"]?.int } == [2, 2, 2])
        #expect(ended.compactMap { $0["allocated_bytes"]?.int } == [1100, 2100, 3100])
        #expect(ended.allSatisfy { $0["ended_by"]?.string == "reset" && $0["limit_bytes"]?.int == 65536 })
        #expect(ended.allSatisfy { ($0["duration_ns"]?.int ?? -1) >= 0 })
        #expect(json["current"]?["allocations"]?.int == 1)
        #expect(json["current"]?["peak_bytes"]?.int == 16)
        let arena = try client.arena("scope")
        #expect(arena["last_generation"]?["peak_bytes"]?.int == 3104)
    }

    /// `trace.keep_generations` bounds the summaries each arena keeps: the newest ones stay, created and declared
    /// arenas alike.
    @Test(arguments: Transport.allCases)
    func keepGenerationsBoundsTheSummariesKept(_ transport: Transport) throws {
        let client = try TestClient(transport) { $0.trace.keepGenerations = 2 }
        try threeScopes(client)
        let ended = try #require(client.get("/arenas/scope/generations").json()["generations"]?.array)
        #expect(ended.compactMap { $0["generation"]?.int } == [1, 2])
        for _ in 0..<3 {
            try client.allocate("request", #"{"size":16}"#)
            #expect(client.post("/arenas/request/reset").status == .ok)
        }
        let declared = try #require(client.get("/arenas/request/generations").json()["generations"]?.array)
        #expect(declared.count == 2)
    }

    @Test(arguments: Transport.allCases)
    func classesAdviseACapacityFromTheRecentPeaks(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try threeScopes(client)
        let classes = try #require(try client.get("/classes").json()["classes"]?.array)
        let job = try #require(classes.first { $0["class"]?.string == "job" })
        #expect(job["scopes"]?.int == 3)
        #expect(job["p50_peak_bytes"]?.int == 2104)
        #expect(job["p99_peak_bytes"]?.int == 3104)
        #expect(job["p999_peak_bytes"]?.int == 3104)
        // 3104 * 1.25 = 3880, rounded up to a 4 KiB page.
        #expect(job["recommended_capacity_bytes"]?.int == 4096)
        #expect(job["limit_bytes"]?.int == 65536)
    }

    @Test(arguments: Transport.allCases)
    func scopeHistogramsAreInMetricsWithBucketsThatFitTheClass(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try threeScopes(client)
        // Deleting the arena ends its last (empty) generation too.
        #expect(client.delete("/arenas/scope").status == .noContent)
        let metrics = try client.metrics()
        #expect(metrics.value("arena_scope_peak_bytes_count", ["class": "job"]) == 4)
        #expect(metrics.value("arena_scope_peak_bytes_sum", ["class": "job"]) == Double(1104 + 2104 + 3104))
        // Buckets from limit/1024 (64 B) to the limit (64 KiB): 1104 and 2104 fall under 4096, 3104 too.
        #expect(metrics.value("arena_scope_peak_bytes_bucket", ["class": "job", "le": "64"]) == 1)
        #expect(metrics.value("arena_scope_peak_bytes_bucket", ["class": "job", "le": "2048"]) == 2)
        #expect(metrics.value("arena_scope_peak_bytes_bucket", ["class": "job", "le": "4096"]) == 4)
        #expect(metrics.value("arena_scope_peak_bytes_bucket", ["class": "job", "le": "65536"]) == 4)
        #expect(metrics.value("arena_scope_allocations_count", ["class": "job"]) == 4)
        #expect(metrics.value("arena_scope_allocations_sum", ["class": "job"]) == 6)
        #expect(metrics.value("arena_scope_duration_seconds_count", ["class": "job"]) == 4)
    }

    @Test(arguments: Transport.allCases)
    func namedSitesAreBoundedInLengthAndNumber(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try client.createArena(#"{"name":"sites","capacity":"1MiB","class":"job"}"#)
        let tooLong = String(repeating: "x", count: TraceRing.maxSiteNameBytes + 1)
        expectError(
            client.post("/arenas/sites/allocations", json: #"{"size":8,"site":"\#(tooLong)"}"#), status: 400,
            code: "invalid_site", mentions: ["\(TraceRing.maxSiteNameBytes)"])
        for index in 0..<TraceRing.maxSites {
            try client.allocate("sites", #"{"size":8,"site":"s\#(index)"}"#)
        }
        expectError(
            client.post("/arenas/sites/allocations", json: #"{"size":8,"site":"one-more"}"#), status: 409,
            code: "too_many_sites")
        // A known site is still fine, and so is the header form.
        try client.allocate("sites", #"{"size":8,"site":"s7"}"#)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "X-Arena-Site", value: "s8")
        #expect(
            client.send(.post, "/arenas/sites/allocations", headers: headers, body: Array(#"{"size":8}"#.utf8)).status
                == .created)
        let events = try #require(try client.get("/arenas/sites/events?limit=10000").json()["events"]?.array)
        #expect(events.suffix(2).compactMap { $0["site"]?.string } == ["s7", "s8"])
    }

    /// The profile decoded by the tests' own reader: its totals equal the API's counts, per site and overall.
    @Test(arguments: Transport.allCases)
    func theProfileTotalsEqualTheAPICounts(_ transport: Transport) throws {
        let client = try TestClient(transport)
        try client.createArena(#"{"name":"prof","capacity":"1MiB","class":"work"}"#)
        try client.allocate("prof", #"{"sizes":[100,200,300],"site":"parser.rs:120"}"#)
        try client.allocate("prof", #"{"sizes":[5000]}"#)
        let response = client.get("/debug/pprof/allocs?arena=prof")
        #expect(response.status == .ok)
        #expect(response.headers["Content-Type"] == "application/octet-stream")
        let profile = try PprofReader(gzipped: response.bytes)
        #expect(profile.sampleTypes.map(\.type) == ["allocations", "space"])
        #expect(profile.sampleTypes.map(\.unit) == ["count", "bytes"])
        let stats = try client.arena("prof")["stats"]
        #expect(profile.total("allocations") == Int64(try #require(stats?["allocations"]?.int)))
        #expect(profile.total("space") == Int64(try #require(stats?["allocated_bytes"]?.int)))
        #expect(profile.totalsByFunction("space") == ["parser.rs:120": 600, "(unknown)": 5000])
        #expect(profile.samples.allSatisfy { $0.labels["arena"] == "prof" && $0.labels["class"] == "work" })
        #expect(profile.samples.allSatisfy { $0.numbers["generation"] == 0 })
        expectError(client.get("/debug/pprof/allocs?arena=prof&class=work"), status: 400, code: "bad_query")
        expectError(client.get("/debug/pprof/allocs?arena=nope"), status: 404, code: "unknown_arena")
        expectError(client.get("/debug/pprof/allocs?seconds=0"), status: 400, code: "bad_query")
    }

    /// A delta profile holds only what was allocated during its window.
    @Test func aDeltaProfileHoldsTheWindowOnly() throws {
        let client = try TestClient(.live)
        try client.createArena(#"{"name":"delta","capacity":"1MiB","class":"work"}"#)
        try client.allocate("delta", #"{"sizes":[1000],"site":"before"}"#)
        let result = ProfileFetch()
        let fetch = Thread { result.set(client.get("/debug/pprof/allocs?arena=delta&seconds=1")) }
        fetch.start()
        // Allocate once the window is open (the request is in flight): well inside the second.
        usleep(200_000)
        try client.allocate("delta", #"{"sizes":[7,8],"site":"during"}"#)
        let response = try #require(result.wait(timeout: 10))
        #expect(response.status == .ok)
        let profile = try PprofReader(gzipped: response.bytes)
        #expect(profile.totalsByFunction("space") == ["during": 15])
    }

    /// `go tool pprof -top` (the tool users run) fetches a live profile and names the top site.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/go")))
    func goToolPprofShowsTheTopSite() throws {
        let client = try TestClient(.live)
        try client.createArena(#"{"name":"top","capacity":"1MiB","class":"request"}"#)
        try client.allocate("top", #"{"sizes":[4000,4000],"site":"render.swift:88"}"#)
        try client.allocate("top", #"{"sizes":[100],"site":"parse.swift:12"}"#)
        let home = try TestPaths.temporaryDirectory("pprof-home")
        defer { try? FileManager.default.removeItem(at: home) }
        let url = "http://127.0.0.1:\(client.port)/debug/pprof/allocs?class=request"
        let run = try ChildProcess.run(
            "/usr/bin/go", ["tool", "pprof", "-top", "-sample_index=space", url],
            environment: ProcessInfo.processInfo.environment.merging(["HOME": home.path, "PPROF_TMPDIR": home.path]) {
                $1
            },
            timeout: .seconds(120))
        #expect(run.exit == .exited(0), "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        let rows = lines.drop { !$0.contains("flat%") }.dropFirst()
        #expect(rows.first?.hasSuffix("render.swift:88") == true, "\(run.stdout)")
        #expect(run.stdout.contains("8000B") || run.stdout.contains("7.81kB"), "\(run.stdout)")
        #expect(rows.contains { $0.hasSuffix("parse.swift:12") })
    }
}

/// A response handed from a thread to the test.
private final class ProfileFetch: @unchecked Sendable {
    private let condition = NSCondition()
    private var response: TestResponse?

    func set(_ value: TestResponse) {
        condition.withLock {
            response = value
            condition.signal()
        }
    }

    func wait(timeout: TimeInterval) -> TestResponse? {
        condition.withLock {
            let deadline = Date(timeIntervalSinceNow: timeout)
            while response == nil, condition.wait(until: deadline) {}
            return response
        }
    }
}
