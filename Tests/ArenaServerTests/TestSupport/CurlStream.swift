import Foundation

/// A `curl -N -D -` reading a chunked response as it arrives (a live event stream), so tests see exactly what a
/// real client sees, including whether the chunked body ended cleanly (exit status 0) or was cut off (18).
final class CurlStream: Sendable {
    let curl: ChildProcess

    /// Starts `curl` on `path` of the server at `port`; it gives up by itself after `maxSeconds`.
    /// The head goes to standard output with `-D -`, not `-i`: curl flushes a header file at once but keeps `-i`
    /// headers in its stdio buffer until the first body bytes, so a stream's head would seem to arrive late.
    init(port: UInt16, path: String, maxSeconds: Int = 30) throws {
        curl = try ChildProcess.start(
            "/usr/bin/curl",
            [
                "-sS", "-N", "-D", "-", "--max-time", String(maxSeconds), "http://127.0.0.1:\(port)\(path)",
            ])
    }

    /// Everything received: status line, headers, blank line, body (chunk framing already removed by curl).
    var text: String { curl.stdout.text }

    /// The response head has arrived, so the server has registered the follower.
    var hasHeaders: Bool { text.contains("\r\n\r\n") }

    var head: String {
        let all = text
        guard let range = all.range(of: "\r\n\r\n") else { return all }
        return String(all[..<range.lowerBound])
    }

    /// The complete lines of the body so far.
    var lines: [String] {
        let all = text
        guard let range = all.range(of: "\r\n\r\n") else { return [] }
        let body = all[range.upperBound...]
        guard let lastNewline = body.lastIndex(of: "\n") else { return [] }
        return body[..<lastNewline].split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Waits (bounded) until `condition` holds; false on timeout.
    func waitUntil(timeout: Duration = .seconds(10), _ condition: (CurlStream) -> Bool) -> Bool {
        eventually(timeout: timeout) { condition(self) }
    }

    /// Waits (bounded) for curl to exit: `.exited(0)` when the body ended cleanly; nil on timeout.
    func waitForExit(timeout: Duration = .seconds(10)) -> ChildProcess.Exit? {
        curl.waitForExit(timeout: timeout)
    }

    /// The client goes away.
    func kill() { curl.kill() }
}
