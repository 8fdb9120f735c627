/// What a request head must satisfy before the application sees it, beyond what libmicrohttpd checks: the
/// leniencies a proxy in front of the server could read differently (request smuggling, header injection).
///
/// Refused with 400: a field name that is not a token (`Host : x`, a space before the colon), a value with a
/// control character (a bare CR, a LF, a NUL), HTTP/1.1 without exactly one `Host` (HTTP/1.0: at most one), two
/// `Content-Length` fields that differ, and `Content-Length` together with `Transfer-Encoding`. A
/// `Transfer-Encoding` other than `chunked` is refused with 501.
enum RequestHeadRules {
    /// Why `headers` (of a request with `version`, e.g. `HTTP/1.1`) cannot be served, or nil.
    static func problem(_ headers: HTTPHeaders, version: String) -> HTTPRejection? {
        check(headers, isHTTP11: version == "HTTP/1.1").problem
    }

    /// `problem`, and whether a body follows in chunks (`Transfer-Encoding: chunked`, when there is no problem):
    /// the server needs both, and one pass over the fields gives them. `isHTTP11`: the version is `HTTP/1.1`.
    ///
    /// The pass reads the fields' bytes in place (no slice, no `String`) and tells the three names it acts on by
    /// their length first: it runs for every request.
    static func check(_ headers: HTTPHeaders, isHTTP11: Bool) -> (problem: HTTPRejection?, chunked: Bool) {
        var problem: HTTPRejection?
        var hosts = 0
        var contentLength: UnsafeRawBufferPointer?
        var transferCodings: [UInt8] = []
        var hasTransferEncoding = false
        headers.forEachRawField { name, value in
            guard !name.isEmpty, name.allSatisfy(isTokenByte) else {
                problem = .badHeader(
                    reason: "header name \(JSONWriter.quoted(String(decoding: name, as: UTF8.self))) "
                        + "is not a token (a space before the colon?)")
                return false
            }
            guard value.allSatisfy({ $0 >= 0x20 && $0 != 0x7F || $0 == 0x09 }) else {
                problem = .badHeader(
                    reason: "header '\(String(decoding: name, as: UTF8.self))' contains a control "
                        + "character (CR, LF or NUL)")
                return false
            }
            switch name.count {
            case 4 where equalIgnoringCase(name, "host"):
                hosts += 1
            case 14 where equalIgnoringCase(name, "content-length"):
                let trimmed = trim(value)
                // Safe: `contentLength` is an earlier field's bytes, valid until forEachRawField returns.
                if let earlier = contentLength, !earlier.elementsEqual(trimmed) {
                    problem = .badHeader(reason: "two Content-Length fields with different values")
                    return false
                }
                contentLength = trimmed
            case 17 where equalIgnoringCase(name, "transfer-encoding"):
                if hasTransferEncoding { transferCodings.append(UInt8(ascii: ",")) }
                hasTransferEncoding = true
                transferCodings.append(contentsOf: trim(value))
            default:
                break
            }
            return true
        }
        if let problem { return (problem, false) }
        if isHTTP11 && hosts != 1 || hosts > 1 {
            return (
                .badHeader(
                    reason: hosts == 0
                        ? "an HTTP/1.1 request needs a Host header"
                        : "more than one Host header"),
                false
            )
        }
        if hasTransferEncoding {
            if contentLength != nil {
                return (.badHeader(reason: "both Content-Length and Transfer-Encoding are given"), false)
            }
            guard HTTPHeaders.bytesEqualIgnoringASCIICase(transferCodings, "chunked".utf8) else {
                return (.unsupportedTransferCoding(String(decoding: transferCodings, as: UTF8.self)), false)
            }
        }
        return (nil, hasTransferEncoding)
    }

    /// RFC 9110 `tchar`: letters, digits and ``!#$%&'*+-.^_`|~``.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        // One bit per ASCII byte (bytes from 128 are never tokens): names are checked byte by byte on every
        // request, and a table lookup here costs a lazy global's check and a bounds check per byte.
        byte < 64 ? tokenBitsBelow64 >> byte & 1 != 0 : byte < 128 ? tokenBitsFrom64 >> (byte - 64) & 1 != 0 : false
    }

    /// Bit `b` set when byte `b` (0-63) is a `tchar`: `!#$%&'*+-.` and the digits.
    static let tokenBitsBelow64: UInt64 = 0x03FF_6CFA_0000_0000
    /// Bit `b - 64` set when byte `b` (64-127) is a `tchar`: the letters and `^_`|~`.
    static let tokenBitsFrom64: UInt64 = 0x57FF_FFFF_C7FF_FFFE

    /// `bytes` equals the lowercase ASCII `name`, ignoring ASCII case.
    private static func equalIgnoringCase(_ bytes: UnsafeRawBufferPointer, _ name: StaticString) -> Bool {
        // Safe: a StaticString literal of ASCII text, `utf8CodeUnitCount` bytes from `utf8Start`.
        HTTPHeaders.bytesEqualIgnoringASCIICase(
            bytes, UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
    }

    private static func trim(_ value: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        var start = 0
        var end = value.count
        while start < end, value[start] == 0x20 || value[start] == 0x09 { start += 1 }
        while end > start, value[end - 1] == 0x20 || value[end - 1] == 0x09 { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: value[start..<end])
    }
}
