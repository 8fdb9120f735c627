import ArenaCore

/// `POST /arenas/{name}/allocations`.
extension ArenaAPI {
    /// `{"size":16,"align":8}` or `{"sizes":[16,32,64],"align":8}` -> 201 with each allocation's start, end
    /// (inclusive), size and padding. `align` defaults to 8.
    func allocate(_ name: String, _ request: HTTPRequest) throws(APIError) -> HTTPResponse {
        try withArena(name) { entry throws(APIError) -> HTTPResponse in
            let fields = try AllocationFields(request)
            let (size, sizes, alignment) = (fields.size, fields.sizes, fields.alignment)
            let siteName = fields.site ?? request.headers["X-Arena-Site"]
            // Allocations without a site are all one site, `(unknown)`; a named one is bounded in length and in
            // number per arena (`TraceRing.site(named:)`).
            var site = AllocationSite.unknown
            if let siteName, let ring = entry.arena.trace {
                do throws(ArenaError) {
                    site = try ring.site(named: siteName)
                } catch {
                    throw APIError(error)
                }
            }
            try Self.checkAlignment(alignment, field: "field 'align'")
            // The sizes of a batch; nil for the one `size` of the usual request, which then needs no array.
            let batch: [Int]?
            switch (size, sizes) {
            case (.some, nil): batch = nil
            case (nil, let sizes?):
                guard !sizes.isEmpty else {
                    throw APIError.badRequest("field 'sizes' must not be empty", code: "bad_field")
                }
                let maxBatch = configuration.limits.maxBatch
                guard sizes.count <= maxBatch else {
                    throw APIError.badRequest(
                        "field 'sizes' has \(sizes.count) entries; at most \(maxBatch) fit in one request",
                        code: "batch_too_large")
                }
                batch = sizes
            case (nil, nil):
                throw APIError.badRequest("give field 'size' (one allocation) or 'sizes' (a batch)", code: "bad_field")
            case (.some, .some):
                throw APIError.badRequest("give either 'size' or 'sizes', not both", code: "bad_field")
            }

            var made: [AllocationRecord] = []
            made.reserveCapacity(batch?.count ?? 1)
            func allocate(_ byteCount: Int) throws(APIError) {
                do throws(ArenaError) {
                    let allocation = try entry.arena.allocation(byteCount: byteCount, alignment: alignment, site: site)
                    made.append(AllocationRecord(allocation))
                } catch {
                    classMetrics.recordSizes(made.lazy.map(\.size), arenaClass: entry.arenaClass)
                    var failure = APIError(error)
                    failure.details.append(.allocations(made))
                    throw failure
                }
            }
            if let batch {
                for byteCount in batch { try allocate(byteCount) }
            } else if let size {
                try allocate(size)
            }
            classMetrics.recordSizes(made.lazy.map(\.size), arenaClass: entry.arenaClass)
            var json = JSONWriter(reservingCapacity: 96 + 72 * made.count)
            json.object { json in
                json.field("arena", name)
                json.field("generation", made.last?.generation ?? entry.arena.generation)
                json.key("allocations")
                ArenaJSON.write(made, to: &json)
            }
            return .json(bytes: json.finished(), status: .created)
        }
    }

    /// Refuses an alignment that is not a power of two from 1 to `BumpArena.maxAlignment`; `field` names where
    /// it came from.
    static func checkAlignment(_ alignment: Int, field: String) throws(APIError) {
        guard alignment >= 1, alignment & (alignment - 1) == 0, alignment <= BumpArena.maxAlignment else {
            throw APIError.badRequest(
                "\(field) must be a power of two from 1 to \(BumpArena.maxAlignment), got \(alignment)",
                code: "bad_field")
        }
    }
}
