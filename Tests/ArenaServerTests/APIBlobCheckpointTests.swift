import ArenaCore
import Testing

@testable import ArenaHTTP

/// Blobs, resets, checkpoints and rewinds, in process and live.
@Suite struct APIBlobCheckpointTests {
    /// Every byte value, zeros included, twice.
    static let binary: [UInt8] = [0, 0] + (0...255).map { UInt8($0) } + [0] + (0...255).reversed().map { UInt8($0) }

    @Test(arguments: Transport.allCases) func blobRoundTripsExactBytes(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.post(
            "/arenas/request/blobs", bytes: Self.binary,
            headers: ["Content-Type": "application/octet-stream"])
        #expect(response.status.code == 201)
        let json = try response.json()
        #expect(json["arena"]?.string == "request")
        let id = try #require(json["id"]?.int)
        #expect(id == 1)
        let url = try #require(json["url"]?.string)
        #expect(url == "/arenas/request/blobs/1")
        #expect(response.headers["Location"] == url)
        #expect(json["start"]?.int == 0)
        #expect(json["end"]?.int == Self.binary.count - 1)
        #expect(json["size"]?.int == Self.binary.count)
        #expect(json["generation"]?.int == 0)

        let read = api.get(url)
        #expect(read.status.code == 200)
        #expect(read.headers["Content-Type"] == "application/octet-stream")
        #expect(read.bytes == Self.binary)
        // The blob is an allocation like any other.
        let stats = try #require(try api.arena("request")["stats"])
        #expect(stats["used_bytes"]?.int == Self.binary.count)
        #expect(stats["allocations"]?.int == 1)
        #expect(
            api.get("/arenas/request/events?format=text").text
                == "Allocated \(Self.binary.count) from 0 to \(Self.binary.count - 1)\n")
    }

    @Test(arguments: Transport.allCases) func blobsGetIncreasingIdsAndKeepTheirBytes(_ transport: Transport) throws {
        let api = try TestClient(transport)
        var urls: [String] = []
        for index in 0..<5 {
            let response = api.post("/arenas/frame/blobs", bytes: [UInt8](repeating: UInt8(index), count: 100 + index))
            urls.append(try #require(try response.json()["url"]?.string))
        }
        #expect(urls == (1...5).map { "/arenas/frame/blobs/\($0)" })
        for (index, url) in urls.enumerated() {
            #expect(api.get(url).bytes == [UInt8](repeating: UInt8(index), count: 100 + index))
        }
    }

    @Test(arguments: Transport.allCases) func blobAlignQuery(_ transport: Transport) throws {
        let api = try TestClient(transport)
        #expect(api.post("/arenas/request/blobs", bytes: [1]).status.code == 201)
        let aligned = try api.post("/arenas/request/blobs?align=64", bytes: [2, 3]).json()
        #expect(aligned["start"]?.int == 64)
        // The default alignment is 1: the next blob follows directly.
        #expect(try api.post("/arenas/request/blobs", bytes: [4]).json()["start"]?.int == 66)
    }

    @Test(
        arguments: Transport.allCases,
        [
            ("3", "3"), ("0", "0"), ("2097152", "2097152"), ("-8", "-8"), ("eight", "eight"), ("", "''"),
        ])
    func blobBadAlignIs400(_ transport: Transport, _ example: (align: String, mentions: String)) throws {
        let (align, mentions) = example
        let response = try TestClient(transport).post("/arenas/request/blobs?align=\(align)", bytes: [1, 2, 3])
        expectError(response, status: 400, code: "bad_field", mentions: ["'align'", mentions])
    }

    @Test(arguments: Transport.allCases) func emptyBlobIs400(_ transport: Transport) throws {
        let api = try TestClient(transport)
        expectError(api.post("/arenas/request/blobs", bytes: []), status: 400, code: "empty_body", mentions: ["empty"])
        #expect(try api.arena("request")["stats"]?["allocations"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func blobInFullArenaIs507(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"tiny","capacity":8}"#)
        let response = api.post("/arenas/tiny/blobs", bytes: [UInt8](repeating: 7, count: 9))
        expectError(response, status: 507, code: "arena_full", mentions: ["9"])
        let json = try response.json()
        #expect(json["requested"]?.int == 9)
        #expect(json["capacity"]?.int == 8)
        // A blob that fits exactly still works afterwards.
        #expect(api.post("/arenas/tiny/blobs", bytes: [UInt8](repeating: 7, count: 8)).status.code == 201)
    }

    @Test(arguments: Transport.allCases) func blobIsGoneAfterReset(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let url = try #require(try api.post("/arenas/request/blobs", bytes: [1, 2, 3]).json()["url"]?.string)
        #expect(api.post("/arenas/request/reset").status.code == 200)
        expectError(api.get(url), status: 410, code: "gone", mentions: ["reset"])
        // New blobs after the reset get new ids and work.
        let next = try api.post("/arenas/request/blobs", bytes: [9]).json()
        #expect(next["id"]?.int == 2)
        #expect(next["generation"]?.int == 1)
        #expect(api.get("/arenas/request/blobs/2").bytes == [9])
        expectError(api.get(url), status: 410, code: "gone")
    }

    @Test(arguments: Transport.allCases) func blobIsGoneAfterResetAll(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let url = try #require(try api.post("/arenas/frame/blobs", bytes: [1]).json()["url"]?.string)
        #expect(api.post("/reset").status.code == 200)
        expectError(api.get(url), status: 410, code: "gone")
    }

    @Test(arguments: Transport.allCases) func blobIsGoneAfterRewindBeforeIt(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let keep = try #require(try api.post("/arenas/request/blobs", bytes: [1, 1]).json()["url"]?.string)
        let checkpoint = try #require(try api.post("/arenas/request/checkpoints").json()["checkpoint"]?.int)
        let lost = try #require(try api.post("/arenas/request/blobs", bytes: [2, 2]).json()["url"]?.string)
        #expect(api.post("/arenas/request/rewind", json: #"{"checkpoint":\#(checkpoint)}"#).status.code == 200)
        expectError(api.get(lost), status: 410, code: "gone", mentions: ["rewind"])
        #expect(api.get(keep).bytes == [1, 1], "a blob before the checkpoint survives the rewind")
        // Its bytes are handed out again: a new blob lands where the lost one was.
        let again = try api.post("/arenas/request/blobs", bytes: [3, 3]).json()
        #expect(again["start"]?.int == 2)
        expectError(api.get(lost), status: 410, code: "gone")
    }

    @Test(arguments: Transport.allCases) func blobSurvivesRewindToACheckpointAfterIt(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let url = try #require(try api.post("/arenas/frame/blobs", bytes: [5, 6, 7]).json()["url"]?.string)
        let checkpoint = try #require(try api.post("/arenas/frame/checkpoints").json()["checkpoint"]?.int)
        try api.allocate("frame", #"{"size":100}"#)
        #expect(api.post("/arenas/frame/rewind", json: #"{"checkpoint":\#(checkpoint)}"#).status.code == 200)
        #expect(api.get(url).bytes == [5, 6, 7])
    }

    @Test(arguments: Transport.allCases) func blobInANewChunkOfAGrowingArena(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"grow","policy":"growing","initial_chunk":16,"limit":4096}"#)
        let first = try #require(
            try api.post("/arenas/grow/blobs", bytes: [UInt8](repeating: 1, count: 16))
                .json()["url"]?.string)
        let second = try #require(
            try api.post("/arenas/grow/blobs", bytes: [UInt8](repeating: 2, count: 100))
                .json()["url"]?.string)
        #expect(try api.arena("grow")["stats"]?["chunks"]?.int == 2)
        #expect(api.get(first).bytes == [UInt8](repeating: 1, count: 16))
        #expect(api.get(second).bytes == [UInt8](repeating: 2, count: 100))
    }

    @Test(arguments: Transport.allCases, ["99", "0", "abc", "-1", "1.0", "18446744073709551616"])
    func unknownBlobIs404(_ transport: Transport, id: String) throws {
        let api = try TestClient(transport)
        #expect(api.post("/arenas/request/blobs", bytes: [1]).status.code == 201)
        expectError(api.get("/arenas/request/blobs/\(id)"), status: 404, code: "unknown_blob", mentions: [id])
    }

    @Test(arguments: Transport.allCases) func blobOfAnotherArenaIs404(_ transport: Transport) throws {
        let api = try TestClient(transport)
        #expect(api.post("/arenas/request/blobs", bytes: [1]).status.code == 201)
        expectError(api.get("/arenas/frame/blobs/1"), status: 404, code: "unknown_blob")
    }

    // MARK: Reset

    @Test(arguments: Transport.allCases) func resetReleasesAndBumpsTheGeneration(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"sizes":[16,100]}"#)
        let response = api.post("/arenas/request/reset")
        #expect(response.status.code == 200)
        let json = try response.json()
        #expect(json.keys == ["arena", "released_bytes", "generation"])
        #expect(json["arena"]?.string == "request")
        #expect(json["released_bytes"]?.int == 116)
        #expect(json["generation"]?.int == 1)
        let arena = try api.arena("request")
        #expect(arena["generation"]?.int == 1)
        #expect(arena["stats"]?["used_bytes"]?.int == 0)
        #expect(arena["stats"]?["allocations"]?.int == 0)
        #expect(arena["stats"]?["lifetime_allocations"]?.int == 2)
        #expect(arena["stats"]?["high_water_bytes"]?.int == 116)
        #expect(arena["stats"]?["resets"]?.int == 1)
        // Allocation starts from 0 again.
        #expect(try api.allocate("request", #"{"size":8}"#).first?["start"]?.int == 0)
        // A reset of an empty arena releases nothing and still counts.
        _ = api.post("/arenas/scratch/reset")
        let empty = try api.post("/arenas/scratch/reset").json()
        #expect(empty["released_bytes"]?.int == 0)
        #expect(empty["generation"]?.int == 2)
    }

    @Test(arguments: Transport.allCases) func resetAllArenas(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"req-1","capacity":64}"#)
        try api.allocate("request", #"{"size":16}"#)
        try api.allocate("frame", #"{"size":32}"#)
        try api.allocate("req-1", #"{"size":8}"#)
        let json = try api.post("/reset").json()
        #expect(json["count"]?.int == 4)
        #expect(json["released_bytes"]?.int == 56)
        let arenas = try #require(json["arenas"]?.array)
        #expect(arenas.compactMap { $0["arena"]?.string } == ["frame", "req-1", "request", "scratch"])
        #expect(arenas.compactMap { $0["released_bytes"]?.int } == [32, 8, 16, 0])
        #expect(arenas.allSatisfy { $0["generation"]?.int == 1 })
        for name in ["frame", "req-1", "request", "scratch"] {
            #expect(try api.arena(name)["stats"]?["used_bytes"]?.int == 0)
        }
    }

    @Test(arguments: Transport.allCases) func resetAllWithPrefix(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"req-1","capacity":64}"#)
        try api.allocate("request", #"{"size":16}"#)
        try api.allocate("req-1", #"{"size":8}"#)
        try api.allocate("frame", #"{"size":32}"#)
        let json = try api.post("/reset?prefix=req").json()
        #expect(json["count"]?.int == 2)
        #expect(json["released_bytes"]?.int == 24)
        #expect(json["arenas"]?.array?.compactMap { $0["arena"]?.string } == ["req-1", "request"])
        #expect(try api.arena("frame")["stats"]?["used_bytes"]?.int == 32, "frame does not match the prefix")
        #expect(try api.arena("frame")["generation"]?.int == 0)
        // A prefix nothing matches resets nothing.
        let none = try api.post("/reset?prefix=zzz").json()
        #expect(none["count"]?.int == 0)
        #expect(none["arenas"]?.array?.isEmpty == true)
    }

    // MARK: Checkpoints

    @Test(arguments: Transport.allCases) func checkpointAndRewind(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        let response = api.post("/arenas/request/checkpoints")
        #expect(response.status.code == 201)
        let checkpoint = try response.json()
        #expect(checkpoint.keys == ["arena", "checkpoint", "offset", "generation"])
        #expect(checkpoint["checkpoint"]?.int == 1)
        #expect(checkpoint["offset"]?.int == 16)
        #expect(checkpoint["generation"]?.int == 0)
        try api.allocate("request", #"{"sizes":[8,100]}"#)

        let rewind = api.post("/arenas/request/rewind", json: #"{"checkpoint":1}"#)
        #expect(rewind.status.code == 200)
        let json = try rewind.json()
        #expect(json["arena"]?.string == "request")
        #expect(json["checkpoint"]?.int == 1)
        #expect(json["released_bytes"]?.int == 108)
        #expect(json["offset"]?.int == 16)
        let stats = try #require(try api.arena("request")["stats"])
        #expect(stats["used_bytes"]?.int == 16)
        #expect(stats["rewinds"]?.int == 1)
        #expect(try api.allocate("request", #"{"size":1}"#).first?["start"]?.int == 16)
        // Rewinding to the same checkpoint again is allowed: nothing before it was released.
        let again = try api.post("/arenas/request/rewind", json: #"{"checkpoint":1}"#).json()
        #expect(again["released_bytes"]?.int == 1)
    }

    @Test(arguments: Transport.allCases) func checkpointIsStaleAfterReset(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        let id = try #require(try api.post("/arenas/request/checkpoints").json()["checkpoint"]?.int)
        #expect(api.post("/arenas/request/reset").status.code == 200)
        expectError(
            api.post("/arenas/request/rewind", json: #"{"checkpoint":\#(id)}"#),
            status: 409, code: "stale_checkpoint", mentions: ["\(id)", "reset"])
        #expect(try api.arena("request")["stats"]?["rewinds"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func checkpointIsStaleAfterResetAll(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let id = try #require(try api.post("/arenas/frame/checkpoints").json()["checkpoint"]?.int)
        #expect(api.post("/reset?prefix=fr").status.code == 200)
        expectError(
            api.post("/arenas/frame/rewind", json: #"{"checkpoint":\#(id)}"#),
            status: 409, code: "stale_checkpoint")
    }

    @Test(arguments: Transport.allCases) func checkpointIsStaleAfterAnEarlierRewind(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let early = try #require(try api.post("/arenas/request/checkpoints").json()["checkpoint"]?.int)
        try api.allocate("request", #"{"size":16}"#)
        let late = try #require(try api.post("/arenas/request/checkpoints").json()["checkpoint"]?.int)
        try api.allocate("request", #"{"size":16}"#)
        #expect(api.post("/arenas/request/rewind", json: #"{"checkpoint":\#(early)}"#).status.code == 200)
        // `late` pointed into memory the rewind released: refusing it keeps bytes from being handed out twice.
        expectError(
            api.post("/arenas/request/rewind", json: #"{"checkpoint":\#(late)}"#),
            status: 409, code: "stale_checkpoint", mentions: ["checkpoint \(late)", "rewind"])
        #expect(try api.arena("request")["stats"]?["used_bytes"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func checkpointsInAGrowingArena(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"grow","policy":"growing","initial_chunk":64,"limit":4096}"#)
        try api.allocate("grow", #"{"size":48}"#)
        let id = try #require(try api.post("/arenas/grow/checkpoints").json()["checkpoint"]?.int)
        try api.allocate("grow", #"{"sizes":[64,200]}"#)
        #expect(try api.arena("grow")["stats"]?["chunks"]?.int == 3)
        let json = try api.post("/arenas/grow/rewind", json: #"{"checkpoint":\#(id)}"#).json()
        #expect(json["released_bytes"]?.int == 264)
        let stats = try #require(try api.arena("grow")["stats"])
        #expect(stats["chunks"]?.int == 1)
        #expect(stats["used_bytes"]?.int == 48)
    }

    @Test(arguments: Transport.allCases, ["99", "0"])
    func unknownCheckpointIs404(_ transport: Transport, id: String) throws {
        let api = try TestClient(transport)
        #expect(api.post("/arenas/request/checkpoints").status.code == 201)
        expectError(
            api.post("/arenas/request/rewind", json: #"{"checkpoint":\#(id)}"#),
            status: 404, code: "unknown_checkpoint", mentions: ["checkpoint \(id)", "'request'"])
    }

    @Test(arguments: Transport.allCases) func checkpointOfAnotherArenaIs404(_ transport: Transport) throws {
        let api = try TestClient(transport)
        #expect(api.post("/arenas/request/checkpoints").status.code == 201)
        expectError(
            api.post("/arenas/frame/rewind", json: #"{"checkpoint":1}"#),
            status: 404, code: "unknown_checkpoint")
    }

    @Test(
        arguments: Transport.allCases,
        [
            (#"{}"#, ["'checkpoint'", "required"]),
            (#"{"checkpoint":null}"#, ["'checkpoint'", "required"]),
            (#"{"checkpoint":"1"}"#, ["'checkpoint'", "whole number"]),
            (#"{"checkpoint":-1}"#, ["'checkpoint'", "negative"]),
            (#"{"checkpoint":1.5}"#, ["'checkpoint'", "whole number"]),
            (#"{"checkpoint":1,"force":true}"#, ["unknown field 'force'"]),
        ])
    func badRewindBodyIs400(_ transport: Transport, _ example: (body: String, mentions: [String])) throws {
        let (body, mentions) = example
        let api = try TestClient(transport)
        #expect(api.post("/arenas/request/checkpoints").status.code == 201)
        expectError(api.post("/arenas/request/rewind", json: body), status: 400, code: "bad_field", mentions: mentions)
    }

    @Test(arguments: Transport.allCases) func rewindNeedsAJSONBody(_ transport: Transport) throws {
        let api = try TestClient(transport)
        expectError(api.post("/arenas/request/rewind", json: ""), status: 400, code: "bad_json", mentions: ["empty"])
        // Without a Content-Type it is not read at all (it was 400 bad_json before the edge hardening).
        expectError(api.post("/arenas/request/rewind"), status: 415, code: "unsupported_media_type")
        expectError(api.post("/arenas/request/rewind", json: "1"), status: 400, code: "bad_json")
        expectError(
            api.post(
                "/arenas/request/rewind", json: #"{"checkpoint":1}"#,
                headers: ["Content-Type": "text/plain"]),
            status: 415, code: "unsupported_media_type")
    }
}
