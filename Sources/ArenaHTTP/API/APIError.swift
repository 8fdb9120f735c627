import ArenaCore

/// A failed request, as routes throw it; `ArenaAPI.respond(to:)` turns it into the response, in one place.
///
/// Rendered by `ErrorJSON` as `{"error":"<code>","message":"<text>", ...details}` with `status`.
struct APIError: Error {
    var status: HTTPStatus
    /// Stable snake_case identifier clients can match on.
    var code: String
    /// What went wrong and why, for humans.
    var message: String
    /// Extra members of the error object (e.g. `used` and `capacity` of a full arena), in order.
    var details: [Detail] = []
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
        case .arenaFull: status = .insufficientStorage
        case .unknownArena: status = .notFound
        case .invalidName, .invalidPolicy, .invalidSite: status = .badRequest
        // Limits answer 409, like the registry's other budgets (README: "over a limit -> 409 naming the limit").
        case .arenaTooLarge, .tooManySites, .duplicateName, .staleCheckpoint, .foreignCheckpoint, .arenaPinned,
            .tooManyArenas,
            .totalBudgetExceeded:
            status = .conflict
        default: status = .internalServerError
        }
        self.init(status: status, code: error.code.rawValue, message: error.message)
        if error.code == .arenaFull {
            details = [
                .integer("requested", error.requested), .integer("used", error.used),
                .integer("capacity", error.capacity),
            ]
        }
    }

    /// The error as a response.
    var response: HTTPResponse {
        var response = HTTPResponse.json(
            bytes: ErrorJSON.render(code: code, message: message) { json in
                for detail in details { detail.write(to: &json) }
            },
            status: status)
        for field in headers { response.headers.add(name: field.name, value: field.value) }
        return response
    }
}

extension APIError {
    /// One extra member of an error object.
    enum Detail: Sendable {
        case integer(StaticString, Int?)
        /// The allocations a batch made before it failed.
        case allocations([AllocationRecord])

        func write(to json: inout JSONWriter) {
            switch self {
            case .integer(let name, let value): json.field(name, value)
            case .allocations(let records):
                json.key("allocations")
                ArenaJSON.write(records, to: &json)
            }
        }
    }
}
