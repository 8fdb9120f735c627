import ArenaCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import ArenaHTTP

/// `ServerLog`, `ServerLogHandler` and `LogLine` in-process: both formats, line by line, with a fixed instant. One
/// line per request or notice, under PIPE_BUF, and nothing a client or a configuration chooses can start a line
/// of its own, change another field, or make a JSON line that does not parse.
@Suite struct ServerLogTests {
    /// 2026-12-01T23:10:04.125Z.
    static let instant = UTCTimestamp(secondsSinceEpoch: 1_796_166_604, milliseconds: 125)

    func exchange(
        method: String = "GET", path: String, status: HTTPStatus = .notFound, knownClient: Bool = true
    ) -> HTTPExchange {
        HTTPExchange(
            method: HTTPMethod(rawValue: method), path: path, routeLabel: "unmatched", status: status,
            bodyBytes: 56, durationNanoseconds: 41_999, clientAddress: knownClient ? 0x7F00_0001 : 0,
            clientPort: knownClient ? 51234 : 0)
    }

    func line(_ exchange: HTTPExchange, _ format: LogFormat = .text) -> [UInt8] {
        ServerLogHandler.requestLine(exchange, level: ServerLog.level(of: exchange), format: format, at: Self.instant)
    }

    func text(_ exchange: HTTPExchange) -> String { String(decoding: line(exchange), as: UTF8.self) }

