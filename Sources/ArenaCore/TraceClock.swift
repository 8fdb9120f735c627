import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A wall clock that costs two plain loads to read: a background thread stores the time every millisecond while
/// events are being traced, and sleeps otherwise.
///
/// Tracing stamps every event, and even the vDSO's `clock_gettime` costs 20-40 ns here, more than an
/// allocation. The ticker runs for a second after it is woken, then goes to sleep (an idle process gets no
/// wake-ups from it); the first event stamped while it sleeps reads the clock itself and wakes it, so a process
/// that traces continuously pays one wake-up a second. One ticker per process, started by the first read.
@usableFromInline
final class TraceClock: @unchecked Sendable {
    // @unchecked: `mutex` and `condition` are allocated once in init and live as long as the process (`shared` is
    // never deallocated); they are only used through pthread calls, which synchronise themselves.

    @usableFromInline static let shared = TraceClock()

    /// Nanoseconds since 1970, at most about a millisecond old while `asleep` is false.
    @usableFromInline let nanoseconds = Atomic<UInt64>(0)
    /// True while the ticker sleeps: `nanoseconds` is then stale and a reader must refresh it (`wake()`).
    @usableFromInline let asleep = Atomic<Bool>(false)
    /// Ticks the ticker makes after a wake before it sleeps again (one second).
    static let ticksPerWake = 1000

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    private init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        nanoseconds.store(WallClock.now(), ordering: .relaxed)
        var thread = pthread_t()
        let context = Unmanaged.passUnretained(self).toOpaque()  // `shared` lives for the whole process.
        let status = pthread_create(
            &thread, nil,
            { context in
                // Safe: `context` is `TraceClock.shared`, a global that is never deallocated.
                Unmanaged<TraceClock>.fromOpaque(context!).takeUnretainedValue().tick()
                return nil
            }, context)
        precondition(status == 0, "TraceClock: pthread_create failed with \(status)")
        pthread_detach(thread)
    }

    /// The time for an event: the ticker's, or (while it sleeps) the clock's, waking the ticker.
    @inlinable func now() -> UInt64 {
        if _slowPath(asleep.load(ordering: .relaxed)) { return wake() }
        return nanoseconds.load(ordering: .relaxed)
    }

    /// Reads the clock, stores it, and wakes the ticker (once, whichever thread gets here first).
    @usableFromInline @inline(never)
    func wake() -> UInt64 {
        let now = WallClock.now()
        nanoseconds.store(now, ordering: .relaxed)
        if asleep.compareExchange(expected: true, desired: false, ordering: .relaxed).exchanged {
            pthread_mutex_lock(mutex)
            pthread_cond_signal(condition)
            pthread_mutex_unlock(mutex)
        }
        return now
    }

    /// The ticker thread: a second of millisecond ticks, then sleep until a reader wakes it.
    private func tick() {
        var interval = timespec(tv_sec: 0, tv_nsec: 1_000_000)
        while true {
            for _ in 0..<Self.ticksPerWake {
                nanosleep(&interval, nil)
                nanoseconds.store(WallClock.now(), ordering: .relaxed)
            }
            pthread_mutex_lock(mutex)
            asleep.store(true, ordering: .relaxed)
            while asleep.load(ordering: .relaxed) {
                pthread_cond_wait(condition, mutex)
            }
            pthread_mutex_unlock(mutex)
        }
    }
}
