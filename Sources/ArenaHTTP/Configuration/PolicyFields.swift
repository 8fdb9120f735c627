import ArenaCore

/// The fields that describe an arena's policy, read the same way from a configuration entry of `arenas` and
/// from a `POST /arenas` body: `"policy"` (`"fixed"`, the default, or `"growing"`), `"capacity"` for a fixed
/// arena, `"limit"` and optional `"initial_chunk"` for a growing one.
///
/// ```swift
/// var object = try ConfigurationObject(value, path: "arenas[0]", allowedKeys: ...)
/// let policy = try PolicyFields.read(from: &object)   // errors name "arenas[0].capacity"
/// ```
enum PolicyFields {
    /// A growing arena's first chunk when `initial_chunk` is not given (capped at its limit).
    static let defaultInitialChunk = 16 << 10

    /// The keys a policy may use.
    static let keys = ["policy", "capacity", "initial_chunk", "limit"]

    /// Reads and checks the policy fields; `reader` supplies the values and makes its own kind of error.
    static func read<Reader: PolicyFieldReader>(from reader: inout Reader) throws(Reader.Failure) -> ArenaPolicy {
        let name = try reader.string("policy") ?? "fixed"
        switch name {
        case "fixed":
            for key in ["initial_chunk", "limit"] where reader.has(key) {
                throw reader.problem(key, "not allowed for a fixed arena (it has a capacity)")
            }
            guard let capacity = try reader.size("capacity") else {
                throw reader.problem("capacity", #"required for a fixed arena (bytes, or a string like "64KiB")"#)
            }
            return .fixed(capacity: capacity)
        case "growing":
            if reader.has("capacity") {
                throw reader.problem("capacity", "not allowed for a growing arena (it has initial_chunk and limit)")
            }
            guard let limit = try reader.size("limit") else {
                throw reader.problem("limit", #"required for a growing arena (bytes, or a string like "1MiB")"#)
            }
            let initialChunk = try reader.size("initial_chunk") ?? min(defaultInitialChunk, limit)
            guard initialChunk <= limit else {
                throw reader.problem(
                    "initial_chunk",
                    "\(ByteSize.format(initialChunk)) is more than the arena's "
                        + "limit (\(ByteSize.format(limit)))")
            }
            return .growing(initialChunk: initialChunk, limit: limit)
        default:
            throw reader.problem("policy", #"expected "fixed" or "growing", got \#(JSONWriter.quoted(name))"#)
        }
    }
}

/// Where `PolicyFields` reads from: a configuration object or a request body, each with its own error type.
protocol PolicyFieldReader {
    associatedtype Failure: Error
    /// A string field; nil when absent.
    mutating func string(_ key: String) throws(Failure) -> String?
    /// A size field of at least one byte (an integer, or a string like `"64KiB"`); nil when absent.
    mutating func size(_ key: String) throws(Failure) -> Int?
    /// Whether the field is present (and not null).
    func has(_ key: String) -> Bool
    /// The error for `key` with `reason`.
    func problem(_ key: String, _ reason: String) -> Failure
}
