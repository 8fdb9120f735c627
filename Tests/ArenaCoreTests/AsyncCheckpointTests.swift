import ArenaCore
import Testing

private struct ScopeFailure: Error, Equatable {}

/// `withCheckpoint(isolation:_:)`: an `async` scope rewinds after its awaits, also when it throws, and a
/// `LocalArena` (not `Sendable`) uses it from any isolation without Sendable diagnostics. The test target is
/// built with `-warnings-as-errors` in CI, so these calls compiling is itself part of the test.
@Suite struct AsyncCheckpointTests {
    @Test(arguments: ArenaKind.allCases)
    func anAsyncScopeRewindsAfterItsAwaits(kind: ArenaKind) async throws {
        let ring = kind.makeRing()
        let arena = kind.make(.fixed(capacity: 1024), trace: ring)
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        let used = try await arena.withCheckpoint { () async throws(ArenaError) -> Int in
            _ = try arena.allocate(byteCount: 20, alignment: 1)
            await Task.yield()
            _ = try arena.allocate(byteCount: 30, alignment: 1)
            try? await Task.sleep(for: .milliseconds(1))
            return arena.stats.used
        }
        #expect(used == 60 && arena.stats.used == 10 && arena.stats.rewinds == 1)
        #expect(eventTexts(ring).last == "Rewound to 10: released 50 bytes")
    }

    @Test(arguments: ArenaKind.allCases)
    func aThrowingAsyncScopeRewindsAndRethrowsItsTypedError(kind: ArenaKind) async throws {
        let arena = kind.make(.fixed(capacity: 1024))
        await #expect(throws: ScopeFailure()) {
            try await arena.withCheckpoint { () async throws(ScopeFailure) in
                _ = try? arena.allocate(byteCount: 100, alignment: 1)
                await Task.yield()
                throw ScopeFailure()
            }
        }
        #expect(arena.stats.used == 0 && arena.stats.rewinds == 1)
        // `Failure` stays typed: the catch needs no cast.
        do {
            try await arena.withCheckpoint { () async throws(ScopeFailure) in throw ScopeFailure() }
        } catch {
            #expect(error == ScopeFailure())
        }
    }

    @Test(arguments: ArenaKind.allCases)
    func asyncScopesNestAndMixWithSynchronousOnes(kind: ArenaKind) async throws {
        let arena = kind.make(.fixed(capacity: 1024))
        try await arena.withCheckpoint { () async throws(ArenaError) in
            _ = try arena.allocate(byteCount: 8, alignment: 1)
            try await arena.withCheckpoint { () async throws(ArenaError) in
                _ = try arena.allocate(byteCount: 16, alignment: 1)
                await Task.yield()
                #expect(arena.stats.used == 24)
            }
            #expect(arena.stats.used == 8)
            // A synchronous body in an async context still takes the synchronous overload (no `await`).
            arena.withCheckpoint { _ = try? arena.allocate(byteCount: 4, alignment: 1) }
            #expect(arena.stats.used == 8)
        }
        #expect(arena.stats.used == 0 && arena.stats.rewinds == 3)
    }

    @Test(arguments: ArenaKind.allCases)
    func anAsyncScopeWhoseBodyResetsLeavesTheArenaAlone(kind: ArenaKind) async throws {
        let arena = kind.make(.fixed(capacity: 1024))
        _ = try arena.allocate(byteCount: 10, alignment: 1)
        await arena.withCheckpoint {
            await Task.yield()
            arena.reset()
            _ = try? arena.allocate(byteCount: 5, alignment: 1)
        }
        #expect(arena.stats.used == 5 && arena.stats.rewinds == 0 && arena.generation == 1)
    }

    /// A `LocalArena` on the main actor: the scope stays on the main actor across its await.
    @MainActor @Test func aLocalArenaOnTheMainActor() async throws {
        let arena = LocalArena(policy: .fixed(capacity: 256))
        let copied = try await arena.withCheckpoint { () async throws(ArenaError) -> String in
            let name = try arena.copy("main")
            await Task.yield()
            MainActor.assertIsolated()
            return name.description
        }
        #expect(copied == "main" && arena.stats.used == 0)
    }

    /// An actor that owns a `LocalArena` scopes its work in it, with awaits inside.
    @Test func anActorOwnsALocalArena() async throws {
        let parser = Parser()
        #expect(try await parser.parse("a,bb,ccc") == [1, 2, 3])
        #expect(try await parser.parse("dddd") == [4])
        #expect(await parser.scratchUsed == 0)
    }

    /// Tasks of a group each scope work in their own arena: a `BumpArena` made in the task, or a `LocalArena`.
    @Test func concurrentTasksEachScopeTheirOwnArena() async throws {
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    let arena: any BumpAllocator =
                        task.isMultiple(of: 2)
                        ? BumpArena(policy: .fixed(capacity: 4096)) : LocalArena(policy: .fixed(capacity: 4096))
                    var total = 0
                    for round in 1...20 {
                        total += try await arena.withCheckpoint { () async throws(ArenaError) -> Int in
                            let numbers = try arena.copy(Array(0..<round))
                            await Task.yield()
                            return numbers.reduce(0, +)
                        }
                        #expect(arena.stats.used == 0)
                    }
                    return total
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: (1...20).map { $0 * ($0 - 1) / 2 }.reduce(0, +), count: 8))
    }
}

/// What the isolation parameter is for: a non-`Sendable` arena kept inside an actor, used in async scopes.
private actor Parser {
    let scratch = LocalArena(policy: .growing(initialChunk: 256, limit: 1 << 16))

    var scratchUsed: Int { scratch.stats.used }

    func parse(_ line: String) async throws(ArenaError) -> [Int] {
        try await scratch.withCheckpoint { () async throws(ArenaError) -> [Int] in
            var lengths: [Int] = []
            for field in line.split(separator: ",") {
                let copied = try scratch.copy(String(field))
                await Task.yield()
                lengths.append(copied.utf8Count)
            }
            return lengths
        }
    }
}
