import ArenaCore

/// `GET /arenas/{name}/events` and `GET /events`: the trace rings, as JSON or as plain lines.
extension ArenaAPI {
    enum EventFormat { case json, text }

    /// `format=text|json`, else `Accept: text/plain` picks text, else JSON.
    func eventFormat(_ request: HTTPRequest) throws(APIError) -> EventFormat {
        switch request.query["format"] {
        case "text": return .text
        case "json": return .json
        case nil:
            let accept = request.headers["Accept"] ?? ""
            return accept.contains("text/plain") && !accept.contains("application/json") ? .text : .json
        case let other?:
            throw APIError.badRequest(
                "query parameter 'format' must be 'text' or 'json', got '\(other)'",
                code: "bad_query")
        }
    }

    func eventLimit(_ request: HTTPRequest) throws(APIError) -> Int {
        guard let text = request.query["limit"] else { return 1000 }
        guard let limit = Int(text), limit >= 1, limit <= Self.maxEventsPerRequest else {
            throw APIError.badRequest(
                "query parameter 'limit' must be a whole number from 1 to \(Self.maxEventsPerRequest), got '\(text)'",
                code: "bad_query")
        }
        return limit
    }

    static func sequence(_ text: String, parameter: String) throws(APIError) -> UInt64 {
        guard let value = UInt64(text) else {
            throw APIError.badRequest(
                "query parameter '\(parameter)' must be a whole number >= 0, got '\(text)'",
                code: "bad_query")
        }
        return value
    }

    /// `?since=SEQ&limit=N&format=text` -> the arena's events after SEQ, the next SEQ and how many were missed.
    /// With `follow=1`: a live stream (see `follow`).
    func arenaEvents(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        if try Self.isFollow(request) {
            var cursor = EventCursor()
            cursor.positions[name] =
                try request.query["since"].map { text throws(APIError) in
                    try Self.sequence(text, parameter: "since")
                } ?? 0
            return try follow(.arena(entry.name), cursor: cursor, request)
        }
        let since =
            try request.query["since"].map { text throws(APIError) in
                try Self.sequence(text, parameter: "since")
            } ?? 0
        let limit = try eventLimit(request)
        let format = try eventFormat(request)
        var cursor = EventCursor()
        cursor.positions[name] = since
        let (body, missed) = renderEvents(
            [entry], after: &cursor, limit: limit, restartPastNewest: false, format: format,
            header: { json in
                json.field("arena", name)
                json.field("trace", entry.arena.isTracing)
            }, next: { cursor, json in json.field("next", cursor.position(of: name)) })
        return format == .text
            ? Self.textEvents(body, next: String(cursor.position(of: name)), missed: missed)
            : .json(bytes: body)
    }

    /// The events of every traced arena, merged in time order. `since` is a cursor from an earlier `next`
    /// (`name:seq,name:seq,...`) or a plain number applied to every arena.
    func allEvents(_ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        if try Self.isFollow(request) {
            return try follow(.all, cursor: try EventCursor(request.query["since"]), request)
        }
        let limit = try eventLimit(request)
        let format = try eventFormat(request)
        var cursor = try EventCursor(request.query["since"])
        let (body, missed) = renderEvents(
            registry.arenas(), after: &cursor, limit: limit, restartPastNewest: true, format: format,
            header: { _ in }, next: { cursor, json in json.field("next", cursor.description) })
        return format == .text ? Self.textEvents(body, next: cursor.description, missed: missed) : .json(bytes: body)
    }

