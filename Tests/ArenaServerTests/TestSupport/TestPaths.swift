import Foundation

/// Where the tests find the repository, the daemon binary, and room for temporary files.
enum TestPaths {
    /// The package's root directory, from this file's path (`<root>/Tests/ArenaServerTests/TestSupport/...`).
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The directory of the running test binary: SwiftPM builds every product of the package there (it is what
    /// `swift build --show-bin-path` prints), whatever `--scratch-path` or configuration was used.
    static let buildDirectory: URL = {
        let executable =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: executable).deletingLastPathComponent()
    }()

    /// The `arena-server` binary built beside the tests by `swift build --build-tests`.
    static let serverBinary = buildDirectory.appendingPathComponent("arena-server").path

    /// A new file in the temporary directory holding `contents`; the caller removes it.
    static func temporaryFile(_ contents: String, suffix: String = ".json") throws -> String {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("arena-server-test-\(UUID().uuidString)\(suffix)").path
        try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A new empty directory in the temporary directory; the caller removes it.
    static func temporaryDirectory(_ prefix: String = "arena-server-test") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
