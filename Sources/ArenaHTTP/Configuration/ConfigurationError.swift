/// A configuration that cannot be used, and where: a key path in the JSON (`limits.max_body_bytes`,
/// `arenas[1].limit`), an environment variable (`ARENA_SERVER_PORT`), a flag (`--threads`) or a file.
///
/// ```swift
/// do { _ = try Configuration.load(environment: ["ARENA_SERVER_PORT": "http"]) }
/// catch { print(error.message) }   // ARENA_SERVER_PORT: expected an integer from 0 to 65535, got "http"
/// ```
public struct ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// Where the bad value came from.
    public var keyPath: String
    /// What is wrong with it.
    public var reason: String

    init(_ keyPath: String, _ reason: String) {
        self.keyPath = keyPath
        self.reason = reason
    }

    /// `<key path>: <reason>`, as printed after `arena-server: configuration error: `.
    public var message: String { "\(keyPath): \(reason)" }

    public var description: String { message }
}
