import ArenaCore

/// `POST /arenas/{name}/reset`, `POST /reset`, `POST /arenas/{name}/checkpoints`, `POST /arenas/{name}/rewind`.
extension ArenaAPI {
    func resetArena(_ name: String) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        // Forget blobs and checkpoints first: one stored between this and the reset is still recognised as
        // released by its checkpoint, while one stored after the reset must stay readable.
        blobs.clear(arenaID: entry.arena.id)
        checkpoints.clear(arenaID: entry.arena.id)
        let result = entry.reset()
        var json = JSONWriter()
        Self.write(result, to: &json)
        return .json(bytes: json.bytes)
    }

    /// Resets every arena, or those whose name starts with `?prefix=`.
    func resetAll(_ request: HTTPRequest) -> HTTPResponse {
        let prefix = request.query["prefix"]
        let results = registry.arenas(prefix: prefix).map { entry in
            blobs.clear(arenaID: entry.arena.id)  // first, as in `resetArena`
            checkpoints.clear(arenaID: entry.arena.id)
            return entry.reset()
        }
        var json = JSONWriter(reservingCapacity: 64 + 80 * results.count)
        json.object { json in
            json.key("arenas")
            json.array { json in
                for result in results { Self.write(result, to: &json) }
            }
            json.field("count", results.count)
            json.field("released_bytes", results.reduce(0) { $0 + $1.releasedBytes })
        }
        return .json(bytes: json.bytes)
    }

    static func write(_ result: ArenaRegistry.ResetResult, to json: inout JSONWriter) {
        json.object { json in
            json.field("arena", result.name)
            json.field("released_bytes", result.releasedBytes)
            json.field("generation", result.generation)
        }
    }

    /// -> 201 `{"arena":..,"checkpoint":ID,"offset":..,"generation":..}`.
    func takeCheckpoint(_ name: String) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        let checkpoint = entry.arena.checkpoint()
        let id = checkpoints.insert(checkpoint, arenaID: entry.arena.id)
        var json = JSONWriter()
        json.object { json in
            json.field("arena", name)
            json.field("checkpoint", id)
            json.field("offset", checkpoint.offset)
            json.field("generation", checkpoint.generation)
        }
        return .json(bytes: json.bytes, status: .created)
    }

    /// `{"checkpoint":ID}` -> 200 with the bytes released; a stale checkpoint -> 409.
    func rewind(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        var body = try JSONBody(request)
        guard let id = try body.integer("checkpoint") else {
            throw APIError.badRequest("field 'checkpoint' (an id from POST /arenas/\(name)/checkpoints) is required",
                                      code: "bad_field")
        }
        try body.rejectUnknownFields()
        let checkpoint: Checkpoint
        switch checkpoints.lookup(UInt64(id), arenaID: entry.arena.id) {
        case .unknown:
            throw APIError.notFound("no checkpoint \(id) in arena '\(name)'", code: "unknown_checkpoint")
        case .forgotten:
            throw APIError(status: .conflict, code: "stale_checkpoint",
                           message: "checkpoint \(id) of arena '\(name)' was released by a reset")
        case .found(let found):
            checkpoint = found
        }
        // Under the exclusive-content lock: a rewind frees chunks that a blob copy may be using.
        let released: Result<Int, ArenaError> = entry.withExclusiveContent {
            do throws(ArenaError) {
                return .success(try entry.arena.rewind(to: checkpoint))
            } catch {
                return .failure(error)
            }
        }
        var json = JSONWriter()
        switch released {
        case .success(let bytes):
            json.object { json in
                json.field("arena", name)
                json.field("checkpoint", id)
                json.field("released_bytes", bytes)
                json.field("offset", checkpoint.offset)
                json.field("generation", checkpoint.generation)
            }
        case .failure(let error):
            var failure = APIError(error)
            failure.message = "checkpoint \(id): \(error.message)"
            throw failure
        }
        return .json(bytes: json.bytes)
    }
}
