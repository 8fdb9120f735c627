import ArenaCore
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import ArenaHTTP

/// The HTTP server in this process, with test responders. Serialized: several tests block threads while they wait.
@Suite(.serialized) struct HTTPServerTests {
    /// Answers with `handler`; refusals of the HTTP layer are answered `refused <rejection>` with their status.
    struct ClosureResponder: HTTPResponder {
        let handler: @Sendable (HTTPRequest) -> HTTPResponse

        func respond(to request: HTTPRequest) -> HTTPResponse { handler(request) }

        func respond(to rejection: HTTPRejection, request: HTTPRequest) -> HTTPResponse {
            let status: HTTPStatus = if case .bodyTooLarge = rejection { .payloadTooLarge } else { .badRequest }
            var response = HTTPResponse.text("refused \(rejection) \(request.method) \(request.path)", status: status)
            response.routeLabel = "refused"
            return response
        }
    }

    /// A value the server's threads and the test share (a `Mutex` alone cannot be captured by an escaping closure).
    final class Shared<Value: Sendable>: Sendable {
        private let state: ArenaLock<Value>

        init(_ value: Value) { state = ArenaLock(value) }

        var value: Value { state.withLock { $0 } }

        func update(_ change: (inout Value) -> Void) { state.withLock { change(&$0) } }
    }

    /// Keeps every exchange the server reports.
    final class ExchangeList: HTTPExchangeObserver {
        private let exchanges = Shared<[HTTPExchange]>([])

        func record(_ exchange: HTTPExchange) { exchanges.update { $0.append(exchange) } }

        var all: [HTTPExchange] { exchanges.value }
    }

    /// While the server stops, an idle keep-alive connection is closed at once, but not one whose next request
    /// is already in its socket, unread: that client is answered (503) instead of cut off.
    @Test func closeIdleSparesAConnectionWithARequestWaiting() throws {
        let watchdog = ConnectionWatchdog(
            limits: .init(
                headerTimeoutNanoseconds: 10_000_000_000, bodyTimeoutNanoseconds: 10_000_000_000,
                maxConnections: 8),
            responder: ClosureResponder { _ in .text("unused") }, observer: ExchangeList())
        func pair() -> (server: Int32, client: Int32) {
            var ends: [Int32] = [0, 0]
            precondition(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
            return (ends[0], ends[1])
        }
        let idle = pair()
        let waiting = pair()
        defer { for fd in [idle.server, idle.client, waiting.server, waiting.client] { close(fd) } }
        _ = watchdog.opened(fileDescriptor: idle.server)
        _ = watchdog.opened(fileDescriptor: waiting.server)
        let request = Array("GET /healthz HTTP/1.1\r\n\r\n".utf8)
        #expect(send(waiting.client, request, request.count, 0) == request.count)
        watchdog.closeIdle(quietFor: 0)
        // The idle one was shut down: its client reads the end of the stream.
        var byte: UInt8 = 0
        #expect(recv(idle.client, &byte, 1, Int32(MSG_DONTWAIT)) == 0)
        // The other is open: nothing to read yet (not the end), and the request is still there for the server.
        #expect(recv(waiting.client, &byte, 1, Int32(MSG_DONTWAIT)) == -1 && errno == EAGAIN)
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(recv(waiting.server, &buffer, buffer.count, Int32(MSG_DONTWAIT)) == request.count)
    }

    private func startServer(
        maxBodyBytes: Int = 1 << 20, observer: ExchangeList = ExchangeList(),
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws -> HTTPServer {
        var options = HTTPServer.Options(Configuration())
        options.port = 0
        options.maxBodyBytes = maxBodyBytes
        let server = HTTPServer(options: options, responder: ClosureResponder(handler: handler), observer: observer)
        try server.start()
        return server
    }

    /// Echoes what the server parsed, one field per line.
    private static let echo: @Sendable (HTTPRequest) -> HTTPResponse = { request in
        let lines = [
            "method=\(request.method)",
            "path=\(request.path)",
            "segments=\(request.target.segments.joined(separator: ","))",
            "a=\(request.query["a"] ?? "-")",
            "flag=\(request.query["flag"] ?? "-")",
            "x-test=\(request.headers["X-TEST"] ?? "-")",
            "body=\(String(decoding: request.body, as: UTF8.self))",
        ]
        return .text(lines.joined(separator: "\n"))
    }

    @Test func startsOnAnEphemeralPortAndStops() throws {
        let server = try startServer { _ in .text("ok\n") }
        let port = try #require(server.boundPort)
        #expect(port != 0)
        #expect(server.isRunning)
        let response = TestClient(port: port).get("/healthz")
        #expect(response.status == .ok)
        #expect(response.text == "ok\n")
        #expect(response.headers["Content-Type"] == "text/plain; charset=utf-8")
        server.stop()
        #expect(!server.isRunning)
        #expect(server.boundPort == nil)
        server.stop()  // idempotent
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
    }

    @Test func passesMethodTargetHeadersAndBody() throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let response = TestClient(port: try #require(server.boundPort)).send(
            .put, "/arenas/fr%61me%2Fx?a=hello%20world&flag", headers: ["x-test": "value"],
            body: Array("payload".utf8))
        #expect(response.status == .ok)
        #expect(
            response.text == """
                method=PUT
                path=/arenas/fr%61me%2Fx
                segments=arenas,frame/x
                a=hello world
                flag=
                x-test=value
                body=payload
                """)
    }

