import Foundation
import Testing

@testable import ArenaHTTP

#if canImport(Glibc)
import Glibc
#endif

/// Slow clients against a live server with small limits: a slowloris crowd must not keep a normal client out,
/// a request that takes too long to arrive is answered 408, and one address cannot take every slot.
///
/// The attackers connect from 127.0.0.2, the normal client from 127.0.0.1: two clients to the per-client limit.
/// Each test prints its figure (`EdgeSlowClient: ...`) for docs/RELIABILITY.md.
@Suite struct EdgeSlowClientTests {
    static let maxConnections = 16
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"

    /// The worst time of `count` requests of a normal client, one every 100 ms; every one must be answered 200.
    func worstNormalRequest(
        port: UInt16, count: Int = 20, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws -> Duration
    {
        var worst = Duration.zero
        var refused: [String] = []
        for _ in 0..<count {
            let (response, time) = try timedRequest(Self.healthz, port: port)
            if response.status != 200 { refused.append("\(response.status) \(response.text)") }
            worst = max(worst, time)
            // The normal client's own pace, spreading its requests over the attack.
            usleep(100_000)
        }
        #expect(refused.isEmpty, "\(refused.count) of \(count) refused: \(refused)", sourceLocation: sourceLocation)
        return worst
    }

    /// Twice `max_connections` connections dribbling a header byte every 300 ms. Before the edge hardening
    /// libmicrohttpd's connection limit was `max_connections` itself and it closed every connection beyond it
    /// unanswered, so the normal client got no answer at all while the attack lasted (its own `connection_timeout`
    /// only ends *silent* connections). The header timeout is left at its default (5 s), longer than the
    /// test: what keeps the normal client in is the eviction of the longest-waiting head.
    @Test func slowHeadsDoNotKeepANormalClientOut() throws {
        let client = try TestClient(.live) { $0.limits.maxConnections = Self.maxConnections }
        let attack = SlowClients(
            port: client.port, count: 2 * Self.maxConnections, from: "127.0.0.2",
            opening: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n", drip: "X-Slow: a\r\n",
            interval: .milliseconds(300))
        #expect(eventually { attack.tally.rounds >= 2 }, "the attack is under way: every connection is 300 ms old")
        let worst = try worstNormalRequest(port: client.port)
        attack.stop()
        print("EdgeSlowClient: slow heads: normal client's worst of 20 requests \(worst.milliseconds) ms")
        #expect(worst < .milliseconds(100), "worst \(worst)")
        #expect(attack.tally.closedByServer > 0, "the server made room by closing slow heads: \(attack.tally)")
    }

    /// The same with uploads that never finish (`Content-Length: 100000`, a byte every 300 ms). Before, they held
    /// their slots for as long as they dribbled. Now the one that has been uploading longest is answered 503
    /// `too_many_connections` to make room (the body timeout, 10 s, is longer than the test).
    @Test func slowBodiesDoNotKeepANormalClientOut() throws {
        let client = try TestClient(.live) { $0.limits.maxConnections = Self.maxConnections }
        let attack = SlowClients(
            port: client.port, count: 2 * Self.maxConnections, from: "127.0.0.2",
            opening: "POST /arenas/request/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n",
            drip: "x", interval: .milliseconds(300))
        #expect(eventually { attack.tally.rounds >= 2 })
        let worst = try worstNormalRequest(port: client.port)
        attack.stop()
        print("EdgeSlowClient: slow bodies: normal client's worst of 20 requests \(worst.milliseconds) ms")
        #expect(worst < .milliseconds(100), "worst \(worst)")
        let answers = attack.tally.answers
        #expect(
            answers.contains { $0.hasPrefix("HTTP/1.1 503 ") && $0.contains(#""error":"too_many_connections""#) },
            "an evicted upload is told why: \(answers.prefix(3))")
        #expect(try client.arena("request")["stats"]?["used_bytes"]?.int == 0, "no partial upload was stored")
    }

    /// A request whose head does not arrive within `header_timeout_seconds` is answered a JSON 408 (the watchdog
    /// checks at least every second), one whose body does not arrive within `body_timeout_seconds` too; a
    /// connection that never sent a request line is closed without an answer. Before, all three stayed open for as
    /// long as they kept sending a byte now and then.
    @Test func slowHeadAndSlowBodyAre408WithinTheTimeout() throws {
        let client = try TestClient(.live) {
            $0.limits.headerTimeoutSeconds = 1
            $0.limits.bodyTimeoutSeconds = 1
        }
        let start = ContinuousClock.now
        let head = try RawHTTPConnection(port: client.port)
        try head.send("GET /arenas HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        let body = try RawHTTPConnection(port: client.port)
        try body.send(
            "POST /arenas/request/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\nx")
        // A chunked body has no length to wait for: its deadline starts with the head all the same.
        let chunked = try RawHTTPConnection(port: client.port)
        try chunked.send(
            "POST /arenas/request/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
        let silent = try RawHTTPConnection(port: client.port)
        try silent.send("GE")

        let headAnswer = try head.readResponse()
        let headTime = ContinuousClock.now - start
        #expect(headAnswer.status == 408)
        #expect(headAnswer.header("connection") == "close")
        #expect(try JSON.parse(headAnswer.body)["error"]?.string == "header_timeout")
        #expect(headTime >= .seconds(1) && headTime < .milliseconds(2500), "408 after \(headTime)")

        let bodyAnswer = try body.readResponse()
        #expect(bodyAnswer.status == 408)
        #expect(try JSON.parse(bodyAnswer.body)["error"]?.string == "body_timeout")
        #expect(ContinuousClock.now - start < .milliseconds(2500))
        let chunkedAnswer = try chunked.readResponse()
        #expect(chunkedAnswer.status == 408)
        #expect(try JSON.parse(chunkedAnswer.body)["error"]?.string == "body_timeout")
        #expect(ContinuousClock.now - start < .milliseconds(2500))

        let (bytes, closed) = silent.readUntilClosed()
        #expect(closed && bytes.isEmpty, "closed silently: \(String(decoding: bytes, as: UTF8.self))")
        print("EdgeSlowClient: slow head answered 408 after \(headTime.milliseconds) ms (header_timeout_seconds 1)")
        // Counted like every other exchange.
        let timedOut = {
            try client.metrics().samples(named: "http_requests_total").filter { $0.labels["code"] == "408" }
                .reduce(0) { $0 + $1.value }
        }
        #expect(try eventually { try timedOut() == 3 })
    }

    /// `max_connections_per_client`: the connections of one address beyond it are refused by libmicrohttpd
    /// (closed unanswered), while another address is served; one slot freed lets the address in again. Before,
    /// there was no such limit: one address could hold every connection.
    @Test func oneAddressCannotHoldMoreThanItsShare() throws {
        let client = try TestClient(.live) { $0.limits.maxConnectionsPerClient = 4 }
        var held = try (0..<4).map { _ in try RawHTTPConnection(port: client.port, from: "127.0.0.2") }
        for connection in held {
            try connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(try connection.readResponse().status == 200)
        }
        let fifth = try WireExchange(Array(Self.healthz.utf8), port: client.port, from: "127.0.0.2")
        #expect(fifth.response == nil && fifth.closed, "the fifth connection of 127.0.0.2: \(fifth.description)")
        #expect(try timedRequest(Self.healthz, port: client.port).response.status == 200, "127.0.0.1 is served")
        held.removeLast()
        #expect(
            eventually {
                (try? WireExchange(Array(Self.healthz.utf8), port: client.port, from: "127.0.0.2"))?.response?.status
                    == 200
            }, "a freed slot lets 127.0.0.2 in again")
    }

    /// When every connection is busy (here: two live event streams with `max_connections` 2), there is nothing to
    /// make room with: the new connection is answered 503 `too_many_connections` with `Retry-After: 1`. Before,
    /// libmicrohttpd closed it without an answer.
    @Test func aNewConnectionWhenAllAreBusyIs503() throws {
        let client = try TestClient(.live) { $0.limits.maxConnections = 2 }
        let streams = try (0..<2).map { _ in
            let stream = try RawHTTPConnection(port: client.port)
            try stream.send("GET /events?follow=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return stream
        }
        for stream in streams { #expect(try stream.readResponse(headOnly: true).status == 200) }
        let refused = try WireExchange(Array(Self.healthz.utf8), port: client.port)
        #expect(refused.response?.status == 503, "\(refused.description)")
        #expect(refused.errorCode == "too_many_connections")
        #expect(refused.response?.header("retry-after") == "1")
        #expect(refused.isOneJSONRefusal, "\(refused.description)")
    }
}
