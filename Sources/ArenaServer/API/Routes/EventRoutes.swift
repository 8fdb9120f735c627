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
            throw APIError.badRequest("query parameter 'format' must be 'text' or 'json', got '\(other)'",
                                      code: "bad_query")
        }
    }

    func eventLimit(_ request: HTTPRequest) throws(APIError) -> Int {
        guard let text = request.query["limit"] else { return 1000 }
        guard let limit = Int(text), limit >= 1, limit <= settings.maxEventsPerRequest else {
            throw APIError.badRequest(
                "query parameter 'limit' must be a whole number from 1 to \(settings.maxEventsPerRequest), got '\(text)'",
                code: "bad_query")
        }
        return limit
    }

    static func sequence(_ text: String, parameter: String) throws(APIError) -> UInt64 {
        guard let value = UInt64(text) else {
            throw APIError.badRequest("query parameter '\(parameter)' must be a whole number >= 0, got '\(text)'",
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
            cursor.positions[name] = try request.query["since"].map { text throws(APIError) in
                try Self.sequence(text, parameter: "since")
            } ?? 0
            return try follow(.arena(entry.name), cursor: cursor, request)
        }
        let since = try request.query["since"].map { text throws(APIError) in
            try Self.sequence(text, parameter: "since")
        } ?? 0
        let limit = try eventLimit(request)
        let format = try eventFormat(request)
        let batch = entry.arena.trace?.events(after: since, limit: limit)
            ?? TraceBatch(events: [], missed: 0, next: since)
        switch format {
        case .text:
            var text = ""
            for event in batch { text += "\(event)\n" }
            var response = HTTPResponse.text(text)
            response.headers.replace(name: "X-Events-Next", value: String(batch.next))
            response.headers.replace(name: "X-Events-Missed", value: String(batch.missed))
            return response
        case .json:
            var json = JSONWriter(reservingCapacity: 128 + 200 * batch.count)
            json.object { json in
                json.field("arena", name)
                json.field("trace", entry.arena.isTracing)
                json.key("events")
                json.array { json in
                    for event in batch { ArenaJSON.write(event, arena: nil, to: &json) }
                }
                json.field("next", batch.next)
                json.field("missed", batch.missed)
            }
            return .json(bytes: json.bytes)
        }
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
        let arenas = registry.arenas().filter { $0.arena.trace != nil }
        var merged: [(arena: String, event: AllocationEvent)] = []
        var missed: UInt64 = 0
        var firstAfterMiss: [String: UInt64] = [:]
        for entry in arenas {
            let ring = entry.arena.trace!
            let batch = ring.events(after: cursor.position(of: entry.name, in: ring), limit: limit)
            missed += batch.missed
            if let first = batch.first { firstAfterMiss[entry.name] = first.sequence - 1 }
            else { firstAfterMiss[entry.name] = batch.next }
            merged.append(contentsOf: batch.map { (entry.name, $0) })
        }
        merged.sort { ($0.event.timestamp, $0.arena, $0.event.sequence) < ($1.event.timestamp, $1.arena, $1.event.sequence) }
        if merged.count > limit { merged.removeSubrange(limit...) }
        // Each arena continues after its last event returned, or (when none was) after the events it missed.
        for (name, position) in firstAfterMiss { cursor.positions[name] = position }
        for item in merged { cursor.positions[item.arena] = item.event.sequence }
        let next = cursor.description
        switch format {
        case .text:
            var text = ""
            for item in merged { text += "\(item.arena): \(item.event)\n" }
            var response = HTTPResponse.text(text)
            response.headers.replace(name: "X-Events-Next", value: next)
            response.headers.replace(name: "X-Events-Missed", value: String(missed))
            return response
        case .json:
            var json = JSONWriter(reservingCapacity: 128 + 220 * merged.count)
            json.object { json in
                json.key("events")
                json.array { json in
                    for item in merged { ArenaJSON.write(item.event, arena: item.arena, to: &json) }
                }
                json.field("next", next)
                json.field("missed", missed)
            }
            return .json(bytes: json.bytes)
        }
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
    func follow(_ scope: EventFollower.Scope, cursor: EventCursor, _ request: HTTPRequest) throws(APIError)
        -> HTTPResponse
    {
        let format: EventFollower.Format
        switch request.query["format"] {
        case nil, "text": format = (request.headers["Accept"] ?? "").contains("application/x-ndjson") ? .ndjson : .text
        case "ndjson": format = .ndjson
        case let other?:
            throw APIError.badRequest("query parameter 'format' must be 'text' or 'ndjson' with follow=1, got '\(other)'",
                                      code: "bad_query")
        }
        var heartbeat = 15
        if let text = request.query["heartbeat"] {
            guard let seconds = Int(text), (1...300).contains(seconds) else {
                throw APIError.badRequest("query parameter 'heartbeat' must be 1 to 300 seconds, got '\(text)'",
                                          code: "bad_query")
            }
            heartbeat = seconds
        }
        let follower = EventFollower(registry: registry, scope: scope, format: format, cursor: cursor,
                                     heartbeatSeconds: heartbeat)
        guard hub.add(follower) else {
            throw APIError(status: .serviceUnavailable, code: "shutting_down", message: "the server is stopping")
        }
        var response = HTTPResponse(status: .ok, body: .stream(follower))
        response.headers.replace(name: "Content-Type",
                                 value: format == .text ? "text/plain; charset=utf-8" : "application/x-ndjson")
        response.headers.replace(name: "Cache-Control", value: "no-cache")
        response.headers.replace(name: "X-Accel-Buffering", value: "no")
        return response
    }
}

/// Where a reader of `GET /events` stands in each arena's ring: `request:12,frame:40`, or one number for all.
struct EventCursor: CustomStringConvertible {
    var positions: [String: UInt64] = [:]
    var fallback: UInt64 = 0

    init() {}

    init(_ text: String?) throws(APIError) {
        guard let text, !text.isEmpty else { return }
        if let all = UInt64(text) {
            fallback = all
            return
        }
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1)
            guard pieces.count == 2, let position = UInt64(pieces[1]), ArenaName.isValid(String(pieces[0])) else {
                throw APIError.badRequest(
                    "query parameter 'since' must be a number or a cursor like 'request:12,frame:40', got '\(text)'",
                    code: "bad_query")
            }
            positions[String(pieces[0])] = position
        }
    }

    func position(of arena: String) -> UInt64 { positions[arena] ?? fallback }

    /// Where to continue in `ring`: a position past its newest event comes from an arena of the same name that
    /// was deleted and created again, or from before a restart, so the ring is read from its start.
    func position(of arena: String, in ring: TraceRing) -> UInt64 {
        let position = position(of: arena)
        return position > ring.lastSequence ? 0 : position
    }

    var description: String {
        positions.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",")
    }
}
