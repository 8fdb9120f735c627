import ArenaCore
import Synchronization

/// Per-arena tables of numbered entries that the HTTP API hands out ids for (blobs, checkpoints).
///
/// Ids count up from 1 per arena, and each arena keeps at most `capacity` entries at once: when full, a table
/// either forgets its oldest entry (checkpoints: older ids answer like released ones) or refuses the new one
/// (blobs: the client learns it must reset). An arena's entries sit in a ring indexed by `(id - 1) % capacity`, so an
/// insert and a lookup are O(1) however many entries there are, and each arena has its own lock (the table's
/// lock only finds the arena). Keyed by `Arena.id`, so an arena deleted and created again under the same name
/// does not see the old entries.
final class NumberedTable<Entry: Sendable>: Sendable {
    /// One arena's ring.
    private final class Ring: Sendable {
        struct State {
            /// The id the next insert gets.
            var nextID: UInt64 = 1
            /// The oldest id still kept; ids in `firstKept..<nextID` are in `slots`.
            var firstKept: UInt64 = 1
            /// Entry of id `n` at index `(n - 1) % capacity`; grows up to `capacity`.
            var slots: [Entry?] = []
        }

        let state = ArenaLock(State())
    }

    /// What an insert into a full arena does.
    enum WhenFull: Sendable {
        case forgetOldest
        case refuse
    }

    let capacity: Int
    let whenFull: WhenFull
    private let rings = ArenaLock<[UInt32: Ring]>([:])

    init(capacity: Int, whenFull: WhenFull) {
        precondition(capacity >= 1, "a numbered table keeps at least one entry")
        self.capacity = capacity
        self.whenFull = whenFull
    }

    private func ring(_ arenaID: UInt32, create: Bool) -> Ring? {
        rings.withLock { rings in
            if let ring = rings[arenaID] { return ring }
            guard create else { return nil }
            let ring = Ring()
            rings[arenaID] = ring
            return ring
        }
    }

    /// Stores `entry` and returns its id; nil when the arena's table is full and refuses.
    func insert(_ entry: Entry, arenaID: UInt32) -> UInt64? {
        // Safe to force: `create: true` always returns a ring.
        ring(arenaID, create: true)!.state.withLock { state in
            if whenFull == .refuse, state.nextID - state.firstKept >= UInt64(capacity) { return nil }
            let id = state.nextID
            state.nextID += 1
            let index = Int((id - 1) % UInt64(capacity))
            while state.slots.count <= index { state.slots.append(nil) }
            state.slots[index] = entry
            if id - state.firstKept >= UInt64(capacity) { state.firstKept = id - UInt64(capacity) + 1 }
            return id
        }
    }

    enum Lookup {
        case found(Entry)
        /// Handed out once, since forgotten (cleared, or pushed out by newer entries).
        case forgotten
        /// Never handed out.
        case unknown
    }

    func lookup(_ id: UInt64, arenaID: UInt32) -> Lookup {
        guard let ring = ring(arenaID, create: false) else { return .unknown }
        return ring.state.withLock { state in
            guard id >= 1, id < state.nextID else { return .unknown }
            guard id >= state.firstKept, let entry = state.slots[Int((id - 1) % UInt64(capacity))] else {
                return .forgotten
            }
            return .found(entry)
        }
    }

    /// Whether the arena's table holds `capacity` entries.
    func isFull(arenaID: UInt32) -> Bool {
        ring(arenaID, create: false)?.state.withLock { $0.nextID - $0.firstKept >= UInt64(capacity) } ?? false
    }

    /// Forgets every entry of one arena; ids keep counting.
    func clear(arenaID: UInt32) {
        ring(arenaID, create: false)?.state.withLock { state in
            state.firstKept = state.nextID
            state.slots.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets the arena altogether.
    func forget(arenaID: UInt32) {
        _ = rings.withLock { $0.removeValue(forKey: arenaID) }
    }
}

/// Blobs copied into arenas over the API (`POST /arenas/{name}/blobs`): at most `limits.max_blobs_per_arena` per
/// arena, then 409 until a reset. Each entry costs about 100 bytes besides the blob's own bytes in the arena.
typealias BlobTable = NumberedTable<BlobHandle>
/// Checkpoints taken over the API (`POST /arenas/{name}/checkpoints`): each arena keeps its newest 1,024.
typealias CheckpointTable = NumberedTable<Checkpoint>
