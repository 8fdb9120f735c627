import Foundation

/// One request alone on a new connection, and everything the server sent back until it closed the connection:
/// for checking that a refusal is exactly one well-formed response and that the connection ends after it.
///
/// ```swift
/// let exchange = try WireExchange(Array("GET /healthz HTTP/1.1\r\n\r\n".utf8), port: port)
/// exchange.response?.status    // 400
/// exchange.trailing.isEmpty    // one response, nothing after it
/// exchange.closed              // the server closed the connection
/// ```
struct WireExchange {
    /// The first response; nil when the connection closed before a complete head.
    var response: RawHTTPConnection.Response?
    /// What came after the first response: empty for one well-formed response.
    var trailing: [UInt8]
    /// The server closed the connection (rather than a read timing out).
    var closed: Bool

    /// Sends `request` (a write the server cuts short by answering and closing is not an error) and reads.
    init(_ request: [UInt8], port: UInt16, timeoutSeconds: Int = 5, from source: String? = nil) throws {
        let connection = try RawHTTPConnection(port: port, timeoutSeconds: timeoutSeconds, from: source)
        try? connection.send(request)
        response = try? connection.readResponse()
        (trailing, closed) = connection.readUntilClosed()
    }

    /// The response is one JSON error (`{"error":..,"message":..}` with `Content-Type: application/json`) with
    /// `Connection: close`, nothing follows it and the connection closed: the shape of every refusal.
    var isOneJSONRefusal: Bool {
        guard let response, trailing.isEmpty, closed,
            response.header("content-type") == "application/json",
            response.header("connection")?.lowercased() == "close",
            let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        else { return false }
        return object["error"] is String && object["message"] is String
    }

    /// The `error` code of a JSON body.
    var errorCode: String? {
        guard let body = response?.body,
            let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
        else { return nil }
        return object["error"] as? String
    }

    var description: String {
        guard let response else { return "no response (closed: \(closed))" }
        return "\(response.status) \(response.headers) \(response.text) + \(trailing.count) trailing bytes"
    }
}
