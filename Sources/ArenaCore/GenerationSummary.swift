import Synchronization

/// What one generation of an arena (a request scope: from a reset to the next) used, recorded when it ends.
///
/// The answer to "how big must this scope's arena be": `peakBytes` over many generations is what `capacity`
/// must hold. An arena keeps its last few (`Arena.recentGenerations`); a registry reports each one as it ends to
/// its `generationObserver` (the server turns them into per-class histograms and capacity advice).
///
/// ```swift
/// arena.reset()
/// let last = arena.recentGenerations.last!   // peakBytes, allocations, duration of the scope just ended
/// ```
public struct GenerationSummary: Hashable, Sendable {
    /// How a generation ended.
    public enum Ending: String, Hashable, Sendable {
        /// `reset()`.
        case reset
        /// Its arena was removed from its registry (deleted, or idle past its timeout).
        case removal
    }

    /// The generation's number (the arena's `generation` while it ran).
    public let generation: UInt64
    /// The most bytes it had in use at once (high-water mark since the reset that began it).
    public let peakBytes: Int
    /// The most bytes the arena may hold (its fixed capacity, or a growing arena's limit): what `peakBytes` is
    /// measured against.
    public let limitBytes: Int
    /// Successful allocations.
    public let allocations: UInt64
    /// Bytes those allocations asked for.
    public let allocatedBytes: Int
    /// Alignment padding they cost.
    public let paddingBytes: Int
    /// Allocations refused because the arena was full.
    public let failedAllocations: UInt64
    /// When it began, in nanoseconds since 1970: its first traced allocation when the ring still holds it,
    /// otherwise the reset (or creation) that began it.
    public let startedAt: UInt64
    /// When it ended, in nanoseconds since 1970.
    public let endedAt: UInt64
    public let ending: Ending

    public init(
        generation: UInt64, peakBytes: Int, limitBytes: Int, allocations: UInt64, allocatedBytes: Int,
        paddingBytes: Int,
        failedAllocations: UInt64, startedAt: UInt64, endedAt: UInt64, ending: Ending
    ) {
        self.generation = generation
        self.peakBytes = peakBytes
        self.limitBytes = limitBytes
        self.allocations = allocations
        self.allocatedBytes = allocatedBytes
        self.paddingBytes = paddingBytes
        self.failedAllocations = failedAllocations
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.ending = ending
    }

    /// `endedAt - startedAt`.
    public var durationNanoseconds: UInt64 { endedAt > startedAt ? endedAt - startedAt : 0 }
}

/// Told about every generation that ends in a registry's arenas (see `ArenaRegistry.generationObserver`). Called
/// on the thread that reset or removed the arena, outside the arena's lock; it must not block for long.
public protocol GenerationObserver: AnyObject, Sendable {
    func generationEnded(_ summary: GenerationSummary, arena name: String, arenaClass: String)
}

/// Passes an arena's ended generations to its registry's observer, if the registry still exists and has one.
/// Kept by the arena's engine; holds the registry weakly (the registry holds the arena).
final class GenerationReporter: Sendable {
    let name: String
    let arenaClass: String
    private struct Target {
        weak var registry: ArenaRegistry?
    }
    private let target: ArenaLock<Target>

    init(name: String, arenaClass: String, registry: ArenaRegistry) {
        self.name = name
        self.arenaClass = arenaClass
        self.target = ArenaLock(Target(registry: registry))
    }

    func report(_ summary: GenerationSummary) {
        let registry = target.withLock { $0.registry }
        registry?.generationObserver?.generationEnded(summary, arena: name, arenaClass: arenaClass)
    }
}
