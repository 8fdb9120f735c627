import ArenaCore
import Dispatch
import Synchronization
import Testing

@testable import ArenaHTTP

/// `POST /arenas/{name}/allocations`, in process and live.
@Suite struct APIAllocationTests {
    @Test(arguments: Transport.allCases) func singleAllocation(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas/request/allocations", json: #"{"size":16,"align":8}"#)
        #expect(response.status.code == 201)
        let json = try response.json()
        #expect(json["arena"]?.string == "request")
        #expect(json["generation"]?.int == 0)
        let allocations = try #require(json["allocations"]?.array)
        #expect(allocations.count == 1)
        let first = try #require(allocations.first)
        #expect(first.keys == ["start", "end", "size", "padding", "generation"])
        #expect(first["start"]?.int == 0)
        #expect(first["end"]?.int == 15)
        #expect(first["size"]?.int == 16)
        #expect(first["padding"]?.int == 0)
        #expect(first["generation"]?.int == 0)

        let stats = try #require(try api.arena("request")["stats"])
        #expect(stats["used_bytes"]?.int == 16)
        #expect(stats["available_bytes"]?.int == (64 << 10) - 16)
        #expect(stats["allocations"]?.int == 1)
        #expect(stats["allocated_bytes"]?.int == 16)
        #expect(stats["high_water_bytes"]?.int == 16)
        #expect(stats["lifetime_allocations"]?.int == 1)
    }

