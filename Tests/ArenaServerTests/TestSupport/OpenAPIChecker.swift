import Foundation
import Testing

@testable import ArenaHTTP

/// docs/openapi.yaml and `scripts/openapi-check.py`, run with the interpreter `scripts/install-deps.sh test` prepares
/// (a venv at `.build/python` with the real `openapi-spec-validator` and `jsonschema`).
///
/// ```swift
/// var recorder = OpenAPIChecker.Recorder()
/// recorder.record(.get, "/arenas", client.get("/arenas"))
/// let result = try OpenAPIChecker.checkResponses(recorder.records)
/// #expect(result.exit == .exited(0), "\(result.stdout)")
/// ```
enum OpenAPIChecker {
    static let documentPath = TestPaths.repositoryRoot.appendingPathComponent("docs/openapi.yaml").path
    static let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/openapi-check.py").path
    static let python = TestPaths.repositoryRoot.appendingPathComponent(".build/python/bin/python3").path

    /// The document's operations as `"METHOD PATH"`, after openapi-spec-validator accepted it (else throws).
    static func operations() throws -> Set<String> {
        let result = try run(["operations", documentPath])
        try #require(result.exit == .exited(0), "openapi-check.py operations: \(result.stdout)\(result.stderr)")
        return Set(result.stdout.split(separator: "\n").map(String.init))
    }

    /// Checks `records` against the document (or against the document in `document`).
    static func checkResponses(_ records: [Record], document: String = documentPath) throws -> ChildProcess.Result {
        let data = try JSONSerialization.data(withJSONObject: records.map(\.json), options: [.sortedKeys])
        let path = try TestPaths.temporaryFile(String(decoding: data, as: UTF8.self))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try run(["responses", document, path])
    }

    private static func run(_ arguments: [String]) throws -> ChildProcess.Result {
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "\(python) is missing: run `scripts/install-deps.sh test` (or `make test`) first")
        return try ChildProcess.run(python, [script] + arguments, timeout: .seconds(60))
    }

    /// One response as the checker reads it.
    struct Record {
        var method: HTTPMethod
        var target: String
        var status: Int
        var headers: [String: String]
        var body: [UInt8]

        init(_ method: HTTPMethod, _ target: String, _ response: TestResponse) {
            self.method = method
            self.target = target
            status = Int(response.status.code)
            var headers: [String: String] = [:]
            for field in response.headers { headers[field.name] = field.value }
            self.headers = headers
            body = response.bytes
        }

        var json: [String: Any] {
            [
                "method": method.rawValue, "target": target, "status": status, "headers": headers,
                "body_base64": Data(body).base64EncodedString(),
            ]
        }
    }
}
