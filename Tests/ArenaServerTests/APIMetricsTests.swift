import ArenaCore
import Testing

@testable import ArenaHTTP

/// `GET /metrics`, in process and live: agreement with the JSON API, monotonic counters, histograms, and
/// promtool.
@Suite struct APIMetricsTests {
    @Test(arguments: Transport.allCases) func contentTypeIsPrometheusText(_ transport: Transport) throws {
        let response = try TestClient(transport).get("/metrics")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test(arguments: Transport.allCases) func usedBytesMatchTheJSONAPI(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[16,3,100]}"#)
        try api.allocate("frame", #"{"size":40000}"#)
        let metrics = try api.metrics()
        for name in ["request", "frame", "scratch"] {
            let stats = try #require(try api.arena(name)["stats"])
            let byClass = ["class": name]
            #expect(metrics.value("arena_used_bytes", byClass) == stats["used_bytes"]?.int.map(Double.init), "\(name)")
            #expect(
                metrics.value("arena_capacity_bytes", byClass) == stats["capacity_bytes"]?.int.map(Double.init),
                "\(name)")
            #expect(
                metrics.value("arena_limit_bytes", byClass) == stats["limit_bytes"]?.int.map(Double.init),
                "\(name)")
            #expect(
                metrics.value("arena_allocations_total", byClass)
                    == stats["lifetime_allocations"]?.int.map(Double.init), "\(name)")
            #expect(
                metrics.value("arena_allocated_bytes_total", byClass)
                    == stats["lifetime_allocated_bytes"]?.int.map(Double.init), "\(name)")
            #expect(metrics.value("arena_arenas", byClass) == 1)
        }
        #expect(metrics.value("arena_used_bytes", ["class": "request"]) == 124)
        #expect(metrics.value("arena_padding_bytes_total", ["class": "request"]) == 5)
        #expect(metrics.value("arena_registry_arenas") == 3)
        #expect(metrics.value("arena_registry_max_arenas") == 1024)
        #expect(metrics.value("arena_registry_budget_bytes") == Double(1 << 30))
        let reserved = try #require(try api.get("/arenas").json()["reserved_bytes"]?.int)
        #expect(metrics.value("arena_registry_reserved_bytes") == Double(reserved))
    }

    @Test(arguments: Transport.allCases) func arenasOfOneClassAreSummed(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"req-1","capacity":1024,"class":"request"}"#)
        try api.allocate("request", #"{"size":16}"#)
        try api.allocate("req-1", #"{"size":32}"#)
        let metrics = try api.metrics()
        #expect(metrics.value("arena_used_bytes", ["class": "request"]) == 48)
        #expect(metrics.value("arena_arenas", ["class": "request"]) == 2)
        #expect(metrics.value("arena_capacity_bytes", ["class": "request"]) == Double((64 << 10) + 1024))
        #expect(!metrics.text.contains("req-1"), "arena names are not labels: the class bounds the series")
    }

    /// Every `*_total` sample of class `job` in `before` is still there in `after`, and not smaller.
    func expectCountersKept(
        from before: PrometheusScrape, to after: PrometheusScrape,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for sample in before.samples where sample.name.hasSuffix("_total") && sample.labels["class"] == "job" {
            let now = after.value(sample.name, sample.labels)
            #expect(
                now.map { $0 >= sample.value } == true, "\(sample.name) went from \(sample.value) to \(now ?? -1)",
                sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: Transport.allCases) func countersNeverDecreaseWhenArenasLeave(_ transport: Transport) throws {
        let api = try TestClient(transport) { $0.trace.ringCapacity = 2 }
        let arenaAPI = try #require(api.api)
        // job-2 leaves through its ttl on a clock the test chooses: 600 s, so that a live server's real sweeper
        // (every second) cannot remove it first.
        try api.createArena(#"{"name":"job-1","capacity":256,"class":"job"}"#)
        try api.createArena(#"{"name":"job-2","capacity":256,"class":"job","ttl_seconds":600}"#)
        try api.allocate("job-1", #"{"sizes":[10,20,30]}"#)
        try api.allocate("job-2", #"{"sizes":[1,2]}"#)
        #expect(api.post("/arenas/job-1/allocations", json: #"{"size":1000}"#).status.code == 507)
        #expect(api.post("/arenas/job-1/reset").status.code == 200)
        try api.allocate("job-1", #"{"size":5}"#)

        let before = try api.metrics()
        let job = ["class": "job"]
        #expect(before.value("arena_allocations_total", job) == 6)
        #expect(before.value("arena_allocated_bytes_total", job) == 68)
        #expect(before.value("arena_failed_allocations_total", job) == 1)
        #expect(before.value("arena_resets_total", job) == 1)
        #expect(before.value("arena_arenas", job) == 2)
        #expect((before.value("arena_trace_overwritten_events_total", job) ?? 0) > 0)

        #expect(api.delete("/arenas/job-1").status.code == 204)
        let afterDelete = try api.metrics()
        expectCountersKept(from: before, to: afterDelete)
        #expect(afterDelete.value("arena_allocations_total", job) == 6)
        #expect(afterDelete.value("arena_arenas", job) == 1)

        // The last arena of the class leaves through its ttl: the class's counters still stand.
        let later = WallClock.now() + 700_000_000_000
        #expect(arenaAPI.removeIdleArenas(now: later).map(\.name) == ["job-2"])
        let afterIdle = try api.metrics()
        expectCountersKept(from: before, to: afterIdle)
        #expect(afterIdle.value("arena_arenas", job) == 0)
        #expect(afterIdle.value("arena_used_bytes", job) == 0)

        // A new arena of the class adds to them.
        try api.createArena(#"{"name":"job-3","capacity":256,"class":"job"}"#)
        try api.allocate("job-3", #"{"size":7}"#)
        let afterNew = try api.metrics()
        #expect(afterNew.value("arena_allocations_total", job) == 7)
        #expect(afterNew.value("arena_allocated_bytes_total", job) == 75)
    }

    @Test(arguments: Transport.allCases)
    func httpRequestsAreCountedByRoutePatternAndCode(_ transport: Transport) throws {
        let api = try TestClient(transport)
        for _ in 0..<3 { try api.allocate("request", #"{"size":1}"#) }
        #expect(api.post("/arenas/request/allocations", json: #"{"size":-1}"#).status.code == 400)
        #expect(api.get("/arenas/nope").status.code == 404)
        #expect(api.get("/arenas/nope-2").status.code == 404)
        #expect(api.get("/no/such/route").status.code == 404)
        #expect(api.send(.put, "/arenas").status.code == 405)
        #expect(api.get("/healthz").status.code == 200)
        let metrics = try api.metrics()
        func requests(_ route: String, _ code: String) -> Double? {
            metrics.value("http_requests_total", ["route": route, "code": code])
        }
        #expect(requests("/arenas/{name}/allocations", "201") == 3)
        #expect(requests("/arenas/{name}/allocations", "400") == 1)
        #expect(requests("/arenas/{name}", "404") == 2)
        #expect(requests("unmatched", "404") == 1)
        #expect(requests("/arenas", "405") == 1)
        #expect(requests("/healthz", "200") == 1)
        #expect(!metrics.text.contains("nope"), "paths are not labels")
        // The request being answered is counted after it: the next scrape sees it.
        #expect(try api.metrics().value("http_requests_total", ["route": "/metrics", "code": "200"]) == 1)
        // Each route's duration histogram counts its requests.
        let allocations = ["route": "/arenas/{name}/allocations"]
        #expect(metrics.value("http_request_duration_seconds_count", allocations) == 4)
        #expect(metrics.buckets("http_request_duration_seconds", allocations).last?.value == 4)
    }

    @Test(arguments: Transport.allCases) func allocationSizeHistogramIsCumulative(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("frame", #"{"sizes":[0,1,3,16,100,2000]}"#)
        #expect(api.post("/arenas/frame/blobs", bytes: [UInt8](repeating: 1, count: 5)).status.code == 201)
        let metrics = try api.metrics()
        let series = metrics.buckets("arena_allocation_size_bytes", ["class": "frame"])
        let expectedBounds = ["0"] + (0...30).map { String(1 << $0) } + ["+Inf"]
        #expect(series.map(\.le) == expectedBounds)
        let values = series.map(\.value)
        #expect(values == values.sorted(), "buckets must be cumulative: \(values)")
        let byBound = Dictionary(uniqueKeysWithValues: series.map { ($0.le, $0.value) })
        #expect(byBound["0"] == 1)
        #expect(byBound["1"] == 2)
        #expect(byBound["2"] == 2)
        #expect(byBound["4"] == 3)
        #expect(byBound["8"] == 4)
        #expect(byBound["16"] == 5)
        #expect(byBound["64"] == 5)
        #expect(byBound["128"] == 6)
        #expect(byBound["1024"] == 6)
        #expect(byBound["2048"] == 7)
        #expect(byBound["+Inf"] == 7)
        #expect(metrics.value("arena_allocation_size_bytes_count", ["class": "frame"]) == 7)
        #expect(metrics.value("arena_allocation_size_bytes_sum", ["class": "frame"]) == 2125)
        // Failed allocations are not sizes handed out.
        #expect(api.post("/arenas/request/allocations", json: #"{"sizes":[8,100000]}"#).status.code == 507)
        let afterFailure = try api.metrics()
        #expect(afterFailure.value("arena_allocation_size_bytes_count", ["class": "request"]) == 1)
        #expect(afterFailure.value("arena_allocation_size_bytes_bucket", ["class": "request", "le": "8"]) == 1)
    }

    @Test(arguments: Transport.allCases)
    func allocationsLargerThanTheLastBoundOnlyCountInInf(_ transport: Transport) throws {
        let api = try TestClient(transport) {
            $0.limits.maxArenaBytes = 1 << 31
            $0.limits.maxTotalBytes = 1 << 32
        }
        try api.createArena(#"{"name":"big","class":"big","policy":"growing","initial_chunk":"4KiB","limit":"2GiB"}"#)
        // Only the size counts: a growing arena maps the chunk lazily, so this stays cheap.
        try api.allocate("big", #"{"size":1073741825,"align":1}"#)
        let metrics = try api.metrics()
        #expect(metrics.value("arena_allocation_size_bytes_bucket", ["class": "big", "le": "1073741824"]) == 0)
        #expect(metrics.value("arena_allocation_size_bytes_bucket", ["class": "big", "le": "+Inf"]) == 1)
    }

    @Test(arguments: Transport.allCases) func durationHistogramIsCumulative(_ transport: Transport) throws {
        let api = try TestClient(transport)
        for _ in 0..<5 { #expect(api.get("/arenas").status.code == 200) }
        let series = try api.metrics().buckets("http_request_duration_seconds", ["route": "/arenas"])
        #expect(series.last?.le == "+Inf")
        #expect(series.last?.value == 5)
        let values = series.map(\.value)
        #expect(values == values.sorted(), "buckets must be cumulative: \(values)")
    }

    @Test(arguments: Transport.allCases) func everySampleBelongsToADeclaredFamily(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        let metrics = try api.metrics()
        #expect(Set(metrics.types.keys) == Set(metrics.help.keys))
        for sample in metrics.samples {
            let name = sample.name
            let family =
                metrics.types[name] != nil
                ? name
                : ["_bucket", "_sum", "_count"].lazy.compactMap { suffix in
                    name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : nil
                }.first { metrics.types[$0] == "histogram" } ?? name
            #expect(metrics.types[family] != nil, "sample \(name) \(sample.labels) has no # TYPE")
            if metrics.types[family] == "counter" { #expect(name.hasSuffix("_total"), "\(name)") }
        }
        for family in [
            "arena_used_bytes", "arena_allocations_total", "http_requests_total",
            "arena_allocation_size_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes",
        ] {
            #expect(metrics.types[family] != nil, "missing family \(family)")
        }
    }

    @Test(
        .enabled(if: Promtool.isInstalled, "promtool is not installed at /usr/bin/promtool: skipping the lint"),
        arguments: Transport.allCases)
    func promtoolAcceptsTheExposition(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"job-1","capacity":256,"class":"job"}"#)
        try api.allocate("job-1", #"{"sizes":[1,2,3]}"#)
        #expect(api.delete("/arenas/job-1").status.code == 204)
        try api.allocate("request", #"{"sizes":[0,16,1000]}"#)
        #expect(api.get("/nope").status.code == 404)
        try Promtool.expectAccepts(api.metricsText())
    }
}
