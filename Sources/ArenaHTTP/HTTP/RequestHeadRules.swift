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
        check(headers, version: version).problem
    }

    /// `problem`, and whether a body follows in chunks (`Transfer-Encoding: chunked`, when there is no problem):
    /// the server needs both, and one pass over the fields gives them.
    static func check(_ headers: HTTPHeaders, version: String) -> (problem: HTTPRejection?, chunked: Bool) {
        var problem: HTTPRejection?
        var hosts = 0
        var contentLength: ArraySlice<UInt8>?
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
            if HTTPHeaders.bytesEqualIgnoringASCIICase(name, "host".utf8) {
                hosts += 1
            } else if HTTPHeaders.bytesEqualIgnoringASCIICase(name, "content-length".utf8) {
                let trimmed = trim(value)
                if let earlier = contentLength, earlier != trimmed {
                    problem = .badHeader(reason: "two Content-Length fields with different values")
                    return false
                }
                contentLength = trimmed
            } else if HTTPHeaders.bytesEqualIgnoringASCIICase(name, "transfer-encoding".utf8) {
                if hasTransferEncoding { transferCodings.append(UInt8(ascii: ",")) }
                hasTransferEncoding = true
                transferCodings.append(contentsOf: trim(value))
            }
            return true
        }
        if let problem { return (problem, false) }
        if version == "HTTP/1.1" && hosts != 1 || hosts > 1 {
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

    /// RFC 9110 `tchar`.
    static func isTokenByte(_ byte: UInt8) -> Bool { tokenBytes[Int(byte)] }

    /// `tchar` by byte value, made once: names are checked byte by byte on every request.
    private static let tokenBytes: [Bool] = (0...255).map { value in
        let byte = UInt8(value)
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func trim(_ value: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var value = value
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        return value
    }
}