    @Test func everyExchangeIsObservedOnceWithItsRouteLabel() throws {
        let observer = ExchangeList()
        let server = try startServer(observer: observer) { request in
            var response = HTTPResponse.text("", status: request.target.segments == ["missing"] ? .notFound : .ok)
            response.routeLabel = "/" + request.target.segments.joined(separator: "/")
            return response
        }
        defer { server.stop() }
        let client = TestClient(port: try #require(server.boundPort))
        #expect(client.get("/found").status == .ok)
        #expect(client.get("/missing?x=1").status == .notFound)
        #expect(client.get("/bad%00").status == .badRequest)
        // The exchange is reported after its response was queued: the client may see the answer first.
        #expect(eventually { observer.all.count == 3 })
        let seen = observer.all.map { "\($0.method) \($0.path) \($0.routeLabel) \($0.status)" }
        #expect(seen == ["GET /found /found 200", "GET /missing /missing 404", "GET /bad%00 refused 400"])
        #expect(observer.all.allSatisfy { $0.clientAddress == 0x7F00_0001 && $0.clientPort != 0 })
    }

    @Test(arguments: ["/arenas/victim%00/reset", "/arenas/%zz", "/arenas/%FF"])
    func unreadableTargetIsRefusedBeforeTheResponder(target: String) throws {
        let called = Shared(0)
        let server = try startServer { _ in
            called.update { $0 += 1 }
            return .text("handled")
        }
        defer { server.stop() }
        let response = TestClient(port: try #require(server.boundPort)).send(.delete, target)
        #expect(response.status == .badRequest)
        #expect(response.text.hasPrefix("refused badTarget(reason: "), "\(response.text)")
        #expect(response.text.hasSuffix(" DELETE \(target.prefix { $0 != "?" })"), "\(response.text)")
        #expect(response.headers["Connection"]?.lowercased() == "close")
        #expect(called.value == 0, "the responder must not see an unreadable target")
    }

    @Test func bodyAtTheLimitIsAccepted() throws {
        let server = try startServer(maxBodyBytes: 1024) { request in .text("\(request.body.count)") }
        defer { server.stop() }
        let client = TestClient(port: try #require(server.boundPort))
        let response = client.post("/", bytes: [UInt8](repeating: 0x61, count: 1024))
        #expect(response.status == .ok)
        #expect(response.text == "1024")
    }

    @Test func declaredBodyOverTheLimitIs413() throws {
        let called = Shared(0)
        let observer = ExchangeList()
        let server = try startServer(maxBodyBytes: 1024, observer: observer) { _ in
            called.update { $0 += 1 }
            return .text("handled")
        }
        defer { server.stop() }
        let client = TestClient(port: try #require(server.boundPort))
        let response = client.post("/upload", bytes: [UInt8](repeating: 0x61, count: 1025))
        #expect(response.status == .payloadTooLarge)
        #expect(response.text == "refused bodyTooLarge(limit: 1024) POST /upload")
        #expect(called.value == 0, "the responder must not see an oversized request")
        #expect(eventually { observer.all.map(\.status) == [.payloadTooLarge] })
    }

    @Test func chunkedBodyOverTheLimitIs413() throws {
        let server = try startServer(maxBodyBytes: 1024) { _ in .text("handled") }
        defer { server.stop() }
        let client = TestClient(port: try #require(server.boundPort))
        // Without a length up front, the limit is hit while the body accumulates.
        let response = client.send(.post, "/upload", body: [UInt8](repeating: 0x61, count: 100_000), chunked: true)
        #expect(response.status == .payloadTooLarge)
        #expect(response.text == "refused bodyTooLarge(limit: 1024) POST /upload")
    }

    @Test func chunkedBodyWithinTheLimitIsDelivered() throws {
        let server = try startServer(maxBodyBytes: 200_000) { request in
            .text("\(request.body.count) \(request.body.allSatisfy { $0 == 0x61 })")
        }
        defer { server.stop() }
        let client = TestClient(port: try #require(server.boundPort))
        let response = client.send(.post, "/upload", body: [UInt8](repeating: 0x61, count: 150_000), chunked: true)
        #expect(response.text == "150000 true")
    }

    @Test func stopLetsARequestInProgressFinish() throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let server = try startServer { _ in
            entered.signal()
            _ = release.wait(timeout: .now() + 10)
            return .text("finished")
        }
        let client = TestClient(port: try #require(server.boundPort))
        let reply = Shared<TestResponse?>(nil)
        let replied = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let response = client.get("/slow")
            reply.update { $0 = response }
            replied.signal()
        }
        try #require(entered.wait(timeout: .now() + 10) == .success, "the handler never ran")
        #expect(server.inFlightCount == 1)

        // stop() must wait for the handler, which is held until `release` is signalled.
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop()
            stopped.signal()
        }
        #expect(stopped.wait(timeout: .now() + 0.2) == .timedOut, "stop() returned while a request was in progress")
        release.signal()
        #expect(stopped.wait(timeout: .now() + 10) == .success)
        try #require(replied.wait(timeout: .now() + 10) == .success, "the client never got its answer")
        let response = try #require(reply.value)
        #expect(response.status == .ok)
        #expect(response.text == "finished")
        #expect(server.inFlightCount == 0)
    }

    @Test func portInUseIsAnError() throws {
        let first = try startServer { _ in .text("") }
        defer { first.stop() }
        var options = HTTPServer.Options(Configuration())
        options.port = try #require(first.boundPort)
        let second = HTTPServer(
            options: options, responder: ClosureResponder { _ in .text("") },
            observer: ExchangeList())
        #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(!second.isRunning)
    }
}
