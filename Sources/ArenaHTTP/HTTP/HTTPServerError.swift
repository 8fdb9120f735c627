#if canImport(Glibc)
import Glibc
#endif

/// Why the HTTP server could not start.
///
/// A struct around a private enum, so that new reasons can be added without breaking `switch`es elsewhere.
public struct HTTPServerError: Error, CustomStringConvertible, Equatable {
    private enum Reason: Equatable {
        case invalidHost(String)
        case startFailed(host: String, port: UInt16, errno: Int32)
        case alreadyStarted
    }

    private let reason: Reason

    /// The host is neither a dotted IPv4 address nor `localhost`.
    static func invalidHost(_ host: String) -> HTTPServerError { .init(reason: .invalidHost(host)) }
    /// libmicrohttpd refused to start (port in use, no permission, ...); `errno` as it was right after.
    static func startFailed(host: String, port: UInt16, errno: Int32) -> HTTPServerError {
        .init(reason: .startFailed(host: host, port: port, errno: errno))
    }
    /// `start()` was called on a server that was already started once.
    static let alreadyStarted = HTTPServerError(reason: .alreadyStarted)

    public var description: String {
        switch reason {
        case .invalidHost(let host):
            return "cannot listen on \"\(host)\": expected an IPv4 address like 127.0.0.1 or \"localhost\""
        case .startFailed(let host, let port, let code):
            let why = code == 0 ? "libmicrohttpd refused to start" : String(cString: strerror(code))
            return "cannot listen on \(host):\(port): \(why)"
        case .alreadyStarted:
            return "the server was already started"
        }
    }
}
