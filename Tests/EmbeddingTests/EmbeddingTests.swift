import ArenaCore
import ArenaHTTP
import Foundation
import Logging
import Synchronization
import Testing

/// A program that already uses ArenaCore serves its own registry on a port, with nothing but the public API of
/// ArenaHTTP (no `@testable`): what README's "Embedding the server" shows, compiled and run here.
@Suite(.serialized) struct EmbeddingTests {
    /// README's example, line for line between the markers (a test below compares them).
    static func serveOwnRegistry() throws -> (ArenaHTTPServer, RegisteredArena) {
        // README example begins
        let registry = ArenaRegistry()
        let frame = try registry.create(name: "frame", policy: .fixed(capacity: 64 << 10), traceCapacity: 1024)
        var configuration = Configuration()
        configuration.listen.port = 0  // any free port
        configuration.logRequests = false
        let server = ArenaHTTPServer(registry: registry, configuration: configuration)
        try server.start()
        print("dashboard: http://127.0.0.1:\(server.port!)/")
        _ = try frame.arena.allocate(byteCount: 16, alignment: 8)  // shows up in /arenas/frame and /metrics
        // README example ends
        return (server, frame)
    }

    @Test func anEmbeddedServerServesTheProgramsOwnArenas() throws {
        let (server, frame) = try Self.serveOwnRegistry()
        defer { server.stop() }
        let port = try #require(server.port)

        let arena = try curl(port, "/arenas/frame")
        #expect(arena.status == 200)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(arena.body.utf8)) as? [String: Any])
        let stats = try #require(json["stats"] as? [String: Any])
        #expect(stats["used_bytes"] as? Int == 16)
        #expect(json["pinned"] as? Bool == false, "the program's arenas are its own, not declared by a file")

        // The program allocates; the server sees it at once: they share the registry.
        _ = try frame.arena.allocate(byteCount: 32, alignment: 8)
        let events = try curl(port, "/arenas/frame/events?format=text")
        #expect(events.body == "Allocated 16 from 0 to 15\nAllocated 32 from 16 to 47\n")

        let metrics = try curl(port, "/metrics")
        #expect(metrics.body.contains(#"arena_allocations_total{class="frame"} 2"#))

        // Only the program's arenas: the built-in configuration's declared ones are not created.
        let list = try curl(port, "/arenas")
        let names = try #require(try JSONSerialization.jsonObject(with: Data(list.body.utf8)) as? [String: Any])
        #expect((names["arenas"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["frame"])

        // A reset over HTTP releases the program's memory, as a remote reset control should.
        let reset = try curl(port, "/arenas/frame/reset", method: "POST")
        #expect(reset.status == 200)
        #expect(frame.arena.stats.used == 0)
        #expect(frame.arena.generation == 1)
    }

    /// `ArenaHTTPServer(registry:configuration:logger:)`: the request log goes to the program's own logger, one
    /// record `request` per exchange with the fields as metadata.
    @Test func anEmbeddedServerLogsThroughTheProgramsLogger() throws {
        // A swift-log handler of the program's own, recording what it is given.
        final class Box: Sendable { let events = Mutex<[(Logger.Level, String, Logger.Metadata)]>([]) }
        let box = Box()
        struct Forwarding: LogHandler {
            let box: Box
            var logLevel: Logger.Level = .info
            var metadata: Logger.Metadata = [:]
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { metadata[key] }
                set { metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                box.events.withLock { $0.append((event.level, event.message.description, event.metadata ?? [:])) }
            }
        }
        var configuration = Configuration()
        configuration.listen.port = 0
        configuration.arenas = []
        let server = ArenaHTTPServer(
            registry: ArenaRegistry(), configuration: configuration,
            logger: Logger(label: "my-program") { _ in Forwarding(box: box) })
        try server.start()
        let port = try #require(server.port)
        #expect(try curl(port, "/healthz").status == 200)
        #expect(try curl(port, "/arenas/none").status == 404)
        server.stop()
        let requests = box.events.withLock { $0 }.filter { $0.1 == "request" }
        try #require(requests.count == 2, "\(requests)")
        #expect(requests.map(\.0) == [.info, .info])
        #expect(requests.map { $0.2["path"]?.description } == ["/healthz", "/arenas/none"])
        #expect(requests.map { $0.2["status"]?.description } == ["200", "404"])
        #expect(requests.map { $0.2["method"]?.description } == ["GET", "GET"])
        for request in requests {
            #expect(request.2["client"]?.description.hasPrefix("127.0.0.1:") == true)
            #expect(Int(request.2["bytes"]?.description ?? "") ?? 0 > 0)
            #expect(Int(request.2["duration_us"]?.description ?? "") != nil)
        }
    }

    @Test func stopClosesTheListener() throws {
        let (server, _) = try Self.serveOwnRegistry()
        let port = try #require(server.port)
        server.stop()
        #expect(server.port == nil)
        let refused = try? curl(port, "/healthz")
        #expect(refused == nil, "nothing listens after stop()")
    }

    @Test func readmeShowsThisExample() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
        let example = try #require(
            Self.between(
                "// README example begins\n", "        // README example ends",
                in: source))
        let lines = example.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.dropFirst(8) }.filter { !$0.contains("logRequests") }.joined(separator: "\n")
        #expect(readme.contains(lines), "README's embedding example differs from the code this test runs:\n\(lines)")
    }

    static func between(_ start: String, _ end: String, in text: String) -> String? {
        guard let from = text.range(of: start), let to = text.range(of: end, range: from.upperBound..<text.endIndex)
        else { return nil }
        return String(text[from.upperBound..<to.lowerBound])
    }

    /// `curl -s -w '\n%{http_code}'`: the body and the status.
    func curl(_ port: UInt16, _ path: String, method: String = "GET") throws -> (status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = [
            "-sS", "--max-time", "10", "-X", method, "-w", "\n%{http_code}",
            "http://127.0.0.1:\(port)\(path)",
        ]
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("embed-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CurlFailed(status: process.terminationStatus)
        }
        let text = try String(contentsOf: output, encoding: .utf8)
        let split = try #require(text.range(of: "\n", options: .backwards))
        return (Int(text[split.upperBound...]) ?? 0, String(text[..<split.lowerBound]))
    }

    struct CurlFailed: Error { var status: Int32 }
}
