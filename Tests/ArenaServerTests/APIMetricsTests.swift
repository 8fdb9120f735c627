import ArenaCore
import Testing
@testable import ArenaServer

/// `GET /metrics` in-process: agreement with the JSON API, monotonic counters, histograms, and promtool.
@Suite struct APIMetricsTests {
    /// Every sample of the text as `series -> value`, where series is the name with its labels as written.
    func samples(_ text: String) -> [String: Double] {
        var result: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.isEmpty {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("unparsable sample line: \(line)")
                continue
            }
            result[String(line[..<space])] = value
        }
        return result
    }

    @Test func contentTypeIsPrometheusText() throws {
        let response = try APIHarness().get("/metrics")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
    }

    @Test func usedBytesMatchTheJSONAPI() throws {
        let api = try APIHarness()
        try api.allocate("request", #"{"sizes":[16,3,100]}"#)
        try api.allocate("frame", #"{"size":40000}"#)
        let text = api.metricsText()
        for name in ["request", "frame", "scratch"] {
            let stats = try #require(try api.arena(name)["stats"])
            let used = try #require(stats["used_bytes"]?.int)
            #expect(metricValue(text, #"arena_used_bytes{class="\#(name)"}"#) == Double(used), "\(name)")
            #expect(metricValue(text, #"arena_capacity_bytes{class="\#(name)"}"#)
                == stats["capacity_bytes"]?.int.map(Double.init), "\(name)")
            #expect(metricValue(text, #"arena_limit_bytes{class="\#(name)"}"#)
                == stats["limit_bytes"]?.int.map(Double.init), "\(name)")
            #expect(metricValue(text, #"arena_allocations_total{class="\#(name)"}"#)
                == stats["lifetime_allocations"]?.int.map(Double.init), "\(name)")
            #expect(metricValue(text, #"arena_allocated_bytes_total{class="\#(name)"}"#)
                == stats["lifetime_allocated_bytes"]?.int.map(Double.init), "\(name)")
            #expect(metricValue(text, #"arena_arenas{class="\#(name)"}"#) == 1)
        }
        #expect(metricValue(text, #"arena_used_bytes{class="request"}"#) == 124)
        #expect(metricValue(text, #"arena_padding_bytes_total{class="request"}"#) == 5)
        #expect(metricValue(text, "arena_registry_arenas") == 3)
        #expect(metricValue(text, "arena_registry_max_arenas") == 1024)
        #expect(metricValue(text, "arena_registry_budget_bytes") == Double(1 << 30))
        let reserved = try #require(try api.get("/arenas").json()["reserved_bytes"]?.int)
        #expect(metricValue(text, "arena_registry_reserved_bytes") == Double(reserved))
    }

    @Test func arenasOfOneClassAreSummed() throws {
        let api = try APIHarness()
        try api.createArena(#"{"name":"req-1","capacity":1024,"class":"request"}"#)
        try api.allocate("request", #"{"size":16}"#)
        try api.allocate("req-1", #"{"size":32}"#)
        let text = api.metricsText()
        #expect(metricValue(text, #"arena_used_bytes{class="request"}"#) == 48)
        #expect(metricValue(text, #"arena_arenas{class="request"}"#) == 2)
        #expect(metricValue(text, #"arena_capacity_bytes{class="request"}"#) == Double((64 << 10) + 1024))
        #expect(!text.contains("req-1"), "arena names are not labels: the class bounds the series")
    }

    @Test func countersNeverDecreaseWhenArenasLeave() throws {
        let api = try APIHarness { $0.trace.ringCapacity = 2 }
        try api.createArena(#"{"name":"job-1","capacity":256,"class":"job"}"#)
        try api.createArena(#"{"name":"job-2","capacity":256,"class":"job","ttl_seconds":1}"#)
        try api.allocate("job-1", #"{"sizes":[10,20,30]}"#)
        try api.allocate("job-2", #"{"sizes":[1,2]}"#)
        _ = api.post("/arenas/job-1/allocations", json: #"{"size":1000}"#)  // a failure
        _ = api.post("/arenas/job-1/reset")
        try api.allocate("job-1", #"{"size":5}"#)

        let before = samples(api.metricsText()).filter { $0.key.hasSuffix(#"{class="job"}"#) }
        #expect(before[#"arena_allocations_total{class="job"}"#] == 6)
        #expect(before[#"arena_allocated_bytes_total{class="job"}"#] == 68)
        #expect(before[#"arena_failed_allocations_total{class="job"}"#] == 1)
        #expect(before[#"arena_resets_total{class="job"}"#] == 1)
        #expect(before[#"arena_arenas{class="job"}"#] == 2)
        #expect((before[#"arena_trace_overwritten_events_total{class="job"}"#] ?? 0) > 0)

        #expect(api.delete("/arenas/job-1").status.code == 204)
        let afterDelete = samples(api.metricsText())
        for (series, value) in before where series.contains("_total{") {
            #expect((afterDelete[series] ?? -1) >= value,
                    "\(series) went from \(value) to \(afterDelete[series] ?? -1)")
        }
        #expect(afterDelete[#"arena_allocations_total{class="job"}"#] == 6)
        #expect(afterDelete[#"arena_arenas{class="job"}"#] == 1)

        // The last arena of the class leaves through its ttl: the class's counters still stand.
        #expect(api.api.removeIdleArenas(now: WallClock.now() + 2_000_000_000) == ["job-2"])
        let afterIdle = samples(api.metricsText())
        for (series, value) in before where series.contains("_total{") {
            #expect((afterIdle[series] ?? -1) >= value, "\(series) went from \(value) to \(afterIdle[series] ?? -1)")
        }
        #expect(afterIdle[#"arena_arenas{class="job"}"#] == 0)
        #expect(afterIdle[#"arena_used_bytes{class="job"}"#] == 0)

        // A new arena of the class adds to them.
        try api.createArena(#"{"name":"job-3","capacity":256,"class":"job"}"#)
        try api.allocate("job-3", #"{"size":7}"#)
        let afterNew = samples(api.metricsText())
        #expect(afterNew[#"arena_allocations_total{class="job"}"#] == 7)
        #expect(afterNew[#"arena_allocated_bytes_total{class="job"}"#] == 75)
    }

    @Test func httpRequestsAreCountedByRoutePatternAndCode() throws {
        let api = try APIHarness()
        for _ in 0..<3 { try api.allocate("request", #"{"size":1}"#) }
        _ = api.post("/arenas/request/allocations", json: #"{"size":-1}"#)
        _ = api.get("/arenas/nope")
        _ = api.get("/arenas/nope-2")
        _ = api.get("/no/such/route")
        _ = api.send(.put, "/arenas")
        _ = api.get("/healthz")
        let text = api.metricsText()
        #expect(metricValue(text, #"http_requests_total{route="/arenas/{name}/allocations",code="201"}"#) == 3)
        #expect(metricValue(text, #"http_requests_total{route="/arenas/{name}/allocations",code="400"}"#) == 1)
        #expect(metricValue(text, #"http_requests_total{route="/arenas/{name}",code="404"}"#) == 2)
        #expect(metricValue(text, #"http_requests_total{route="unmatched",code="404"}"#) == 1)
        #expect(metricValue(text, #"http_requests_total{route="/arenas",code="405"}"#) == 1)
        #expect(metricValue(text, #"http_requests_total{route="/healthz",code="200"}"#) == 1)
        #expect(!text.contains("nope"), "paths are not labels")
        // The request being answered is counted after it: the next scrape sees it.
        #expect(metricValue(api.metricsText(), #"http_requests_total{route="/metrics",code="200"}"#) == 1)
        // Each route's duration histogram counts its requests.
        #expect(metricValue(text, #"http_request_duration_seconds_count{route="/arenas/{name}/allocations"}"#) == 4)
        let allocationsInf = #"http_request_duration_seconds_bucket{route="/arenas/{name}/allocations",le="+Inf"}"#
        #expect(metricValue(text, allocationsInf) == 4)
    }

    /// The `_bucket` samples of one histogram series, in the order written, as (le, value).
    func buckets(_ text: String, _ name: String, _ labels: String) -> [(le: String, value: Double)] {
        metricLines(text, prefix: "\(name)_bucket{\(labels),le=\"").compactMap { line in
            guard let leStart = line.range(of: "le=\"")?.upperBound,
                  let leEnd = line[leStart...].firstIndex(of: "\""),
                  let value = Double(line[line.index(after: line.lastIndex(of: " ")!)...])
            else { return nil }
            return (String(line[leStart..<leEnd]), value)
        }
    }

    @Test func allocationSizeHistogramIsCumulative() throws {
        let api = try APIHarness()
        try api.allocate("frame", #"{"sizes":[0,1,3,16,100,2000]}"#, sourceLocation: #_sourceLocation)
        #expect(api.post("/arenas/frame/blobs", bytes: [UInt8](repeating: 1, count: 5)).status.code == 201)
        let text = api.metricsText()
        let series = buckets(text, "arena_allocation_size_bytes", #"class="frame""#)
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
        #expect(metricValue(text, #"arena_allocation_size_bytes_count{class="frame"}"#) == 7)
        #expect(metricValue(text, #"arena_allocation_size_bytes_sum{class="frame"}"#) == 2125)
        // Failed allocations are not sizes handed out.
        _ = api.post("/arenas/request/allocations", json: #"{"sizes":[8,100000]}"#)
        let afterFailure = api.metricsText()
        #expect(metricValue(afterFailure, #"arena_allocation_size_bytes_count{class="request"}"#) == 1)
        #expect(metricValue(afterFailure, #"arena_allocation_size_bytes_bucket{class="request",le="8"}"#) == 1)
    }

    @Test func allocationsLargerThanTheLastBoundOnlyCountInInf() throws {
        let api = try APIHarness { $0.limits.maxArenaBytes = 1 << 31; $0.limits.maxTotalBytes = 1 << 32 }
        try api.createArena(#"{"name":"big","policy":"growing","initial_chunk":"4KiB","limit":"2GiB"}"#)
        // Only the size counts: a growing arena maps the chunk lazily, so this stays cheap.
        try api.allocate("big", #"{"size":1073741825,"align":1}"#)
        let text = api.metricsText()
        #expect(metricValue(text, #"arena_allocation_size_bytes_bucket{class="big",le="1073741824"}"#) == 0)
        #expect(metricValue(text, #"arena_allocation_size_bytes_bucket{class="big",le="+Inf"}"#) == 1)
    }

    @Test func durationHistogramIsCumulative() throws {
        let api = try APIHarness()
        for _ in 0..<5 { _ = api.get("/arenas") }
        let series = buckets(api.metricsText(), "http_request_duration_seconds", #"route="/arenas""#)
        #expect(series.last?.le == "+Inf")
        #expect(series.last?.value == 5)
        let values = series.map(\.value)
        #expect(values == values.sorted(), "buckets must be cumulative: \(values)")
    }

    @Test func everySampleBelongsToADeclaredFamily() throws {
        let api = try APIHarness()
        try api.allocate("request", #"{"size":16}"#)
        let text = api.metricsText()
        var types: [String: String] = [:]
        var helped: Set<String> = []
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 3).map(String.init)
            if parts.count >= 4, parts[0] == "#", parts[1] == "TYPE" { types[parts[2]] = parts[3] }
            if parts.count >= 3, parts[0] == "#", parts[1] == "HELP" { helped.insert(parts[2]) }
        }
        #expect(Set(types.keys) == helped)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            let family = types[name] != nil ? name
                : ["_bucket", "_sum", "_count"].lazy.compactMap { suffix in
                    name.hasSuffix(suffix) ? String(name.dropLast(suffix.count)) : nil
                }.first { types[$0] == "histogram" } ?? name
            #expect(types[family] != nil, "sample \(line) has no # TYPE")
            if types[family] == "counter" { #expect(name.hasSuffix("_total"), "\(name)") }
        }
        for family in ["arena_used_bytes", "arena_allocations_total", "http_requests_total",
                       "arena_allocation_size_bytes", "process_cpu_seconds_total", "process_resident_memory_bytes"] {
            #expect(types[family] != nil, "missing family \(family)")
        }
    }

    @Test(.enabled(if: promtoolInstalled, "promtool is not installed at /usr/bin/promtool: skipping the lint"))
    func promtoolAcceptsTheExposition() throws {
        let api = try APIHarness()
        try api.createArena(#"{"name":"job-1","capacity":256,"class":"job"}"#)
        try api.allocate("job-1", #"{"sizes":[1,2,3]}"#)
        #expect(api.delete("/arenas/job-1").status.code == 204)
        try api.allocate("request", #"{"sizes":[0,16,1000]}"#)
        _ = api.get("/nope")
        let problems = try promtoolProblems(api.metricsText())
        #expect(problems == nil)
    }
}
