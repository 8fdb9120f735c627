import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// `/metrics` against the real daemon: what `promtool check metrics` says about the exposition, the values of
/// the key series after known traffic, and a real Prometheus server scraping it.
@Suite(.serialized) struct MonitoringTests {
    @Test(.enabled(if: Promtool.isInstalled, "promtool is not installed at /usr/bin/promtool: skipping the lint"))
    func scrapeAfterTrafficPassesPromtoolAndMatchesTheJSONAPI() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        let client = TestClient(port: daemon.port)
        // Class "api": three per-request arenas; class "batch": one. Sizes chosen so every bucket is known.
        for name in ["req-1", "req-2", "req-3"] {
            try client.createArena(#"{"name":"\#(name)","capacity":4096,"class":"api"}"#)
        }
        try client.createArena(#"{"name":"job-1","capacity":8192,"class":"batch"}"#)
        try client.allocate("req-1", #"{"sizes":[16,100,1000]}"#)
        try client.allocate("req-2", #"{"sizes":[64]}"#)
        try client.allocate("req-3", #"{"sizes":[8,8]}"#)
        try client.allocate("job-1", #"{"sizes":[3000]}"#)
        #expect(
            client.post("/arenas/req-2/allocations", json: #"{"size":5000}"#).status.code == 507,
            "bigger than the arena: refused")
        #expect(client.post("/arenas/req-3/reset").status.code == 200)

        let before = try client.metrics()
        try Promtool.expectAccepts(before.text)

        let list = try client.get("/arenas").json()
        let arenas = try #require(list["arenas"]?.array)
        var usedByClass: [String: Int] = [:]
        for arena in arenas {
            let arenaClass = try #require(arena["class"]?.string)
            usedByClass[arenaClass, default: 0] += try #require(arena["stats"]?["used_bytes"]?.int)
        }
        for (arenaClass, used) in usedByClass {
            #expect(before.value("arena_used_bytes", ["class": arenaClass]) == Double(used), "class \(arenaClass)")
        }
        #expect(before.value("arena_used_bytes", ["class": "api"]) == 1184, "1120 (16 + 100, 4 padding, 1000) + 64")
        #expect(before.value("arena_arenas", ["class": "api"]) == 3)
        #expect(before.value("arena_allocations_total", ["class": "api"]) == 6)
        #expect(before.value("arena_allocated_bytes_total", ["class": "api"]) == 1196, "16 + 100 + 1000 + 64 + 8 + 8")
        #expect(before.value("arena_failed_allocations_total", ["class": "api"]) == 1)
        #expect(before.value("arena_resets_total", ["class": "api"]) == 1)
        #expect(before.value("arena_limit_bytes", ["class": "batch"]) == 8192)

        // The histogram: cumulative buckets of the successful sizes 8, 8, 16, 64, 100, 1000.
        let buckets: [(String, Double)] = [
            ("0", 0), ("8", 2), ("16", 3), ("64", 4), ("128", 5), ("512", 5),
            ("1024", 6), ("1073741824", 6), ("+Inf", 6),
        ]
        for (bound, count) in buckets {
            #expect(
                before.value("arena_allocation_size_bytes_bucket", ["class": "api", "le": bound]) == count,
                "le=\(bound)")
        }
        #expect(before.value("arena_allocation_size_bytes_count", ["class": "api"]) == 6)
        #expect(before.value("arena_allocation_size_bytes_sum", ["class": "api"]) == 1196)
        #expect(before.value("arena_allocation_size_bytes_count", ["class": "batch"]) == 1)

        #expect(before.value("http_requests_total", ["route": "/arenas", "code": "201"]) == 4)
        #expect(before.value("http_requests_total", ["route": "/arenas/{name}/allocations", "code": "201"]) == 4)
        #expect(before.value("http_requests_total", ["route": "/arenas/{name}/allocations", "code": "507"]) == 1)
        #expect(before.value("http_requests_total", ["route": "/arenas/{name}/reset", "code": "200"]) == 1)
        #expect(before.samples(named: "http_request_duration_seconds_count").count >= 3)

        #expect((before.value("process_resident_memory_bytes") ?? 0) > Double(1 << 20))
        #expect((before.value("process_cpu_seconds_total") ?? -1) >= 0)
        #expect((before.value("process_open_fds") ?? 0) >= 3.0)
        let now = Date().timeIntervalSince1970
        let started = try #require(before.value("process_start_time_seconds"))
        #expect(started > now - 600 && started <= now + 5, "started \(now - started) s ago")

        #expect(before.value("arena_registry_arenas") == list["count"]?.int.map(Double.init))
        #expect(before.value("arena_registry_arenas") == 7)
        #expect(before.value("arena_registry_reserved_bytes") == list["reserved_bytes"]?.int.map(Double.init))
        #expect(before.value("arena_registry_budget_bytes") == list["max_total_bytes"]?.int.map(Double.init))
        #expect(before.value("arena_registry_max_arenas") == list["max_arenas"]?.int.map(Double.init))
        for (family, type) in [
            ("arena_used_bytes", "gauge"), ("arena_allocations_total", "counter"),
            ("arena_allocation_size_bytes", "histogram"), ("http_requests_total", "counter"),
            ("process_cpu_seconds_total", "counter"), ("arena_registry_arenas", "gauge"),
        ] {
            #expect(before.types[family] == type, "# TYPE \(family)")
        }

        // Deleting a per-request arena must not make the class's counters go down (Prometheus would read a reset).
        #expect(client.delete("/arenas/req-1").status.code == 204)
        let after = try client.metrics()
        try Promtool.expectAccepts(after.text)
        for counter in [
            "arena_allocations_total", "arena_allocated_bytes_total", "arena_padding_bytes_total",
            "arena_failed_allocations_total", "arena_resets_total", "arena_trace_overwritten_events_total",
            "arena_allocation_size_bytes_count", "arena_allocation_size_bytes_sum",
        ] {
            let old = try #require(before.value(counter, ["class": "api"]), "\(counter) before")
            let new = try #require(after.value(counter, ["class": "api"]), "\(counter) after")
            #expect(new >= old, "\(counter){class=\"api\"} went from \(old) to \(new)")
        }
        #expect(after.value("arena_allocations_total", ["class": "api"]) == 6)
        #expect(after.value("arena_arenas", ["class": "api"]) == 2)
        #expect(after.value("arena_used_bytes", ["class": "api"]) == 64)
        #expect(after.value("arena_registry_arenas") == 6)
        #expect(after.value("http_requests_total", ["route": "/arenas/{name}", "code": "204"]) == 1)
    }

    @Test(.enabled(if: LivePrometheus.isInstalled, "prometheus is not installed"))
    func realPrometheusScrapesTheDaemon() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        let client = TestClient(port: daemon.port)
        try client.allocate("request", #"{"sizes":[1000,234]}"#)
        let used = try #require(try client.arena("request")["stats"]?["used_bytes"]?.int)
        #expect(used == 1234)

        let prometheus = try LivePrometheus(targets: ["127.0.0.1:\(daemon.port)"])
        // Up to 30 s for Prometheus to start and scrape the daemon once.
        try #require(prometheus.waitUntilUp(), "prometheus never reported up == 1; its log: \(prometheus.log)")

        let series = try #require(prometheus.query(#"arena_used_bytes{class="request"}"#).first)
        #expect(series.value == String(used))
        #expect(series.labels["instance"] == "127.0.0.1:\(daemon.port)")

        // A later allocation shows up at the next scrapes.
        try client.allocate("request", #"{"size":766}"#)
        let later = try #require(try client.arena("request")["stats"]?["used_bytes"]?.int)
        let seen = eventually(timeout: .seconds(10)) {
            prometheus.query(#"arena_used_bytes{class="request"}"#).first?.value == String(later)
        }
        #expect(seen, "prometheus should see used bytes \(later)")
        #expect(prometheus.child.stop(signal: SIGTERM) != nil, "prometheus exits on SIGTERM")
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read the port, close), for Prometheus's
    /// own listener.
    static func freePort() throws -> UInt16 {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(socketFD >= 0)
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(socketFD, socketAddress, length) == 0 && getsockname(socketFD, socketAddress, &length) == 0
            }
        }
        try #require(bound, "bind to 127.0.0.1:0 failed: errno \(errno)")
        return UInt16(bigEndian: address.sin_port)
    }
}
