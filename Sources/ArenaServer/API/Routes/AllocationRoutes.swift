import ArenaCore

/// `POST /arenas/{name}/allocations`, `POST /arenas/{name}/blobs`, `GET /arenas/{name}/blobs/{id}`.
extension ArenaAPI {
    /// `{"size":16,"align":8}` or `{"sizes":[16,32,64],"align":8}` -> 201 with each allocation's start, end
    /// (inclusive), size and padding. `align` defaults to 8.
    func allocate(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        var body = try JSONBody(request)
        let size = try body.integer("size")
        let sizes = try body.integers("sizes")
        let alignment = try body.integer("align") ?? 8
        try body.rejectUnknownFields()
        try Self.checkAlignment(alignment)
        let requested: [Int]
        switch (size, sizes) {
        case (let size?, nil): requested = [size]
        case (nil, let sizes?):
            guard !sizes.isEmpty else {
                throw APIError.badRequest("field 'sizes' must not be empty", code: "bad_field")
            }
            guard sizes.count <= settings.maxBatch else {
                throw APIError.badRequest(
                    "field 'sizes' has \(sizes.count) entries; at most \(settings.maxBatch) fit in one request",
                    code: "batch_too_large")
            }
            requested = sizes
        case (nil, nil):
            throw APIError.badRequest("give field 'size' (one allocation) or 'sizes' (a batch)", code: "bad_field")
        case (.some, .some):
            throw APIError.badRequest("give either 'size' or 'sizes', not both", code: "bad_field")
        }

        var made: [Allocation] = []
        made.reserveCapacity(requested.count)
        for byteCount in requested {
            do {
                made.append(try entry.arena.allocation(byteCount: byteCount, alignment: alignment))
            } catch {
                classMetrics.recordSizes(made.lazy.map(\.byteCount), arenaClass: entry.arenaClass)
                var failure = APIError(error)
                failure.details.append(.allocations(made.map(AllocationRecord.init)))
                throw failure
            }
        }
        classMetrics.recordSizes(made.lazy.map(\.byteCount), arenaClass: entry.arenaClass)
        var json = JSONWriter(reservingCapacity: 96 + 72 * made.count)
        json.object { json in
            json.field("arena", name)
            json.field("generation", made.last?.generation ?? entry.arena.generation)
            json.key("allocations")
            AllocationRecord.write(made.map(AllocationRecord.init), to: &json)
        }
        return .json(bytes: json.bytes, status: .created)
    }

    static func checkAlignment(_ alignment: Int) throws(APIError) {
        guard alignment >= 1, alignment & (alignment - 1) == 0, alignment <= BumpArena.maxAlignment else {
            throw APIError.badRequest(
                "field 'align' must be a power of two from 1 to \(BumpArena.maxAlignment), got \(alignment)",
                code: "bad_field")
        }
    }

    /// The body's bytes, copied into the arena -> 201 with the allocation and a URL that reads them back.
    /// `?align=N` aligns the copy (default 1).
    func storeBlob(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        var alignment = 1
        if let text = request.query["align"] {
            guard let value = Int(text) else {
                throw APIError.badRequest("query parameter 'align' must be a whole number, got '\(text)'",
                                          code: "bad_field")
            }
            alignment = value
        }
        try Self.checkAlignment(alignment)
        guard !request.body.isEmpty else {
            throw APIError.badRequest("the request body is empty: send the bytes to store", code: "empty_body")
        }
        // Copy under the exclusive-content lock so a reset cannot free the memory mid-copy.
        let stored: Result<(UInt64, Blob), ArenaError> = entry.withExclusiveContent {
            do throws(ArenaError) {
                let allocation = try entry.arena.allocation(byteCount: request.body.count, alignment: alignment)
                request.body.withUnsafeBytes { source in
                    // Safe: the allocation holds exactly `source.count` bytes, and the body is not arena memory.
                    allocation.pointer.copyMemory(from: source.baseAddress!, byteCount: source.count)
                }
                let blob = Blob(address: UInt(bitPattern: allocation.pointer), byteCount: allocation.byteCount,
                                offset: allocation.offset, generation: allocation.generation,
                                after: entry.arena.checkpoint())
                return .success((blobs.insert(blob, arenaID: entry.arena.id), blob))
            } catch {
                return .failure(error)
            }
        }
        let (id, blob): (UInt64, Blob)
        switch stored {
        case .success(let value): (id, blob) = value
        case .failure(let error): throw APIError(error)
        }
        classMetrics.recordSizes(CollectionOfOne(blob.byteCount), arenaClass: entry.arenaClass)
        let url = "/arenas/\(name)/blobs/\(id)"
        var json = JSONWriter()
        json.object { json in
            json.field("arena", name)
            json.field("id", id)
            json.field("url", url)
            json.field("start", blob.offset)
            json.field("end", blob.offset + blob.byteCount - 1)
            json.field("size", blob.byteCount)
            json.field("generation", blob.generation)
        }
        var response = HTTPResponse.json(bytes: json.bytes, status: .created)
        response.headers.replace(name: "Location", value: url)
        return response
    }

    /// Exactly the bytes stored, or 410 once a reset or rewind released them.
    func readBlob(_ name: String, id text: String) throws(APIError) -> HTTPResponse {
        let entry = try arena(name)
        guard let id = UInt64(text) else {
            throw APIError.notFound("no blob '\(text)' in arena '\(name)': blob ids are whole numbers",
                                    code: "unknown_blob")
        }
        let gone = APIError(status: 410, code: "gone",
                            message: "blob \(id) of arena '\(name)' was released by a reset or rewind")
        switch blobs.lookup(id, arenaID: entry.arena.id) {
        case .unknown:
            throw APIError.notFound("no blob \(id) in arena '\(name)'", code: "unknown_blob")
        case .forgotten:
            throw gone
        case .found(let blob):
            let bytes: [UInt8]? = entry.withExclusiveContent {
                guard entry.arena.isValid(blob.after) else { return nil }
                // Safe: the checkpoint after the copy is still valid, so no reset or rewind released the blob's
                // memory, and the exclusive-content lock keeps one from doing so while we copy.
                let source = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: blob.address),
                                                    count: blob.byteCount)
                return Array(source)
            }
            guard let bytes else { throw gone }
            var response = HTTPResponse(status: .ok, body: .bytes(bytes))
            response.headers.replace(name: "Content-Type", value: "application/octet-stream")
            return response
        }
    }
}
