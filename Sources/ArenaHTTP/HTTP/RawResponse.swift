import CHTTPD

/// A response written straight to a socket, for the few the watchdog sends outside libmicrohttpd (a 408 to a
/// request past its deadline, a 503 to a connection beyond the limit): status line, the response's headers,
/// `Content-Length`, `Connection: close`, body.
enum RawResponse {
    static func bytes(of response: HTTPResponse) -> [UInt8] {
        let body = response.body.sentBytes ?? []
        var out: [UInt8] = []
        out.reserveCapacity(128 + body.count)
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        DecimalText.append(response.status.code, to: &out)
        out.append(UInt8(ascii: " "))
        // Safe: libmicrohttpd's reason phrases are static NUL-terminated strings ("Unknown" for odd codes).
        out.append(contentsOf: String(cString: MHD_get_reason_phrase_for(UInt32(response.status.code))).utf8)
        out.append(contentsOf: "\r\n".utf8)
        for field in response.headers {
            out.append(contentsOf: field.name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: field.value.utf8)
            out.append(contentsOf: "\r\n".utf8)
        }
        out.append(contentsOf: "Content-Length: ".utf8)
        DecimalText.append(body.count, to: &out)
        out.append(contentsOf: "\r\nConnection: close\r\n\r\n".utf8)
        out.append(contentsOf: body)
        return out
    }
}
