import Foundation

/// One line of the server's text log, split into its fields, or nil when the line has neither shape (see
/// `LogLine` for the layout):
///
/// ```
/// 2026-12-01T23:10:04.123Z notice arena-server: listening on http://127.0.0.1:8080
/// 2026-12-01T23:10:04.125Z info 127.0.0.1:51234 GET /healthz 200 3 41us
/// ```
///
/// ```swift
/// let lines = TextLogLine.all(in: daemon.stderr.text)
/// lines.compactMap(\.request).filter { $0.path == "/healthz" }.first?.status   // 200
/// ```
struct TextLogLine: Equatable, CustomStringConvertible {
    struct Request: Equatable {
        /// `a.b.c.d:port`, or `-`.
        var client: String
        var method: String
        var path: String
        var status: Int
        var bytes: Int
        var microseconds: Int
    }

    /// The line as written.
    var text: String
    var timestamp: String
    var level: String
    /// The label of a notice's logger (`arena-server` for the server's own).
    var logger: String?
    /// The message of a notice (`label: message`).
    var notice: String?
    var request: Request?

    static let levels: Set<String> = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    init?(_ line: some StringProtocol) {
        text = String(line)
        let parts = text.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, Self.isTimestamp(parts[0]), Self.levels.contains(String(parts[1])) else { return nil }
        timestamp = String(parts[0])
        level = String(parts[1])
        let rest = parts[2]
        // A label is one field ending in a colon; a request's first field (the client) never ends in one.
        if let colon = rest.firstIndex(of: " "), rest[..<colon].hasSuffix(":"), colon > rest.startIndex {
            logger = String(rest[..<rest.index(before: colon)])
            notice = String(rest[rest.index(after: colon)...])
            return
        }
        let fields = rest.split(separator: " ", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0] == "-" || fields[0].contains(":"), !fields[2].isEmpty,
            let status = Int(fields[3]), let bytes = Int(fields[4]), fields[5].hasSuffix("us"),
            let microseconds = Int(fields[5].dropLast(2))
        else { return nil }
        request = Request(
            client: String(fields[0]), method: String(fields[1]), path: String(fields[2]), status: status,
            bytes: bytes, microseconds: microseconds)
    }

    /// Every line of `output`, nil where a line has neither shape.
    static func all(in output: String) -> [TextLogLine?] {
        output.split(separator: "\n").map { TextLogLine($0) }
    }

    /// `2026-12-01T23:10:04.123Z`.
    static func isTimestamp(_ text: some StringProtocol) -> Bool {
        String(text).wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil
    }

    var description: String { text }
}

/// Lines of the server's JSON log, parsed (Foundation), and the same lines through the real `jq`.
enum JSONLogLines {
    /// Each line of `output` as an object; nil where a line is not a JSON object.
    static func parse(_ output: String) -> [[String: Any]?] {
        output.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
    }

    /// The jq users run (`scripts/install-deps.sh test` installs it).
    static let jq = "/usr/bin/jq"

    /// `jq -c .` over `output`: jq's exit (0 only if every line parsed) and what it printed, one object a line.
    static func throughJQ(_ output: [UInt8], filter: String = ".") throws -> ChildProcess.Result {
        try ChildProcess.run(jq, ["-c", filter], stdin: output)
    }
}
