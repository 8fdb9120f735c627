#if canImport(Glibc)
import Glibc
#endif

/// The lines the server writes, normally to standard error: its notices (`arena-server: removed arena 'job-7':
/// idle past its ttl_seconds`) and one line per request (`GET /healthz 200 3 41us`: method, path, status, body
/// bytes, microseconds).
///
/// Every line is one `write(2)` of under PIPE_BUF bytes, so lines from worker threads never interleave and no
/// lock is taken. Every byte a client or a configuration could choose is escaped: control characters become
/// `\xNN` and `\` becomes `\\`, so nothing written can start a line of its own (a `%0a` in a path cannot forge
/// `arena-server: received SIGTERM, stopping`).
///
/// ```swift
/// ServerLog.standardError.notice("listening on http://127.0.0.1:8080")
/// ```
public struct ServerLog: Sendable {
    /// Paths longer than this are cut with `...`, keeping a line below PIPE_BUF (4096) even when every byte
    /// needs its four-byte escape.
    static let maxPathBytes = 512
    /// Messages are cut to this many bytes for the same reason.
    static let maxMessageBytes = 768

    /// Destination descriptor.
    public let fileDescriptor: Int32

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
    }

    public static let standardError = ServerLog(fileDescriptor: 2)

    /// `arena-server: <message>`.
    public func notice(_ message: String) {
        var line: [UInt8] = []
        line.reserveCapacity(16 + min(message.utf8.count, Self.maxMessageBytes))
        line.append(contentsOf: "arena-server: ".utf8)
        Self.appendEscaped(message.utf8, limit: Self.maxMessageBytes, to: &line)
        line.append(UInt8(ascii: "\n"))
        write(line)
    }

    /// The request line of one exchange.
    func request(_ exchange: HTTPExchange) {
        write(Self.requestLine(exchange))
    }

    /// `METHOD PATH STATUS BYTES DURATIONus` and a newline.
    static func requestLine(_ exchange: HTTPExchange) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + min(exchange.path.utf8.count, maxPathBytes))
        appendEscaped(exchange.method.rawValue.utf8, limit: 32, to: &out)
        out.append(UInt8(ascii: " "))
        appendEscaped(exchange.path.utf8, limit: maxPathBytes, to: &out)
        out.append(UInt8(ascii: " "))
        DecimalText.append(UInt64(exchange.status.code), to: &out)
        out.append(UInt8(ascii: " "))
        DecimalText.append(UInt64(exchange.bodyBytes), to: &out)
        out.append(UInt8(ascii: " "))
        DecimalText.append(exchange.durationNanoseconds / 1_000, to: &out)
        out.append(contentsOf: "us\n".utf8)
        return out
    }

    /// Appends at most `limit` bytes of `text`, escaped (see the type's documentation), and `...` when cut.
    static func appendEscaped(_ text: some Collection<UInt8>, limit: Int, to out: inout [UInt8]) {
        for byte in text.prefix(limit) {
            switch byte {
            case 0x00..<0x20, 0x7F:
                out.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigit(byte >> 4),
                    hexDigit(byte & 0x0F),
                ])
            case UInt8(ascii: "\\"):
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            default:
                out.append(byte)
            }
        }
        if text.count > limit { out.append(contentsOf: "...".utf8) }
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private func write(_ line: [UInt8]) {
        line.withUnsafeBytes { raw in
            // Safe: write reads raw.count bytes of the line's storage, which is alive during this closure. Errors
            // (a closed stderr) are ignored: logging must not fail a request.
            _ = Glibc.write(fileDescriptor, raw.baseAddress, raw.count)
        }
    }
}
