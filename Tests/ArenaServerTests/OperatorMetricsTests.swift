import ArenaCore
import Foundation
import Testing

@testable import ArenaHTTP

/// The operator's metrics: `arena_build_info`, `arena_max_fill_ratio{class}`, and OpenMetrics 1.0.0 when the
/// scraper asks for it.
@Suite struct OperatorMetricsTests {
    static let openMetricsAccept = "application/openmetrics-text; version=1.0.0"

    @Test(arguments: Transport.allCases) func buildInfoNamesVersionRevisionAndSwift(_ transport: Transport) throws {
        let client = try TestClient(transport)
        let scrape = try client.metrics()
        let info = scrape.samples(named: "arena_build_info")
        try #require(info.count == 1)
        #expect(info[0].value == 1)
        #expect(info[0].labels["version"] == "0.2.0")
        #expect(info[0].labels["revision"] == ArenaHTTPServer.revision)
        #expect(info[0].labels["swift"]?.wholeMatch(of: /6\.[0-9]+|>=6\.[0-9]+/) != nil, "\(info[0].labels)")
        #expect(scrape.types["arena_build_info"] == "gauge", "text 0.0.4 has no info type")
        let open = try PrometheusScrape(client.get("/metrics", headers: ["Accept": Self.openMetricsAccept]).text)
        #expect(open.types["arena_build"] == "info", "OpenMetrics: an info family, named without _info")
        #expect(open.samples(named: "arena_build_info").first?.labels == info[0].labels)
    }

