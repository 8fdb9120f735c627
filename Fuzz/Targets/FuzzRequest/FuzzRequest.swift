@testable import ArenaHTTP

/// The request path from raw bytes to response, in process (no socket): the input is split as libmicrohttpd
/// splits a request (request line, `name: value` header lines, a blank line, the body), then answered by
/// `ArenaAPI.exchange`, which runs the server's own target parsing, head rules, routing, routes and error
/// rendering against one long-lived API (state carries over between inputs, as on a real daemon).
/// Traps when an answer is a 500, or an error (other than a probe's) whose body is not one JSON object with an
/// `error` member.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Safe: libFuzzer hands `size` readable bytes at `data` for the duration of the call.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let parsed = SplitRequest(bytes) else { return 0 }
    // A live stream (`?follow=1`) would stay registered with nobody to read it.
    if parsed.target.contains(Array("follow".utf8)) { return 0 }
    let (_, response) = api.exchange(
        method: HTTPMethod(rawValue: String(decoding: parsed.method, as: UTF8.self)), rawTarget: parsed.target,
        version: String(decoding: parsed.version, as: UTF8.self), headers: parsed.headers, body: parsed.body)
    let code = response.status.code
    precondition((100...599).contains(code), "status \(code)")
    precondition(code != 500, "500 for \(String(decoding: bytes.prefix(200), as: UTF8.self))")
    // The probes answer text, as Kubernetes components do (`/readyz` is 503 here: this server never listens).
    let isProbe = ["/healthz", "/livez", "/readyz"].contains(response.routeLabel)
    if code >= 400, !isProbe, let body = response.body.sentBytes {
        guard case .object(let members)? = try? JSONValue.parse(body), members.contains(where: { $0.key == "error" })
        else {
            fatalError("a \(code) whose body is not a JSON error: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
    }
    return 0
}

/// One long-lived API with small limits, so that what accumulates (arenas, blobs) stays bounded.
let api: ArenaAPI = {
    var configuration = Configuration()
    configuration.logRequests = false
    configuration.listen.port = 0
    configuration.limits.maxArenas = 32
    configuration.limits.maxTotalBytes = 32 << 20
    configuration.limits.maxBodyBytes = 1 << 16
    do {
        return try ArenaHTTPServer(configuration: configuration).api
    } catch {
        fatalError("no server: \(error)")
    }
}()

/// Method, target, version, headers and body, split as an HTTP/1.1 parser splits them; nil for what no parser
/// would hand on (no request line of three parts, a header line without a colon).
struct SplitRequest {
    var method: [UInt8]
    var target: [UInt8]
    var version: [UInt8]
    var headers = HTTPHeaders()
    var body: [UInt8]

    init?(_ bytes: [UInt8]) {
        let end = Array("\r\n\r\n".utf8)
        var headEnd = bytes.count
        var bodyStart = bytes.count
        if bytes.count >= 4 {
            for index in 0...(bytes.count - 4) where Array(bytes[index..<index + 4]) == end {
                headEnd = index
                bodyStart = index + 4
                break
            }
        }
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = 0
        var index = 0
        let head = bytes[..<headEnd]
        while index < head.count {
            if head[index] == UInt8(ascii: "\r"), index + 1 < head.count, head[index + 1] == UInt8(ascii: "\n") {
                lines.append(head[lineStart..<index])
                index += 2
                lineStart = index
            } else {
                index += 1
            }
        }
        lines.append(head[lineStart..<head.count])
        let requestLine = lines[0].split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty, !requestLine[1].isEmpty else { return nil }
        method = Array(requestLine[0])
        target = Array(requestLine[1])
        version = Array(requestLine[2])
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            let name = String(decoding: line[..<colon], as: UTF8.self)
            let value = String(decoding: line[(colon + 1)...].drop { $0 == UInt8(ascii: " ") }, as: UTF8.self)
            headers.add(name: name, value: value)
        }
        body = Array(bytes[bodyStart...])
    }
}
