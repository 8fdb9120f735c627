#if canImport(Glibc)
import Glibc
#endif

/// An HTTP request method, as the client spelled it (methods are case-sensitive).
///
/// ```swift
/// if request.method == .get { ... }
/// ```
struct HTTPMethod: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The method token, e.g. `"GET"`.
    var rawValue: String

    /// Wraps any method token; unknown methods are kept so routes can answer 405.
    init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// The method libmicrohttpd parsed, as a NUL-terminated C string. The methods the API serves become their
    /// constants without making a `String` (this runs for every request); any other is copied as sent.
    init(cString: UnsafePointer<CChar>) {
        let length = strlen(cString)
        // Safe: `spelling` is an ASCII StaticString literal with `utf8CodeUnitCount` bytes at `utf8Start`, and
        // `cString` has `length` bytes before its NUL.
        for known in Self.known
        where known.spelling.utf8CodeUnitCount == length && memcmp(cString, known.spelling.utf8Start, length) == 0 {
            self = known.method
            return
        }
        self.rawValue = String(cString: cString)
    }

    /// The methods `init(cString:)` recognizes, most frequent first, with their spelling.
    private static let known: [(method: HTTPMethod, spelling: StaticString)] = [
        (.get, "GET"), (.post, "POST"), (.head, "HEAD"), (.delete, "DELETE"), (.put, "PUT"), (.patch, "PATCH"),
        (.options, "OPTIONS"),
    ]

    var description: String { rawValue }

    static let get = HTTPMethod(rawValue: "GET")
    static let head = HTTPMethod(rawValue: "HEAD")
    static let post = HTTPMethod(rawValue: "POST")
    static let put = HTTPMethod(rawValue: "PUT")
    static let patch = HTTPMethod(rawValue: "PATCH")
    static let delete = HTTPMethod(rawValue: "DELETE")
    static let options = HTTPMethod(rawValue: "OPTIONS")
}
