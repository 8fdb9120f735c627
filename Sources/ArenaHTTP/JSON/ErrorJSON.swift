/// The one shape of every error the server sends: `{"error":"<code>","message":"<text>", ...details}`.
///
/// `APIError.response` is its only caller, for route errors and the HTTP layer's refusals alike.
///
/// ```swift
/// ErrorJSON.render(code: "unknown_arena", message: "no arena named 'x'")
/// // {"error":"unknown_arena","message":"no arena named 'x'"}
/// ```
enum ErrorJSON {
    /// `details` writes the extra members (after `error` and `message`), e.g. `used` and `capacity`.
    static func render(code: String, message: String, details: (inout JSONWriter) -> Void = { _ in }) -> [UInt8] {
        var json = JSONWriter(reservingCapacity: 64 + message.utf8.count)
        json.object {
            $0.field("error", code)
            $0.field("message", message)
            details(&$0)
        }
        return json.finished()
    }
}
