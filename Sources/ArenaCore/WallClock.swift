#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The wall clock that arena timestamps use (events, creation and last-use times): nanoseconds since 1970.
///
/// ```swift
/// registry.removeIdle(now: WallClock.now())
/// ```
public enum WallClock {
    /// Nanoseconds since 1970 now, from `CLOCK_REALTIME` (a system call's worth: not for the allocation path,
    /// where events read `TraceClock`'s millisecond tick instead).
    public static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) &* 1_000_000_000 &+ UInt64(time.tv_nsec)
    }
}
