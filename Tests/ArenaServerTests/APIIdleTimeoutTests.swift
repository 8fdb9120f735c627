import ArenaCore
import Testing

@testable import ArenaHTTP

/// `ttl_seconds`: `ArenaAPI.removeIdleArenas(now:)` with a clock the test chooses.
///
/// In process only, but for the huge ttl (which nothing removes): a live server runs the real idle sweeper every
/// second, on the real clock, and it would race the chosen clock (removing a one-second arena before the test
/// asks). The sweeper itself is exercised against the daemon (`LiveServerTests.hugeTTLDoesNotKillTheDaemon`).
@Suite struct APIIdleTimeoutTests {
    static let second: UInt64 = 1_000_000_000

    func client(_ transport: Transport = .inProcess) throws -> (TestClient, ArenaAPI) {
        let client = try TestClient(transport)
        return (client, try #require(client.api))
    }

    @Test func idleArenaIsRemovedAfterItsTTL() throws {
        let (client, api) = try client()
        try client.createArena(#"{"name":"short","capacity":64,"ttl_seconds":1}"#)
        try client.createArena(#"{"name":"long","capacity":64,"ttl_seconds":60}"#)
        try client.createArena(#"{"name":"forever","capacity":64}"#)
        let now = WallClock.now()
        #expect(api.removeIdleArenas(now: now).isEmpty, "nothing is idle yet")
        #expect(api.removeIdleArenas(now: now + 2 * Self.second).map(\.name) == ["short"])
        expectError(client.get("/arenas/short"), status: 404, code: "unknown_arena")
        #expect(client.get("/arenas/long").status.code == 200)
        #expect(client.get("/arenas/forever").status.code == 200)
        // The budget it reserved is free again.
        let ring = TraceRing.bytes(forCapacity: 4096)
        #expect(try client.get("/arenas").json()["reserved_bytes"]?.int == declaredReservedBytes + 2 * (64 + ring))
    }

    @Test func pinnedArenasAreNeverRemoved() throws {
        let (client, api) = try client()
        // The API cannot pin an arena, but the registry can give a pinned one a timeout: it must still stay.
        try api.registry.create(name: "pinned-ttl", policy: .fixed(capacity: 64), pinned: true, idleTimeoutSeconds: 1)
        try client.createArena(#"{"name":"short","capacity":64,"ttl_seconds":1}"#)
        let farFuture = WallClock.now() + 1_000_000 * Self.second
        #expect(api.removeIdleArenas(now: farFuture).map(\.name) == ["short"])
        for name in ["request", "frame", "scratch", "pinned-ttl"] {
            #expect(client.get("/arenas/\(name)").status.code == 200, "\(name) was removed")
        }
    }

    @Test func useRestartsTheIdleTimer() throws {
        let (client, api) = try client()
        try client.createArena(#"{"name":"busy","capacity":64,"ttl_seconds":3}"#)
        let created = WallClock.now()
        // Two seconds later it is not idle yet; three and a bit after the last use it is.
        #expect(api.removeIdleArenas(now: created + 2 * Self.second).isEmpty)
        try client.allocate("busy", #"{"size":8}"#)
        let used = WallClock.now()
        #expect(api.removeIdleArenas(now: used + 2 * Self.second).isEmpty)
        #expect(api.removeIdleArenas(now: used + 4 * Self.second).map(\.name) == ["busy"])
    }

    @Test func removedArenaForgetsItsBlobsAndCheckpoints() throws {
        let (client, api) = try client()
        try client.createArena(#"{"name":"temp","capacity":64,"ttl_seconds":1}"#)
        #expect(client.post("/arenas/temp/blobs", bytes: [1]).status.code == 201)
        #expect(client.post("/arenas/temp/checkpoints").status.code == 201)
        #expect(api.removeIdleArenas(now: WallClock.now() + 2 * Self.second).map(\.name) == ["temp"])
        try client.createArena(#"{"name":"temp","capacity":64}"#)
        expectError(client.get("/arenas/temp/blobs/1"), status: 404, code: "unknown_blob")
        expectError(
            client.post("/arenas/temp/rewind", json: #"{"checkpoint":1}"#), status: 404,
            code: "unknown_checkpoint")
    }

    /// `ttl_seconds` is any whole number that fits in an `Int`; one too long to count in nanoseconds is accepted
    /// and means "never", rather than a trap in the sweeper thread (which would take the daemon down a second after
    /// any client sent it).
    @Test(arguments: Transport.allCases, [Int.max, Int.max / 1_000_000_000 + 1, 18_446_744_074])
    func hugeTTLIsAcceptedAndNeverExpires(_ transport: Transport, ttl: Int) throws {
        let (client, api) = try client(transport)
        let created = try client.createArena(#"{"name":"huge","capacity":64,"ttl_seconds":\#(ttl)}"#)
        #expect(created["ttl_seconds"]?.int == ttl)
        #expect(api.removeIdleArenas(now: WallClock.now() + 1_000_000 * Self.second).isEmpty)
        #expect(client.get("/arenas/huge").status.code == 200)
    }
}
