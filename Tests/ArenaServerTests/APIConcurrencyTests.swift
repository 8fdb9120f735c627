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
