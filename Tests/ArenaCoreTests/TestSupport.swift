import ArenaCore
import Testing

extension ArenaKind: CustomTestStringConvertible {}

/// The text of every event in `ring` after `sequence`.
func eventTexts(_ ring: TraceRing, after sequence: UInt64 = 0) -> [String] {
    ring.events(after: sequence).map { "\($0)" }
}

/// Runs `body`, which must throw an `ArenaError`, and returns that error (nil, with an issue, when it did not).
func arenaError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> ArenaError? {
    do {
        _ = try body()
        Issue.record("expected an ArenaError, got a result", sourceLocation: sourceLocation)
        return nil
    } catch let error as ArenaError {
        return error
    } catch {
        Issue.record("expected an ArenaError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// `value` rounded up to a multiple of `alignment` (a power of two).
func roundUp(_ value: Int, to alignment: Int) -> Int { (value + alignment - 1) & ~(alignment - 1) }