    func object(_ exchange: HTTPExchange) throws -> [String: Any] {
        let bytes = line(exchange, .json)
        return try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    static let prefix = "2026-12-01T23:10:04.125Z info 127.0.0.1:51234 "

    // MARK: - Text

    @Test func textRequestLineIsTimestampLevelClientMethodPathStatusBytesAndMicroseconds() {
        #expect(text(exchange(path: "/healthz", status: .ok)) == Self.prefix + "GET /healthz 200 56 41us\n")
        #expect(
            text(exchange(path: "/", knownClient: false)) == "2026-12-01T23:10:04.125Z info - GET / 404 56 41us\n")
        #expect(
            text(exchange(path: "/arenas", status: .serviceUnavailable))
                == "2026-12-01T23:10:04.125Z error 127.0.0.1:51234 GET /arenas 503 56 41us\n")
    }

    @Test func controlBytesBackslashAndSpacesAreEscapedInText() {
        #expect(text(exchange(path: "/a\nb")) == Self.prefix + #"GET /a\x0ab 404 56 41us"# + "\n")
        #expect(
            text(exchange(path: "/a\r\n2026-12-01T23:10:04.125Z info 127.0.0.1:1 GET /forged 200 1 1us"))
                == Self.prefix
                + #"GET /a\x0d\x0a2026-12-01T23:10:04.125Z\x20info\x20127.0.0.1:1\x20GET\x20/forged\x20200\x201\x201us"#
                + " 404 56 41us\n")
        #expect(
            text(exchange(path: "/tab\there/\u{1B}[31m/\u{7F}"))
                == Self.prefix + #"GET /tab\x09here/\x1b[31m/\x7f 404 56 41us"# + "\n")
        // A backslash is doubled, so an escape in the log can only have come from the escaping.
        #expect(text(exchange(path: #"/x\x0ay"#)) == Self.prefix + #"GET /x\\x0ay 404 56 41us"# + "\n")
        #expect(text(exchange(method: "GE\0T", path: "/")) == Self.prefix + #"GE\x00T / 404 56 41us"# + "\n")
        // Bytes of UTF-8 are not control characters: they stay as they are.
        #expect(text(exchange(path: "/café")) == Self.prefix + "GET /café 404 56 41us\n")
    }

    @Test func longPathIsCut() {
        let cut = text(exchange(path: "/" + String(repeating: "a", count: 5000)))
        #expect(
            cut == Self.prefix + "GET /" + String(repeating: "a", count: LogLine.maxPathBytes - 1) + "... 404 56 41us\n"
        )
    }

    // MARK: - JSON

    @Test func jsonRequestLineHasEveryField() throws {
        #expect(
            String(decoding: line(exchange(path: "/healthz", status: .ok), .json), as: UTF8.self)
                == #"{"ts":"2026-12-01T23:10:04.125Z","level":"info","msg":"request","client":"127.0.0.1:51234","#
                + #""method":"GET","path":"/healthz","route":"unmatched","status":200,"bytes":56,"duration_us":41}"#
                + "\n")
        let unknown = try object(exchange(path: "/", status: .internalServerError, knownClient: false))
        #expect(unknown["client"] is NSNull)
        #expect(unknown["level"] as? String == "error")
    }

    /// What clients can put in a method or a path (the HTTP layer hands both over as Swift strings: invalid UTF-8
    /// already became U+FFFD there), each round-tripping exactly through a JSON line.
    static let hostileTexts = [
        #"/a"b"#, #"/a\b"#, "/\u{0}\u{1}\u{1F}\u{7F}", "/x\n{\"level\":\"critical\",\"msg\":\"forged\"}",
        "/café/😀", "/\u{FFFD}\u{FFFD}", "/\u{2028}\u{2029}", #"/\u0000"#, "/\r\n\t\u{8}\u{C}",
        #"","level":"critical"#,
    ]

    @Test(arguments: hostileTexts)
    func jsonFieldsRoundTripWhateverAClientSends(_ hostile: String) throws {
        let parsed = try object(exchange(method: hostile, path: hostile))
        #expect(parsed["path"] as? String == hostile)
        let method =
            hostile.utf8.count <= LogLine.maxMethodBytes
            ? hostile : String(decoding: hostile.utf8.prefix(LogLine.maxMethodBytes), as: UTF8.self) + "..."
        #expect(parsed["method"] as? String == method)
        #expect(parsed["level"] as? String == "info")
        #expect(parsed["msg"] as? String == "request")
        #expect(parsed.count == 10, "no field added or lost: \(parsed.keys.sorted())")
    }

    /// Bytes that are not UTF-8 (lone continuation bytes, overlong forms, surrogates, beyond U+10FFFF, a cut
    /// sequence) become U+FFFD: the line stays valid UTF-8, and valid characters around them stay as they are.
    @Test func invalidUTF8BecomesTheReplacementCharacterInJSON() throws {
        let bytes: [UInt8] = [
            0x2F, 0xFF, 0xC3, 0x28, 0xE0, 0x80, 0x80, 0xED, 0xA0, 0x80, 0xF4, 0x90, 0x80, 0x80, 0xC0, 0xAF,
            0xC3, 0xA9, 0x22, 0x00, 0xE2, 0x82,
        ]
        var out: [UInt8] = []
        bytes.withUnsafeBufferPointer { LogEscaping.appendJSON($0, limit: 512, to: &out) }
        let text = try #require(String(validating: out, as: UTF8.self), "not UTF-8: \(out)")
        let replacement = "\u{FFFD}"
        #expect(
            text == "/" + replacement + replacement + "(" + String(repeating: replacement, count: 12) + "é"
                + #"\"\u0000"# + replacement + replacement)
        let document = Data(("{\"path\":\"" + text + "\"}").utf8)
        let parsed = try #require(try JSONSerialization.jsonObject(with: document) as? [String: String])
        #expect(parsed["path"]?.hasSuffix("é\"\u{0}" + replacement + replacement) == true)
    }

    /// Cutting never splits a UTF-8 sequence: a path of 600 two-byte characters is cut to 256 of them.
    @Test func aCutNeverSplitsACharacter() throws {
        let path = String(repeating: "é", count: 600)
        let parsed = try object(exchange(path: path))
        #expect(parsed["path"] as? String == String(repeating: "é", count: 256) + "...")
        let cutText = text(exchange(path: "/" + path))
        #expect(String(validating: Array(cutText.utf8), as: UTF8.self) != nil)
        #expect(cutText.contains("/" + String(repeating: "é", count: 255) + "... 404"))
    }

    @Test(arguments: [
        "/a\nb", String(repeating: "\n", count: 5000), "/" + String(repeating: "\u{01}", count: 600),
        String(repeating: "é", count: 600), String(repeating: "\"", count: 2000), String(repeating: "😀", count: 400),
    ])
    func aRequestLineIsOneLineBelowPipeBufferInBothFormats(path: String) throws {
        let method = String(repeating: "\u{0}", count: 100)
        for format in LogFormat.allCases {
            let bytes = line(exchange(method: method, path: path), format)
            #expect(bytes.filter { $0 == UInt8(ascii: "\n") }.count == 1)
            #expect(bytes.last == UInt8(ascii: "\n"))
            #expect(bytes.count <= 4096, "one write(2) of at most PIPE_BUF bytes: \(bytes.count)")
            #expect(String(validating: bytes, as: UTF8.self) != nil)
            if format == .json { #expect(try JSONSerialization.jsonObject(with: Data(bytes)) is [String: Any]) }
        }
    }

    // MARK: - Notices and levels, through a file descriptor

    /// The lines `body` writes through a log on a file descriptor.
    func written(_ body: (Int32) -> Void) throws -> String {
        let path = try TestPaths.temporaryFile("", suffix: ".log")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_WRONLY | O_APPEND)
        try #require(descriptor >= 0, "open \(path): errno \(errno)")
        body(descriptor)
        close(descriptor)
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    static let forgedNotice = "removed arena 'job-7'\n2026-12-01T23:10:04.125Z notice arena-server: received SIGTERM"

    @Test func textNoticesAndRequestsThroughServerLog() throws {
        let output = try written { descriptor in
            let log = ServerLog(fileDescriptor: descriptor, format: .text)
            log.notice(Self.forgedNotice)
            log.request(exchange(path: "/a\nb"))
            log.log(.warning, "libmicrohttpd: Failed to receive data")
            log.error("configuration error: threads: expected an integer")
        }
        let lines = TextLogLine.all(in: output)
        #expect(lines.count == 4, "\(output)")
        #expect(!lines.contains(nil), "\(output)")
        #expect(lines.map { $0?.level } == ["notice", "info", "warning", "error"])
        #expect(
            lines[0]?.notice
                == #"removed arena 'job-7'\x0a2026-12-01T23:10:04.125Z notice arena-server: received SIGTERM"#)
        #expect(
            lines[1]?.request
                == TextLogLine.Request(
                    client: "127.0.0.1:51234", method: "GET", path: #"/a\x0ab"#, status: 404, bytes: 56,
                    microseconds: 41))
        #expect(lines[2]?.notice == "libmicrohttpd: Failed to receive data")
        let now = Date().timeIntervalSince1970
        for line in lines {
            let stamp = try #require(line.flatMap { Self.foundationDate($0.timestamp) })
            #expect(abs(stamp.timeIntervalSince1970 - now) < 60, "a timestamp of now: \(String(describing: line))")
        }
    }

    @Test func jsonNoticesAndRequestsThroughServerLog() throws {
        let output = try written { descriptor in
            let log = ServerLog(fileDescriptor: descriptor, format: .json)
            log.notice(Self.forgedNotice)
            log.request(exchange(path: "/a\nb", status: .insufficientStorage))
        }
        let objects = JSONLogLines.parse(output)
        #expect(objects.count == 2, "\(output)")
        let notice = try #require(objects.first ?? nil)
        #expect(notice.keys.sorted() == ["level", "msg", "ts"])
        #expect(notice["level"] as? String == "notice")
        #expect(notice["msg"] as? String == Self.forgedNotice, "JSON keeps the message exactly")
        #expect((notice["ts"] as? String).map(TextLogLine.isTimestamp) == true)
        let request = try #require(objects.last ?? nil)
        #expect(request["level"] as? String == "error")
        #expect(request["path"] as? String == "/a\nb")
        #expect(request["status"] as? Int == 507)
        #expect(request["client"] as? String == "127.0.0.1:51234")
    }

    @Test func levelsOfRequests() {
        for (code, level) in [(200, "info"), (404, "info"), (408, "info"), (500, "error"), (503, "error")] {
            #expect(ServerLog.level(of: exchange(path: "/", status: HTTPStatus(code: UInt16(code)))).rawValue == level)
        }
    }

    // MARK: - swift-log

    /// A program's own logger writing through the handler: the label, then the message, then sorted metadata;
    /// in JSON the label is `logger` and a metadata key that is one of the line's own is renamed.
    @Test func metadataInBothFormats() throws {
        for format in LogFormat.allCases {
            let output = try written { descriptor in
                var logger = Logger(label: "worker") {
                    ServerLogHandler(label: $0, format: format, fileDescriptor: descriptor)
                }
                logger[metadataKey: "shard"] = "3"
                logger.notice(
                    "started",
                    metadata: ["jobs": .stringConvertible(4), "tags": ["a", "b"], "level": "forged", "note": "x y\nz"])
            }
            switch format {
            case .text:
                let line = try #require(TextLogLine(output.dropLast()), "\(output)")
                #expect(line.level == "notice")
                #expect(line.logger == "worker")
                #expect(
                    line.text.dropFirst(UTCTimestamp.byteCount)
                        == #" notice worker: started jobs=4 level=forged note=x\x20y\x0az shard=3 tags=[a,b]"#)
            case .json:
                #expect(
                    output.drop(while: { $0 != "," })
                        == #","level":"notice","logger":"worker","msg":"started","jobs":4,"metadata.level":"forged","#
                        + #""note":"x y\u000az","shard":"3","tags":["a","b"]}"# + "\n")
            }
        }
    }

    @Test func metadataThatWouldNotFitIsLeftOut() throws {
        var metadata: Logger.Metadata = [:]
        for index in 0..<100 { metadata["key\(index)"] = .string(String(repeating: "\n", count: 300)) }
        for format in LogFormat.allCases {
            let output = try written { descriptor in
                Logger(label: ServerLog.label) {
                    ServerLogHandler(label: $0, format: format, fileDescriptor: descriptor)
                }
                .warning("busy", metadata: metadata)
            }
            #expect(output.utf8.count <= 4096)
            #expect(output.filter { $0 == "\n" }.count == 1)
            switch format {
            case .text: #expect(output.hasSuffix(" warning arena-server: busy metadata_dropped=100\n"), "\(output)")
            case .json: #expect(JSONLogLines.parse(output).first??["metadata_dropped"] as? Int == 100)
            }
        }
    }

    @Test func recordsBelowTheLevelAreNotWritten() throws {
        let output = try written { descriptor in
            var handler = ServerLogHandler(label: ServerLog.label, fileDescriptor: descriptor)
            handler.logLevel = .warning
            let log = ServerLog(logger: Logger(label: ServerLog.label) { _ in handler })
            log.log(.info, "housekeeping")
            log.request(exchange(path: "/healthz", status: .ok))
            log.request(exchange(path: "/broken", status: .internalServerError))
            log.notice("listening")
            log.log(.warning, "libmicrohttpd: odd")
        }
        let lines = TextLogLine.all(in: output).compactMap { $0 }
        #expect(lines.map(\.level) == ["error", "warning"], "\(output)")
        #expect(lines.first?.request?.path == "/broken")
    }

    /// swift-log's rule for handlers: a copy of a logger changes its level and metadata alone.
    @Test func theHandlerHasValueSemantics() {
        var first = Logger(label: "first") { ServerLogHandler(label: $0, fileDescriptor: -1) }
        first.logLevel = .debug
        first[metadataKey: "only-on"] = "first"
        var second = first
        second.logLevel = .error
        second[metadataKey: "only-on"] = "second"
        #expect(first.logLevel == .debug)
        #expect(second.logLevel == .error)
        #expect(first[metadataKey: "only-on"] == "first")
        #expect(second[metadataKey: "only-on"] == "second")
    }

    /// Keeps what a logger of another kind is given.
    struct RecordingHandler: LogHandler {
        final class Records: Sendable {
            let events = ArenaLock<[(Logger.Level, String, Logger.Metadata)]>([])
        }
        let records: Records
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            records.events.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
        }
    }

    /// An embedding program's own logger gets each exchange as a record `request` with the fields as metadata.
    @Test func aLoggerOfAnotherKindGetsRequestsAsMetadata() throws {
        let records = RecordingHandler.Records()
        let log = ServerLog(logger: Logger(label: "embedder") { _ in RecordingHandler(records: records) })
        log.request(exchange(path: "/arenas/frame", status: .ok))
        log.notice("listening")
        let events = records.events.withLock { $0 }
        try #require(events.count == 2)
        #expect(events[0].0 == .info)
        #expect(events[0].1 == "request")
        #expect(events[0].2["client"] == "127.0.0.1:51234")
        #expect(events[0].2["path"] == "/arenas/frame")
        #expect(events[0].2["status"]?.description == "200")
        #expect(events[0].2["duration_us"]?.description == "41")
        #expect(events[1].0 == .notice)
        #expect(events[1].1 == "listening")
    }

    // MARK: - Timestamps

    static func foundationDate(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)
    }

    /// The hand-made calendar against Foundation's: epoch, leap days, century years, far future, before 1970.
    @Test func timestampsMatchFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var generator = SystemRandomNumberGenerator()
        let fixed: [Int64] = [
            0, -1, 951_782_400, 951_868_799, 4_107_542_400, 1_796_166_604, 253_402_300_799, -2_208_988_800,
            1_709_164_800, 4_102_444_800,
        ]
        let random = (0..<2000).map { _ in Int64.random(in: -2_208_988_800...253_402_300_799, using: &generator) }
        for seconds in fixed + random {
            let milliseconds = Int.random(in: 0...999, using: &generator)
            var out: [UInt8] = []
            UTCTimestamp(secondsSinceEpoch: seconds, milliseconds: milliseconds).append(to: &out)
            let date = Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000 + 0.0001)
            #expect(String(decoding: out, as: UTF8.self) == formatter.string(from: date), "\(seconds)")
            #expect(out.count == UTCTimestamp.byteCount)
            // The JSON API's paths: into an OutputBytes, and from ArenaCore's nanoseconds.
            let timestamp = UTCTimestamp(secondsSinceEpoch: seconds, milliseconds: milliseconds)
            var bytes = OutputBytes(capacity: 8)
            timestamp.append(to: &bytes)
            #expect(bytes.takeArray() == out)
            if seconds >= 0 && seconds < 18_000_000_000 {  // UInt64 nanoseconds reach the year 2554
                let nanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(milliseconds) * 1_000_000 + 999_999
                #expect(UTCTimestamp(nanosecondsSinceEpoch: nanoseconds) == timestamp, "\(nanoseconds)")
            }
        }
    }

    // MARK: - jq

    /// Every hostile line, in both the request and the notice shape, through the real `jq`: it parses them all and
    /// reads back the same method, path and message.
    @Test func jqParsesEveryHostileLine() throws {
        try #require(FileManager.default.isExecutableFile(atPath: JSONLogLines.jq), "jq is missing: apt-get install jq")
        var input: [UInt8] = []
        for hostile in Self.hostileTexts {
            input += line(exchange(method: hostile, path: hostile), .json)
            var notice = LogLine(format: .json, level: .notice, at: Self.instant)
            notice.appendMessage(hostile, label: nil)
            input += notice.finished()
        }
        // Raw bytes that are not UTF-8, as a log line would carry them if a string held them.
        input += Array(#"{"path":""#.utf8)
        [UInt8]([0x2F, 0xFF, 0xFE, 0xC0, 0x80, 0x22, 0x5C, 0x00]).withUnsafeBufferPointer {
            LogEscaping.appendJSON($0, limit: 512, to: &input)
        }
        input += Array("\"}\n".utf8)
        let result = try JSONLogLines.throughJQ(input)
        #expect(result.exit == .exited(0), "jq: \(result.stderr)")
        let objects = JSONLogLines.parse(result.stdout)
        #expect(objects.count == 2 * Self.hostileTexts.count + 1)
        for (index, hostile) in Self.hostileTexts.enumerated() {
            #expect(objects[2 * index]?["path"] as? String == hostile)
            #expect(objects[2 * index + 1]?["msg"] as? String == hostile)
        }
        #expect(objects.last??["path"] as? String == "/\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\"\\\u{0}")
    }
}
