import ArenaCore

/// The events of several arenas' rings merged in time order, and the lines they are written as: the one
/// implementation behind `GET /events`, `GET /arenas/{name}/events` and their live streams.
///
/// ```swift
/// var cursor = try EventCursor(request.query["since"])
/// let batch = EventMerge.read(traced, after: &cursor, limit: 1000, restartPastNewest: true)
/// for item in batch.items { EventMerge.appendText(item, prefixed: true, to: &out) }   // "frame: Allocated 16 ..."
/// ```
enum EventMerge {
    /// One event and the arena it happened in.
    struct Item {
        let arena: String
        let event: AllocationEvent
    }

    /// What one read returned.
    struct Batch {
        /// In time order (then arena name, then sequence number).
        var items: [Item] = []
        /// Per arena that missed events (overwritten before they could be read), in the order read.
        var missed: [(arena: String, count: UInt64)] = []
        var totalMissed: UInt64 { missed.reduce(0) { $0 + $1.count } }
    }

    /// Reads what the traced arenas among `arenas` recorded after `cursor`, at most `limit` events in all, and
    /// moves the cursor past what it returns: each arena continues after its last event returned, or (when none
    /// was) after the events it missed. With `restartPastNewest`, a position past a ring's newest event restarts
    /// that ring (see `EventCursor.position(of:in:)`).
    static func read(
        _ arenas: [RegisteredArena], after cursor: inout EventCursor, limit: Int,
        restartPastNewest: Bool
    ) -> Batch {
        var batch = Batch()
        var resume: [String: UInt64] = [:]
        for entry in arenas {
            guard let ring = entry.arena.trace else { continue }
            let position =
                restartPastNewest ? cursor.position(of: entry.name, in: ring) : cursor.position(of: entry.name)
            let events = ring.events(after: position, limit: limit)
            if events.missed > 0 { batch.missed.append((entry.name, events.missed)) }
            resume[entry.name] = events.first.map { $0.sequence - 1 } ?? events.next
            batch.items.append(contentsOf: events.lazy.map { Item(arena: entry.name, event: $0) })
        }
        if arenas.count > 1 {
            batch.items.sort {
                ($0.event.timestamp, $0.arena, $0.event.sequence) < ($1.event.timestamp, $1.arena, $1.event.sequence)
            }
        }
        if batch.items.count > limit { batch.items.removeSubrange(limit...) }
        for (name, position) in resume { cursor.positions[name] = position }
        for item in batch.items { cursor.positions[item.arena] = item.event.sequence }
        return batch
    }

    /// `Allocated 16 from 0 to 15` and a newline, after `arena: ` when `prefixed`.
    static func appendText(_ item: Item, prefixed: Bool, to out: inout [UInt8]) {
        if prefixed {
            out.append(contentsOf: item.arena.utf8)
            out.append(contentsOf: ": ".utf8)
        }
        out.append(contentsOf: item.event.description.utf8)
        out.append(UInt8(ascii: "\n"))
    }
}
