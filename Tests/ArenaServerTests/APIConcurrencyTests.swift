import ArenaCore
import Dispatch
import Foundation
import Synchronization
import Testing

@testable import ArenaHTTP

/// The API under concurrent clients.
@Suite struct APIConcurrencyTests {
    /// A scrape that runs while an arena of a class is deleted must count the arena's allocations exactly once: with
    /// the arena live or with it retired, never both (too high, and the next scrape dips) nor neither (a dip).
    /// Prometheus reads any decrease of a counter as a restart.
    ///
    /// In process only: the scraping thread renders the arena families straight from the `ArenaAPI` object, many
    /// times a second, to land inside deletions; through HTTP each scrape would also read /proc and be too slow.
    @Test func classCountersCountDeletedArenasExactlyOnce() throws {
        let api = try TestClient(.inProcess)
        let arenaAPI = try #require(api.api)
        // Many live arenas make each scrape's snapshot take long enough for deletions to land inside it.
        for index in 0..<300 { try api.createArena(#"{"name":"idle-\#(index)","capacity":16,"class":"idle"}"#) }
        let shared = Progress()
        let scraperDone = DispatchSemaphore(value: 0)
        // The scraper has a thread of its own, so that it really runs while arenas are deleted.
        Thread.detachNewThread {
            var last = 0
            while shared.deleting.load(ordering: .sequentiallyConsistent) {
                let low = shared.arenasDeleted.load(ordering: .sequentiallyConsistent)
                // The arena families only: /proc reads would slow the scrapes down for nothing.
                var out = PrometheusText()
                arenaAPI.classMetrics.render(registry: arenaAPI.registry, into: &out)
                let high = shared.allocationsAsked.load(ordering: .sequentiallyConsistent)
                // No sample yet is 0; text that does not parse is -1, which the check below reports.
                let scrape = try? PrometheusScrape(String(decoding: out.bytes, as: UTF8.self))
                let value = scrape.map { Int($0.value("arena_allocations_total", ["class": "job"]) ?? 0) } ?? -1
                shared.scrapes.add(1, ordering: .sequentiallyConsistent)
                if value < low || value > high || value < last {
                    shared.wrong.withLock { $0.append("\(value) outside \(low)...\(high) (last \(last))") }
                }
                last = max(last, value)
            }
            scraperDone.signal()
        }
        // Create, allocate, delete for a second and until the scraper has read 100 times (at most 20 s, for a
        // starved machine): a count, not a time, so that a busy machine cannot make the race window vanish.
        let start = ContinuousClock.now
        var index = 0
        while ContinuousClock.now < start + .seconds(20),
            ContinuousClock.now < start + .seconds(1)
                || shared.scrapes.load(ordering: .sequentiallyConsistent) < Self.scrapesWanted
        {
            index += 1
            let created = api.post("/arenas", json: #"{"name":"job-\#(index)","capacity":64,"class":"job"}"#)
            #expect(created.status == .created)
            shared.allocationsAsked.add(1, ordering: .sequentiallyConsistent)
            #expect(api.post("/arenas/job-\(index)/allocations", json: #"{"size":8}"#).status == .created)
            if api.delete("/arenas/job-\(index)").status.code == 204 {
                shared.arenasDeleted.add(1, ordering: .sequentiallyConsistent)
            }
        }
        shared.deleting.store(false, ordering: .sequentiallyConsistent)
        try #require(scraperDone.wait(timeout: .now() + 10) == .success, "the scraper did not stop")
        let scrapes = shared.scrapes.load(ordering: .sequentiallyConsistent)
        let observed = shared.wrong.withLock { $0 }
        #expect(scrapes >= Self.scrapesWanted, "only \(scrapes) scrapes in 20 s")
        #expect(index > 1, "deletions must happen between the scrapes")
        #expect(observed.isEmpty, "\(observed.count) of \(scrapes) scrapes miscounted: \(observed.prefix(5))")
    }

    static let scrapesWanted = 100

    /// Every allocation a client was answered 201 for is in its class's `arena_allocations_total`, also when the
    /// arena is deleted while the allocations run. Found by `make stress`: an allocation that had looked the arena
    /// up before the delete ran after the delete had moved the arena's counters to its class, so it was
    /// acknowledged and never counted (59 of 133219 in 15 s). Now the delete waits for it (`withArena`).
    @Test func allocationsAnsweredWhileTheArenaIsDeletedAreCounted() throws {
        let api = try TestClient(.inProcess)
        let counts = RaceCounts()
        for round in 0..<Self.deleteRounds {
            let name = "race-\(round)"
            try api.createArena(#"{"name":"\#(name)","policy":"growing","limit":"1MiB","class":"race"}"#)
            counts.started.store(0, ordering: .sequentiallyConsistent)
            let group = DispatchGroup()
            for _ in 0..<3 {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    counts.started.add(1, ordering: .sequentiallyConsistent)
                    while true {
                        let response = api.post("/arenas/\(name)/allocations", json: #"{"sizes":[8,8,8,8]}"#)
                        if response.status == .created {
                            counts.acknowledged.add(4, ordering: .sequentiallyConsistent)
                        } else {
                            if response.status.code != 404 {
                                counts.unexpected.withLock { $0.append("\(response.status.code) \(response.text)") }
                            }
                            return
                        }
                    }
                }
            }
            while counts.started.load(ordering: .sequentiallyConsistent) < 3 { usleep(100) }
            usleep(500)
            #expect(api.delete("/arenas/\(name)").status.code == 204)
            #expect(group.wait(timeout: .now() + 10) == .success)
        }
        let scrape = try PrometheusScrape(api.get("/metrics").text)
        let counted = Int(scrape.value("arena_allocations_total", ["class": "race"]) ?? -1)
        #expect(counts.unexpected.withLock { $0 }.isEmpty, "\(counts.unexpected.withLock { $0.prefix(3) })")
        let acknowledged = counts.acknowledged.load(ordering: .sequentiallyConsistent)
        #expect(acknowledged > 0)
        #expect(counted == acknowledged, "allocations answered 201 but not in arena_allocations_total")
    }

    static let deleteRounds = 100

    /// What the allocating threads and the deleting test thread share.
    final class RaceCounts: Sendable {
        /// Allocations answered 201.
        let acknowledged = Atomic<Int>(0)
        /// Allocating threads of the round that are running.
        let started = Atomic<Int>(0)
        /// Answers that were neither 201 nor 404.
        let unexpected = ArenaLock<[String]>([])
    }

    /// What the deleting test thread and the scraping thread share.
    final class Progress: Sendable {
        let deleting = Atomic<Bool>(true)
        /// Allocations asked for (counted before the request) and arenas deleted (counted after the 204): every
        /// scrape must lie between what was deleted before it started and what was asked for when it ended.
        let allocationsAsked = Atomic<Int>(0)
        let arenasDeleted = Atomic<Int>(0)
        let scrapes = Atomic<Int>(0)
        let wrong = ArenaLock<[String]>([])
    }
}
