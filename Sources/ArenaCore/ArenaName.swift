/// The rule for arena names in an `ArenaRegistry`: 1-64 characters of `[A-Za-z0-9._-]`, not starting with
/// `.`. Such a name is safe in a URL path segment, a file name and a Prometheus label without escaping.
public enum ArenaName {
    public static let maxLength = 64

    /// Why `name` is not a valid arena name, or nil when it is.
    public static func problem(with name: String) -> String? {
        // Over the contiguous UTF-8 (the HTTP layer checks the name of every request's arena): walking
        // `name.utf8` byte by byte costs several times more.
        var name = name
        return name.withUTF8 { utf8 in
            if utf8.isEmpty { return "an arena name must not be empty" }
            if utf8.count > maxLength { return "an arena name has at most \(maxLength) characters, got \(utf8.count)" }
            if utf8[0] == UInt8(ascii: ".") { return "an arena name must not start with '.'" }
            for byte in utf8 where !isAllowed(byte) {
                return "an arena name may only contain A-Z, a-z, 0-9, '.', '_' and '-'"
            }
            return nil
        }
    }

    /// Whether `name` follows the rule.
    public static func isValid(_ name: String) -> Bool { problem(with: name) == nil }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
