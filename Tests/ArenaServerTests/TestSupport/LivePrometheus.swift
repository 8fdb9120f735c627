import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus server (Debian's `prometheus`) on a free loopback port, scraping `targets` every second and
/// evaluating `ruleFiles` every second, with its data in a temporary directory. Queried over its HTTP API.
///
/// ```swift
/// let prometheus = try LivePrometheus(targets: ["127.0.0.1:\(daemon.port)"])
/// try #require(prometheus.waitUntilUp())
/// prometheus.query(#"arena_used_bytes{class="request"}"#)   // [(labels, "1234")]
/// ```
final class LivePrometheus {
    static let path = "/usr/bin/prometheus"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: path) }

    let child: ChildProcess
    let api: TestClient
    private let directory: URL

    init(targets: [String], job: String = "arena-server", ruleFiles: [String] = []) throws {
        directory = try TestPaths.temporaryDirectory("arena-prometheus")
        let configuration = directory.appendingPathComponent("prometheus.yml")
        let rules = ruleFiles.isEmpty ? "" : "rule_files:\n" + ruleFiles.map { "  - \"\($0)\"\n" }.joined()
        try Data(
            """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            \(rules)scrape_configs:
              - job_name: \(job)
                metrics_path: /metrics
                static_configs:
                  - targets: [\(targets.map { "\"\($0)\"" }.joined(separator: ", "))]

            """.utf8
        ).write(to: configuration)
        let port = try MonitoringTests.freePort()
        let child = try ChildProcess.start(
            Self.path,
            [
                "--config.file=\(configuration.path)",
                "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
                "--web.listen-address=127.0.0.1:\(port)",
                "--log.level=warn",
            ])
        self.child = child
        api = TestClient(port: port)
        // Until Prometheus listens, a request would fail at the socket (an issue, for TestClient).
        let listening = eventually(timeout: .seconds(30)) {
            child.process.isRunning && (try? RawHTTPConnection(port: port)) != nil
        }
        try #require(listening, "prometheus never listened; its log: \(child.stderr.text.suffix(2000))")
    }

    deinit {
        child.kill()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `GET path` of the HTTP API with `parameters` form-encoded; the `data` of a `success` answer, or nil.
    func get(_ path: String, _ parameters: [(String, String)] = []) -> JSON? {
        let query = parameters.map { name, value in
            "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? value)"
        }.joined(separator: "&")
        let response = api.get(query.isEmpty ? path : "\(path)?\(query)")
        guard response.status == .ok, let body = try? response.json(), body["status"]?.string == "success" else {
            return nil
        }
        return body["data"]
    }

    /// The series an instant query returns now (empty while Prometheus has none), as labels and value text.
    func query(_ promQL: String) -> [(labels: [String: String], value: String)] {
        (get("/api/v1/query", [("query", promQL)])?["result"]?.array ?? []).compactMap { series in
            guard let value = series["value"]?[1]?.string else { return nil }
            return (series["metric"]?.object?.compactMapValues(\.string) ?? [:], value)
        }
    }

    /// Waits (at most `timeout`) until `up{job}` is 1: Prometheus started and scraped the target once.
    func waitUntilUp(job: String = "arena-server", timeout: Duration = .seconds(30)) -> Bool {
        eventually(timeout: timeout) { query(#"up{job="\#(job)"}"#).first?.value == "1" }
    }

    var log: String { String(child.stderr.text.suffix(2000)) }
}
