import ArenaCore

/// The JSON shapes of arenas, stats, events, allocations and resets, rendered by hand.
enum ArenaJSON {
    /// One arena: name, class, policy, tracing, pinned, created time, generation and all of `ArenaStats`.
    static func write(_ arena: ArenaSnapshot, to json: inout JSONWriter) {
        json.object { json in
            json.field("name", arena.name)
            json.field("class", arena.arenaClass)
            json.field("policy", arena.policy.name)
            switch arena.policy {
            case .fixed(let capacity):
                json.field("capacity", capacity)
            case .growing(let initialChunk, let limit):
                json.field("initial_chunk", initialChunk)
                json.field("limit", limit)
            }
            json.field("trace", arena.isTracing)
            json.field("trace_capacity", arena.traceCapacity)
            json.field("pinned", arena.isPinned)
            json.field("ttl_seconds", arena.idleTimeoutSeconds)
            json.field("created_at", UTCTimestamp(nanosecondsSinceEpoch: arena.createdAt))
            json.field("generation", arena.stats.generation)
            json.key("stats")
            write(arena.stats, traceOverwritten: arena.traceOverwritten, to: &json)
            json.key("last_generation")
            if let last = arena.lastGeneration { write(last, to: &json) } else { json.null() }
        }
    }

    static func write(_ stats: ArenaStats, traceOverwritten: UInt64, to json: inout JSONWriter) {
        json.object { json in
            json.field("capacity_bytes", stats.capacity)
            json.field("limit_bytes", stats.limit)
            json.field("used_bytes", stats.used)
            json.field("available_bytes", stats.limit - stats.used)
            json.field("high_water_bytes", stats.highWaterMark)
            json.field("high_water_since_reset_bytes", stats.highWaterMarkSinceReset)
            json.field("allocations", stats.allocations)
            json.field("allocated_bytes", stats.allocatedBytes)
            json.field("padding_bytes", stats.paddingBytes)
            json.field("lifetime_allocations", stats.lifetimeAllocations)
            json.field("lifetime_allocated_bytes", stats.lifetimeAllocatedBytes)
            json.field("lifetime_padding_bytes", stats.lifetimePaddingBytes)
            json.field("failed_allocations", stats.failedAllocations)
            json.field("resets", stats.resets)
            json.field("rewinds", stats.rewinds)
            json.field("chunks", stats.chunks)
            json.field("generation", stats.generation)
            json.field("trace_overwritten_events", traceOverwritten)
        }
    }

    /// One event: its numbers and its plain line (with `"type":"event"` first in a stream, where other lines
    /// are notes).
    static func write(_ event: AllocationEvent, arena: String?, type: String? = nil, to json: inout JSONWriter) {
        json.object { json in
            if let type { json.field("type", type) }
            if let arena { json.field("arena", arena) }
            json.field("seq", event.sequence)
            json.field("kind", event.kind.description)
            json.field("size", event.size)
            json.field("align", event.alignment)
            json.field("start", event.start)
            json.field("end", event.end)
            json.field("generation", event.generation)
            json.field("time_unix_ns", event.timestamp)
            if event.kind == .allocation { json.field("site", event.site.description) }
            json.field("text", event.description)
        }
    }

    /// `[{"start":..,"end":..,"size":..,"padding":..,"generation":..}, ...]`.
    static func write<Records: Collection<AllocationRecord>>(_ records: Records, to json: inout JSONWriter) {
        json.array { json in
            for record in records {
                json.object { json in
                    json.field("start", record.start)
                    json.field("end", record.end)
                    json.field("size", record.size)
                    json.field("padding", record.padding)
                    json.field("generation", record.generation)
                }
            }
        }
    }

    /// `{"arena":..,"released_bytes":..,"generation":..}`.
    static func write(_ result: ArenaRegistry.ResetResult, to json: inout JSONWriter) {
        json.object { json in
            json.field("arena", result.name)
            json.field("released_bytes", result.releasedBytes)
            json.field("generation", result.generation)
        }
    }

    /// One generation's summary (`GenerationSummary`).
    static func write(_ summary: GenerationSummary, to json: inout JSONWriter) {
        json.object { json in
            json.field("generation", summary.generation)
            json.field("peak_bytes", summary.peakBytes)
            json.field("limit_bytes", summary.limitBytes)
            json.field("allocations", summary.allocations)
            json.field("allocated_bytes", summary.allocatedBytes)
            json.field("padding_bytes", summary.paddingBytes)
            json.field("failed_allocations", summary.failedAllocations)
            json.field("started_at", UTCTimestamp(nanosecondsSinceEpoch: summary.startedAt))
            json.field("ended_at", UTCTimestamp(nanosecondsSinceEpoch: summary.endedAt))
            json.field("duration_ns", summary.durationNanoseconds)
            json.field("ended_by", summary.ending.rawValue)
        }
    }
}
