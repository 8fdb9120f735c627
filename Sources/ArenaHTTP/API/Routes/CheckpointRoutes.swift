import ArenaCore

/// `POST /arenas/{name}/checkpoints`, `POST /arenas/{name}/rewind`.
extension ArenaAPI {
    /// -> 201 `{"arena":..,"checkpoint":ID,"offset":..,"generation":..}`.
    func takeCheckpoint(_ name: String) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        let checkpoint = entry.arena.checkpoint()
        // Safe to force: the checkpoint table forgets its oldest entry when full, it never refuses.
        let id = checkpoints.insert(checkpoint, arenaID: entry.arena.id)!
        var json = JSONWriter()
        json.object { json in
            json.field("arena", name)
            json.field("checkpoint", id)
            json.field("offset", checkpoint.offset)
            json.field("generation", checkpoint.generation)
        }
        return .json(json, status: .created)
    }

    /// `{"checkpoint":ID}` -> 200 with the bytes released; a stale checkpoint -> 409.
    func rewind(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try withArena(name) { entry throws(APIError) -> HTTPResponse in
            var body = try RequestBody(request)
            guard let id = try body.integer("checkpoint") else {
                throw APIError.badRequest(
                    "field 'checkpoint' (an id from POST /arenas/\(name)/checkpoints) is required",
                    code: "bad_field")
            }
            try body.rejectUnknownFields()
            let checkpoint: Checkpoint
            switch checkpoints.lookup(UInt64(id), arenaID: entry.arena.id) {
            case .unknown:
                throw APIError.notFound("no checkpoint \(id) in arena '\(name)'", code: "unknown_checkpoint")
            case .forgotten:
                throw APIError(
                    status: .conflict, code: "stale_checkpoint",
                    message: "checkpoint \(id) of arena '\(name)' was released by a reset")
            case .found(let found):
                checkpoint = found
            }
            let released: Int
            do throws(ArenaError) {
                released = try entry.rewind(to: checkpoint)
            } catch {
                var failure = APIError(error)
                failure.message = "checkpoint \(id): \(error.message)"
                throw failure
            }
            var json = JSONWriter()
            json.object { json in
                json.field("arena", name)
                json.field("checkpoint", id)
                json.field("released_bytes", released)
                json.field("offset", checkpoint.offset)
                json.field("generation", checkpoint.generation)
            }
            return .json(json)
        }
    }
}
