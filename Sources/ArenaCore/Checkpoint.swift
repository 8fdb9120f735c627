/// A position in an arena to rewind to, from `checkpoint()`.
///
/// A checkpoint is valid while its arena has not been reset since it was taken and no rewind since then went
/// to an earlier position: rewinding to an invalid one throws `.staleCheckpoint` instead of handing out memory
/// twice.
public struct Checkpoint: Hashable, Sendable, CustomStringConvertible {
    /// The arena it was taken on.
    public let arenaID: UInt32
    /// The arena's generation when it was taken.
    public let generation: UInt64
    /// The arena's used bytes when it was taken (its logical offset).
    public let offset: Int
    /// Which chunk (by position in the arena's chunk list) and where in it.
    let chunkIndex: Int
    let slot: Int
    let offsetInChunk: Int
    /// The arena's rewind counter when it was taken: rewinds numbered above it happened later.
    let rewindSerial: UInt64

    /// Orders positions across chunks: a chunk index then an offset inside it.
    var position: Position { Position(chunkIndex: chunkIndex, offsetInChunk: offsetInChunk) }

    public var description: String { "checkpoint(arena \(arenaID), generation \(generation), offset \(offset))" }

    struct Position: Comparable, Hashable, Sendable {
        let chunkIndex: Int
        let offsetInChunk: Int
        static func < (a: Position, b: Position) -> Bool {
            (a.chunkIndex, a.offsetInChunk) < (b.chunkIndex, b.offsetInChunk)
        }
    }
}
