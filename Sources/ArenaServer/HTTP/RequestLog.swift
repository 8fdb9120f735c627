#if canImport(Glibc)
import Glibc
#endif

/// Writes one line per request: `GET /healthz 200 3 41us` (method, path, status, body bytes, microseconds).
///
/// Each line is one `write(2)` of under PIPE_BUF bytes (paths are cut), so lines from worker threads never
/// interleave and no lock is taken. No Foundation, no `print` (which locks stdout).
struct RequestLog: Sendable {
    /// Paths longer than this are cut with `...`, keeping a line below PIPE_BUF (4096).
    static let maxPathBytes = 2048

    /// Destination descriptor, normally 2 (standard error).
    let fileDescriptor: Int32

    /// Renders and writes one line. Errors (a closed stderr) are ignored: logging must not fail a request.
    func record(method: UnsafePointer<CChar>, path: UnsafePointer<CChar>, status: HTTPStatus, bytes: Int,
                microseconds: UInt64) {
        // Safe: libmicrohttpd hands out NUL-terminated strings that live as long as the request.
        let methodBytes = UnsafeBufferPointer(start: UnsafeRawPointer(method).assumingMemoryBound(to: UInt8.self),
                                              count: strlen(method))
        let pathBytes = UnsafeBufferPointer(start: UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self),
                                            count: strlen(path))
        let line = Self.line(method: methodBytes, path: pathBytes, status: status, bytes: bytes,
                             microseconds: microseconds)
        line.withUnsafeBytes { raw in
            // Safe: write reads raw.count bytes of the line's storage, which is alive during this closure.
            _ = write(fileDescriptor, raw.baseAddress, raw.count)
        }
    }

    /// The text of one line, newline included. Control bytes in the path are written as `?` so a client
    /// cannot forge log lines.
    static func line<Method: Collection<UInt8>, Path: Collection<UInt8>>(
        method: Method, path: Path, status: HTTPStatus, bytes: Int, microseconds: UInt64
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(48 + min(path.count, maxPathBytes))
        out.append(contentsOf: method.prefix(32))
        out.append(UInt8(ascii: " "))
        for byte in path.prefix(maxPathBytes) {
            out.append(byte < 0x20 || byte == 0x7F ? UInt8(ascii: "?") : byte)
        }
        if path.count > maxPathBytes {
            out.append(contentsOf: "...".utf8)
        }
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: String(status.code).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: String(bytes).utf8)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: String(microseconds).utf8)
        out.append(contentsOf: "us\n".utf8)
        return out
    }
}
