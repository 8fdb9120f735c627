import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
@testable import ArenaServer

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// The repository root, found from this file's location (<repo>/Tests/ArenaServerTests/TestSupport.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A new file in the temporary directory with `contents`; the caller removes it.
    static func temporaryFile(_ contents: String, suffix: String = ".json") throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("arena-server-test-\(UUID().uuidString)\(suffix)").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A URLSession that gives up quickly, so a broken server fails a test instead of hanging it.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 10
        configuration.timeoutIntervalForResource = 10
        return URLSession(configuration: configuration)
    }()

    /// Sends one request and returns status, body text and the response.
    static func send(
        _ method: String = "GET", port: UInt16, path: String, body: Data? = nil, headers: [String: String] = [:]
    ) async throws -> (status: Int, body: String, response: HTTPURLResponse) {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, String(decoding: data, as: UTF8.self), http)
    }

    /// Runs blocking `work` on a new thread, so that waiting does not tie up Swift concurrency's few threads.
    static func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }

    /// Runs `executable` with `arguments` to completion (killed after `timeout` seconds) and captures its output.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    timeout: TimeInterval = 20) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        try process.run()
        // Read while it runs so that a chatty child cannot block on a full pipe.
        let stdoutData = LockedData()
        let stderrData = LockedData()
        let readers = DispatchGroup()
        for (pipe, sink) in [(out, stdoutData), (err, stderrData)] {
            DispatchQueue.global().async(group: readers) {
                sink.append(pipe.fileHandleForReading.readDataToEndOfFile())
            }
        }
        if exited.wait(timeout: .now() + timeout) == .timedOut {
            kill(process.processIdentifier, SIGKILL)
            exited.wait()
        }
        readers.wait()
        return (process.terminationStatus, stdoutData.text, stderrData.text)
    }
}

/// Bytes appended from several threads.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ more: Data) {
        lock.withLock { data.append(more) }
    }

    var text: String {
        lock.withLock { String(decoding: data, as: UTF8.self) }
    }
}
