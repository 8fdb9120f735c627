import ArenaCore
import Foundation
import Synchronization
import Testing

@testable import ArenaHTTP

/// Where a test's requests go. Every API specification runs both ways with `@Test(arguments: Transport.allCases)`
/// (hummingbird's `.router` and `.live`):
/// - `inProcess`: straight into `ArenaAPI.respond(to:)`, the target parsed and the exchange recorded (request
///   metrics) as the HTTP layer does it;
/// - `live`: over a TCP socket to an `ArenaHTTPServer` on an ephemeral port, through libmicrohttpd.
enum Transport: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case inProcess
    case live

    var testDescription: String { rawValue }
}

/// A response as a test sees it, whichever way it came.
struct TestResponse {
    var status: HTTPStatus
    /// Live responses include what libmicrohttpd adds (`Content-Length`, `Date`, `Connection`).
    var headers: HTTPHeaders
    var bytes: [UInt8]

    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The body parsed by Foundation's JSONSerialization; a body that is not a JSON value fails the test.
    func json(sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        try JSON.parse(bytes, sourceLocation: sourceLocation)
    }
}

/// The one test client: an arena server made from a configuration, and requests to it over a `Transport`. For
/// a daemon started as a process (`LiveDaemon`), `TestClient(port:)` talks to it over the same socket code.
///
/// ```swift
/// let client = try TestClient(transport) { $0.limits.maxArenas = 4 }
/// let response = client.post("/arenas", json: #"{"name":"a","capacity":64}"#)
/// #expect(response.status == .created)
/// ```
final class TestClient: Sendable {
    let transport: Transport
    /// The API behind the server (nil for a daemon process), for tests that look inside.
    let api: ArenaAPI?
    private let server: ArenaHTTPServer?
    /// The port a live server listens on (for raw connections beside the client); 0 in process.
    let port: UInt16
    /// Idle keep-alive connections, reused by `send`; one per concurrent caller.
    private let connections = ArenaLock<[RawHTTPConnection]>([])

    /// A server from the built-in configuration changed by `configure` (request log off unless it turns it on).
    init(_ transport: Transport, _ configure: (inout Configuration) -> Void = { _ in }) throws {
        var configuration = Configuration()
        configuration.logRequests = false
        configuration.listen.port = 0
        configure(&configuration)
        let server = try ArenaHTTPServer(configuration: configuration)
        self.transport = transport
        self.api = server.api
        self.server = server
        if transport == .live {
            try server.start()
            port = try #require(server.port)
        } else {
            port = 0
        }
    }

    /// A client for a server that already listens on `port` (a daemon process).
    init(port: UInt16) {
        transport = .live
        api = nil
        server = nil
        self.port = port
    }

    deinit {
        // The client leaves first: a server stopping waits (up to limits.shutdown_grace_seconds) for open
        // connections, idle keep-alive ones included, so the pool is closed before it stops.
        connections.withLock { $0.removeAll() }
        server?.stop()
    }

    /// Sends `method target`, where `target` may carry a query string (`/events?since=3&format=text`), exactly as
    /// given (no encoding is added). Live requests carry `Host: 127.0.0.1:PORT` unless `headers` give a `Host`.
    /// A `chunked` body goes out with `Transfer-Encoding: chunked` (live only; in process the body is simply the
    /// bytes). A live request that fails at the socket records an issue and returns 599.
    func send(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = [],
        chunked: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) -> TestResponse {
        switch transport {
        case .inProcess:
            return inProcess(method, target, headers: headers, body: body)
        case .live:
            do {
                return try live(method, target, headers: headers, body: body, chunked: chunked)
            } catch {
                Issue.record("\(method) \(target): \(error)", sourceLocation: sourceLocation)
                return TestResponse(status: 599, headers: HTTPHeaders(), bytes: [])
            }
        }
    }

    private func inProcess(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders, body: [UInt8]
    )
        -> TestResponse
    {
        // Safe to force: in-process clients are made with a server.
        let response = api!.exchange(method: method, rawTarget: Array(target.utf8), headers: headers, body: body)
            .response
        // Streams are read live (StreamTests).
        return TestResponse(status: response.status, headers: response.headers, bytes: response.body.sentBytes ?? [])
    }

