import Foundation
import Testing

@testable import ArenaHTTP

/// The contract: docs/openapi.yaml is what `GET /openapi.yaml` serves, it and the router name the same routes and
/// methods, and README's walkthrough, run against the real binary, answers what the document says (checked by
/// `scripts/openapi-check.py` with openapi-spec-validator and jsonschema).
@Suite struct OpenAPIContractTests {
    static let document = (try? Data(contentsOf: URL(fileURLWithPath: OpenAPIChecker.documentPath))).map(Array.init)

    @Test func theEmbeddedDocumentIsDocsOpenAPIYaml() throws {
        let file = try #require(Self.document, "cannot read \(OpenAPIChecker.documentPath)")
        #expect(
            OpenAPIDocument.bytes == file,
            "Sources/ArenaHTTP/API/OpenAPIDocument.swift is not docs/openapi.yaml: run scripts/embed-openapi.sh")
    }

    /// Every route label and method is in the document, and every operation of the document is one the router
    /// serves: a live server answers it, neither 404 nor 405.
    @Test func theDocumentAndTheRouterAgreeBothWays() throws {
        let documented = try OpenAPIChecker.operations()
        var routed = Set<String>()
        for label in Route.labels where label != Route.unmatchedLabel {
            let route = try #require(Route(try Self.segments(of: Self.sample(label))), "no route for \(label)")
            #expect(route.label == label)
            for method in route.methods { routed.insert("\(method) \(label)") }
        }
        #expect(routed.subtracting(documented).sorted() == [], "routes the document does not describe")
        #expect(documented.subtracting(routed).sorted() == [], "operations of the document no route serves")

        let client = try TestClient(.live)
        #expect(client.post("/arenas/request/blobs", bytes: [1, 2, 3]).status.code == 201)
        for operation in documented.sorted() {
            let parts = operation.split(separator: " ", maxSplits: 1).map(String.init)
            let response = client.send(HTTPMethod(rawValue: parts[0]), Self.sample(parts[1]))
            #expect(![404, 405].contains(response.status.code), "\(operation): \(response.status) \(response.text)")
        }
    }

    @Test func servedDocumentIsTheFileAsYAML() throws {
        let client = try TestClient(.live) {
            $0.auth.token = "secret"
            $0.auth.protectReads = true
        }
        // Public documentation: no token, even when reads need one.
        let response = client.get("/openapi.yaml")
        #expect(response.status.code == 200)
        #expect(response.headers["Content-Type"] == "application/yaml")
        #expect(response.bytes == Self.document)
        #expect(client.get("/arenas").status.code == 401)
    }

    /// README's walkthrough against the real binary (the default configuration, with its declared arenas), each
    /// response checked against the document for its path, method and status.
    @Test func theWalkthroughAnswersWhatTheDocumentSays() throws {
        let daemon = try LiveDaemon(configuration: #"{ "log_requests": false }"#)
        let client = TestClient(port: daemon.port)
        var records: [OpenAPIChecker.Record] = []
        func send(
            _ method: HTTPMethod, _ target: String, _ expected: UInt16, json: String? = nil, bytes: [UInt8]? = nil,
            headers: HTTPHeaders = HTTPHeaders(), sourceLocation: SourceLocation = #_sourceLocation
        ) -> TestResponse {
            var headers = headers
            if json != nil, headers["Content-Type"] == nil {
                headers.add(name: "Content-Type", value: "application/json")
            }
            let body = bytes ?? json.map { Array($0.utf8) } ?? []
            let response = client.send(method, target, headers: headers, body: body, sourceLocation: sourceLocation)
            #expect(
                response.status.code == expected, "\(method) \(target): \(response.text)",
                sourceLocation: sourceLocation)
            records.append(OpenAPIChecker.Record(method, target, response))
            return response
        }
        for target in ["/healthz", "/livez", "/readyz", "/readyz?verbose", "/", "/arenas", "/arenas/request"] {
            _ = send(.get, target, 200)
        }
        let create =
            #"{"name":"req-42","policy":"fixed","capacity":"64KiB","trace":true,"class":"request","ttl_seconds":300}"#
        _ = send(.post, "/arenas", 201, json: create)
        _ = send(.post, "/arenas", 409, json: create)
        _ = send(
            .post, "/arenas", 201, json: #"{"name":"job-7","policy":"growing","initial_chunk":"16KiB","limit":"1MiB"}"#)
        _ = send(.get, "/arenas/job-7", 200)
        _ = send(.post, "/arenas/req-42/allocations", 201, json: #"{"size":16,"align":8}"#)
        _ = send(.post, "/arenas/req-42/allocations", 201, json: #"{"sizes":[16,32,64],"align":8}"#)
        _ = send(.post, "/arenas/req-42/allocations", 201, json: #"{"size":8,"site":"parser.rs:120"}"#)
        _ = send(.get, "/arenas/req-42/events?since=0&limit=100&format=text", 200)
        _ = send(.get, "/arenas/req-42/events?since=0&limit=100", 200)
        _ = send(.get, "/events?format=text", 200)
        _ = send(.get, "/events", 200)
        _ = send(.post, "/arenas/req-42/checkpoints", 201)
        let blob = send(
            .post, "/arenas/req-42/blobs", 201, bytes: Array("a photo".utf8),
            headers: ["Content-Type": "application/octet-stream"])
        let url = try #require(try blob.json()["url"]?.string)
        _ = send(.get, url, 200)
        _ = send(.head, url, 200)
        _ = send(.post, "/arenas/req-42/rewind", 200, json: #"{"checkpoint":1}"#)
        _ = send(.get, url, 410)
        _ = send(.post, "/arenas/req-42/reset", 200)
        _ = send(.post, "/arenas/req-42/rewind", 409, json: #"{"checkpoint":1}"#)
        _ = send(.post, "/reset?prefix=req-", 200)
        _ = send(.get, "/arenas/req-42", 200)
        _ = send(.get, "/arenas/req-42/generations", 200)
        _ = send(.get, "/classes", 200)
        _ = send(.get, "/debug/pprof/allocs?class=request", 200)
        // A batch that does not fit: 507 with the allocations it made.
        _ = send(.post, "/arenas/req-42/allocations", 507, json: #"{"sizes":[40000,40000]}"#)
        _ = send(.delete, "/arenas/req-42", 204)
        _ = send(.delete, "/arenas/request", 409)
        _ = send(.get, "/metrics", 200)
        _ = send(.get, "/metrics", 200, headers: ["Accept": "application/openmetrics-text;version=1.0.0"])
        _ = send(.head, "/metrics", 200)
        _ = send(.get, "/openapi.yaml", 200)
        // The error contract.
        _ = send(.get, "/arenas/req-42", 404)
        _ = send(.head, "/arenas/req-42", 404)
        _ = send(.post, "/arenas", 415, bytes: Array(#"{"name":"x","capacity":64}"#.utf8))
        _ = send(.post, "/arenas", 400, json: #"{"name":"x","capacity":64"#)
        _ = send(.post, "/arenas", 400, json: #"{"name":"x","capacity":64,"colour":"red"}"#)
        _ = send(.get, "/arenas/.hidden", 400)
        _ = send(.get, "/events?limit=0", 400)
        _ = send(.get, "/arenas/request/blobs/7", 404)
        _ = send(.get, "/arenas", 421, headers: ["Host": "attacker.example"])
        _ = send(.post, "/reset", 403, headers: ["Origin": "http://attacker.example"])

        let result = try OpenAPIChecker.checkResponses(records)
        #expect(result.exit == .exited(0), "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\(records.count) responses checked, 0 failed"), "\(result.stdout)")
    }

    /// The checker is not a rubber stamp: a real response changed one way or another fails, each for its reason.
    @Test func aResponseThatBreaksItsSchemaFails() throws {
        let client = try TestClient(.live)
        let arena = client.get("/arenas/request")
        var missingStats = OpenAPIChecker.Record(.get, "/arenas/request", arena)
        var object = try #require(try arena.json().object).mapValues(\.value)
        object["stats"] = nil
        missingStats.body = Array(try JSONSerialization.data(withJSONObject: object))
        var wrongType = OpenAPIChecker.Record(.get, "/arenas/request", arena)
        wrongType.body = Array(arena.text.replacingOccurrences(of: #""pinned":true"#, with: #""pinned":"yes""#).utf8)
        var wrongCode = OpenAPIChecker.Record(.get, "/arenas/nope", client.get("/arenas/nope"))
        wrongCode.body = Array(#"{"error":"no_such_thing","message":"no arena named 'nope'"}"#.utf8)
        var wrongContentType = OpenAPIChecker.Record(.get, "/arenas", client.get("/arenas"))
        wrongContentType.headers["Content-Type"] = "text/html"
        var undocumentedStatus = OpenAPIChecker.Record(.get, "/healthz", client.get("/healthz"))
        undocumentedStatus.status = 418
        let unknownRoute = OpenAPIChecker.Record(.put, "/arenas", client.send(.put, "/arenas"))
        let broken = [missingStats, wrongType, wrongCode, wrongContentType, undocumentedStatus, unknownRoute]
        #expect(wrongType.body != arena.bytes)

        let result = try OpenAPIChecker.checkResponses(broken)
        #expect(result.exit == .exited(1), "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\(broken.count) responses checked, \(broken.count) failed"), "\(result.stdout)")
        for reason in [
            "'stats' is a required property", "'yes' is not of type 'boolean'", "'no_such_thing' is not one of",
            "Content-Type 'text/html' is not documented", "status 418 is not documented", "no operation PUT /arenas",
        ] {
            #expect(result.stdout.contains(reason), "\(reason): \(result.stdout)")
        }
    }

    /// A concrete path for a route pattern: the declared arena `request` and blob 1.
    static func sample(_ pattern: String) -> String {
        pattern.replacingOccurrences(of: "{name}", with: "request").replacingOccurrences(of: "{id}", with: "1")
    }

    static func segments(of path: String) throws -> [String] {
        try RequestTarget(parsing: Array(path.utf8)).segments
    }
}
