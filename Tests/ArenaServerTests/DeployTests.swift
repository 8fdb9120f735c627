import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// What `deploy/` ships, each checked with the tool that consumes it: the Prometheus rules with promtool, the
/// Grafana dashboard's queries against a real Prometheus that scraped the daemon, the systemd unit with
/// `systemd-analyze` and by running the daemon under its sandbox, and `make install`.
@Suite(.serialized) struct DeployTests {
    static let root = TestPaths.repositoryRoot
    static let rules = root.appendingPathComponent("deploy/prometheus/alerts.yml").path
    static let ruleTests = root.appendingPathComponent("deploy/prometheus/alerts.test.yml").path
    static let dashboard = root.appendingPathComponent("deploy/grafana/arena-server.json")
    static let unit = root.appendingPathComponent("deploy/systemd/arena-server.service").path
    static let sandbox = root.appendingPathComponent("scripts/systemd-sandbox.py").path
    static let systemdAnalyze = "/usr/bin/systemd-analyze"
    static var hasSystemdAnalyze: Bool { FileManager.default.isExecutableFile(atPath: systemdAnalyze) }

    // MARK: - Prometheus rules

    @Test(.enabled(if: Promtool.isInstalled, "promtool is not installed"))
    func alertRulesPassPromtoolCheckAndTheirUnitTests() throws {
        let check = try ChildProcess.run(Promtool.path, ["check", "rules", Self.rules])
        #expect(check.exit == .exited(0), "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("SUCCESS: 8 rules found"), "\(check.stdout)")
        let unitTests = try ChildProcess.run(Promtool.path, ["test", "rules", Self.ruleTests])
        #expect(unitTests.exit == .exited(0), "\(unitTests.stdout)\(unitTests.stderr)")
        #expect(unitTests.stdout.contains("SUCCESS"), "\(unitTests.stdout)")

        // Every alert and recording rule has a unit test that names it.
        let rules = try String(contentsOfFile: Self.rules, encoding: .utf8)
        let tests = try String(contentsOfFile: Self.ruleTests, encoding: .utf8)
        let alerts = rules.matches(of: /- alert: (\w+)/).map { String($0.output.1) }
        let records = rules.matches(of: /- record: ([\w:]+)/).map { String($0.output.1) }
        #expect(alerts.count == 6 && records.count == 2, "\(alerts) \(records)")
        for alert in alerts { #expect(tests.contains("alertname: \(alert)\n"), "no unit test for \(alert)") }
        for record in records { #expect(tests.contains("expr: \(record)\n"), "no unit test for \(record)") }
    }

    // MARK: - Grafana dashboard

    /// Every PromQL query of the dashboard, with Grafana's variables as a single-instance install has them.
    static func dashboardQueries() throws -> (queries: [String], variables: [(name: String, query: String)]) {
        let json = try JSON.parse(Array(try Data(contentsOf: dashboard)))
        var queries: [String] = []
        for panel in json["panels"]?.array ?? [] {
            for target in panel["targets"]?.array ?? [] {
                if let expr = target["expr"]?.string { queries.append(expr) }
            }
        }
        let variables = (json["templating"]?["list"]?.array ?? []).compactMap { variable -> (String, String)? in
            guard variable["type"]?.string == "query", let name = variable["name"]?.string,
                let query = variable["definition"]?.string
            else { return nil }
            return (name, query)
        }
        return (queries, variables)
    }

    static func substitute(_ query: String) -> String {
        query.replacingOccurrences(of: "$__rate_interval", with: "10s")
            .replacingOccurrences(of: "$instance", with: ".*")
            .replacingOccurrences(of: "$job", with: "arena-server")
    }

    @Test func dashboardIsValidGrafanaJSON() throws {
        let json = try JSON.parse(Array(try Data(contentsOf: Self.dashboard)))
        #expect(json["uid"]?.string == "arena-server")
        #expect(json["schemaVersion"]?.int ?? 0 >= 36)
        let panels = try #require(json["panels"]?.array)
        let titles = panels.compactMap { $0["title"]?.string }
        for wanted in [
            "Fill per class", "Allocation rate", "Allocation failures", "Resets", "Request rate by route",
            "Latency by route", "Resident memory",
        ] {
            #expect(titles.contains(wanted), "no panel \(wanted): \(titles)")
        }
        var ids = Set<Int>()
        for panel in panels {
            let id = try #require(panel["id"]?.int)
            #expect(ids.insert(id).inserted, "panel id \(id) twice")
            #expect(panel["gridPos"]?["w"]?.int != nil)
            guard panel["type"]?.string != "row" else { continue }
            #expect(panel["datasource"]?["uid"]?.string == "${datasource}", "\(panel["title"]?.string ?? "?")")
            let targets = panel["targets"]?.array ?? []
            #expect(!targets.isEmpty, "\(panel["title"]?.string ?? "?") has no query")
        }
        let (queries, variables) = try Self.dashboardQueries()
        #expect(queries.count >= 15)
        #expect(variables.map(\.name) == ["job", "instance"])
        for query in queries {
            #expect(!Self.substitute(query).contains("$"), "a variable the test does not know: \(query)")
        }
    }

    /// The daemon with traffic in every class of metric, a real Prometheus scraping it every second and
    /// evaluating alerts.yml, and every query of the dashboard through Prometheus' HTTP API: each returns data.
    /// Also: the rules evaluate without error there, and the near-limit alert is pending for the class with one
    /// full arena among idle ones.
    @Test(.enabled(if: LivePrometheus.isInstalled, "prometheus is not installed"), .timeLimit(.minutes(1)))
    func everyDashboardQueryReturnsDataFromALivePrometheus() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false, "trace": {"ring_capacity": 16} }"#)
        let client = TestClient(port: daemon.port)
        for index in 1...4 {
            try client.createArena(#"{"name":"api-\#(index)","capacity":4096,"class":"api"}"#)
        }
        try client.allocate("api-2", #"{"size":4096}"#)  // full: arena_max_fill_ratio{class="api"} 1
        let prometheus = try LivePrometheus(targets: ["127.0.0.1:\(daemon.port)"], ruleFiles: [Self.rules])
        try #require(prometheus.waitUntilUp(), "prometheus never scraped the daemon; its log: \(prometheus.log)")

        let (queries, variables) = try Self.dashboardQueries()
        var empty: [String] = []
        let allAnswered = eventually(timeout: .seconds(40)) {
            // Traffic between polls: allocations, a refusal, resets (scopes end), trace overwrites in "request".
            _ = try? client.allocate("request", #"{"sizes":[16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16,16]}"#)
            _ = client.post("/arenas/api-2/allocations", json: #"{"size":64}"#)
            _ = client.post("/arenas/request/reset")
            _ = client.get("/arenas")
            empty = queries.filter { prometheus.query(Self.substitute($0)).isEmpty }
            return empty.isEmpty
        }
        #expect(allAnswered, "queries without data after 40 s: \(empty)")
        // The variables' label_values(SELECTOR, LABEL), as Grafana asks them: the label values API.
        for (name, definition) in variables {
            let parts = try #require(definition.firstMatch(of: /label_values\((.+), (\w+)\)/), "\(definition)")
            let values = prometheus.get(
                "/api/v1/label/\(parts.output.2)/values", [("match[]", Self.substitute(String(parts.output.1)))])
            #expect((values?.array ?? []).isEmpty == false, "variable \(name): \(definition)")
        }
        let fill = prometheus.query(Self.substitute(#"max by (class) (arena_max_fill_ratio{job="$job"})"#))
        #expect(fill.first { $0.labels["class"] == "api" }?.value == "1")

        let groups = prometheus.get("/api/v1/rules")?["groups"]?.array ?? []
        let rules = groups.flatMap { $0["rules"]?.array ?? [] }
        #expect(rules.count == 8)
        for rule in rules {
            #expect(
                rule["health"]?.string == "ok",
                "rule \(rule["name"]?.string ?? "?"): \(rule["lastError"]?.string ?? "")")
        }
        let alerts = prometheus.get("/api/v1/alerts")?["alerts"]?.array ?? []
        let nearLimit = alerts.filter { $0["labels"]?["alertname"]?.string == "ArenaClassNearLimit" }
        #expect(nearLimit.map { $0["labels"]?["class"]?.string } == ["api"], "\(alerts)")
        #expect(nearLimit.first?["state"]?.string == "pending", "for: 5m")
        #expect(prometheus.child.stop(signal: SIGTERM) != nil)
    }

    // MARK: - make install and the systemd unit

    /// `make install-files` (what `make install` runs after the release build) into a staging DESTDIR.
    static func install(_ variables: [String]) throws -> ChildProcess.Result {
        try ChildProcess.run(
            "/usr/bin/make",
            ["-s", "-C", root.path, "install-files", "BIN=\(TestPaths.serverBinary)"] + variables)
    }

    static func mode(_ path: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
    }

    @Test(arguments: [
        ("/usr", "/usr/bin", "/etc", "/usr/lib/systemd/system"),
        ("/usr/local", "/usr/local/bin", "/usr/local/etc", "/usr/local/lib/systemd/system"),
    ])
    func makeInstallPutsEachFileInItsPlace(
        prefix: String, bindir: String, sysconfdir: String, unitdir: String
    )
        throws
    {
        let stage = try TestPaths.temporaryDirectory("arena-install")
        defer { try? FileManager.default.removeItem(at: stage) }
        let result = try Self.install(["PREFIX=\(prefix)", "DESTDIR=\(stage.path)"])
        #expect(result.exit == .exited(0), "\(result.stderr)")

        let binary = stage.path + bindir + "/arena-server"
        let config = stage.path + sysconfdir + "/arena-server/arena-server.json"
        let unit = stage.path + unitdir + "/arena-server.service"
        #expect(Self.mode(binary) == 0o755)
        #expect(Self.mode(config) == 0o644)
        #expect(Self.mode(unit) == 0o644)
        #expect(
            FileManager.default.contentsEqual(
                atPath: config, andPath: Self.root.appendingPathComponent("config/arena-server.json").path))
        let unitText = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(
            unitText.contains(
                "\nExecStart=\(bindir)/arena-server --config \(sysconfdir)/arena-server/arena-server.json\n"),
            "\(unitText)")
        #expect(!unitText.contains(stage.path), "DESTDIR stages; it is not in the paths")
        let version = try ChildProcess.run(binary, ["--version"])
        #expect(version.stdout.hasPrefix("0.2.0 (revision "))
    }

    /// `systemd-analyze verify` of the unit as installed (with PREFIX a temporary directory, so that ExecStart
    /// exists on this machine): no warning at all, which the broken copy shows it would print.
    @Test(.enabled(if: hasSystemdAnalyze, "systemd-analyze is not installed"))
    func systemdAnalyzeVerifiesTheInstalledUnit() throws {
        let prefix = try TestPaths.temporaryDirectory("arena-prefix")
        defer { try? FileManager.default.removeItem(at: prefix) }
        #expect(try Self.install(["PREFIX=\(prefix.path)/usr"]).exit == .exited(0))
        let unit = prefix.path + "/usr/lib/systemd/system/arena-server.service"
        let verify = try ChildProcess.run(Self.systemdAnalyze, ["verify", unit])
        #expect(verify.exit == .exited(0))
        #expect(verify.stdout.isEmpty && verify.stderr.isEmpty, "systemd-analyze: \(verify.stdout)\(verify.stderr)")

        let text = try String(contentsOfFile: unit, encoding: .utf8)
        for setting in [
            "DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict", "MemoryDenyWriteExecute=yes",
            "SystemCallFilter=@system-service", "CapabilityBoundingSet=\n",
        ] {
            #expect(text.contains("\n" + setting), "\(setting)")
        }
        let broken = prefix.appendingPathComponent("broken.service").path
        try Data(text.replacingOccurrences(of: "ProtectSystem=strict", with: "ProtectSystem=very").utf8)
            .write(to: URL(fileURLWithPath: broken))
        let complaint = try ChildProcess.run(Self.systemdAnalyze, ["verify", broken])
        #expect(
            complaint.stderr.contains("broken.service:") && complaint.stderr.contains("very"),
            "a bad value is reported: \(complaint.stderr)")

        // systemd's own score of the unit's exposure, 0 (locked down) to 10 (none).
        let security = try ChildProcess.run(Self.systemdAnalyze, ["security", "--offline=yes", unit])
        let level = security.stdout.firstMatch(of: /Overall exposure level for arena-server.service: ([0-9.]+)/)
        let exposure = try #require(level.flatMap { Double($0.output.1) }, "\(security.stdout.suffix(500))")
        #expect(exposure <= 2.0, "exposure \(exposure)")
    }

    static var canSandbox: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
            && (try? ChildProcess.run("/usr/bin/python3", ["-c", "import seccomp"]))?.exit == .exited(0)
    }

    /// No systemd runs these tests (no `systemd-run`), so `scripts/systemd-sandbox.py` applies the kernel
    /// mechanisms behind the unit's MemoryDenyWriteExecute=, SystemCallFilter=@system-service (unknown calls
    /// kill), NoNewPrivileges=, DynamicUser= and ProtectSystem=strict, then execs the daemon: it serves, is
    /// scraped in both formats, streams events and stops cleanly on SIGTERM.
    @Test(.enabled(if: canSandbox, "needs root, unshare and python3-seccomp"))
    func theDaemonRunsUnderTheUnitsRestrictions() throws {
        let probe = try ChildProcess.run("/usr/bin/python3", [Self.sandbox, "--probe"])
        #expect(probe.stdout == "mmap W+X refused: EPERM\n", "the filter works: \(probe.stdout)\(probe.stderr)")

        let daemon = try LiveDaemon(
            configuration: #"{ "log_requests": false }"#,
            launcher: [
                "/usr/bin/unshare", "--mount", "--propagation", "private", "/usr/bin/python3", Self.sandbox, "--",
            ])
        let status = try String(
            contentsOfFile: "/proc/\(daemon.process.processIdentifier)/status", encoding: .utf8)
        func field(_ name: String) -> String? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
        }
        #expect(field("Uid")?.hasPrefix("61234") == true, "\(status)")
        #expect(field("NoNewPrivs") == "1")
        #expect(field("Seccomp") == "2", "filter mode")
        #expect(Int(field("Seccomp_filters") ?? "") ?? 0 >= 2)
        #expect(field("CapEff") == "0000000000000000")

        let client = TestClient(port: daemon.port)
        #expect(client.get("/readyz").status == .ok)
        try client.createArena(#"{"name":"job","policy":"growing","initial_chunk":"4KiB","limit":"1MiB"}"#)
        try client.allocate("job", #"{"sizes":[100000,200000]}"#)
        #expect(client.post("/arenas/request/blobs", bytes: Array("hello".utf8)).status == .created)
        let scrape = try client.metrics()
        #expect((scrape.value("process_start_time_seconds") ?? 0) > 0, "/proc/stat is readable")
        #expect((scrape.value("process_resident_memory_bytes") ?? 0) > 0)
        let open = client.get("/metrics", headers: ["Accept": OperatorMetricsTests.openMetricsAccept])
        #expect(open.text.hasSuffix("# EOF\n"))
        let stream = try RawHTTPConnection(port: daemon.port)
        try stream.send("GET /arenas/request/events?follow=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(try stream.readResponse(headOnly: true).status == 200)
        try client.allocate("request", #"{"size":16}"#)
        #expect(daemon.stop() == .exited(0), "stderr: \(daemon.stderr.text)")
        #expect(!daemon.stderr.text.contains("Bad system call"))
    }
}
