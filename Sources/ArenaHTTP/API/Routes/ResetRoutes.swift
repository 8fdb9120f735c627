import ArenaCore

/// `POST /arenas/{name}/reset`, `POST /reset`.
extension ArenaAPI {
    func resetArena(_ name: String) throws(APIError) -> HTTPResponse {
        var json = JSONWriter()
        ArenaJSON.write(try withArena(name) { entry throws(APIError) in reset(entry) }, to: &json)
        return .json(json)
    }

    /// Resets every arena, or those whose name starts with `?prefix=`.
    func resetAll(_ request: HTTPRequest) -> HTTPResponse {
        // An arena removed since the listing is skipped, as if listed after (see `withArena`).
        let results = registry.arenas(prefix: request.query["prefix"]).compactMap { entry in
            entry.whileRegistered { reset(entry) }
        }
        var json = JSONWriter(reservingCapacity: 64 + 80 * results.count)
        json.object { json in
            json.key("arenas")
            json.array { json in
                for result in results { ArenaJSON.write(result, to: &json) }
            }
            json.field("count", results.count)
            json.field("released_bytes", results.reduce(0) { $0 + $1.releasedBytes })
        }
        return .json(json)
    }

    /// Resets one arena and forgets its blobs and checkpoints.
    private func reset(_ entry: RegisteredArena) -> ArenaRegistry.ResetResult {
        // Forget blobs and checkpoints first: one stored between this and the reset is still recognised as
        // released by its checkpoint, while one stored after the reset must stay readable.
        blobs.clear(arenaID: entry.arena.id)
        checkpoints.clear(arenaID: entry.arena.id)
        return entry.reset()
    }
}
