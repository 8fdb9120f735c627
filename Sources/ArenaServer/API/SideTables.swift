import ArenaCore
import Synchronization

/// Per-arena tables of numbered entries (blobs, checkpoints) that the HTTP API hands out ids for.
///
/// Ids count up from 1 per arena; each arena keeps its newest `capacity` entries (older ids are forgotten, and
/// answer like released ones). Keyed by `BumpArena.id`, so an arena deleted and created again under the same
/// name does not see the old entries.
final class NumberedTable<Entry: Sendable>: Sendable {
    private struct PerArena {
        var nextID: UInt64 = 1
        var entries: [UInt64: Entry] = [:]
    }

    let capacity: Int
    private let arenas = Mutex<[UInt32: PerArena]>([:])

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Stores `entry` and returns its id.
    func insert(_ entry: Entry, arenaID: UInt32) -> UInt64 {
        arenas.withLock { arenas in
            var table = arenas[arenaID, default: PerArena()]
            let id = table.nextID
            table.nextID += 1
            table.entries[id] = entry
            if id > UInt64(capacity) { table.entries[id - UInt64(capacity)] = nil }
            arenas[arenaID] = table
            return id
        }
    }

    enum Lookup {
        case found(Entry)
        /// Handed out once, since forgotten.
        case forgotten
        /// Never handed out.
        case unknown
    }

    func lookup(_ id: UInt64, arenaID: UInt32) -> Lookup {
        arenas.withLock { arenas in
            guard let table = arenas[arenaID], id >= 1, id < table.nextID else { return .unknown }
            return table.entries[id].map { .found($0) } ?? .forgotten
        }
    }

    /// Forgets every entry of one arena; ids keep counting.
    func clear(arenaID: UInt32) {
        arenas.withLock { $0[arenaID]?.entries.removeAll() }
    }

    /// Forgets the arena altogether.
    func forget(arenaID: UInt32) {
        arenas.withLock { $0[arenaID] = nil }
    }
}

/// A blob copied into an arena: where its bytes are and how to tell whether they are still there.
struct Blob: @unchecked Sendable {
    // @unchecked: `address` is only dereferenced under the arena's exclusive-content lock after `after` was
    // checked to be valid, i.e. the memory is still the blob's.
    let address: UInt
    let byteCount: Int
    let offset: Int
    let generation: UInt64
    /// A checkpoint taken right after the copy: valid exactly while no reset or rewind released the blob.
    let after: Checkpoint
}

typealias BlobStore = NumberedTable<Blob>
typealias CheckpointStore = NumberedTable<Checkpoint>

extension NumberedTable where Entry == Blob {
    convenience init() { self.init(capacity: 65_536) }
}

extension NumberedTable where Entry == Checkpoint {
    convenience init() { self.init(capacity: 1024) }
}