    private func live(
        _ method: HTTPMethod, _ target: String, headers: HTTPHeaders, body: [UInt8], chunked: Bool
    )
        throws -> TestResponse
    {
        var head = "\(method) \(target) HTTP/1.1\r\n"
        if headers["Host"] == nil { head += "Host: 127.0.0.1:\(port)\r\n" }
        for field in headers { head += "\(field.name): \(field.value)\r\n" }
        if chunked {
            head += "Transfer-Encoding: chunked\r\n"
        } else if !body.isEmpty || method == .post {
            head += "Content-Length: \(body.count)\r\n"
        }
        head += "\r\n"
        var request = Array(head.utf8)
        if chunked {
            // Chunks of 1000 bytes, so that the server sees a body arrive in several pieces.
            for start in stride(from: 0, to: body.count, by: 1000) {
                let chunk = body[start..<min(start + 1000, body.count)]
                request += Array("\(String(chunk.count, radix: 16))\r\n".utf8) + chunk + Array("\r\n".utf8)
            }
            request += Array("0\r\n\r\n".utf8)
        } else {
            request += body
        }
        // A kept connection may have been closed by the server meanwhile: then once more on a new one.
        for attempt in 0..<2 {
            let reused = attempt == 0 ? connections.withLock { $0.popLast() } : nil
            let connection = try reused ?? RawHTTPConnection(port: port)
            do {
                try connection.send(request)
                let raw = try connection.readResponse(headOnly: method == .head)
                var responseHeaders = HTTPHeaders()
                for (name, value) in raw.headers { responseHeaders.add(name: name, value: value) }
                if raw.header("connection")?.lowercased() != "close" {
                    connections.withLock { $0.append(connection) }
                }
                return TestResponse(
                    status: HTTPStatus(code: UInt16(raw.status)), headers: responseHeaders,
                    bytes: raw.body)
            } catch  where reused != nil {
                continue
            }
        }
        throw RawHTTPConnection.Failure(description: "unreachable")
    }

    func get(
        _ target: String, headers: HTTPHeaders = HTTPHeaders(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> TestResponse {
        send(.get, target, headers: headers, sourceLocation: sourceLocation)
    }

    /// A POST with a JSON body (and `Content-Type: application/json`), or without a body when `json` is nil.
    func post(
        _ target: String, json: String? = nil, headers: HTTPHeaders = HTTPHeaders(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> TestResponse {
        var headers = headers
        if json != nil, headers["Content-Type"] == nil {
            headers.add(name: "Content-Type", value: "application/json")
        }
        return send(.post, target, headers: headers, body: Array((json ?? "").utf8), sourceLocation: sourceLocation)
    }

    /// A POST of raw bytes (blobs), without a content type unless `headers` give one.
    func post(
        _ target: String, bytes: [UInt8], headers: HTTPHeaders = HTTPHeaders(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> TestResponse {
        send(.post, target, headers: headers, body: bytes, sourceLocation: sourceLocation)
    }

    func delete(
        _ target: String, headers: HTTPHeaders = HTTPHeaders(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> TestResponse {
        send(.delete, target, headers: headers, sourceLocation: sourceLocation)
    }

    /// `GET /arenas/{name}` as JSON; records an issue and throws when it is not 200.
    func arena(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let response = get("/arenas/\(name)", sourceLocation: sourceLocation)
        try #require(
            response.status.code == 200, "GET /arenas/\(name): \(response.text)",
            sourceLocation: sourceLocation)
        return try response.json(sourceLocation: sourceLocation)
    }

    /// Creates an arena from a JSON body; requires 201.
    @discardableResult
    func createArena(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSON {
        let response = post("/arenas", json: json, sourceLocation: sourceLocation)
        try #require(
            response.status.code == 201, "POST /arenas \(json): \(response.text)",
            sourceLocation: sourceLocation)
        return try response.json(sourceLocation: sourceLocation)
    }

    /// Allocates from `arena` with a JSON body; requires 201 and returns the allocations.
    @discardableResult
    func allocate(
        _ arena: String, _ json: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> [JSON] {
        let response = post("/arenas/\(arena)/allocations", json: json, sourceLocation: sourceLocation)
        try #require(
            response.status.code == 201, "POST /arenas/\(arena)/allocations \(json): \(response.text)",
            sourceLocation: sourceLocation)
        return try #require(
            try response.json(sourceLocation: sourceLocation)["allocations"]?.array,
            sourceLocation: sourceLocation)
    }

    /// `GET /metrics` as parsed samples.
    func metrics(sourceLocation: SourceLocation = #_sourceLocation) throws -> PrometheusScrape {
        let response = get("/metrics", sourceLocation: sourceLocation)
        try #require(response.status.code == 200, sourceLocation: sourceLocation)
        return try PrometheusScrape(response.text)
    }

    /// `GET /metrics` as text.
    func metricsText(sourceLocation: SourceLocation = #_sourceLocation) -> String {
        get("/metrics", sourceLocation: sourceLocation).text
    }
}
