import ArenaCore
import Testing

/// API misuse is a precondition failure; each of these must stop the process.
@Suite struct PreconditionTests {
    @Test func negativeByteCountTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = try? BumpArena(policy: .fixed(capacity: 64)).allocate(byteCount: -1, alignment: 1)
        }
        await #expect(processExitsWith: .failure) {
            _ = try? LocalArena(policy: .fixed(capacity: 64)).allocation(byteCount: -1, alignment: 8)
        }
    }

    @Test func alignmentThatIsNotAPowerOfTwoTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = try? BumpArena(policy: .fixed(capacity: 64)).allocate(byteCount: 1, alignment: 0)
        }
        await #expect(processExitsWith: .failure) {
            _ = try? BumpArena(policy: .fixed(capacity: 64)).allocate(byteCount: 1, alignment: 3)
        }
        await #expect(processExitsWith: .failure) {
            _ = try? LocalArena(policy: .fixed(capacity: 64)).allocate(byteCount: 1, alignment: -8)
        }
        await #expect(processExitsWith: .failure) {
            let raw = [UInt8](repeating: 1, count: 4)
            _ = try? raw.withUnsafeBytes { try LocalArena(policy: .fixed(capacity: 64)).copy(bytes: $0, alignment: 12) }
        }
    }

    @Test func alignmentAboveTheMaximumTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = try? BumpArena(policy: .fixed(capacity: 64)).allocate(
                byteCount: 1, alignment: BumpArena.maxAlignment * 2)
        }
        await #expect(processExitsWith: .failure) {
            _ = try? LocalArena(policy: .fixed(capacity: 64)).allocation(byteCount: 0, alignment: 1 << 40)
        }
    }

    @Test func invalidPoliciesTrap() async {
        await #expect(processExitsWith: .failure) { _ = BumpArena(policy: .fixed(capacity: 0)) }
        await #expect(processExitsWith: .failure) { _ = LocalArena(policy: .fixed(capacity: -1)) }
        await #expect(processExitsWith: .failure) { _ = BumpArena(policy: .growing(initialChunk: 0, limit: 64)) }
        await #expect(processExitsWith: .failure) { _ = BumpArena(policy: .growing(initialChunk: 128, limit: 64)) }
        await #expect(processExitsWith: .failure) { _ = LocalArena(policy: .growing(initialChunk: 1, limit: 1 << 40)) }
    }

    @Test func traceRingCapacityOutOfRangeTraps() async {
        await #expect(processExitsWith: .failure) { _ = TraceRing(capacity: 0) }
        await #expect(processExitsWith: .failure) { _ = TraceRing(capacity: -4, singleWriter: true) }
        await #expect(processExitsWith: .failure) { _ = TraceRing(capacity: TraceRing.maxCapacity + 1) }
        await #expect(processExitsWith: .failure) { _ = TraceRing(capacity: 4).events(after: 0, limit: -1) }
    }

    @Test func negativeCountTraps() async {
        await #expect(processExitsWith: .failure) {
            _ = try? BumpArena(policy: .fixed(capacity: 64)).allocate(UInt32.self, count: -1)
        }
        await #expect(processExitsWith: .failure) {
            _ = try? LocalArena(policy: .fixed(capacity: 64)).allocate(UInt8.self, count: Int.min)
        }
    }

    @Test func aSingleWriterRingCannotServeASharedArena() async {
        await #expect(processExitsWith: .failure) {
            _ = BumpArena(policy: .fixed(capacity: 64), trace: TraceRing(capacity: 4, singleWriter: true))
        }
    }

    /// The boundaries themselves are accepted (so the traps above are about the values, not the calls).
    @Test func theBoundariesAreAccepted() throws {
        let arena = BumpArena(policy: .fixed(capacity: 1), trace: TraceRing(capacity: 1))
        _ = try arena.allocate(byteCount: 0, alignment: 4096)
        _ = try arena.allocate(byteCount: 1, alignment: 1)
        let growing = BumpArena(policy: .growing(initialChunk: 1, limit: 2))
        let aligned = try growing.allocate(byteCount: 0, alignment: BumpArena.maxAlignment)
        #expect(aligned.address % UInt(BumpArena.maxAlignment) == 0)
        _ = try arena.allocate(UInt8.self, count: 0)
        _ = LocalArena(policy: .growing(initialChunk: 1, limit: 1), trace: TraceRing(capacity: 1, singleWriter: true))
        #expect(TraceRing(capacity: 4).events(after: 0, limit: 0).isEmpty)
    }
}
