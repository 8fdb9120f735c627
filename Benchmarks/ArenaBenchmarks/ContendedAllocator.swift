import ArenaCore
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A second thread that allocates from a shared `BumpArena` at the same time as the benchmark thread, so the
/// compare-and-swap on the arena's state word is contended.
///
/// The helper thread is started once and parked between rounds; a round is started with `startRound()` and
/// awaited with `waitForRound()`. Signalling is two atomics and spinning (with `sched_yield`), so a measured
/// round makes no allocation and no system call besides the yields.
final class ContendedAllocator: Sendable {
    let arena: BumpArena
    let allocationsPerRound: Int
    /// Rounds requested so far; the helper runs one round each time it grows.
    private let requested = Atomic<Int>(0)
    /// Rounds the helper finished.
    private let finished = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// The XOR of the helper's pointers, published so its allocations cannot be optimized away.
    let checksum = Atomic<UInt>(0)

    init(arena: BumpArena, allocationsPerRound: Int) {
        self.arena = arena
        self.allocationsPerRound = allocationsPerRound
    }

    func start() {
        var thread = pthread_t()
        // Balanced by the `takeRetainedValue` in the thread body.
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { context in
                // Safe: `context` is the retained `ContendedAllocator` passed below.
                let helper = Unmanaged<ContendedAllocator>.fromOpaque(context!).takeRetainedValue()
                helper.run()
                return nil
            }, context)
        precondition(status == 0, "pthread_create failed with \(status)")
        pthread_detach(thread)
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
    }

    func startRound() {
        requested.wrappingAdd(1, ordering: .releasing)
    }

    func waitForRound() {
        let target = requested.load(ordering: .relaxed)
        while finished.load(ordering: .acquiring) < target { sched_yield() }
    }

    private func run() {
        var done = 0
        while !stopping.load(ordering: .acquiring) {
            guard requested.load(ordering: .acquiring) > done else {
                sched_yield()
                continue
            }
            var sum: UInt = 0
            for _ in 0..<allocationsPerRound {
                let pointer = try! arena.allocate(byteCount: 16, alignment: 8)
                sum ^= UInt(bitPattern: pointer)
            }
            checksum.store(sum, ordering: .relaxed)
            done += 1
            finished.store(done, ordering: .releasing)
        }
    }
}
