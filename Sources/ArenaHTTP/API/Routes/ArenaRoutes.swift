import ArenaCore

/// `GET /arenas`, `POST /arenas`, `GET /arenas/{name}`, `DELETE /arenas/{name}`.
extension ArenaAPI {
    func listArenas(_ request: HTTPRequest) -> HTTPResponse {
        let snapshot = registry.snapshot()
        var json = JSONWriter(reservingCapacity: 256 + 700 * snapshot.arenas.count)
        json.object { json in
            json.key("arenas")
            json.array { json in
                for arena in snapshot.arenas { ArenaJSON.write(arena, to: &json) }
            }
            json.field("count", snapshot.arenas.count)
            json.field("reserved_bytes", snapshot.reservedBytes)
            json.field("max_total_bytes", snapshot.limits.maxTotalBytes)
            json.field("max_arenas", snapshot.limits.maxArenas)
        }
        return .json(json)
    }

    func showArena(_ name: String) throws(APIError) -> HTTPResponse {
        var json = JSONWriter(reservingCapacity: 800)
        ArenaJSON.write(try arena(name).snapshot(), to: &json)
        return .json(json)
    }

    /// `{"name":"req-42","policy":"fixed","capacity":"64KiB","trace":true,"class":"request","ttl_seconds":60}`
    /// or `{"name":"job-7","policy":"growing","initial_chunk":"16KiB","limit":"1MiB"}` -> 201.
    func createArena(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        var body = try RequestBody(request)
        guard let name = try body.string("name") else {
            throw APIError.badRequest("field 'name' is required", code: "bad_field")
        }
        let policy = try PolicyFields.read(from: &body)
        let trace = try body.bool("trace") ?? true
        // Without a class, arenas made over the API share one: each class is a set of series in /metrics, so
        // per-request arenas named by their request must not each become one.
        let arenaClass = try body.string("class") ?? Self.defaultClass
        let ttl = try body.integer("ttl_seconds")
        if ttl == 0 {
            throw APIError.badRequest(
                "field 'ttl_seconds' must be at least 1 (omit it for no timeout)",
                code: "bad_field")
        }
        try body.rejectUnknownFields()
        if let problem = ArenaName.problem(with: arenaClass) {
            throw APIError.badRequest(
                "invalid arena class \(JSONWriter.quoted(arenaClass)): \(problem)",
                code: "invalid_name")
        }
        let created: RegisteredArena?
        do {
            created = try classMetrics.admitting(arenaClass, limit: configuration.limits.maxClasses) {
                () throws(ArenaError) in
                try registry.create(
                    name: name, policy: policy, traceCapacity: trace ? configuration.trace.ringCapacity : nil,
                    arenaClass: arenaClass, idleTimeoutSeconds: ttl,
                    keepingGenerations: configuration.trace.keepGenerations)
            }
        } catch {
            throw APIError(error)
        }
        guard let entry = created else {
            throw APIError(
                status: .conflict, code: "too_many_classes",
                message: "arena class \(JSONWriter.quoted(arenaClass)) would be class number "
                    + "\(configuration.limits.maxClasses + 1); at most \(configuration.limits.maxClasses) may exist "
                    + "(limits.max_classes): use an existing class")
        }
        var json = JSONWriter(reservingCapacity: 800)
        ArenaJSON.write(entry.snapshot(), to: &json)
        var response = HTTPResponse.json(json, status: .created)
        response.headers.add(name: "Location", value: "/arenas/\(name)")
        return response
    }

    /// The class of arenas created over the API without one.
    static let defaultClass = "default"

    func deleteArena(_ name: String) throws(APIError) -> HTTPResponse {
        let removed: RegisteredArena
        do {
            removed = try classMetrics.retire { () throws(ArenaError) in [try registry.remove(named: name)] }[0]
        } catch {
            throw APIError(error)
        }
        forget(removed)
        return .empty(status: .noContent)
    }
}