    /// The events of `arenas` after `cursor` in time order, as plain lines (each after `arena: ` when several
    /// arenas may appear) or as a JSON object (`header` members, `events`, `next`, `missed`). At most `limit`
    /// events and about `limits.max_response_bytes`: a longer answer stops early, and its `next` continues.
    private func renderEvents(
        _ arenas: [RegisteredArena], after cursor: inout EventCursor, limit: Int, restartPastNewest: Bool,
        format: EventFormat, header: (inout JSONWriter) -> Void, next: (EventCursor, inout JSONWriter) -> Void
    ) -> (body: [UInt8], missed: UInt64) {
        let budget = configuration.limits.maxResponseBytes
        let prefixed = restartPastNewest
        switch format {
        case .text:
            var text: [UInt8] = []
            let missed = EventMerge.merge(arenas, after: &cursor, limit: limit, restartPastNewest: restartPastNewest) {
                EventMerge.appendText($0, prefixed: prefixed, to: &text)
                return text.count < budget
            }
            return (text, missed.reduce(0) { $0 + $1.count })
        case .json:
            var json = JSONWriter(reservingCapacity: 4096)
            var missed: EventMerge.Missed = []
            json.object { json in
                header(&json)
                json.key("events")
                json.array { json in
                    missed = EventMerge.merge(
                        arenas, after: &cursor, limit: limit, restartPastNewest: restartPastNewest
                    ) {
                        ArenaJSON.write($0.event, arena: prefixed ? $0.arena : nil, to: &json)
                        return json.count < budget
                    }
                }
                next(cursor, &json)
                json.field("missed", missed.reduce(0) { $0 + $1.count })
            }
            return (json.finished(), missed.reduce(0) { $0 + $1.count })
        }
    }

    /// The plain-lines answer: the lines, with the cursor and the missed count in headers.
    private static func textEvents(_ lines: [UInt8], next: String, missed: UInt64) -> HTTPResponse {
        var response = HTTPResponse(status: .ok, body: .bytes(lines))
        response.headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        response.headers.add(name: "X-Events-Next", value: next)
        response.headers.add(name: "X-Events-Missed", value: String(missed))
        return response
    }
}

extension ArenaAPI {
    static func isFollow(_ request: HTTPRequest) throws(APIError) -> Bool {
        switch request.query["follow"] {
        case nil, "0", "false": return false
        case "1", "true", "": return true
        case let other?:
            throw APIError.badRequest("query parameter 'follow' must be 1 or 0, got '\(other)'", code: "bad_query")
        }
    }

    /// A chunked stream of the backlog after the cursor, then every new event, as text lines (`format=text`,
    /// the default) or NDJSON (`format=ndjson`); `heartbeat=S` seconds between keep-alive lines when idle
    /// (default 15).
    func follow(
        _ scope: EventFollower.Scope, cursor: EventCursor, _ request: HTTPRequest
    ) throws(APIError)
        -> HTTPResponse
    {
        let format: EventFollower.Format
        switch request.query["format"] {
        case nil, "text": format = (request.headers["Accept"] ?? "").contains("application/x-ndjson") ? .ndjson : .text
        case "ndjson": format = .ndjson
        case let other?:
            throw APIError.badRequest(
                "query parameter 'format' must be 'text' or 'ndjson' with follow=1, got '\(other)'",
                code: "bad_query")
        }
        var heartbeat = 15
        if let text = request.query["heartbeat"] {
            guard let seconds = Int(text), (1...300).contains(seconds) else {
                throw APIError.badRequest(
                    "query parameter 'heartbeat' must be 1 to 300 seconds, got '\(text)'",
                    code: "bad_query")
            }
            heartbeat = seconds
        }
        let follower = EventFollower(
            registry: registry, scope: scope, format: format, cursor: cursor,
            heartbeatSeconds: heartbeat)
        guard hub.add(follower) else {
            throw APIError(status: .serviceUnavailable, code: "shutting_down", message: "the server is stopping")
        }
        var response = HTTPResponse(status: .ok, body: .stream(follower))
        response.headers.add(
            name: "Content-Type",
            value: format == .text ? "text/plain; charset=utf-8" : "application/x-ndjson")
        response.headers.add(name: "Cache-Control", value: "no-cache")
        response.headers.add(name: "X-Accel-Buffering", value: "no")
        return response
    }
}
