import Foundation
import Testing

@testable import ArenaHTTP

/// The version in one place (`ArenaHTTPServer.version`), the git revision `make` compiles in, and the files that
/// repeat the version.
@Suite struct VersionTests {
    static let root = TestPaths.repositoryRoot

    /// `scripts/write-revision.sh` writes `git rev-parse --short HEAD` into the file it is given.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/git"), "git is not installed"))
    func writeRevisionWritesTheCommit() throws {
        let directory = try TestPaths.temporaryDirectory("arena-revision")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("BuildRevision+Generated.swift").path
        let head = try ChildProcess.run("/usr/bin/git", ["-C", Self.root.path, "rev-parse", "--short", "HEAD"])
        try #require(head.exit == .exited(0), "not a git checkout: \(head.stderr)")
        let commit = head.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let script = Self.root.appendingPathComponent("scripts/write-revision.sh").path
        #expect(try ChildProcess.run(script, [output]).exit == .exited(0))
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("extension BuildRevision {\n    static var revision: String { \"\(commit)\" }\n}"))

        // Outside a git checkout (a tarball): `unknown`.
        let copy = directory.appendingPathComponent("scripts")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: script, toPath: copy.appendingPathComponent("write-revision.sh").path)
        let elsewhere = directory.appendingPathComponent("Elsewhere.swift").path
        let result = try ChildProcess.run(
            copy.appendingPathComponent("write-revision.sh").path, [elsewhere],
            environment: [
                "PATH": "/usr/bin:/bin", "GIT_CEILING_DIRECTORIES": directory.deletingLastPathComponent().path,
            ])
        #expect(result.exit == .exited(0), "\(result.stderr)")
        #expect(try String(contentsOfFile: elsewhere, encoding: .utf8).contains(#"{ "unknown" }"#))
    }

    /// Without the generated file, the committed default applies (what a plain `swift build` of a fresh clone
    /// compiles).
    @Test func revisionDefaultsToUnknown() {
        enum WithoutGeneratedFile: BuildRevisionDefault {}
        #expect(WithoutGeneratedFile.revision == "unknown")
        #expect(ArenaHTTPServer.revision.wholeMatch(of: /unknown|[0-9a-f]{4,40}/) != nil)
        #expect(ArenaHTTPServer.versionLine.hasPrefix("0.2.0 (revision \(ArenaHTTPServer.revision), Swift 6."))
    }

    /// CHANGELOG's newest release is the version the binary prints.
    @Test func changelogNamesTheVersion() throws {
        let changelog = try String(
            contentsOf: Self.root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = try #require(changelog.firstMatch(of: /\n## \[([0-9.]+)\]/)?.output.1)
        #expect(String(newest) == ArenaHTTPServer.version)
        let license = try String(contentsOf: Self.root.appendingPathComponent("LICENSE"), encoding: .utf8)
        #expect(license.contains("Apache License") && license.contains("Version 2.0, January 2004"))
    }
}
