import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// Bytes on the wire that a proxy, a log reader or the server could each read their own way, over raw sockets to
/// a live server: every leniency is refused with one JSON response and `Connection: close`, nothing that changes
/// a request's meaning reaches the API, and nothing a client sends can forge a line of the daemon's log.
@Suite struct EdgeWireTests {
    /// `HostileRequest.smuggling`: refused before the API, so the reset in each of them is not done, and counted
    /// in `http_requests_total` like any other exchange.
    @Test(arguments: HostileRequest.smuggling)
    func smugglingLeniencyIsRefusedWithOneJSONResponse(_ row: HostileRequest) throws {
        let client = try TestClient(.live)
        let exchange = try WireExchange(row.bytes, port: client.port)
        exchange.expect(row)
        #expect(try client.arena("request")["generation"]?.int == 0, "the reset was not done")
        let counted = {
            try client.metrics().samples(named: "http_requests_total")
                .filter { $0.labels["code"] == String(row.status) }.reduce(0) { $0 + $1.value }
        }
        #expect(try eventually { try counted() == 1 })
    }

    /// A head of 41 fields, more than the server notes on the stack, arrives whole: `Host` comes last, so a
    /// field lost on the way would be answered 400.
    @Test func aHeadOfManyFieldsArrivesWhole() throws {
        let client = try TestClient(.live)
        let bytes = Array(
            "GET /arenas/request HTTP/1.1\r\n\(HostileRequest.manyFields)Connection: close\r\nHost: 127.0.0.1\r\n\r\n"
                .utf8)
        let exchange = try WireExchange(bytes, port: client.port)
        #expect(exchange.response?.status == 200)
    }

    /// `HostileRequest.refusedByLibmicrohttpd`: answered by libmicrohttpd itself (documented, not fixed): the
    /// status is right, the connection closes, and the server goes on serving.
    @Test(arguments: HostileRequest.refusedByLibmicrohttpd)
    func libmicrohttpdRefusalsHaveTheRightStatusAndClose(_ row: HostileRequest) throws {
        let client = try TestClient(.live)
        try WireExchange(row.bytes, port: client.port).expect(row)
        #expect(try client.arena("request")["generation"]?.int == 0)
        #expect(client.get("/healthz").status == .ok)
    }

