import ArenaCore
import Dispatch
import Synchronization
import Testing
@testable import ArenaServer

/// The API under concurrent clients, in-process.
@Suite struct APIConcurrencyTests {
    /// A scrape that runs while an arena of a class is deleted must count the arena's allocations exactly once: with
    /// the arena live or with it retired, never both (too high, and the next scrape dips) nor neither (a dip).
    /// Prometheus reads any decrease of a counter as a restart.
    @Test func classCountersCountDeletedArenasExactlyOnce() throws {
        let api = try APIHarness()
        // Many live arenas make each scrape's snapshot take long enough for deletions to land inside it.
        for index in 0..<300 { try api.createArena(#"{"name":"idle-\#(index)","capacity":16,"class":"idle"}"#) }
        let deleting = Atomic<Bool>(true)
        /// Allocations asked for (counted before the request) and arenas deleted (counted after the 204): every
        /// scrape must lie between what was deleted before it started and what was asked for when it ended.
        let allocationsAsked = Atomic<Int>(0)
        let arenasDeleted = Atomic<Int>(0)
        let wrong = Mutex<[String]>([])
        let scrapes = Atomic<Int>(0)
        let deadline = ContinuousClock.now + .milliseconds(1000)
        DispatchQueue.concurrentPerform(iterations: 2) { worker in
            if worker == 0 {
                var index = 0
                while ContinuousClock.now < deadline {
                    index += 1
                    _ = api.post("/arenas", json: #"{"name":"job-\#(index)","capacity":64,"class":"job"}"#)
                    allocationsAsked.add(1, ordering: .sequentiallyConsistent)
                    _ = api.post("/arenas/job-\(index)/allocations", json: #"{"size":8}"#)
                    if api.delete("/arenas/job-\(index)").status.code == 204 {
                        arenasDeleted.add(1, ordering: .sequentiallyConsistent)
                    }
                }
                deleting.store(false, ordering: .sequentiallyConsistent)
            } else {
                var last = 0
                while deleting.load(ordering: .sequentiallyConsistent) {
                    let low = arenasDeleted.load(ordering: .sequentiallyConsistent)
                    // The arena families only: /proc reads would slow the scrapes down for nothing.
                    var out = PrometheusText()
                    api.api.renderArenaMetrics(into: &out)
                    let high = allocationsAsked.load(ordering: .sequentiallyConsistent)
                    let text = String(decoding: out.bytes, as: UTF8.self)
                    let value = Int(metricValue(text, #"arena_allocations_total{class="job"}"#) ?? 0)
                    scrapes.add(1, ordering: .relaxed)
                    if value < low || value > high || value < last {
                        wrong.withLock { $0.append("\(value) outside \(low)...\(high) (last \(last))") }
                    }
                    last = max(last, value)
                }
            }
        }
        let observed = wrong.withLock { $0 }
        #expect(scrapes.load(ordering: .relaxed) > 10)
        #expect(observed.isEmpty,
                "\(observed.count) of \(scrapes.load(ordering: .relaxed)) scrapes miscounted: \(observed.prefix(5))")
    }
}