    /// One full arena among idle ones: the class's sums hide it (used/limit is 1/5), its max fill ratio does not.
    @Test func maxFillRatioShowsTheFullestArenaOfItsClass() throws {
        let client = try TestClient(.inProcess)
        for index in 1...5 {
            try client.createArena(#"{"name":"api-\#(index)","capacity":4096,"class":"api"}"#)
        }
        try client.createArena(#"{"name":"idle-1","capacity":4096,"class":"idle"}"#)
        try client.allocate("api-3", #"{"size":4096}"#)
        try client.allocate("api-1", #"{"size":1024}"#)
        var scrape = try client.metrics()
        #expect(scrape.types["arena_max_fill_ratio"] == "gauge")
        #expect(scrape.value("arena_max_fill_ratio", ["class": "api"]) == 1)
        #expect(scrape.value("arena_max_fill_ratio", ["class": "idle"]) == 0)
        let used = try #require(scrape.value("arena_used_bytes", ["class": "api"]))
        let limit = try #require(scrape.value("arena_limit_bytes", ["class": "api"]))
        #expect(used / limit == 0.25, "5120 of 20480: the sum would not alert")
        #expect(client.post("/arenas/api-3/allocations", json: #"{"size":8}"#).status.code == 507)

        #expect(client.post("/arenas/api-3/reset").status == .ok)
        scrape = try client.metrics()
        #expect(scrape.value("arena_max_fill_ratio", ["class": "api"]) == 0.25, "api-1 is the fullest now")
        for index in 1...5 { #expect(client.delete("/arenas/api-\(index)").status.code == 204) }
        scrape = try client.metrics()
        #expect(scrape.value("arena_max_fill_ratio", ["class": "api"]) == 0, "a class without arenas stays, at 0")
        // A growing arena fills against its limit, not against the chunks it holds now.
        try client.createArena(
            #"{"name":"grow","policy":"growing","initial_chunk":"4KiB","limit":"64KiB","class":"grow"}"#)
        try client.allocate("grow", #"{"sizes":[8192,8192]}"#)
        scrape = try client.metrics()
        #expect(scrape.value("arena_max_fill_ratio", ["class": "grow"]) == 0.25)
    }

    @Test(arguments: [
        ([], PrometheusText.Format.text),
        (["text/plain;version=0.0.4"], .text),
        (["*/*"], .text),
        // Prometheus 2.42's scrape header.
        (
            [
                "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                    + "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
            ], .openMetrics
        ),
        (["application/openmetrics-text"], .openMetrics),
        (["Application/OpenMetrics-Text; Version=1.0.0"], .openMetrics),
        (["text/plain;q=0.5", "application/openmetrics-text;version=1.0.0"], .openMetrics),
        (["application/openmetrics-text;version=1.0.0;q=0.3,text/plain;q=0.5"], .text),
        (["application/openmetrics-text;q=0"], .text),
        (["application/openmetrics-text;version=0.0.1"], .text),
        (["application/json"], .text),
        ([#"application/openmetrics-text; VERSION="1.0.0"; q=0.9 , text/plain; q=0.8"#], .openMetrics),
        (["text/plain;q=0.8", "application/openmetrics-text;q=0.75"], .text),
        (["application/openmetrics-text;q=abc"], .text),
        ([" , ,\tapplication/openmetrics-text\t,"], .openMetrics),
        (["application/openmetrics-text;q=1.000,text/plain;q=1"], .openMetrics),
    ])
    func acceptChoosesTheFormat(accept: [String], format: PrometheusText.Format) {
        #expect(ArenaAPI.exposition(accepting: accept) == format, "Accept: \(accept)")
    }

    /// The same server both ways: text 0.0.4 by default, which promtool checks; OpenMetrics when asked, which the
    /// OpenMetrics parser of the Prometheus Python client reads (and refuses the text format, so it does check).
    @Test(.enabled(if: Promtool.isInstalled && OpenMetricsParser.isInstalled, "needs promtool and prometheus_client"))
    func bothExpositionsPassARealParser() throws {
        let client = try TestClient(.live)
        try client.createArena(#"{"name":"req-1","capacity":4096,"class":"api"}"#)
        try client.allocate("req-1", #"{"sizes":[16,100]}"#)
        #expect(client.post("/arenas/req-1/reset").status == .ok)
        #expect(client.post("/arenas/req-1/allocations", json: #"{"size":5000}"#).status.code == 507)

        let text = client.get("/metrics")
        #expect(text.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(text.headers["Vary"] == "Accept")
        #expect(!text.text.contains("_created"))
        #expect(!text.text.contains("# EOF"))
        try Promtool.expectAccepts(text.text)
        guard case .failure = try OpenMetricsParser.parse(text.text) else {
            Issue.record("the OpenMetrics parser accepted text 0.0.4: it checks nothing")
            return
        }

        let open = client.get("/metrics", headers: ["Accept": Self.openMetricsAccept])
        #expect(open.headers["Content-Type"] == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(open.text.hasSuffix("\n# EOF\n"))
        let families: [String: String]
        switch try OpenMetricsParser.parse(open.text) {
        case .success(let parsed): families = parsed
        case .failure(let failure): throw failure
        }
        #expect(families["arena_allocations"] == "counter")
        #expect(families["arena_build"] == "info")
        #expect(families["arena_allocation_size_bytes"] == "histogram")
        #expect(families["arena_scope_peak_bytes"] == "histogram")
        #expect(families["http_requests"] == "counter")
        #expect(families["arena_max_fill_ratio"] == "gauge")
        #expect(families.count >= 25, "\(families)")

        // `_created` beside every counter and histogram series, as seconds since 1970 from this run.
        let scrape = try PrometheusScrape(open.text)
        let now = Date().timeIntervalSince1970
        var counted = 0
        for sample in scrape.samples where sample.name.hasSuffix("_total") || sample.name.hasSuffix("_count") {
            let base = sample.name.dropLast(6)  // without `_total` or `_count`
            let created = try #require(
                scrape.value(base + "_created", sample.labels), "no \(base)_created\(sample.labels)")
            #expect(created > now - 600 && created <= now + 1, "\(base)_created \(created)")
            counted += 1
        }
        #expect(counted > 20)
        // The same values either way.
        let plain = try PrometheusScrape(text.text)
        #expect(
            scrape.value("arena_allocations_total", ["class": "api"])
                == plain.value("arena_allocations_total", ["class": "api"]))
        #expect(scrape.value("arena_failed_allocations_total", ["class": "api"]) == 1)
    }
}
