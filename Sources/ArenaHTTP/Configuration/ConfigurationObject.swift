import ArenaCore

/// A JSON object being read as part of the configuration: typed getters that name the key path in every error,
/// and rejection of unknown and duplicate keys.
struct ConfigurationObject {
    /// Key path of this object, e.g. `limits` or `arenas[2]`; empty for the document root.
    let path: String
    private let members: [JSONValue.Member]

    /// Accepts `value` if it is an object whose keys are all in `allowedKeys`, each at most once, and (with
    /// `requireEveryKey`, for the built-in configuration) every one of them present.
    init(
        _ value: JSONValue, path: String, allowedKeys: [String], requireEveryKey: Bool = false
    )
        throws(ConfigurationError)
    {
        guard case .object(let members) = value else {
            throw ConfigurationError(
                path.isEmpty ? "configuration" : path,
                "expected an object, got \(value.summary)")
        }
        self.path = path
        self.members = members
        var seen = Set<String>()
        for member in members {
            guard allowedKeys.contains(member.key) else {
                throw ConfigurationError(
                    childPath(member.key),
                    "unknown key (known keys: \(allowedKeys.joined(separator: ", ")))")
            }
            guard seen.insert(member.key).inserted else {
                throw ConfigurationError(childPath(member.key), "key appears more than once")
            }
        }
        if requireEveryKey, let missing = allowedKeys.first(where: { !seen.contains($0) }) {
            throw ConfigurationError(childPath(missing), "missing from the built-in configuration")
        }
    }

    /// `path.key`, or `key` at the root. A key that is not a plain name (empty, or with a `.`, a space, a quote,
    /// a control character...) is written quoted in brackets, `path["a.b"]`, so the path cannot be misread and an
    /// empty key is not an empty path (found by `make fuzz`: `{"": {}}` was reported as `: unknown key`).
    func childPath(_ key: String) -> String {
        let plain =
            key.utf8.first.map { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } == true
            && key.utf8.allSatisfy { byte in
                byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            }
        if !plain { return "\(path)[\(JSONWriter.quoted(key))]" }
        return path.isEmpty ? key : "\(path).\(key)"
    }

    /// The raw value of `key`, nil if absent (a JSON `null` is returned as `.null`).
    func value(_ key: String) -> JSONValue? {
        members.first { $0.key == key }?.value
    }

    /// True if `key` is present, even as null.
    func contains(_ key: String) -> Bool {
        value(key) != nil
    }

    /// A string, or nil if absent.
    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else {
            throw ConfigurationError(childPath(key), "expected a string, got \(value.summary)")
        }
        return text
    }

    /// An array of strings, or nil if absent.
    func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = value(key) else { return nil }
        guard case .array(let elements) = value else {
            throw ConfigurationError(childPath(key), "expected an array of strings, got \(value.summary)")
        }
        var strings: [String] = []
        for (index, element) in elements.enumerated() {
            guard case .string(let text) = element, !text.isEmpty else {
                throw ConfigurationError(
                    "\(childPath(key))[\(index)]",
                    "expected a non-empty string, got \(element.summary)")
            }
            strings.append(text)
        }
        return strings
    }

    /// A string or null; nil if absent or null.
    func nullableString(_ key: String) throws(ConfigurationError) -> String? {
        if value(key) == .null { return nil }
        return try string(key)
    }

    /// true or false, or nil if absent.
    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else {
            throw ConfigurationError(childPath(key), "expected true or false, got \(value.summary)")
        }
        return flag
    }

    /// A whole number within `range`, or nil if absent.
    func integer(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        return try ConfigurationValue.integer(value, in: range, at: childPath(key))
    }

    /// A size (see `ByteSize`) within `range`, or nil if absent.
    func size(_ key: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let value = value(key) else { return nil }
        return try ConfigurationValue.size(value, in: range, at: childPath(key))
    }
}

extension ConfigurationObject: PolicyFieldReader {
    func size(_ key: String) throws(ConfigurationError) -> Int? {
        // Sizes above limits.max_arena_bytes are refused later, with a message naming that limit.
        try size(key, in: Configuration.Bounds.positiveSize)
    }

    func has(_ key: String) -> Bool { contains(key) }

    func problem(_ key: String, _ reason: String) -> ConfigurationError {
        ConfigurationError(childPath(key), reason)
    }
}

/// Checks of single values shared by the file, the environment and the flags; `at` names the source.
enum ConfigurationValue {
    /// A JSON number that is a whole number within `range`.
    static func integer(
        _ value: JSONValue, in range: ClosedRange<Int>, at path: String
    ) throws(ConfigurationError)
        -> Int
    {
        guard case .number(let literal) = value, let number = Int(literal), range.contains(number) else {
            throw ConfigurationError(
                path,
                "expected an integer from \(range.lowerBound) to \(range.upperBound), "
                    + "got \(value.summary)")
        }
        return number
    }

    /// Text (an environment variable or a flag) that is a whole number within `range`.
    static func integer(text: String, in range: ClosedRange<Int>, at path: String) throws(ConfigurationError) -> Int {
        let isPlainInteger = text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") || $0 == 0x2D }
        guard isPlainInteger, let number = Int(text), range.contains(number) else {
            throw ConfigurationError(
                path,
                "expected an integer from \(range.lowerBound) to \(range.upperBound), "
                    + "got \(JSONWriter.quoted(text))")
        }
        return number
    }

    /// A size within `range`.
    static func size(
        _ value: JSONValue, in range: ClosedRange<Int>, at path: String
    ) throws(ConfigurationError)
        -> Int
    {
        switch ByteSize.parse(value) {
        case .failure(let error):
            throw ConfigurationError(path, error.reason)
        case .success(let bytes):
            guard range.contains(bytes) else {
                throw ConfigurationError(
                    path,
                    "expected a size from \(ByteSize.format(range.lowerBound)) to "
                        + "\(ByteSize.format(range.upperBound)), got \(value.summary)")
            }
            return bytes
        }
    }

    /// A listen host: an IPv4 address or `localhost`.
    static func host(_ text: String, at path: String) throws(ConfigurationError) -> String {
        do {
            _ = try IPv4ListenAddress(host: text, port: 0)
        } catch {
            throw ConfigurationError(
                path,
                #"expected an IPv4 address like "127.0.0.1" or "localhost", got "#
                    + JSONWriter.quoted(text))
        }
        return text
    }

    /// A log format: `text` or `json` (`log_format`, `ARENA_SERVER_LOG_FORMAT`, `--log-format`).
    static func logFormat(_ text: String, at path: String) throws(ConfigurationError) -> LogFormat {
        guard let format = LogFormat(rawValue: text) else {
            throw ConfigurationError(
                path,
                "expected \(LogFormat.allCases.map { JSONWriter.quoted($0.rawValue) }.joined(separator: " or ")), "
                    + "got \(JSONWriter.quoted(text))")
        }
        return format
    }

    /// An arena name or class label: 1-64 characters of `[A-Za-z0-9._-]`, not starting with `.` (`ArenaName`).
    static func label(_ text: String, at path: String) throws(ConfigurationError) -> String {
        guard ArenaName.isValid(text) else {
            throw ConfigurationError(
                path,
                "expected 1-64 characters of A-Z a-z 0-9 . _ - not starting with '.', "
                    + "got \(JSONWriter.quoted(text))")
        }
        return text
    }
}
