import ArenaCore
import Testing

/// `ArenaRegistry.forEachArenaStats`: every arena once, with the stats `Arena.stats` reads, across several of the
/// walk's blocks (64 arenas each) and a partial last one.
@Suite struct RegistryWalkTests {
    @Test(arguments: [0, 1, 64, 65, 150])
    func everyArenaOnceWithItsOwnStats(count: Int) throws {
        let registry = ArenaRegistry()
        for number in 0..<count {
            let entry = try registry.create(
                name: "a-\(number)", policy: .fixed(capacity: 4096 * (1 + number % 3)),
                arenaClass: "c-\(number % 4)")
            // A different allocation count and size per arena, so a swapped or repeated stats read shows.
            for _ in 0..<(number % 7) { _ = try entry.arena.allocate(byteCount: 8 + number, alignment: 8) }
        }
        var seen: [String: ArenaStats] = [:]
        let listed = registry.forEachArenaStats { entry, stats in
            #expect(seen[entry.name] == nil, "\(entry.name) visited twice")
            seen[entry.name] = stats
        }
        #expect(listed.count == count)
        #expect(listed.reservedBytes == registry.reservedBytes)
        #expect(seen.count == count)
        for number in 0..<count {
            let entry = try #require(registry.arena(named: "a-\(number)"))
            #expect(seen[entry.name] == entry.arena.stats)
            #expect(seen[entry.name]?.allocations == UInt64(number % 7))
        }
    }

    /// The walk's list follows every removal (each moves the last arena into the removed one's place) and every
    /// idle sweep: after rounds of creates and removals in a shuffled order, it lists exactly the arenas that
    /// remain, each once with its own stats, and the same reserved bytes as the registry.
    @Test func followsRemovalsAndSweeps() throws {
        let registry = ArenaRegistry()
        var live: Set<String> = []
        var generator = SystemRandomNumberGenerator()
        var next = 0
        for round in 0..<6 {
            for _ in 0..<90 {
                let name = "a-\(next)"
                // Every third arena may be swept (a 1 s timeout, swept at the end of time).
                let entry = try registry.create(
                    name: name, policy: .fixed(capacity: 4096), arenaClass: "c-\(next % 4)",
                    idleTimeoutSeconds: next % 3 == 0 && round % 2 == 1 ? 1 : nil)
                for _ in 0..<(next % 5) { _ = try entry.arena.allocate(byteCount: 16, alignment: 8) }
                live.insert(name)
                next += 1
            }
            for name in live.shuffled(using: &generator).prefix(40) {
                try registry.remove(named: name)
                live.remove(name)
            }
            if round % 2 == 1 {
                for entry in registry.removeIdle(now: .max) { live.remove(entry.name) }
            }
            var seen: [String: ArenaStats] = [:]
            let listed = registry.forEachArenaStats { entry, stats in
                #expect(seen[entry.name] == nil, "\(entry.name) visited twice")
                seen[entry.name] = stats
            }
            #expect(Set(seen.keys) == live, "round \(round)")
            #expect(listed.count == live.count)
            #expect(listed.reservedBytes == registry.reservedBytes)
            for (name, stats) in seen {
                let number = try #require(Int(name.dropFirst(2)))
                #expect(stats.allocations == UInt64(number % 5), "\(name)")
            }
        }
    }
}
