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
}
