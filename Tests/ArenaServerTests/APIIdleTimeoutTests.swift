import ArenaCore
import Testing
@testable import ArenaServer

/// `ttl_seconds`: `ArenaAPI.removeIdleArenas(now:)` with a clock the test chooses.
@Suite struct APIIdleTimeoutTests {
    static let second: UInt64 = 1_000_000_000

    @Test func idleArenaIsRemovedAfterItsTTL() throws {
        let api = try APIHarness()
        try api.createArena(#"{"name":"short","capacity":64,"ttl_seconds":1}"#)
        try api.createArena(#"{"name":"long","capacity":64,"ttl_seconds":60}"#)
        try api.createArena(#"{"name":"forever","capacity":64}"#)
        let now = WallClock.now()
        #expect(api.api.removeIdleArenas(now: now).isEmpty, "nothing is idle yet")
        #expect(api.api.removeIdleArenas(now: now + 2 * Self.second) == ["short"])
        expectError(api.get("/arenas/short"), status: 404, code: "unknown_arena")
        #expect(api.get("/arenas/long").status.code == 200)
        #expect(api.get("/arenas/forever").status.code == 200)
        // The budget it reserved is free again.
        #expect(try api.get("/arenas").json()["reserved_bytes"]?.int == (64 << 10) + (17 << 20) + 128)
    }

    @Test func pinnedArenasAreNeverRemoved() throws {
        let api = try APIHarness()
        // The API cannot pin an arena, but the registry can give a pinned one a timeout: it must still stay.
        try api.api.registry.create(name: "pinned-ttl", policy: .fixed(capacity: 64), pinned: true,
                                    idleTimeoutSeconds: 1)
        try api.createArena(#"{"name":"short","capacity":64,"ttl_seconds":1}"#)
        let farFuture = WallClock.now() + 1_000_000 * Self.second
        #expect(api.api.removeIdleArenas(now: farFuture) == ["short"])
        for name in ["request", "frame", "scratch", "pinned-ttl"] {
            #expect(api.get("/arenas/\(name)").status.code == 200, "\(name) was removed")
        }
    }

    @Test func useRestartsTheIdleTimer() throws {
        let api = try APIHarness()
        try api.createArena(#"{"name":"busy","capacity":64,"ttl_seconds":3}"#)
        let created = WallClock.now()
        // Two seconds later it is not idle yet; three and a bit after the last use it is.
        #expect(api.api.removeIdleArenas(now: created + 2 * Self.second).isEmpty)
        try api.allocate("busy", #"{"size":8}"#)
        let used = WallClock.now()
        #expect(api.api.removeIdleArenas(now: used + 2 * Self.second).isEmpty)
        #expect(api.api.removeIdleArenas(now: used + 4 * Self.second) == ["busy"])
    }

    @Test func removedArenaForgetsItsBlobsAndCheckpoints() throws {
        let api = try APIHarness()
        try api.createArena(#"{"name":"temp","capacity":64,"ttl_seconds":1}"#)
        #expect(api.post("/arenas/temp/blobs", bytes: [1]).status.code == 201)
        #expect(api.api.removeIdleArenas(now: WallClock.now() + 2 * Self.second) == ["temp"])
        try api.createArena(#"{"name":"temp","capacity":64}"#)
        expectError(api.get("/arenas/temp/blobs/1"), status: 404, code: "unknown_blob")
    }

    /// A TTL too long to count in nanoseconds must mean "practically never", not a trap in the sweeper thread
    /// (which would take the daemon down a second after any client sent it).
    @Test(arguments: [Int.max, Int.max / 1_000_000_000 + 1, 18_446_744_074])
    func hugeTTLNeverExpiresAndDoesNotCrash(ttl: Int) throws {
        let api = try APIHarness()
        let response = api.post("/arenas", json: #"{"name":"huge","capacity":64,"ttl_seconds":\#(ttl)}"#)
        if response.status.code == 201 {
            #expect(api.api.removeIdleArenas(now: WallClock.now() + 1_000_000 * Self.second).isEmpty)
            #expect(api.get("/arenas/huge").status.code == 200)
        } else {
            expectError(response, status: 400, code: "bad_field", mentions: ["'ttl_seconds'"])
        }
    }
}
