import ArenaCore

/// A failed request, as routes throw it; `ArenaAPI.handle` turns it into the response, in one place.
///
/// Rendered as `{"error":"<code>","message":"<text>", ...details}` with `status`.
struct APIError: Error {
    var status: HTTPStatus
    /// Stable snake_case identifier clients can match on.
    var code: String
    /// What went wrong and why, for humans.
    var message: String
    /// Extra members of the error object (e.g. `used` and `capacity` of a full arena).
    var details: (inout JSONWriter) -> Void = { _ in }
    /// Extra response headers (e.g. `Allow` on 405).
    var headers = HTTPHeaders()

    init(status: HTTPStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    static func notFound(_ message: String, code: String = "not_found") -> APIError {
        APIError(status: .notFound, code: code, message: message)
    }

    /// Maps a library error to its status: the single table of ArenaCore codes to HTTP.
    init(_ error: ArenaError) {
        let status: HTTPStatus
        switch error.code {
        case .arenaFull: status = 507
        case .unknownArena: status = .notFound
        case .invalidName, .invalidPolicy, .arenaTooLarge: status = .badRequest
        case .duplicateName, .staleCheckpoint, .foreignCheckpoint, .arenaPinned, .tooManyArenas,
             .totalBudgetExceeded:
            status = .conflict
        default: status = .internalServerError
        }
        self.init(status: status, code: error.code.rawValue, message: error.message)
        if error.code == .arenaFull {
            details = { json in
                json.field("requested", error.requested)
                json.field("used", error.used)
                json.field("capacity", error.capacity)
            }
        }
    }

    var response: HTTPResponse {
        var json = JSONWriter(reservingCapacity: 64 + message.utf8.count)
        json.object {
            $0.field("error", code)
            $0.field("message", message)
            details(&$0)
        }
        var response = HTTPResponse.json(bytes: json.bytes, status: status)
        for field in headers { response.headers.replace(name: field.name, value: field.value) }
        return response
    }
}
