#if canImport(Glibc)
import Glibc
#endif

/// Turns the configured host into the `sockaddr_in` libmicrohttpd binds to.
///
/// ```swift
/// let address = try IPv4ListenAddress(host: "localhost", port: 8080)   // 127.0.0.1:8080
/// ```
struct IPv4ListenAddress: Sendable, Equatable {
    /// The address in network byte order, as `in_addr.s_addr` holds it.
    let networkOrderAddress: UInt32
    /// The port in host byte order.
    let port: UInt16

    /// Accepts a dotted-quad IPv4 address, or `"localhost"` meaning 127.0.0.1.
    init(host: String, port: UInt16) throws(HTTPServerError) {
        let literal = host == "localhost" ? "127.0.0.1" : host
        var address = in_addr()
        guard inet_pton(AF_INET, literal, &address) == 1 else {
            throw .invalidHost(host)
        }
        self.networkOrderAddress = address.s_addr
        self.port = port
    }

    /// True for 127.0.0.0/8.
    var isLoopback: Bool {
        UInt32(bigEndian: networkOrderAddress) >> 24 == 127
    }

    /// The socket address for `bind`.
    var socketAddress: sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: networkOrderAddress)
        return address
    }
}
