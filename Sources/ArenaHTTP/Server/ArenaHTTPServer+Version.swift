extension ArenaHTTPServer {
    /// The release, in one place: `arena-server --version` prints it and `/metrics` reports it in
    /// `arena_build_info`.
    ///
    /// ```swift
    /// print("\(ArenaHTTPServer.version) (revision \(ArenaHTTPServer.revision))")   // 0.2.0 (revision 3228f6c)
    /// ```
    public static let version = "0.2.0"

    /// The git commit the library was built from (`git rev-parse --short HEAD` when `make` built it), or
    /// `unknown`. Fixed at build time: nothing runs git at run time.
    public static var revision: String { BuildRevision.revision }

    /// The Swift compiler that built the library, as major.minor: `#if compiler` is the one compile-time reading
    /// of it, and it tests versions, so the list below names each release since the package's minimum (6.1).
    public static let swiftVersion: String = {
        #if compiler(>=6.5)
        return ">=6.5"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #else
        return "6.1"
        #endif
    }()

    /// `--version`'s line: `0.2.0 (revision 3228f6c, Swift 6.3)`.
    public static var versionLine: String { "\(version) (revision \(revision), Swift \(swiftVersion))" }
}

/// The commit being built, without git at run time and without a build plugin.
///
/// `make` (every target that builds: `build`, `release`, `test`, `run`, `install`) first runs
/// `scripts/write-revision.sh`, which writes `BuildRevision+Generated.swift` beside this file from
/// `git rev-parse --short HEAD` (only when it changed, so nothing rebuilds needlessly). That file is gitignored;
/// it declares `revision` on `BuildRevision` itself, and Swift prefers a type's own member over a protocol
/// extension's, so it replaces the default below. Without it (a plain `swift build`, or a tarball without git)
/// the default `unknown` is compiled in: a fresh clone builds either way.
enum BuildRevision: BuildRevisionDefault {}

/// The fallback of `BuildRevision.revision`.
protocol BuildRevisionDefault {
    static var revision: String { get }
}

extension BuildRevisionDefault {
    static var revision: String { "unknown" }
}
