import Foundation
import Testing

/// A parsed Prometheus text exposition: samples with their labels in the order written, and each family's
/// `# TYPE` and `# HELP`. The one reader of `/metrics` in the tests; a line it cannot parse fails the parse.
///
/// ```swift
/// let scrape = try PrometheusScrape(client.metricsText())
/// scrape.value("arena_used_bytes", ["class": "request"])   // 16.0
/// ```
struct PrometheusScrape {
    struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    let text: String
    private(set) var samples: [Sample] = []
    /// `# TYPE` of each family.
    private(set) var types: [String: String] = [:]
    /// `# HELP` of each family.
    private(set) var help: [String: String] = [:]

    struct ParseError: Error, CustomStringConvertible {
        var line: String
        var description: String { "cannot parse exposition line: \(line)" }
    }

    init(_ text: String) throws {
        self.text = text
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count == 4 else { throw ParseError(line: String(line)) }
                if parts[1] == "TYPE" {
                    types[String(parts[2])] = String(parts[3])
                } else {
                    help[String(parts[2])] = String(parts[3])
                }
                continue
            }
            if line.hasPrefix("#") { continue }
            samples.append(try Self.parseSample(line))
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
                guard labels.updateValue(value, forKey: String(label)) == nil else {
                    throw ParseError(line: String(line))
                }
                if characters.first == "," { characters = characters.dropFirst() }
                guard !characters.isEmpty else { throw ParseError(line: String(line)) }
            }
            characters = characters.dropFirst()
        }
        let fields = characters.split(separator: " ")
        guard fields.count == 1 || fields.count == 2 else { throw ParseError(line: String(line)) }
        let valueText = fields[0]
        let value: Double? =
            switch valueText {
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

    /// The `_bucket` samples of histogram `name` whose other labels are `labels`, in the order written, as
    /// (`le`, cumulative count).
    func buckets(_ name: String, _ labels: [String: String]) -> [(le: String, value: Double)] {
        samples(named: name + "_bucket").compactMap { sample in
            guard let le = sample.labels["le"], sample.labels.filter({ $0.key != "le" }) == labels else { return nil }
            return (le, sample.value)
        }
    }
}

/// `promtool check metrics`, Prometheus's own lint of an exposition.
enum Promtool {
    static let path = "/usr/bin/promtool"
    /// Installed by `scripts/install-deps.sh test` (Debian package `prometheus`); tests that need it are skipped
    /// without it.
    static let isInstalled = FileManager.default.isExecutableFile(atPath: path)

    /// Lints `text`: promtool must exit 0 and print nothing (it prints each problem it finds).
    static func expectAccepts(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let result = try ChildProcess.run(path, ["check", "metrics"], stdin: Array(text.utf8))
        #expect(
            result.exit == .exited(0), "promtool: \(result.stdout)\(result.stderr)",
            sourceLocation: sourceLocation)
        #expect(
            result.stdout.isEmpty && result.stderr.isEmpty, "promtool printed: \(result.stdout)\(result.stderr)",
            sourceLocation: sourceLocation)
    }
}

/// The OpenMetrics 1.0.0 parser of the Prometheus Python client (`prometheus_client.openmetrics.parser`, Debian's
/// python3-prometheus-client), a strict reader of the format: promtool 2.42 (bookworm's) reads text 0.0.4 only,
/// and fails on OpenMetrics at its first `# TYPE ... info`.
enum OpenMetricsParser {
    static let python = "/usr/bin/python3"
    /// Parses standard input; prints `family type` per family, or the parser's error and exits 1.
    static let script = """
        import sys
        from prometheus_client.openmetrics.parser import text_string_to_metric_families
        try:
            for family in text_string_to_metric_families(sys.stdin.read()):
                print(family.name, family.type, len(family.samples))
        except Exception as error:
            print("openmetrics parser:", error)
            sys.exit(1)
        """
    /// Installed by `scripts/install-deps.sh test`; tests that need it are skipped without it.
    static let isInstalled =
        FileManager.default.isExecutableFile(atPath: python)
        && (try? ChildProcess.run(python, ["-c", "import prometheus_client.openmetrics.parser"]))?.exit == .exited(0)

    /// The families the parser read from `text` (name and type), or the parser's complaint.
    static func parse(_ text: String) throws -> Result<[String: String], ParseFailure> {
        let result = try ChildProcess.run(python, ["-c", script], stdin: Array(text.utf8))
        guard result.exit == .exited(0) else { return .failure(ParseFailure(message: result.stdout + result.stderr)) }
        var families: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { families[String(parts[0])] = String(parts[1]) }
        }
        return .success(families)
    }

    struct ParseFailure: Error {
        var message: String
    }
}
