#if canImport(Glibc)
import Glibc
#endif

/// Who may talk to the server from a browser: the checks that keep a web page from reading the server through a
/// DNS-rebinding name, or from changing it with a cross-site request. Clients that are not browsers send neither
/// a foreign `Host` nor an `Origin`, and pass.
///
/// - `Host` must name the server: an IP literal (a rebinding attack needs a host name), `localhost`,
///   `listen.host`, or one of `listen.allowed_hosts`; any other is answered 421. The probes (`/healthz`, `/livez`,
///   `/readyz`) are exempt: they probe by whatever address they were given.
/// - A change (any method but GET and HEAD) whose `Origin` is neither the server's own (`http://` + `Host`) nor
///   one of `auth.allowed_origins`, or that has no `Origin` but a `Sec-Fetch-Site` of `cross-site` or
///   `same-site`, is answered 403.
struct OriginPolicy: Sendable {
    /// Host names (lowercase, no port) accepted besides IP literals.
    let allowedHosts: Set<String>
    /// Origins (lowercase `scheme://host[:port]`) accepted for changes besides the server's own.
    let allowedOrigins: Set<String>

    init(_ configuration: Configuration) {
        allowedHosts = Set(
            (["localhost", configuration.listen.host] + configuration.listen.allowedHosts)
                .map { $0.lowercased() })
        allowedOrigins = Set(configuration.auth.allowedOrigins.map { Self.trimmingSlash($0.lowercased()) })
    }

    /// Throws 421 when `Host` names something else than this server.
    func checkHost(_ request: HTTPRequest) throws(APIError) {
        // HTTP/1.0 without Host: not a browser.
        guard let hostBytes = request.headers.valueBytes("Host") else { return }
        // The usual case, decided on the bytes without making a String.
        if hostBytes.withUnsafeBufferPointer(Self.isIPv4WithPort) { return }
        let host = String(decoding: hostBytes, as: UTF8.self)
        var name = Self.hostName(host)
        if name.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) {
            name = name.lowercased()
        }
        guard !Self.isIPLiteral(name), !allowedHosts.contains(name) else { return }
        throw APIError(
            status: .misdirectedRequest, code: "unknown_host",
            message: "this server does not answer to the name \(JSONWriter.quoted(name)) (Host header); allowed: "
                + "IP addresses, " + allowedHosts.sorted().joined(separator: ", ") + " (listen.allowed_hosts)")
    }

    /// Throws 403 when a change comes from another site's page.
    func checkOrigin(_ request: HTTPRequest) throws(APIError) {
        guard request.method != .get, request.method != .head else { return }
        if let origin = request.headers["Origin"] {
            let normalized = Self.trimmingSlash(origin.lowercased())
            if let host = request.headers["Host"]?.lowercased(),
                normalized == "http://" + host || normalized == "https://" + host
            {
                return
            }
            if allowedOrigins.contains(normalized) { return }
            throw APIError(
                status: .forbidden, code: "cross_origin",
                message: "\(request.method) from origin \(JSONWriter.quoted(origin)) is refused: only the server's "
                    + "own pages and auth.allowed_origins may send changes")
        }
        if let site = request.headers["Sec-Fetch-Site"]?.lowercased(), site == "cross-site" || site == "same-site" {
            throw APIError(
                status: .forbidden, code: "cross_origin",
                message: "\(request.method) from a \(site) page is refused (Sec-Fetch-Site)")
        }
    }

    /// The host part of a `Host` value: `[::1]:8080` -> `[::1]`, `example.com:80` -> `example.com`. Read on
    /// bytes: it runs for every request.
    static func hostName(_ value: String) -> String {
        var bytes = value.utf8[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes = bytes.dropLast() }
        if bytes.first == UInt8(ascii: "["), let close = bytes.firstIndex(of: UInt8(ascii: "]")) {
            return String(decoding: bytes[...close], as: UTF8.self)
        }
        if let colon = bytes.lastIndex(of: UInt8(ascii: ":")),
            bytes[bytes.index(after: colon)...].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        {
            bytes = bytes[..<colon]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `value` is a dotted IPv4 address, optionally with `:port`: four numbers of at most three digits.
    /// A quick form of `isIPLiteral` for the common `Host: 127.0.0.1:8080`.
    static func isIPv4WithPort(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        var parts = 1
        var digits = 0
        var number = 0
        var index = value.startIndex
        while index < value.endIndex {
            let byte = value[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                number = number * 10 + Int(byte - UInt8(ascii: "0"))
                guard digits <= 3, number <= 255 else { return false }
            } else if byte == UInt8(ascii: "."), digits > 0, parts < 4 {
                parts += 1
                digits = 0
                number = 0
            } else if byte == UInt8(ascii: ":") {
                break
            } else {
                return false
            }
            index = value.index(after: index)
        }
        guard parts == 4, digits > 0 else { return false }
        guard index < value.endIndex else { return true }
        let port = value[value.index(after: index)...]
        return !port.isEmpty && port.count <= 5
            && port.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    static func isIPLiteral(_ name: String) -> Bool {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, name, &ipv4) == 1 { return true }
        guard name.hasPrefix("["), name.hasSuffix("]") else { return false }
        var ipv6 = in6_addr()
        return inet_pton(AF_INET6, String(name.dropFirst().dropLast()), &ipv6) == 1
    }

    private static func trimmingSlash(_ origin: String) -> String {
        origin.hasSuffix("/") ? String(origin.dropLast()) : origin
    }
}
