import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ArenaServer

/// The HTTP server in this process, with test handlers. Serialized: several tests block threads while they wait.
@Suite(.serialized) struct HTTPServerTests {
    private func startServer(
        maxBodyBytes: Int = 1 << 20,
        handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse
    ) throws -> HTTPServer {
        var options = HTTPServer.Options()
        options.port = 0
        options.logRequests = false
        options.maxBodyBytes = maxBodyBytes
        let server = HTTPServer(configuration: options, handler: handler)
        try server.start()
        return server
    }

    /// Echoes what the server parsed, one field per line.
    private static let echo: @Sendable (HTTPRequest) -> HTTPResponse = { request in
        let lines = [
            "method=\(request.method)",
            "path=\(request.path)",
            "a=\(request.query["a"] ?? "-")",
            "flag=\(request.query["flag"] ?? "-")",
            "x-test=\(request.headers["X-TEST"] ?? "-")",
            "body=\(String(decoding: request.body, as: UTF8.self))",
        ]
        return .text(lines.joined(separator: "\n"))
    }

    @Test func startsOnAnEphemeralPortAndStops() async throws {
        let server = try startServer { _ in .text("ok\n") }
        let port = try #require(server.boundPort)
        #expect(port != 0)
        #expect(server.isRunning)
        let (status, body, response) = try await TestSupport.send(port: port, path: "/healthz")
        #expect(status == 200)
        #expect(body == "ok\n")
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "text/plain; charset=utf-8")
        server.stop()
        #expect(!server.isRunning)
        #expect(server.boundPort == nil)
        server.stop()  // idempotent
        #expect(throws: HTTPServerError.alreadyStarted) { try server.start() }
    }

    @Test func passesMethodPathQueryHeadersAndBody() async throws {
        let server = try startServer(handler: Self.echo)
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let (status, body, _) = try await TestSupport.send(
            "PUT", port: port, path: "/arenas/fr%61me?a=hello%20world&flag", body: Data("payload".utf8),
            headers: ["x-test": "value"])
        #expect(status == 200)
        #expect(body == """
            method=PUT
            path=/arenas/frame
            a=hello world
            flag=
            x-test=value
            body=payload
            """)
    }

    @Test func bodyAtTheLimitIsAccepted() async throws {
        let server = try startServer(maxBodyBytes: 1024) { request in .text("\(request.body.count)") }
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let (status, body, _) = try await TestSupport.send("POST", port: port, path: "/",
                                                           body: Data(repeating: 0x61, count: 1024))
        #expect(status == 200)
        #expect(body == "1024")
    }

    @Test func declaredBodyOverTheLimitIs413() async throws {
        let called = LockedData()
        let server = try startServer(maxBodyBytes: 1024) { _ in
            called.append(Data("x".utf8))
            return .text("handled")
        }
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let (status, body, response) = try await TestSupport.send("POST", port: port, path: "/",
                                                                  body: Data(repeating: 0x61, count: 1025))
        #expect(status == 413)
        #expect(response.value(forHTTPHeaderField: "Content-Type") == "application/json")
        #expect(body == #"{"error":"payload_too_large","message":"request body exceeds the limit of 1024 bytes"}"#)
        #expect(called.text.isEmpty, "the handler must not see an oversized request")
    }

    @Test func chunkedBodyOverTheLimitIs413() throws {
        let server = try startServer(maxBodyBytes: 1024) { _ in .text("handled") }
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let bodyPath = try TestSupport.temporaryFile(String(repeating: "a", count: 100_000), suffix: ".bin")
        defer { try? FileManager.default.removeItem(atPath: bodyPath) }
        // curl sends a body of unknown length with chunked encoding: the limit is hit while accumulating.
        let result = try TestSupport.run("/usr/bin/curl", [
            "-s", "-m", "10", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(bodyPath)",
            "-w", "\n%{http_code}", "http://127.0.0.1:\(port)/upload",
        ])
        #expect(result.status == 0, "curl failed: \(result.stderr)")
        #expect(result.stdout.hasSuffix("\n413"), "\(result.stdout)")
        #expect(result.stdout.contains(#""error":"payload_too_large""#))
    }

    @Test func chunkedBodyWithinTheLimitIsDelivered() throws {
        let server = try startServer(maxBodyBytes: 200_000) { request in .text("\(request.body.count)") }
        defer { server.stop() }
        let port = try #require(server.boundPort)
        let bodyPath = try TestSupport.temporaryFile(String(repeating: "a", count: 150_000), suffix: ".bin")
        defer { try? FileManager.default.removeItem(atPath: bodyPath) }
        let result = try TestSupport.run("/usr/bin/curl", [
            "-s", "-m", "10", "-H", "Transfer-Encoding: chunked", "--data-binary", "@\(bodyPath)",
            "http://127.0.0.1:\(port)/upload",
        ])
        #expect(result.stdout == "150000")
    }

    @Test func stopLetsARequestInProgressFinish() async throws {
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let server = try startServer { _ in
            entered.signal()
            _ = release.wait(timeout: .now() + 10)
            return .text("finished")
        }
        let port = try #require(server.boundPort)
        async let reply = TestSupport.send(port: port, path: "/slow")
        let handlerRunning = await TestSupport.onThread { entered.wait(timeout: .now() + 10) == .success }
        try #require(handlerRunning)
        #expect(server.inFlightCount == 1)

        // stop() must wait for the handler, which is held until `release` is signalled.
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop()
            stopped.signal()
        }
        let stoppedEarly = await TestSupport.onThread { stopped.wait(timeout: .now() + 0.2) == .success }
        #expect(!stoppedEarly, "stop() returned while a request was in progress")
        release.signal()
        let stoppedAfterRelease = await TestSupport.onThread { stopped.wait(timeout: .now() + 10) == .success }
        #expect(stoppedAfterRelease)

        let (status, body, _) = try await reply
        #expect(status == 200)
        #expect(body == "finished")
        #expect(server.inFlightCount == 0)
    }

    @Test func portInUseIsAnError() throws {
        let first = try startServer { _ in .text("") }
        defer { first.stop() }
        var options = HTTPServer.Options()
        options.port = try #require(first.boundPort)
        options.logRequests = false
        let second = HTTPServer(configuration: options) { _ in .text("") }
        #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(!second.isRunning)
    }
}
