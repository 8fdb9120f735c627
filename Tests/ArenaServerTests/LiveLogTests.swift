import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's standard error in both formats, from the real binary: `--log-format`, the `log_format` key, what
/// each line holds, and hostile requests whose JSON lines the real `jq` must parse with every field intact.
@Suite struct LiveLogTests {
    /// Requests a client can send that reach the log with bytes that need escaping: a NUL in the method, invalid
    /// UTF-8, quotes and backslashes, raw control characters, a tab and a space in the target, `%0a` followed by
    /// a forged JSON line, a path far over the cut. With each, the method and path the JSON line must show.
    static let hostile: [(name: String, request: [UInt8], method: String, path: String, status: Int)] = [
        (
            "%0a and a forged line", request("GET", #"/x%0a{"level":"critical","msg":"forged"}"#), "GET",
            #"/x%0a{"level":"critical","msg":"forged"}"#, 404
        ),
        ("NUL in the method", request("GE\0T", "/healthz"), "GE\0T", "/healthz", 400),
        ("quotes and a backslash in the method", request(#"G"T\"#, "/healthz"), #"G"T\"#, "/healthz", 405),
        (
            "invalid UTF-8, quotes and a backslash in the path",
            request([0x47, 0x45, 0x54], [0x2F, 0xFF, 0xFE, 0x25, 0x66, 0x66, 0x22, 0x71, 0x5C, 0x7A]), "GET",
            "/\u{FFFD}\u{FFFD}%ff\"q\\z", 400
        ),
        ("invalid UTF-8 in the method", request([0xFF, 0x54], Array("/healthz".utf8)), "\u{FFFD}T", "/healthz", 405),
        ("control characters in the path", request("GET", "/x\u{1}\u{7F}y\tz"), "GET", "/x\u{1}\u{7F}y\tz", 404),
        ("a space in the path", request("GET", "/a b"), "GET", "/a b", 404),
        ("NUL in the path", request("GET", "/reset\0.css"), "GET", "/reset\0...", 400),
        (
            "a path of 3000 quotes", request("GET", "/" + String(repeating: "\"", count: 3000)), "GET",
            "/" + String(repeating: "\"", count: 511) + "...", 404
        ),
    ]

    static func request(_ method: String, _ target: String) -> [UInt8] {
        request(Array(method.utf8), Array(target.utf8))
    }

    static func request(_ method: [UInt8], _ target: [UInt8]) -> [UInt8] {
        method + [0x20] + target + Array(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    }

    /// `--log-format json`: every line of a live daemon's standard error, hostile requests included, goes through
    /// `jq -c .`, which must succeed; the objects it prints have the notices and, per request, the client, the
    /// method and path exactly as sent (invalid UTF-8 as U+FFFD), the status, the bytes and the duration.
    @Test func jqParsesEveryLineOfALiveJSONLog() throws {
        try #require(FileManager.default.isExecutableFile(atPath: JSONLogLines.jq), "jq is missing: apt-get install jq")
        let daemon = try LiveDaemon(arguments: ["--log-format", "json"])
        #expect(TestClient(port: daemon.port).get("/healthz").status == .ok)
        var localPorts: [UInt16] = []
        for row in Self.hostile {
            let connection = try RawHTTPConnection(port: daemon.port)
            localPorts.append(connection.localPort)
            try connection.send(row.request)
            let response = try connection.readResponse()
            #expect(response.status == row.status, "\(row.name)")
        }
        // The version and listening notices, /healthz, then one line per hostile request.
        #expect(eventually { daemon.stderr.text.split(separator: "\n").count >= Self.hostile.count + 3 })
        #expect(daemon.stop() == .exited(0))

        let output = try Data(contentsOf: daemon.stderr.url)
        let jq = try JSONLogLines.throughJQ(Array(output))
        #expect(jq.exit == .exited(0), "jq: \(jq.stderr)")
        let lines = String(decoding: output, as: UTF8.self).split(separator: "\n")
        let objects = JSONLogLines.parse(jq.stdout)
        #expect(objects.count == lines.count, "jq printed one object a line")
        #expect(!objects.contains { $0 == nil })
        let all = objects.compactMap { $0 }

        let notices = all.filter { $0["msg"] as? String != "request" }
        #expect(notices.map { $0["level"] as? String } == ["notice", "notice", "notice", "notice"])
        #expect(
            notices.map { $0["msg"] as? String } == [
                "version \(ArenaHTTPServer.versionLine)", "listening on http://127.0.0.1:\(daemon.port)",
                "received SIGTERM, stopping", "stopped",
            ])
        for object in all {
            #expect((object["ts"] as? String).map(TextLogLine.isTimestamp) == true, "\(object)")
        }

        let requests = all.filter { $0["msg"] as? String == "request" }
        #expect(requests.count == Self.hostile.count + 1)
        #expect(requests.first?["path"] as? String == "/healthz")
        #expect(requests.first?["status"] as? Int == 200)
        #expect(requests.first?["bytes"] as? Int == 3)
        for (index, row) in Self.hostile.enumerated() {
            let logged = try #require(
                requests.first { $0["client"] as? String == "127.0.0.1:\(localPorts[index])" },
                "\(row.name): no line from its connection")
            #expect(logged["method"] as? String == row.method, "\(row.name)")
            #expect(logged["path"] as? String == row.path, "\(row.name)")
            #expect(logged["status"] as? Int == row.status, "\(row.name)")
            #expect(logged["level"] as? String == "info", "\(row.name)")
            #expect(logged["bytes"] as? Int ?? 0 > 0, "\(row.name)")
            #expect(logged["duration_us"] is Int, "\(row.name)")
            #expect(logged.count == 10, "\(row.name): \(logged.keys.sorted())")
        }
        // jq reads the fields an operator filters on.
        let statuses = try JSONLogLines.throughJQ(Array(output), filter: #"select(.msg == "request") | .status"#)
        #expect(statuses.stdout.split(separator: "\n") == ["200"] + Self.hostile.map { "\($0.status)" }[...])
    }

    /// The text format on a live daemon, hostile requests included: every line is a notice or a request of six
    /// fields (spaces and control characters in a path escaped, so fields split on spaces), naming its client.
    @Test func everyTextLineHasItsFields() throws {
        let daemon = try LiveDaemon()
        var clients: [String] = []
        for row in Self.hostile {
            let connection = try RawHTTPConnection(port: daemon.port, from: "127.0.0.7")
            clients.append("127.0.0.7:\(connection.localPort)")
            try connection.send(row.request)
            _ = try connection.readResponse()
        }
        // The version and listening notices, then one line per request.
        #expect(eventually { daemon.stderr.text.split(separator: "\n").count >= Self.hostile.count + 2 })
        #expect(daemon.stop() == .exited(0))
        let lines = TextLogLine.all(in: daemon.stderr.text)
        #expect(!lines.contains(nil), "\(daemon.stderr.text)")
        let requests = lines.compactMap { $0?.request }
        #expect(requests.map(\.client) == clients)
        #expect(requests.map(\.status) == Self.hostile.map(\.status))
        #expect(requests[1].method == #"GE\x00T"#)
        #expect(requests[2].method == #"G"T\\"#)
        #expect(requests[5].path == #"/x\x01\x7fy\x09z"#)
        #expect(requests[6].path == #"/a\x20b"#)
        #expect(requests[7].path == #"/reset\x00..."#)
    }

    /// The `log_format` key does what the flag does; `--check-config` shows it.
    @Test func theConfigurationKeyChoosesTheFormat() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_format": "json" }"#)
        #expect(TestClient(port: daemon.port).get("/healthz").status == .ok)
        #expect(daemon.stop() == .exited(0))
        let objects = JSONLogLines.parse(daemon.stderr.text)
        #expect(objects.count == 5 && !objects.contains { $0 == nil }, "\(daemon.stderr.text)")
        #expect(objects.compactMap { $0?["path"] as? String } == ["/healthz"])

        let config = try TestPaths.temporaryFile(#"{ "log_format": "json" }"#)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let check = try LiveDaemon.run(["--check-config", "--config", config])
        #expect(check.exit == .exited(0))
        #expect(check.stdout.contains("log format json"), "\(check.stdout)")
    }

    /// A bad format is a configuration error like any other: exit 2, one `error` line naming the flag, variable
    /// or key.
    @Test(
        arguments: [
            (["--log-format", "xml"], [:], #"--log-format: expected "text" or "json", got "xml""#),
            (["--log-format", ""], [:], #"--log-format: expected "text" or "json", got """#),
            (
                [], ["ARENA_SERVER_LOG_FORMAT": "yaml"],
                #"ARENA_SERVER_LOG_FORMAT: expected "text" or "json", got "yaml""#
            ),
        ] as [([String], [String: String], String)])
    func aBadFormatExits2(arguments: [String], environment: [String: String], message: String) throws {
        let result = try LiveDaemon.run(["--port", "0"] + arguments, environment: environment)
        #expect(result.exit == .exited(2), "stderr: \(result.stderr)")
        let line = try #require(TextLogLine(result.stderr.dropLast()), "\(result.stderr)")
        #expect(line.level == "error")
        #expect(line.notice == "configuration error: " + message)
        #expect(!result.stdout.contains("port="))
    }

    @Test func aBadFormatInTheFileExits2() throws {
        let config = try TestPaths.temporaryFile(#"{ "log_format": "logfmt" }"#)
        defer { try? FileManager.default.removeItem(atPath: config) }
        let result = try LiveDaemon.run(["--port", "0", "--config", config])
        #expect(result.exit == .exited(2))
        #expect(result.stderr.contains(#" error arena-server: configuration error: log_format: expected "text""#))
    }

    /// With `--log-format json`, even the configuration error that stops the start is a JSON line.
    @Test func aConfigurationErrorIsAJSONLineWhenJSONWasAskedFor() throws {
        let config = try TestPaths.temporaryFile(#"{ "limits": { "max_body_bytes": "lots" } }"#)
        defer { try? FileManager.default.removeItem(atPath: config) }
        for arguments in [["--log-format", "json"], []] {
            let environment = arguments.isEmpty ? ["ARENA_SERVER_LOG_FORMAT": "json"] : [:]
            let result = try LiveDaemon.run(["--config", config] + arguments, environment: environment)
            #expect(result.exit == .exited(2))
            let objects = JSONLogLines.parse(result.stderr)
            #expect(objects.count == 1, "\(result.stderr)")
            #expect(objects.first??["level"] as? String == "error")
            #expect(
                objects.first??["msg"] as? String
                    == #"configuration error: limits.max_body_bytes: expected a size like 1048576 or "1MiB", got "lots""#
            )
        }
    }

    /// The watchdog's answers are logged with the client's address like every other exchange (they were logged
    /// with none): a request head that does not arrive in time is a 408 naming its connection.
    @Test func aTimedOutRequestNamesItsClient() throws {
        let daemon = try LiveDaemon(configuration: #"{ "limits": { "header_timeout_seconds": 1 } }"#)
        let connection = try RawHTTPConnection(port: daemon.port, from: "127.0.0.9")
        try connection.send("GET /arenas HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        #expect(try connection.readResponse().status == 408)
        let client = "127.0.0.9:\(connection.localPort)"
        let logged = {
            TextLogLine.all(in: daemon.stderr.text).compactMap { $0?.request }.first { $0.status == 408 }
        }
        #expect(eventually { logged() != nil }, "\(daemon.stderr.text)")
        #expect(logged()?.client == client)
        #expect(logged()?.path == "/arenas")
        #expect(daemon.stop() == .exited(0))
    }
}