    @Test(arguments: Transport.allCases) func alignDefaultsToEight(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":1}"#)
        let second = try api.allocate("request", #"{"size":1}"#)
        #expect(second.first?["start"]?.int == 8)
        #expect(second.first?["padding"]?.int == 7)
        #expect(try api.arena("request")["stats"]?["padding_bytes"]?.int == 7)
    }

    @Test(arguments: Transport.allCases) func explicitAlignments(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":3,"align":1}"#)
        #expect(try api.allocate("request", #"{"size":3,"align":1}"#).first?["start"]?.int == 3)
        let aligned = try api.allocate("request", #"{"size":8,"align":4096}"#)
        #expect(aligned.first?["start"]?.int == 4096)
        #expect(aligned.first?["padding"]?.int == 4090)
        // The largest alignment (1 MiB) is accepted in an arena that can hold it. The address is aligned; the
        // offset is only as aligned as the chunk (4 KiB), so just the padding bound is checked.
        try api.createArena(#"{"name":"wide","capacity":"4MiB"}"#)
        try api.allocate("wide", #"{"size":1,"align":1}"#)
        let widest = try #require(try api.allocate("wide", #"{"size":1,"align":1048576}"#).first)
        let padding = try #require(widest["padding"]?.int)
        #expect(padding < 1_048_576 && widest["start"]?.int == 1 + padding)
    }

    @Test(arguments: Transport.allCases) func batchAllocation(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas/request/allocations", json: #"{"sizes":[16,3,100],"align":8}"#)
        #expect(response.status.code == 201)
        let allocations = try #require(try response.json()["allocations"]?.array)
        #expect(allocations.map { $0["start"]?.int } == [0, 16, 24])
        #expect(allocations.map { $0["end"]?.int } == [15, 18, 123])
        #expect(allocations.map { $0["size"]?.int } == [16, 3, 100])
        #expect(allocations.map { $0["padding"]?.int } == [0, 0, 5])
        let stats = try #require(try api.arena("request")["stats"])
        #expect(stats["allocations"]?.int == 3)
        #expect(stats["allocated_bytes"]?.int == 119)
        #expect(stats["padding_bytes"]?.int == 5)
        #expect(stats["used_bytes"]?.int == 124)
    }

    @Test(arguments: Transport.allCases) func batchOfExactlyMaxBatchIsAccepted(_ transport: Transport) throws {
        let api = try TestClient(transport) { $0.limits.maxBatch = 4 }
        #expect(try api.allocate("request", #"{"sizes":[1,1,1,1]}"#).count == 4)
    }

    @Test(arguments: Transport.allCases) func batchOverMaxBatchIs400(_ transport: Transport) throws {
        let api = try TestClient(transport) { $0.limits.maxBatch = 4 }
        let response = api.post("/arenas/request/allocations", json: #"{"sizes":[1,1,1,1,1]}"#)
        expectError(response, status: 400, code: "batch_too_large", mentions: ["5", "4"])
        #expect(try api.arena("request")["stats"]?["allocations"]?.int == 0, "nothing of a refused batch is made")
    }

    @Test(
        arguments: Transport.allCases,
        [
            (#"{"size":16,"align":3}"#, ["'align'", "power of two", "3"]),
            (#"{"size":16,"align":0}"#, ["'align'", "power of two", "0"]),
            (#"{"size":16,"align":2097152}"#, ["'align'", "2097152", "1048576"]),
            (#"{"size":16,"align":-8}"#, ["'align'", "negative"]),
            (#"{"size":16,"align":"8"}"#, ["'align'", "whole number"]),
            (#"{"size":16,"align":8.5}"#, ["'align'", "whole number"]),
            (#"{"size":16,"sizes":[16]}"#, ["'size'", "'sizes'", "not both"]),
            (#"{}"#, ["'size'", "'sizes'"]),
            (#"{"align":8}"#, ["'size'", "'sizes'"]),
            (#"{"sizes":[]}"#, ["'sizes'", "empty"]),
            (#"{"sizes":16}"#, ["'sizes'", "array"]),
            (#"{"sizes":[16,-1]}"#, ["'sizes[1]'", "negative"]),
            (#"{"sizes":[16,"8"]}"#, ["'sizes[1]'", "whole number"]),
            (#"{"sizes":[1.5]}"#, ["'sizes[0]'", "whole number"]),
            (#"{"size":-1}"#, ["'size'", "negative"]),
            (#"{"size":"16"}"#, ["'size'", "whole number"]),
            (#"{"size":16.0}"#, ["'size'", "whole number"]),
            (#"{"size":9223372036854775808}"#, ["'size'", "too large"]),
            (#"{"size":true}"#, ["'size'", "whole number"]),
            (#"{"size":16,"alignment":8}"#, ["unknown field 'alignment'"]),
            // Past the 64 members RequestBody tracks in one word: 'size' there was read (else it, sorting first,
            // would be the one named unknown).
            (
                "{" + (0..<64).map { #""z\#($0 < 10 ? "0" : "")\#($0)":0,"# }.joined() + #""size":16}"#,
                ["unknown field 'z00'"]
            ),
        ])
    func badRequestIs400(_ transport: Transport, _ example: (body: String, mentions: [String])) throws {
        let (body, mentions) = example
        let api = try TestClient(transport)
        let response = api.post("/arenas/request/allocations", json: body)
        expectError(response, status: 400, code: "bad_field", mentions: mentions)
        #expect(try api.arena("request")["stats"]?["used_bytes"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func malformedBodiesAre400Or415(_ transport: Transport) throws {
        let api = try TestClient(transport)
        expectError(api.post("/arenas/request/allocations", json: ""), status: 400, code: "bad_json")
        expectError(api.post("/arenas/request/allocations", json: "[16]"), status: 400, code: "bad_json")
        expectError(api.post("/arenas/request/allocations", json: #"{"size":16"#), status: 400, code: "bad_json")
        expectError(
            api.post(
                "/arenas/request/allocations", json: #"{"size":16}"#,
                headers: ["Content-Type": "text/plain"]),
            status: 415, code: "unsupported_media_type")
    }

    /// A zero-byte allocation takes the alignment padding and no bytes: it reports the aligned offset as `start`,
    /// `end == start - 1` (an empty inclusive range) and size 0, and is traced as `Allocated 0 at N`.
    @Test(arguments: Transport.allCases) func zeroSizeAllocation(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":3}"#)
        let zero = try #require(try api.allocate("request", #"{"size":0}"#).first)
        #expect(zero["start"]?.int == 8)
        #expect(zero["end"]?.int == 7)
        #expect(zero["size"]?.int == 0)
        #expect(zero["padding"]?.int == 5)
        let next = try #require(try api.allocate("request", #"{"size":1,"align":1}"#).first)
        #expect(next["start"]?.int == 8, "a zero-byte allocation does not take the byte at its offset")
        let stats = try #require(try api.arena("request")["stats"])
        #expect(stats["allocations"]?.int == 3)
        #expect(stats["allocated_bytes"]?.int == 4)
        let lines = api.get("/arenas/request/events?format=text").text.split(separator: "\n")
        #expect(lines == ["Allocated 3 from 0 to 2", "Allocated 0 at 8", "Allocated 1 from 8 to 8"])
    }

    @Test(arguments: Transport.allCases) func fullArenaIs507WithNumbersAndPartialBatch(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"small","capacity":64}"#)
        let response = api.post("/arenas/small/allocations", json: #"{"sizes":[16,16,64,8]}"#)
        expectError(response, status: 507, code: "arena_full", mentions: ["64", "32"])
        let json = try response.json()
        #expect(json["requested"]?.int == 64)
        #expect(json["used"]?.int == 32)
        #expect(json["capacity"]?.int == 64)
        let partial = try #require(json["allocations"]?.array)
        #expect(partial.map { $0["start"]?.int } == [0, 16], "the allocations made before the failure")
        // The partial allocations stay; the failure is counted and traced.
        let stats = try #require(try api.arena("small")["stats"])
        #expect(stats["used_bytes"]?.int == 32)
        #expect(stats["allocations"]?.int == 2)
        #expect(stats["failed_allocations"]?.int == 1)
        let lines = api.get("/arenas/small/events?format=text").text.split(separator: "\n")
        #expect(
            lines == [
                "Allocated 16 from 0 to 15", "Allocated 16 from 16 to 31",
                "Failed to allocate 64 bytes (used 32 of 64)",
            ])
        let failure = try #require(try api.get("/arenas/small/events").json()["events"]?[2])
        #expect(failure["kind"]?.string == "failure")
    }

    @Test(arguments: Transport.allCases) func singleAllocationTooLargeIs507(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas/request/allocations", json: #"{"size":65537}"#)
        expectError(response, status: 507, code: "arena_full", mentions: ["65537"])
        let json = try response.json()
        #expect(json["requested"]?.int == 65537)
        #expect(json["used"]?.int == 0)
        #expect(json["capacity"]?.int == 65536)
        #expect(json["allocations"]?.array?.isEmpty == true)
    }

    @Test(arguments: Transport.allCases, ["request", "frame"])
    func hugeSizeIs507NotACrash(_ transport: Transport, arena: String) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas/\(arena)/allocations", json: #"{"size":9223372036854775807}"#)
        expectError(response, status: 507, code: "arena_full")
        #expect(try response.json()["requested"]?.int == Int.max)
    }

    /// The largest number the parser reads without its overflow checks (18 digits) comes through exactly.
    @Test(arguments: Transport.allCases) func anEighteenDigitSizeIsReadExactly(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let response = api.post("/arenas/request/allocations", json: #"{"size":999999999999999999}"#)
        expectError(response, status: 507, code: "arena_full")
        #expect(try response.json()["requested"]?.int == 999_999_999_999_999_999)
    }

    @Test(arguments: Transport.allCases) func growingArenaFullAtItsLimit(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.createArena(#"{"name":"grow","policy":"growing","initial_chunk":64,"limit":256}"#)
        try api.allocate("grow", #"{"sizes":[64,128]}"#)
        let response = api.post("/arenas/grow/allocations", json: #"{"size":128}"#)
        expectError(response, status: 507, code: "arena_full")
        #expect(try response.json()["capacity"]?.int == 256)
    }

    @Test(arguments: Transport.allCases) func allocationsCarryTheGeneration(_ transport: Transport) throws {
        let api = try TestClient(transport)
        try api.allocate("request", #"{"size":16}"#)
        #expect(api.post("/arenas/request/reset").status.code == 200)
        let response = api.post("/arenas/request/allocations", json: #"{"size":16}"#)
        let json = try response.json()
        #expect(json["generation"]?.int == 1)
        #expect(json["allocations"]?[0]?["generation"]?.int == 1)
        #expect(json["allocations"]?[0]?["start"]?.int == 0)
    }

    @Test(arguments: Transport.allCases) func untracedArenaAllocates(_ transport: Transport) throws {
        let api = try TestClient(transport)
        #expect(try api.allocate("scratch", #"{"size":16}"#).first?["end"]?.int == 15)
    }

    @Test(arguments: Transport.allCases) func concurrentAllocationsNeverOverlap(_ transport: Transport) throws {
        let api = try TestClient(transport)
        let ranges = ArenaLock<[(start: Int, end: Int)]>([])
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { client in
            for index in 0..<50 {
                let size = 1 + (client * 50 + index) % 61
                let response = api.post("/arenas/request/allocations", json: #"{"size":\#(size)}"#)
                guard response.status.code == 201, let json = try? JSON.parse(response.bytes),
                    let start = json["allocations"]?[0]?["start"]?.int,
                    let end = json["allocations"]?[0]?["end"]?.int, end - start + 1 == size
                else {
                    failures.add(1, ordering: .relaxed)
                    continue
                }
                ranges.withLock { $0.append((start, end)) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
        let sorted = ranges.withLock { $0 }.sorted { $0.start < $1.start }
        #expect(sorted.count == 200)
        for (left, right) in zip(sorted, sorted.dropFirst()) {
            #expect(left.end < right.start, "[\(left.start), \(left.end)] overlaps [\(right.start), \(right.end)]")
        }
        let expectedBytes = (0..<200).reduce(0) { $0 + 1 + $1 % 61 }
        let stats = try #require(try api.arena("request")["stats"])
        #expect(stats["allocations"]?.int == 200)
        #expect(stats["allocated_bytes"]?.int == expectedBytes)
    }
}
