import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection to 127.0.0.1 that writes exactly the bytes a test gives it and parses what comes back.
///
/// For what curl and URLSession will not send (pipelined, malformed or deliberately slow requests) and for
/// many requests on one keep-alive connection without a process per request.
///
/// ```swift
/// let connection = try RawHTTPConnection(port: daemon.port)
/// try connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
/// let response = try connection.readResponse()   // status 200, body "ok\n"
/// ```
final class RawHTTPConnection: @unchecked Sendable {
    // @unchecked: a connection is used by one thread at a time (a test, or the one caller TestClient's pool hands
    // it to); only moving it between threads needs Sendable.
    struct Response {
        var status: Int
        /// Header names lowercased, in order.
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    let socketFD: Int32
    private var buffer: [UInt8] = []

    /// Connects from `source` (another loopback address, e.g. `127.0.0.2`, is another client to the server's
    /// per-client limit), or from the address the kernel picks; every read gives up after `timeoutSeconds`
    /// without data.
    init(port: UInt16, timeoutSeconds: Int = 10, from source: String? = nil) throws {
        socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            try Self.attach(socketFD, to: source, port: 0, "bind to \(source)") { bind($0, $1, $2) }
        }
        try Self.attach(socketFD, to: "127.0.0.1", port: port, "connect to 127.0.0.1:\(port)") { connect($0, $1, $2) }
    }

    /// `operation` (bind or connect) of `socketFD` to `host`:`port`. On failure the socket stays open: `deinit`
    /// closes it, since it runs when `init` throws too. Closing it here as well closed a descriptor number another
    /// thread had just been given (a daemon's listening socket, in a test run: libmicrohttpd aborted with "Failed
    /// to remove listen FD from epoll set").
    private static func attach(
        _ socketFD: Int32, to host: String, port: UInt16, _ what: String,
        _ operation: (Int32, UnsafePointer<sockaddr>, socklen_t) -> Int32
    ) throws {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr(host)
        let succeeded = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                operation(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard succeeded else {
            let code = errno
            throw Failure(description: "\(what): errno \(code)")
        }
    }

    /// The one place the socket is closed: after a throwing `init` too (the stored properties are set by then).
    deinit { if socketFD >= 0 { close(socketFD) } }

    /// The local end's port: with the source address, the client the server's log names.
    var localPort: UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) }
        }
        return result == 0 ? UInt16(bigEndian: address.sin_port) : 0
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { raw in
                Glibc.send(socketFD, raw.baseAddress, raw.count, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw Failure(description: "send: errno \(errno)") }
            offset += written
        }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
        if count < 0 { throw Failure(description: "recv: errno \(errno) (timeout or reset)") }
        if count == 0 { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    /// Every byte until the server closes the connection (or the read times out).
    func readToEnd() throws -> [UInt8] {
        while try fill() {}
        defer { buffer = [] }
        return buffer
    }

    /// Every byte still to come, and whether the server closed the connection (an end of stream or a reset)
    /// rather than a read timing out first.
    func readUntilClosed() -> (bytes: [UInt8], closed: Bool) {
        defer { buffer = [] }
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socketFD, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[0..<count])
            } else {
                return (buffer, count == 0 || errno == ECONNRESET)
            }
        }
    }

    /// One response: status line, headers, and a body framed by Content-Length or chunked encoding (none for
    /// HEAD requests when `headOnly`).
    func readResponse(headOnly: Bool = false) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd = buffer.firstRange(of: separator)
        while headEnd == nil {
            guard try fill() else { throw Failure(description: "connection closed before a response head") }
            headEnd = buffer.firstRange(of: separator)
        }
        let head = String(decoding: buffer[..<headEnd!.lowerBound], as: UTF8.self)
        buffer.removeSubrange(..<headEnd!.upperBound)
        var lines = head.components(separatedBy: "\r\n")
        let statusParts = lines.removeFirst().split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw Failure(description: "bad status line in: \(head)")
        }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (
                    line[..<colon].lowercased(),
                    line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                ))
        }
        var response = Response(status: status, headers: headers, body: [])
        if headOnly || status == 204 || status == 304 { return response }
        if let length = response.header("content-length").flatMap(Int.init) {
            while buffer.count < length {
                guard try fill() else { throw Failure(description: "closed after \(buffer.count) of \(length) bytes") }
            }
            response.body = Array(buffer[..<length])
            buffer.removeSubrange(..<length)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            response.body = try readChunks()
        } else {
            response.body = try readToEnd()
        }
        return response
    }

    private func readLine() throws -> String {
        let crlf: [UInt8] = [13, 10]
        while buffer.firstRange(of: crlf) == nil {
            guard try fill() else { throw Failure(description: "closed inside chunked framing") }
        }
        let end = buffer.firstRange(of: crlf)!
        let line = String(decoding: buffer[..<end.lowerBound], as: UTF8.self)
        buffer.removeSubrange(..<end.upperBound)
        return line
    }

    private func readChunks() throws -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine()
            guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16) else {
                throw Failure(description: "bad chunk size line '\(sizeLine)'")
            }
            if size == 0 {
                while try !readLine().isEmpty {}  // trailers
                return body
            }
            while buffer.count < size + 2 {
                guard try fill() else { throw Failure(description: "closed inside a chunk") }
            }
            body.append(contentsOf: buffer[..<size])
            buffer.removeSubrange(..<(size + 2))
        }
    }
}

/// CPU time and resident memory of another process, from /proc.
enum ProcessUsage {
    /// Nanoseconds the process's threads have run, summed over `/proc/PID/task/*/schedstat` (nanosecond exact,
    /// unlike the clock ticks of `/proc/PID/stat`).
    static func cpuNanoseconds(pid: Int32) -> UInt64 {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var total: UInt64 = 0
        for task in tasks {
            guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/schedstat", encoding: .utf8),
                let first = text.split(separator: " ").first, let value = UInt64(first)
            else { continue }
            total += value
        }
        return total
    }

    /// `VmRSS` of `/proc/PID/status`, in bytes.
    static func residentBytes(pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        else { return 0 }
        return kilobytes * 1024
    }
}
