/// One thing that happened in an arena, as recorded in a `TraceRing`.
///
/// Its text form is the seed's line for an allocation, exactly:
/// ```swift
/// "\(event)"   // "Allocated 16 from 0 to 15"
/// ```
/// and an equally plain line for the other kinds:
/// - failure: `Failed to allocate 2048 bytes (used 1000 of 1024)`
/// - reset: `Reset: released 1024 bytes`
/// - rewind: `Rewound to 512: released 256 bytes`
/// - zero-byte allocation: `Allocated 0 at 16`
public struct AllocationEvent: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case allocation = 1
        case failure = 2
        case reset = 3
        case rewind = 4

        public var description: String {
            switch self {
            case .allocation: "allocation"
            case .failure: "failure"
            case .reset: "reset"
            case .rewind: "rewind"
            }
        }
    }

    /// Position in the ring's sequence, from 1, without gaps: a reader that sees 7 then 9 missed 8.
    public var sequence: UInt64
    /// `BumpArena.id` of the arena it happened in (rings can be shared by several arenas).
    public var arenaID: UInt32
    public var kind: Kind
    /// Allocation and failure: the bytes asked for. Reset and rewind: the bytes released.
    public var size: Int
    /// Allocation and failure: the alignment asked for; 1 for reset and rewind.
    public var alignment: Int
    /// Allocation: logical offset of the first byte. Failure: bytes used at the time. Reset: 0.
    /// Rewind: the offset rewound to.
    public var start: Int
    /// Allocation: logical offset of the last byte, inclusive (`start - 1` for zero bytes). Failure: the
    /// arena's capacity (a growing arena's limit). Reset and rewind: the used bytes before, minus one.
    public var end: Int
    /// The arena's generation; a reset event carries the new one.
    public var generation: UInt64
    /// Wall-clock time in nanoseconds since 1970, to about a millisecond (see `TraceRing`).
    public var timestamp: UInt64
    /// Allocation: where it was asked for (`.unknown` when the ring does not record sites). Others: `.unknown`.
    public var site: AllocationSite

    public init(
        sequence: UInt64, arenaID: UInt32, kind: Kind, size: Int, alignment: Int, start: Int, end: Int,
        generation: UInt64, timestamp: UInt64, site: AllocationSite = .unknown
    ) {
        self.site = site
        self.sequence = sequence
        self.arenaID = arenaID
        self.kind = kind
        self.size = size
        self.alignment = alignment
        self.start = start
        self.end = end
        self.generation = generation
        self.timestamp = timestamp
    }

    /// The event's plain line.
    public var description: String {
        switch kind {
        case .allocation:
            size == 0 ? "Allocated 0 at \(start)" : "Allocated \(size) from \(start) to \(end)"
        case .failure:
            "Failed to allocate \(size) bytes (used \(start) of \(end))"
        case .reset:
            "Reset: released \(size) bytes"
        case .rewind:
            "Rewound to \(start): released \(size) bytes"
        }
    }
}
