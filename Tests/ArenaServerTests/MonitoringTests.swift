import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ArenaServer

/// `/metrics` against the real daemon: what `promtool check metrics` says about the exposition, the values of
/// the key series after known traffic, and a real Prometheus server scraping it.
@Suite(.serialized) struct MonitoringTests {
    static let promtool = "/usr/bin/promtool"
    static let prometheus = "/usr/bin/prometheus"

    // Installed by `scripts/install-deps.sh test` (Debian package `prometheus`); a machine without it skips.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool)))
    func scrapeAfterTrafficPassesPromtoolAndMatchesTheJSONAPI() async throws {
        let server = try MonitoredServer()
        // Class "api": three per-request arenas; class "batch": one. Sizes chosen so every bucket is known.
        for name in ["req-1", "req-2", "req-3"] {
            try await server.createArena(name, capacity: 4096, arenaClass: "api")
        }
        try await server.createArena("job-1", capacity: 8192, arenaClass: "batch")
        #expect(try await server.allocate("req-1", sizes: [16, 100, 1000]) == 201)
        #expect(try await server.allocate("req-2", sizes: [64]) == 201)
        #expect(try await server.allocate("req-3", sizes: [8, 8]) == 201)
        #expect(try await server.allocate("job-1", sizes: [3000]) == 201)
        #expect(try await server.allocate("req-2", sizes: [5000]) == 507, "bigger than the arena: refused")
        #expect(try await server.send("POST", "/arenas/req-3/reset").status == 200)

        let before = try PrometheusScrape(try await server.scrape())
        try await Self.expectPromtoolAccepts(before.text)

        let list = try await server.arenas()
        let usedByClass = Dictionary(grouping: list.arenas, by: \.class)
            .mapValues { $0.map(\.stats.usedBytes).reduce(0, +) }
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
        let buckets: [(String, Double)] = [("0", 0), ("8", 2), ("16", 3), ("64", 4), ("128", 5), ("512", 5),
                                           ("1024", 6), ("1073741824", 6), ("+Inf", 6)]
        for (bound, count) in buckets {
            #expect(before.value("arena_allocation_size_bytes_bucket", ["class": "api", "le": bound]) == count,
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

        #expect(before.value("arena_registry_arenas") == Double(list.count))
        #expect(before.value("arena_registry_arenas") == 7)
        #expect(before.value("arena_registry_reserved_bytes") == Double(list.reservedBytes))
        #expect(before.value("arena_registry_budget_bytes") == Double(list.maxTotalBytes))
        #expect(before.value("arena_registry_max_arenas") == Double(list.maxArenas))
        for (family, type) in [("arena_used_bytes", "gauge"), ("arena_allocations_total", "counter"),
                               ("arena_allocation_size_bytes", "histogram"), ("http_requests_total", "counter"),
                               ("process_cpu_seconds_total", "counter"), ("arena_registry_arenas", "gauge")] {
            #expect(before.types[family] == type, "# TYPE \(family)")
        }

        // Deleting a per-request arena must not make the class's counters go down (Prometheus would read a reset).
        #expect(try await server.send("DELETE", "/arenas/req-1").status == 204)
        let after = try PrometheusScrape(try await server.scrape())
        try await Self.expectPromtoolAccepts(after.text)
        for counter in ["arena_allocations_total", "arena_allocated_bytes_total", "arena_padding_bytes_total",
                        "arena_failed_allocations_total", "arena_resets_total", "arena_trace_overwritten_events_total",
                        "arena_allocation_size_bytes_count", "arena_allocation_size_bytes_sum"] {
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

    /// `promtool check metrics` reads the exposition on standard input; silence and exit 0 mean no lint problem.
    static func expectPromtoolAccepts(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let result = try await TestSupport.onThread {
            Result { try ExternalProcess.run(promtool, ["check", "metrics"], input: text) }
        }.get()
        #expect(result.status == 0, "promtool: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty && result.stderr.isEmpty,
                "promtool printed: \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: prometheus)))
    func realPrometheusScrapesTheDaemon() async throws {
        let server = try MonitoredServer()
        #expect(try await server.allocate("request", sizes: [1000, 234]) == 201)
        let used = try await server.arena("request").stats.usedBytes
        #expect(used == 1234)

        let directory = try ExternalProcess.temporaryDirectory("arena-prometheus")
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = directory.appendingPathComponent("prometheus.yml")
        try Data("""
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: arena-server
                metrics_path: /metrics
                static_configs:
                  - targets: ["127.0.0.1:\(server.port)"]

            """.utf8).write(to: configuration)
        let port = try ExternalProcess.freePort()
        let prometheus = try BackgroundProcess(Self.prometheus, [
            "--config.file=\(configuration.path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ])
        defer { prometheus.kill() }

        func query(_ promQL: String) async throws -> [(labels: [String: String], value: String)] {
            var components = URLComponents(string: "http://127.0.0.1:\(port)/api/v1/query")!
            components.queryItems = [URLQueryItem(name: "query", value: promQL)]
            let (data, _) = try await TestSupport.session.data(from: components.url!)
            let reply = try JSONDecoder().decode(QueryReply.self, from: data)
            return reply.data.result.map { ($0.metric, $0.value.text) }
        }
        // Up to 30 s for Prometheus to start and scrape the daemon once.
        let scraped = await eventually(timeout: .seconds(30)) {
            (try? await query(#"up{job="arena-server"}"#))?.first?.value == "1"
        }
        try #require(scraped, "prometheus never reported up == 1; its log: \(prometheus.stderr.text.suffix(2000))")

        let series = try await query(#"arena_used_bytes{class="request"}"#)
        #expect(series.count == 1)
        #expect(series.first?.value == String(used))
        #expect(series.first?.labels["instance"] == "127.0.0.1:\(server.port)")

        // A later allocation shows up at the next scrapes.
        #expect(try await server.allocate("request", sizes: [766]) == 201)
        let later = try await server.arena("request").stats.usedBytes
        let seen = await eventually(timeout: .seconds(10)) {
            (try? await query(#"arena_used_bytes{class="request"}"#))?.first?.value == String(later)
        }
        #expect(seen, "prometheus should see used bytes \(later)")
        #expect(await prometheus.stop() != nil, "prometheus exits on SIGTERM")
    }

    /// The parts of `GET /api/v1/query`'s answer the test reads.
    struct QueryReply: Decodable {
        struct Series: Decodable {
            var metric: [String: String]
            var value: SampleValue
        }
        struct Payload: Decodable { var result: [Series] }
        var status: String
        var data: Payload
    }

    /// `[ <unix time>, "<value>" ]`.
    struct SampleValue: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            var container = try decoder.unkeyedContainer()
            _ = try container.decode(Double.self)
            text = try container.decode(String.self)
        }
    }
}

/// A parsed Prometheus text exposition: samples with their labels, and each family's `# TYPE`.
struct PrometheusScrape {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    private(set) var samples: [Sample] = []
    private(set) var types: [String: String] = [:]

    struct ParseError: Error, CustomStringConvertible {
        var line: String
        var description: String { "cannot parse exposition line: \(line)" }
    }

    init(_ text: String) throws {
        self.text = text
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.parseSample(Substring(line)))
        }
    }

    /// `name{a="x",b="y"} value`, with `\\`, `\"` and `\n` escapes in label values.
    private static func parseSample(_ line: Substring) throws -> Sample {
        var characters = line[...]
        let name = characters.prefix { $0 != "{" && $0 != " " }
        characters = characters.dropFirst(name.count)
        var labels: [String: String] = [:]
        if characters.first == "{" {
            characters = characters.dropFirst()
            while characters.first != "}" {
                let label = characters.prefix { $0 != "=" }
                characters = characters.dropFirst(label.count)
                guard characters.hasPrefix("=\"") else { throw ParseError(line: String(line)) }
                characters = characters.dropFirst(2)
                var value = ""
                while let character = characters.first, character != "\"" {
                    characters = characters.dropFirst()
                    if character == "\\", let escaped = characters.first {
                        characters = characters.dropFirst()
                        value.append(escaped == "n" ? "\n" : escaped)
                    } else {
                        value.append(character)
                    }
                }
                guard characters.first == "\"" else { throw ParseError(line: String(line)) }
                characters = characters.dropFirst()
                labels[String(label)] = value
                if characters.first == "," { characters = characters.dropFirst() }
                guard !characters.isEmpty else { throw ParseError(line: String(line)) }
            }
            characters = characters.dropFirst()
        }
        let fields = characters.split(separator: " ")
        guard fields.count == 1 || fields.count == 2 else { throw ParseError(line: String(line)) }
        let valueText = fields[0]
        let value: Double? = switch valueText {
        case "+Inf": .infinity
        case "-Inf": -.infinity
        case "NaN": .nan
        default: Double(valueText)
        }
        guard let value else { throw ParseError(line: String(line)) }
        return Sample(name: String(name), labels: labels, value: value)
    }

    func samples(named name: String) -> [Sample] { samples.filter { $0.name == name } }

    /// The value of the one sample with exactly these labels, or nil.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }
}
