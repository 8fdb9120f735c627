import ArenaCore

/// The events of several arenas' rings merged in time order, and the lines they are written as: the one
/// implementation behind `GET /events`, `GET /arenas/{name}/events` and their live streams.
///
/// ```swift
/// var cursor = try EventCursor(request.query["since"])
/// EventMerge.merge(registry.arenas(), after: &cursor, limit: 1000, restartPastNewest: true) { item in
///     EventMerge.appendText(item, prefixed: true, to: &out)   // "frame: Allocated 16 from 0 to 15"
///     return out.count < budget
/// }
/// ```
enum EventMerge {
    /// One event and the arena it happened in.
    struct Item: Sendable {
        let arena: String
        let event: AllocationEvent
    }

    /// Events overwritten before they could be read, per arena, in the order they were noticed.
    typealias Missed = [(arena: String, count: UInt64)]

    /// Hands the events the traced arenas among `arenas` recorded after `cursor` to `emit`, in time order (then
    /// arena name, then sequence number), at most `limit` of them; `emit` has taken (written) each item it is
    /// handed and returns whether it wants another (it keeps its own byte budget). Moves the cursor past what was
    /// emitted, the item `emit` answered false to included: each arena continues after its last event emitted, or
    /// (when none was) after the events it missed. With `restartPastNewest`, a position past a ring's newest event
    /// restarts that ring (see `EventCursor.position(of:in:)`).
    ///
    /// A k-way merge that reads each ring in small chunks as it goes: memory stays near `limit` events however
    /// many arenas and full rings there are, not `limit` per arena.
    @discardableResult
    static func merge(
        _ arenas: [RegisteredArena], after cursor: inout EventCursor, limit: Int, restartPastNewest: Bool,
        emit: (Item) -> Bool
    ) -> Missed {
        var missed: Missed = []
        var sources: [Source] = []
        for entry in arenas {
            guard let ring = entry.arena.trace else { continue }
            let position =
                restartPastNewest ? cursor.position(of: entry.name, in: ring) : cursor.position(of: entry.name)
            sources.append(Source(name: entry.name, ring: ring, position: position))
        }
        let chunk = max(16, min(256, limit / max(1, sources.count) + 1))
        for index in sources.indices {
            sources[index].fill(chunk, missed: &missed)
            // Where the arena continues when none of its events is emitted: just before its first one (so it
            // is read again), or past what it missed.
            cursor.positions[sources[index].name] = sources[index].resumePosition
        }
        var heap = MergeHeap(sources.indices.filter { sources[$0].current != nil }) { a, b in
            Source.precedes(sources[a].current!, sources[a].name, sources[b].current!, sources[b].name)
        }
        var emitted = 0
        while emitted < limit, let index = heap.first {
            let event = sources[index].current!
            let wantsMore = emit(Item(arena: sources[index].name, event: event))
            emitted += 1
            cursor.positions[sources[index].name] = event.sequence
            guard wantsMore else { break }
            sources[index].advance(chunk, missed: &missed)
            if sources[index].current == nil { heap.removeFirst() } else { heap.siftDownFirst() }
        }
        return missed
    }

    /// One ring being read: the chunk fetched and where in it the merge is.
    private struct Source {
        let name: String
        let ring: TraceRing
        /// The sequence number to read after next.
        var position: UInt64
        var buffer: [AllocationEvent] = []
        var index = 0
        /// Where the arena continues if nothing of it is emitted.
        var resumePosition: UInt64 = 0

        init(name: String, ring: TraceRing, position: UInt64) {
            self.name = name
            self.ring = ring
            self.position = position
        }

        var current: AllocationEvent? { index < buffer.count ? buffer[index] : nil }

        mutating func fill(_ chunk: Int, missed: inout Missed) {
            let batch = ring.events(after: position, limit: chunk)
            if batch.missed > 0 { missed.append((name, batch.missed)) }
            buffer = batch.events
            index = 0
            resumePosition = batch.first.map { $0.sequence - 1 } ?? batch.next
            position = batch.next
        }

        mutating func advance(_ chunk: Int, missed: inout Missed) {
            index += 1
            if index == buffer.count { fill(chunk, missed: &missed) }
        }

        static func precedes(_ a: AllocationEvent, _ aName: String, _ b: AllocationEvent, _ bName: String) -> Bool {
            (a.timestamp, aName, a.sequence) < (b.timestamp, bName, b.sequence)
        }
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

/// A binary min-heap of source indices, ordered by a comparison that reads the sources' current events.
private struct MergeHeap {
    private var items: [Int]
    private let less: (Int, Int) -> Bool

    init(_ items: [Int], less: @escaping (Int, Int) -> Bool) {
        self.items = items
        self.less = less
        for index in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(index) }
    }

    var first: Int? { items.first }

    /// The first item's key changed (its source advanced): restore the order.
    mutating func siftDownFirst() { siftDown(0) }

    mutating func removeFirst() {
        items.swapAt(0, items.count - 1)
        items.removeLast()
        if !items.isEmpty { siftDown(0) }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { return }
            var smallest = left
            if left + 1 < items.count, less(items[left + 1], items[left]) { smallest = left + 1 }
            guard less(items[smallest], items[parent]) else { return }
            items.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
