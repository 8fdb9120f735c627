import ArenaCore
import Testing

/// `ArenaRegistry.arenas(prefix:)` and `snapshot()` list the arenas in name order. The registry keeps that order
/// between listings instead of sorting on every one, so each creation, removal and sweep must replace it.
@Suite struct RegistryOrderTests {
    @Test func theListingFollowsEveryCreationRemovalAndSweep() throws {
        let registry = ArenaRegistry()
        var expected: [String] = []
        func expectListed(_ comment: Comment) {
            #expect(registry.arenas().map(\.name) == expected.sorted(), comment)
            let snapshot = registry.snapshot()
            #expect(snapshot.arenas.map(\.name) == expected.sorted(), comment)
            #expect(snapshot.reservedBytes == 64 * expected.count, comment)
        }
        expectListed("empty")
        for name in ["m", "c", "x", "a", "q"] {
            _ = try registry.create(name: name, policy: .fixed(capacity: 64), idleTimeoutSeconds: name == "x" ? 1 : nil)
            expected.append(name)
            expectListed("after creating \(name)")
        }
        expectListed("listed again without a change")

        _ = try registry.remove(named: "c")
        expected.removeAll { $0 == "c" }
        expectListed("after removing c")

        _ = try registry.create(name: "b", policy: .fixed(capacity: 64), idleTimeoutSeconds: 1)
        expected.append("b")
        expectListed("after creating b")

        // The sweep removes the two arenas with an idle timeout (every arena is idle at the end of time).
        let swept = registry.removeIdle(now: .max)
        #expect(swept.map(\.name) == ["b", "x"])
        expected.removeAll { $0 == "b" || $0 == "x" }
        expectListed("after the sweep")

        // A name used before comes back as a new arena.
        let again = try registry.create(name: "c", policy: .fixed(capacity: 64))
        expected.append("c")
        expectListed("after creating c again")
        #expect(registry.arenas().first { $0.name == "c" } === again)
    }

    @Test func aPrefixListsOnlyItsArenasInNameOrder() throws {
        let registry = ArenaRegistry()
        for name in ["job-2", "req-1", "job-10", "job-1", "jobs"] {
            _ = try registry.create(name: name, policy: .fixed(capacity: 64))
        }
        #expect(registry.arenas(prefix: "job-").map(\.name) == ["job-1", "job-10", "job-2"])
        #expect(registry.arenas(prefix: "nothing").isEmpty)
        #expect(registry.arenas().map(\.name) == ["job-1", "job-10", "job-2", "jobs", "req-1"])
        _ = try registry.remove(named: "job-10")
        #expect(registry.arenas(prefix: "job-").map(\.name) == ["job-1", "job-2"])
    }
}
