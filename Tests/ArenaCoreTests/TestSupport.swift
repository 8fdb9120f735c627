import ArenaCore
import Testing

/// The two arena types share one engine; most tests run against both.
enum ArenaKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case shared
    case local

    var testDescription: String { rawValue == "shared" ? "BumpArena" : "LocalArena" }

    func make(_ policy: ArenaPolicy, trace: TraceRing? = nil) -> any BumpAllocator {
        switch self {
        case .shared: BumpArena(policy: policy, trace: trace)
        case .local: LocalArena(policy: policy, trace: trace)
        }
    }

    /// A ring this kind of arena may write to: single-writer for the local arena (its fast mode), concurrent
    /// writers for the shared one (which refuses a single-writer ring).
    func makeRing(capacity: Int = 1024) -> TraceRing {
        TraceRing(capacity: capacity, singleWriter: self == .local)
    }
}

extension UnsafeMutableRawPointer {
    var address: UInt { UInt(bitPattern: self) }
}

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

extension ArenaString {
    /// The UTF-8 bytes, read through `withUTF8`'s span.
    var bytes: [UInt8] { withUTF8 { span in span.withUnsafeBufferPointer { Array($0) } } }

    /// The arena memory the string occupies, for tests that check it against other live allocations. The
    /// pointer leaves the closure on purpose: the bytes are the arena's, valid until a reset or rewind.
    var memory: UnsafeMutableRawBufferPointer {
        withUTF8 { span in span.withUnsafeBytes { UnsafeMutableRawBufferPointer(mutating: $0) } }
    }
}
