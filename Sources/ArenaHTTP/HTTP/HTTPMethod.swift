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

    /// The method libmicrohttpd parsed, as a NUL-terminated C string.
    init(cString: UnsafePointer<CChar>) {
        self.rawValue = String(cString: cString)
    }

    var description: String { rawValue }

    static let get = HTTPMethod(rawValue: "GET")
    static let head = HTTPMethod(rawValue: "HEAD")
    static let post = HTTPMethod(rawValue: "POST")
    static let put = HTTPMethod(rawValue: "PUT")
    static let patch = HTTPMethod(rawValue: "PATCH")
    static let delete = HTTPMethod(rawValue: "DELETE")
    static let options = HTTPMethod(rawValue: "OPTIONS")
}
