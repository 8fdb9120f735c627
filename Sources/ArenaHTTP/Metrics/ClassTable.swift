import ArenaCore

/// The per-class sums a scrape gathers, found by the class name through a table of its own: linear probing on a
/// seeded FNV-1a hash of the name's bytes.
///
/// Through `[String: ClassTotals]` each arena's lookup hashed its class name with SipHash over the normalized
/// text: 324 of the ~900 instructions a scrape spent per arena (callgrind, 3,000 arenas). Class names are
/// client-chosen, so the hash is seeded per process (collisions cannot be computed offline), and there are at most
/// `limits.max_classes` of them.
///
/// ```swift
/// var table = ClassTable()
/// table.add(live: stats, traceOverwritten: 0, to: "request")
/// table.sorted()   // (names: ["request"], totals: [totals])
/// ```
struct ClassTable {
    /// Names in the order first added; `totals[i]` are `names[i]`'s sums.
    private var names: [String] = []
    private var totals: [ArenaClassMetrics.ClassTotals] = []
    /// Open-addressed slots: 0 for empty, else 1 + an index into `names`. Invariant: a power of two in count,
    /// more than twice `names.count`, so a probe always reaches an empty slot.
    private var slots = [Int](repeating: 0, count: 16)

    /// Per process: the hash of a name cannot be known outside it.
    private static let seed = UInt64.random(in: .min ... .max)

    /// Adds a live arena's stats to its class.
    mutating func add(live stats: ArenaStats, traceOverwritten: UInt64, to arenaClass: String) {
        totals[index(of: arenaClass)].add(live: stats, traceOverwritten: traceOverwritten)
    }

    /// Adds the counters of removed arenas to their class.
    mutating func addCounters(_ counters: ArenaClassMetrics.ClassTotals, to arenaClass: String) {
        totals[index(of: arenaClass)].addCounters(counters)
    }

    /// Every class's name and sums, in name order (two arrays: a scrape walks them a dozen times, and an array of
    /// `(String, ClassTotals)` tuples copied each element through the runtime's generic tuple copy).
    func sorted() -> (names: [String], totals: [ArenaClassMetrics.ClassTotals]) {
        let order = names.indices.sorted { names[$0] < names[$1] }
        return (order.map { names[$0] }, order.map { totals[$0] })
    }

    /// The index of `name`'s sums, made (zero) if it has none yet.
    private mutating func index(of name: String) -> Int {
        var mask = slots.count - 1
        var slot = Self.hash(name) & mask
        while slots[slot] != 0 {
            let index = slots[slot] - 1
            if names[index] == name { return index }
            slot = (slot + 1) & mask
        }
        names.append(name)
        totals.append(ArenaClassMetrics.ClassTotals())
        slots[slot] = names.count
        if names.count * 2 >= slots.count {
            // Twice the slots, every name placed again.
            slots = [Int](repeating: 0, count: slots.count * 2)
            mask = slots.count - 1
            for (index, name) in names.enumerated() {
                var slot = Self.hash(name) & mask
                while slots[slot] != 0 { slot = (slot + 1) & mask }
                slots[slot] = index + 1
            }
        }
        return names.count - 1
    }

    /// FNV-1a over the UTF-8 bytes, from a per-process basis, folded to an `Int`.
    private static func hash(_ name: String) -> Int {
        // Over `withUTF8`'s buffer: iterating `name.utf8` cost about 50 instructions a byte of a small string.
        var name = name
        return name.withUTF8 { bytes in
            var hash = seed ^ 0xcbf2_9ce4_8422_2325
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return Int(truncatingIfNeeded: hash ^ (hash >> 29))
        }
    }
}
