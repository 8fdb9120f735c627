/// How the server's log lines look: `log_format` in the configuration, `--log-format` on the command line.
///
/// ```
/// text  2026-12-01T23:10:04.125Z info 127.0.0.1:51234 GET /healthz 200 3 41us
/// json  {"ts":"2026-12-01T23:10:04.125Z","level":"info","msg":"request","client":"127.0.0.1:51234",...}
/// ```
public enum LogFormat: String, Sendable, Equatable, CaseIterable {
    /// One line of space-separated fields for people and `grep` (see `LogLine`).
    case text
    /// One JSON object a line, for `jq` and log collectors (see `LogLine`).
    case json

    /// The accepted values, for error messages: `text, json`.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
