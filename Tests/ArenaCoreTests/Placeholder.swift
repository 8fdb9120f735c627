import Testing
import ArenaCore

@Test func readmeExample() throws {
    let ring = TraceRing(capacity: 4096)
    let arena = BumpArena(policy: .fixed(capacity: 1024), trace: ring)
    let p = try arena.allocate(byteCount: 16, alignment: 8)
    #expect(Int(bitPattern: p) % 8 == 0)
    #expect(ring.events(after: 0).map { "\($0)" } == ["Allocated 16 from 0 to 15"])
    let a = try arena.allocation(byteCount: 3, alignment: 64)
    #expect(a.offset == 64 && a.padding == 48)
    arena.withCheckpoint { _ = try? arena.allocate(byteCount: 100, alignment: 1) }
    #expect(arena.stats.used == 67)
    #expect(arena.reset() == 67)
    #expect(ring.events(after: 0).map { "\($0)" } == ["Allocated 16 from 0 to 15", "Allocated 3 from 64 to 66",
        "Allocated 100 from 67 to 166", "Rewound to 67: released 100 bytes", "Reset: released 67 bytes"])
    let g = BumpArena(policy: .growing(initialChunk: 64, limit: 1000))
    for _ in 0..<10 { _ = try g.allocate(byteCount: 50, alignment: 8) }
    print(g.stats)
    #expect(throws: ArenaError.self) { try g.allocate(byteCount: 900, alignment: 8) }
    let s = g.stats
    #expect(s.allocations == 10 && s.allocatedBytes == 500 && s.failedAllocations == 1)
}
