import ArenaCore
import PropertyBased
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension ArenaStep {
    static let generator = zip(
        Gen.int(in: 0...99), Gen.int(in: 0...4096), Gen.int(in: 0...12), Gen.int(in: 0...999_999)
    ).map { ArenaStep(operation: $0, size: $1, alignmentLog2: $2, pick: $3) }
}

private let programs = ArenaStep.generator.array(of: 1...150)

/// Property tests: random programs of allocate / copy / checkpoint / rewind / reset / tracing against the model.
@Suite struct ArenaModelTests {
    @Test(arguments: ArenaKind.allCases)
    func fixedArenaMatchesTheModel(kind: ArenaKind) async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...32768), programs) { capacity, program in
            var runner = ArenaProgramRunner(kind: kind, policy: .fixed(capacity: capacity))
            do throws(ModelMismatch) {
                try runner.run(program)
            } catch {
                Issue.record("\(error)\nfixed(capacity: \(capacity)), program \(program)")
            }
        }
    }

    @Test(arguments: ArenaKind.allCases)
    func growingArenaMatchesTheModel(kind: ArenaKind) async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...8192), Gen.int(in: 0...(1 << 17)), programs) {
            initialChunk, extra, program in
            let policy = ArenaPolicy.growing(initialChunk: initialChunk, limit: initialChunk + extra)
            var runner = ArenaProgramRunner(kind: kind, policy: policy)
            do throws(ModelMismatch) {
                try runner.run(program)
            } catch {
                Issue.record("\(error)\n\(policy), program \(program)")
            }
        }
    }

    /// Stats, events and invariants read only every few steps: a `LocalArena` then serves runs of allocations
    /// from its cursor alone, which each read folds back into the state word.
    @Test(arguments: ArenaKind.allCases)
    func arenaReadEveryFewStepsMatchesTheModel(kind: ArenaKind) async {
        await propertyCheck(count: 200, input: Gen.int(in: 1...8192), Gen.int(in: 2...9), programs) {
            capacity, every, program in
            for policy in [
                ArenaPolicy.fixed(capacity: capacity), .growing(initialChunk: capacity, limit: capacity * 9),
            ] {
                var runner = ArenaProgramRunner(kind: kind, policy: policy, checkingEvery: every)
                do throws(ModelMismatch) {
                    try runner.run(program)
                } catch {
                    Issue.record("\(error)\n\(policy), checked every \(every) steps, program \(program)")
                }
            }
        }
    }

    /// The runner itself must notice a wrong model: a model whose chunk rule differs from the documented one
    /// (no doubling) disagrees with the arena on a growing program.
    @Test func theRunnerDetectsADisagreement() {
        var runner = ArenaProgramRunner(kind: .local, policy: .growing(initialChunk: 64, limit: 1 << 16))
        runner.model = ArenaModel(
            policy: .growing(initialChunk: 64, limit: 1 << 15), arenaID: runner.arena.id,
            tracing: true)
        let program = [ArenaStep(operation: 0, size: 100, alignmentLog2: 0, pick: 1)]
        #expect(throws: ModelMismatch.self) { try runner.run(program) }
    }
}
