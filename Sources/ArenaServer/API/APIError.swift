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
            details = [.integer("requested", error.requested), .integer("used", error.used),
                       .integer("capacity", error.capacity)]
        }
    }

    var response: HTTPResponse {
        var json = JSONWriter(reservingCapacity: 64 + message.utf8.count)
        json.object {
            $0.field("error", code)
            $0.field("message", message)
            for detail in details { detail.write(to: &$0) }
        }
        var response = HTTPResponse.json(bytes: json.bytes, status: status)
        for field in headers { response.headers.replace(name: field.name, value: field.value) }
        return response
    }
}

extension APIError {
    /// One extra member of an error object.
    enum Detail: Sendable {
        case integer(String, Int?)
        /// The allocations a batch made before it failed.
        case allocations([AllocationRecord])

        func write(to json: inout JSONWriter) {
            switch self {
            case .integer(let name, let value): json.field(name, value)
            case .allocations(let records):
                json.key("allocations")
                AllocationRecord.write(records, to: &json)
            }
        }
    }
}

/// An allocation as the API reports it: logical offsets, size, padding, generation.
struct AllocationRecord: Sendable {
    let start: Int
    let end: Int
    let size: Int
    let padding: Int
    let generation: UInt64

    init(_ allocation: Allocation) {
        start = allocation.offset
        end = allocation.lastOffset
        size = allocation.byteCount
        padding = allocation.padding
        generation = allocation.generation
    }

    static func write(_ records: [AllocationRecord], to json: inout JSONWriter) {
        json.array { json in
            for record in records {
                json.object { json in
                    json.field("start", record.start)
                    json.field("end", record.end)
                    json.field("size", record.size)
                    json.field("padding", record.padding)
                    json.field("generation", record.generation)
                }
            }
        }
    }
}
