/// The error every throwing ArenaCore API reports.
///
/// A struct around a code rather than a public enum, so that new cases can be added without breaking
/// callers that switch over them (the swift-nio pattern). Compare `code` against the static members:
///
/// ```swift
/// do { _ = try arena.allocate(byteCount: 4096, alignment: 8) }
/// catch where error.code == .arenaFull { print(error.message) }
/// ```
public struct ArenaError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable machine-readable identifier (`rawValue` is snake_case).
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        @usableFromInline init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The arena cannot fit the request: a fixed arena is full, or a growing arena reached its limit.
        public static let arenaFull = Code("arena_full")
        /// A checkpoint from an older generation, or one released by a later rewind.
        public static let staleCheckpoint = Code("stale_checkpoint")
        /// A checkpoint taken on a different arena.
        public static let foreignCheckpoint = Code("foreign_checkpoint")
        /// An arena name outside 1-64 characters of `[A-Za-z0-9._-]`, or starting with `.`.
        public static let invalidName = Code("invalid_name")
        /// A registry already holds an arena with that name.
        public static let duplicateName = Code("duplicate_name")
        /// No arena with that name.
        public static let unknownArena = Code("unknown_arena")
        /// The registry holds its maximum number of arenas.
        public static let tooManyArenas = Code("too_many_arenas")
        /// Creating the arena would reserve more bytes than the registry's total budget.
        public static let totalBudgetExceeded = Code("total_budget_exceeded")
        /// The arena's capacity or limit is above the registry's per-arena maximum.
        public static let arenaTooLarge = Code("arena_too_large")
        /// The arena is pinned (declared at start-up) and cannot be removed.
        public static let arenaPinned = Code("arena_pinned")
        /// A policy with impossible values (zero capacity, initial chunk above the limit, ...).
        public static let invalidPolicy = Code("invalid_policy")
        /// A site name that is empty, too long, or holds a control character (`TraceRing.site(named:)`).
        public static let invalidSite = Code("invalid_site")
        /// The ring already knows its maximum number of named sites.
        public static let tooManySites = Code("too_many_sites")
    }

    /// What went wrong.
    public let code: Code
    /// A sentence for humans that says what and why, with the numbers involved.
    public let message: String
    /// For `.arenaFull`: the bytes asked for.
    public let requested: Int?
    /// For `.arenaFull`: the bytes in use when the request failed.
    public let used: Int?
    /// For `.arenaFull`: the arena's capacity (for a growing arena, its limit) when the request failed.
    public let capacity: Int?

    public init(code: Code, message: String, requested: Int? = nil, used: Int? = nil, capacity: Int? = nil) {
        self.code = code
        self.message = message
        self.requested = requested
        self.used = used
        self.capacity = capacity
    }

    public var description: String { "\(code): \(message)" }

    @usableFromInline
    static func arenaFull(requested: Int, alignment: Int, used: Int, capacity: Int) -> ArenaError {
        ArenaError(
            code: .arenaFull,
            message: "cannot allocate \(requested) bytes aligned to \(alignment): used \(used) of \(capacity) bytes",
            requested: requested, used: used, capacity: capacity)
    }
}
