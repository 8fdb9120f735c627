import ArenaCore

/// `POST /arenas/{name}/blobs`, `GET /arenas/{name}/blobs/{id}`.
extension ArenaAPI {
    /// The body's bytes, copied into the arena -> 201 with the allocation and a URL that reads them back.
    /// `?align=N` aligns the copy (default 1).
    func storeBlob(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try withArena(name) { entry throws(APIError) -> HTTPResponse in
            var alignment = 1
            if let text = request.query["align"] {
                guard let value = Int(text) else {
                    throw APIError.badRequest(
                        "query parameter 'align' must be a whole number, got '\(text)'",
                        code: "bad_field")
                }
                alignment = value
            }
            try Self.checkAlignment(alignment, field: "query parameter 'align'")
            guard !request.body.isEmpty else {
                throw APIError.badRequest("the request body is empty: send the bytes to store", code: "empty_body")
            }
            // Made only when thrown: building its message on every upload cost a string interpolation.
            func tooMany() -> APIError {
                APIError(
                    status: .conflict, code: "too_many_blobs",
                    message: "arena '\(name)' holds its maximum of \(blobs.capacity) blobs "
                        + "(limits.max_blobs_per_arena); reset it to store more")
            }
            // Checked before the copy so a full table costs no arena memory; an insert racing to the last slot can
            // still find it taken, and then its copy stays in the arena unnamed until the next reset.
            guard !blobs.isFull(arenaID: entry.arena.id) else { throw tooMany() }
            let blob: BlobHandle
            do throws(ArenaError) {
                blob = try entry.storeCopy(of: request.body, alignment: alignment)
            } catch {
                throw APIError(error)
            }
            guard let id = blobs.insert(blob, arenaID: entry.arena.id) else { throw tooMany() }
            classMetrics.recordSizes(CollectionOfOne(blob.byteCount), arenaClass: entry.arenaClass)
            var urlBytes = OutputBytes(capacity: 96)
            urlBytes.append("/arenas/")
            urlBytes.append(string: name)
            urlBytes.append("/blobs/")
            DecimalText.append(id, to: &urlBytes)
            let url = urlBytes.takeString()
            var json = JSONWriter()
            json.object { json in
                json.field("arena", name)
                json.field("id", id)
                json.field("url", url)
                json.field("start", blob.offset)
                json.field("end", blob.lastOffset)
                json.field("size", blob.byteCount)
                json.field("generation", blob.generation)
            }
            var response = HTTPResponse.json(json, status: .created)
            response.headers.add(name: "Location", value: url)
            return response
        }
    }

    /// Exactly the bytes stored, or 410 once a reset or rewind released them.
    func readBlob(_ name: String, id text: String) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        guard let id = UInt64(text) else {
            throw APIError.notFound(
                "no blob '\(text)' in arena '\(name)': blob ids are whole numbers",
                code: "unknown_blob")
        }
        func gone() -> APIError {
            APIError(
                status: .gone, code: "gone", message: "blob \(id) of arena '\(name)' was released by a reset or rewind")
        }
        switch blobs.lookup(id, arenaID: entry.arena.id) {
        case .unknown:
            throw APIError.notFound("no blob \(id) in arena '\(name)'", code: "unknown_blob")
        case .forgotten:
            throw gone()
        case .found(let blob):
            guard let bytes = entry.bytes(of: blob) else { throw gone() }
            var response = HTTPResponse(status: .ok, body: .bytes(bytes))
            response.headers.add(name: "Content-Type", value: "application/octet-stream")
            return response
        }
    }
}
