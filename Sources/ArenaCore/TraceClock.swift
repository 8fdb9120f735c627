import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall clock that costs one plain load to read: a background thread stores the time every millisecond.
///
/// Tracing stamps every event, and even the vDSO's `clock_gettime` costs 20-40 ns here, more than an
/// allocation. One thread per process ticks while the process runs (started by the first `TraceRing`).
@usableFromInline
final class TraceClock: Sendable {
    @usableFromInline static let shared = TraceClock()

    /// Nanoseconds since 1970, at most about a millisecond old.
    @usableFromInline let nanoseconds = Atomic<UInt64>(0)

    private init() {
        nanoseconds.store(WallClock.now(), ordering: .relaxed)
        var thread = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()  // `shared` lives for the whole process.
        let status = pthread_create(
            &thread, nil,
            { context in
                // Safe: `context` is `TraceClock.shared`, a global that is never deallocated.
                let clock = Unmanaged<TraceClock>.fromOpaque(context!).takeUnretainedValue()
                var interval = timespec(tv_sec: 0, tv_nsec: 1_000_000)
                while true {
                    nanosleep(&interval, nil)
                    clock.nanoseconds.store(WallClock.now(), ordering: .relaxed)
                }
            }, context)
        precondition(status == 0, "TraceClock: pthread_create failed with \(status)")
        pthread_detach(thread)
    }

    @inlinable func now() -> UInt64 { nanoseconds.load(ordering: .relaxed) }
}
