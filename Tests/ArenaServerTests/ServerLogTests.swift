import Foundation
import Testing

@testable import ArenaHTTP

/// `ServerLog`: one line per request or notice, and nothing a client or a configuration chooses can start a
/// line of its own.
@Suite struct ServerLogTests {
    func exchange(method: String = "GET", path: String, status: HTTPStatus = .notFound) -> HTTPExchange {
        HTTPExchange(
            method: HTTPMethod(rawValue: method), path: path, routeLabel: "unmatched", status: status,
            bodyBytes: 56, durationNanoseconds: 41_999, clientAddress: 0, clientPort: 0)
    }

    func line(_ exchange: HTTPExchange) -> String {
        String(decoding: ServerLog.requestLine(exchange), as: UTF8.self)
    }

    @Test func requestLineIsMethodPathStatusBytesAndMicroseconds() {
        #expect(line(exchange(path: "/healthz", status: .ok)) == "GET /healthz 200 56 41us\n")
    }

    @Test func controlBytesAndBackslashAreEscaped() {
        #expect(line(exchange(path: "/a\nb")) == #"GET /a\x0ab 404 56 41us"# + "\n")
        #expect(
            line(exchange(path: "/a\r\nGET /forged 200 1 1us"))
                == #"GET /a\x0d\x0aGET /forged 200 1 1us 404 56 41us"# + "\n")
        #expect(
            line(exchange(path: "/tab\there/\u{1B}[31m/\u{7F}")) == #"GET /tab\x09here/\x1b[31m/\x7f 404 56 41us"#
                + "\n")
        // A backslash is doubled, so an escape in the log can only have come from the escaping.
        #expect(line(exchange(path: #"/x\x0ay"#)) == #"GET /x\\x0ay 404 56 41us"# + "\n")
        #expect(line(exchange(method: "GE\nT", path: "/")) == #"GE\x0aT / 404 56 41us"# + "\n")
        // Bytes of UTF-8 are not control characters: they stay as they are.
        #expect(line(exchange(path: "/café")) == "GET /café 404 56 41us\n")
    }

    @Test(arguments: ["/a\nb", String(repeating: "\n", count: 5000), "/" + String(repeating: "\u{01}", count: 600)])
    func aRequestLineIsOneLineBelowPipeBuffer(path: String) {
        let bytes = ServerLog.requestLine(exchange(path: path))
        #expect(bytes.filter { $0 == UInt8(ascii: "\n") }.count == 1)
        #expect(bytes.last == UInt8(ascii: "\n"))
        #expect(bytes.count < 4096, "one write(2) of under PIPE_BUF bytes")
    }

    @Test func longPathIsCut() {
        let text = line(exchange(path: "/" + String(repeating: "a", count: 5000)))
        #expect(text == "GET /" + String(repeating: "a", count: ServerLog.maxPathBytes - 1) + "... 404 56 41us\n")
    }

    @Test func noticeIsOneEscapedLine() throws {
        let path = try TestPaths.temporaryFile("", suffix: ".log")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_WRONLY | O_APPEND)
        try #require(descriptor >= 0, "open \(path): errno \(errno)")
        defer { close(descriptor) }
        let log = ServerLog(fileDescriptor: descriptor)
        log.notice("removed arena 'job-7'\narena-server: received SIGTERM, stopping")
        log.request(exchange(path: "/a\nb"))
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            written == #"arena-server: removed arena 'job-7'\x0aarena-server: received SIGTERM, stopping"# + "\n"
                + #"GET /a\x0ab 404 56 41us"# + "\n")
    }
}
