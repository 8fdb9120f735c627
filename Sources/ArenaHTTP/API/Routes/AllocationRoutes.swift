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

            guard let batch else {
                // Safe to force: without a batch the switch above left the one `size`.
                let record: AllocationRecord
                do throws(ArenaError) {
                    record = AllocationRecord(
                        try entry.arena.allocation(byteCount: size!, alignment: alignment, site: site))
                } catch {
                    throw allocationFailed(error, after: [], in: entry)
                }
                // One record, no array: the usual request allocates nothing on the heap for its result.
                return allocationsCreated(CollectionOfOne(record), in: name, entry)
            }
            var made: [AllocationRecord] = []
            made.reserveCapacity(batch.count)
            for byteCount in batch {
                do throws(ArenaError) {
                    made.append(
                        AllocationRecord(
                            try entry.arena.allocation(byteCount: byteCount, alignment: alignment, site: site)))
                } catch {
                    throw allocationFailed(error, after: made, in: entry)
                }
            }
            return allocationsCreated(made, in: name, entry)
        }
    }

    /// 201 with the allocations `made`, whose sizes go to the class's size histogram.
    private func allocationsCreated<Records: BidirectionalCollection<AllocationRecord>>(
        _ made: Records, in name: String, _ entry: RegisteredArena
    ) -> HTTPResponse {
        classMetrics.recordSizes(made.lazy.map(\.size), arenaClass: entry.arenaClass)
        var json = JSONWriter(reservingCapacity: 96 + 72 * made.count)
        json.object { json in
            json.field("arena", name)
            json.field("generation", made.last?.generation ?? entry.arena.generation)
            json.key("allocations")
            ArenaJSON.write(made, to: &json)
        }
        return .json(json, status: .created)
    }

    /// The error of an allocation that failed after the batch's first ones were `made`: they are counted in the
    /// size histogram and listed in the error's details (they stay allocated).
    private func allocationFailed(
        _ error: ArenaError, after made: [AllocationRecord], in entry: RegisteredArena
    )
        -> APIError
    {
        classMetrics.recordSizes(made.lazy.map(\.size), arenaClass: entry.arenaClass)
        var failure = APIError(error)
        failure.details.append(.allocations(made))
        return failure
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