    /// libmicrohttpd ends the method and the target at their first NUL (it measures them with `strlen`), so
    /// `POST\0 /x` reached the API as `POST /x` and `/reset\0.css` as `/reset`, while a proxy in front reads an
    /// unknown method, or a path ending in `.css` (cached, or let through as a static file). The NUL in the middle
    /// of a method (`PO\0ST`, in `HostileRequest.smuggling`) was caught; these were not, before or after the edge
    /// hardening: the victim arena was reset or deleted.
    @Test(
        arguments: [
            ("NUL at the end of the method", "POST\0 /arenas/victim/reset", "bad_method"),
            ("NULs at the end of the method", "DELETE\0\0 /arenas/victim", "bad_method"),
            ("NUL in the target", "POST /arenas/victim/reset\0.css", "bad_target"),
            ("NUL in the target before more path", "DELETE /arenas/victim\0/../keep", "bad_target"),
        ])
    func aNULCannotChangeWhatARequestDoes(_ example: (name: String, requestLine: String, code: String)) throws {
        let client = try TestClient(.live)
        try client.createArena(#"{"name":"victim","capacity":64}"#)
        try client.allocate("victim", #"{"size":16}"#)
        let bytes = Array("\(example.requestLine) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        let row = HostileRequest(example.name, bytes, 400, .json(example.code))
        try WireExchange(bytes, port: client.port).expect(row)
        let victim = try client.arena("victim")
        #expect(victim["generation"]?.int == 0, "\(example.name): not reset")
        #expect(victim["stats"]?["used_bytes"]?.int == 16)
    }

    /// The daemon's standard error, line by line: every line starts with a timestamp and a level, then a notice
    /// (`arena-server: ...`) or a request (client, method, path, status, bytes, duration), and nothing a client sent
    /// can start a line of its own.
    @Test func nothingAClientSendsCanForgeALogLine() throws {
        let daemon = try LiveDaemon()
        // A method with a NUL: refused, and logged with the NUL escaped, not as the request `GE` that
        // libmicrohttpd's C string suggests (both before and after the edge hardening it was logged as `GE`).
        let nul = try WireExchange(Array("GE\0T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8), port: daemon.port)
        nul.expect(HostileRequest("GE\\0T", [], 400, .json("bad_method")))
        // A %0a and a %0d in the path, each followed by a whole forged line: whether the log shows the path as sent
        // or decoded (then escaped), the request is one line.
        let forgedNotice = "2026-01-01T00:00:00.000Z notice arena-server: received SIGTERM, stopping"
        let forgedRequest = "2026-01-01T00:00:00.000Z info 127.0.0.1:1 GET /healthz 200 3 1us"
        let encoded = { (line: String) in line.replacingOccurrences(of: " ", with: "%20") }
        let forgery = TestClient(port: daemon.port).get(
            "/x%0a\(encoded(forgedNotice))%0d%0a\(encoded(forgedRequest))")
        #expect(forgery.status == .notFound)
        #expect(eventually { daemon.stderr.text.contains(" 404 ") })
        let lines = TextLogLine.all(in: daemon.stderr.text)
        #expect(!lines.contains(nil), "a line that is neither a notice nor a request: \(lines)")
        let requests = lines.compactMap { $0?.request }
        #expect(requests.contains { $0.path.hasPrefix("/x") && $0.path.hasSuffix("1us") && $0.status == 404 })
        #expect(!lines.contains { $0?.text.hasPrefix(forgedNotice) == true }, "a forged line: \(lines)")
        #expect(!lines.contains { $0?.notice == "received SIGTERM, stopping" }, "a forged notice: \(lines)")
        #expect(!requests.contains { $0.client == "127.0.0.1:1" }, "a forged request: \(lines)")
        #expect(requests.contains { $0.method == #"GE\x00T"# && $0.path == "/healthz" && $0.status == 400 })
        #expect(!requests.contains { $0.method == "GE" }, "logged as the method GE: \(lines)")
        for request in requests {
            #expect(request.client.hasPrefix("127.0.0.1:"), "every request names its client: \(request)")
        }
        #expect(daemon.stop() == .exited(0))
    }

    /// libmicrohttpd's own messages (two for every malformed `Content-Length`) reach standard error through the
    /// server log as warnings, at most 20 a second; the first of a new second counts the ones dropped. Before, libmicrohttpd
    /// printed every one of them itself, unescaped and unprefixed.
    @Test func libmicrohttpdMessagesAreRateLimited() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        let bad = Array("POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: abc\r\n\r\n".utf8)
        let start = ContinuousClock.now
        for _ in 0..<60 { _ = try WireExchange(bad, port: daemon.port) }
        let seconds = Int((ContinuousClock.now - start).components.seconds)
        let messages = {
            TextLogLine.all(in: daemon.stderr.text).compactMap { $0 }
                .filter { $0.level == "warning" && $0.notice?.hasPrefix("libmicrohttpd: ") == true }
        }
        // The loop took less than `seconds + 1` s, so it touched at most `seconds + 2` of the limiter's seconds:
        // at most 20 messages in each, and in each but the first one `N more messages dropped` line.
        let lines = messages()
        let notices = lines.filter { $0.text.hasSuffix("more messages dropped") }.count
        let burst = lines.count - notices
        print(
            "EdgeWire: 120 libmicrohttpd messages in \(seconds + 1) s reached the log as \(burst) lines",
            "and \(notices) dropped-message notices")
        #expect(burst > 0 && burst <= 20 * (seconds + 2), "\(burst) messages for 120 in \(seconds + 1) s")
        #expect(notices <= seconds + 1, "\(notices) dropped-message notices in \(seconds + 1) s")
        // A second later, the next message says how many were dropped.
        #expect(
            eventually {
                _ = try? WireExchange(bad, port: daemon.port)
                return messages().contains { $0.text.hasSuffix("more messages dropped") }
            })
        #expect(daemon.stop() == .exited(0))
    }
}
