#if canImport(Glibc)
import Glibc
#endif

/// A wall-clock instant as the log lines and the JSON API show it: RFC 3339 in UTC with milliseconds,
/// `2026-12-01T23:10:04.123Z`.
///
/// Rendered by hand with integer arithmetic: no `DateFormatter` (microseconds a call), no `gmtime_r` (glibc takes
/// its time-zone lock even for UTC, which worker threads would contend for), no `String`.
///
/// ```swift
/// var out: [UInt8] = []
/// UTCTimestamp(secondsSinceEpoch: 0, milliseconds: 7).append(to: &out)   // "1970-01-01T00:00:00.007Z"
/// UTCTimestamp(nanosecondsSinceEpoch: 1_500_000_000)                     // 1970-01-01T00:00:01.500Z
/// ```
struct UTCTimestamp: Sendable, Equatable {
    /// Seconds since 1970-01-01T00:00:00Z; negative before it.
    var secondsSinceEpoch: Int64
    /// 0...999.
    var milliseconds: Int

    init(secondsSinceEpoch: Int64, milliseconds: Int) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.milliseconds = milliseconds
    }

    /// The instant `nanoseconds` after 1970 (what `WallClock.now()` and ArenaCore's times give), to the millisecond
    /// below.
    init(nanosecondsSinceEpoch nanoseconds: UInt64) {
        secondsSinceEpoch = Int64(nanoseconds / 1_000_000_000)
        milliseconds = Int(nanoseconds / 1_000_000 % 1000)
    }

    /// `CLOCK_REALTIME` now.
    static func now() -> UTCTimestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UTCTimestamp(secondsSinceEpoch: Int64(time.tv_sec), milliseconds: Int(time.tv_nsec / 1_000_000))
    }

    /// Bytes `append(to:)` writes (years 0...9999; of another year, its lowest four digits).
    static let byteCount = 24

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    func append(to out: inout [UInt8]) {
        withBytes { out.append(contentsOf: $0) }
    }

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    func append(to out: inout OutputBytes) {
        withBytes { out.append($0) }
    }

    /// Calls `body` with the 24 bytes, rendered on the stack.
    private func withBytes(_ body: (UnsafeRawBufferPointer) -> Void) {
        let (days, secondOfDay) = floorDivision(secondsSinceEpoch, 86_400)
        let (year, month, day) = Self.civil(daysSinceEpoch: days)
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { buffer in
            // `value` in exactly `count` decimal digits at `offset`, zero-padded (the lowest `count` digits of a
            // larger one).
            func digits(_ value: Int64, count: Int, at offset: Int) {
                var magnitude = value.magnitude
                for position in (offset..<(offset + count)).reversed() {
                    buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                    magnitude /= 10
                }
            }
            digits(year, count: 4, at: 0)
            buffer[4] = UInt8(ascii: "-")
            digits(month, count: 2, at: 5)
            buffer[7] = UInt8(ascii: "-")
            digits(day, count: 2, at: 8)
            buffer[10] = UInt8(ascii: "T")
            digits(secondOfDay / 3600, count: 2, at: 11)
            buffer[13] = UInt8(ascii: ":")
            digits(secondOfDay / 60 % 60, count: 2, at: 14)
            buffer[16] = UInt8(ascii: ":")
            digits(secondOfDay % 60, count: 2, at: 17)
            buffer[19] = UInt8(ascii: ".")
            digits(Int64(milliseconds), count: 3, at: 20)
            buffer[23] = UInt8(ascii: "Z")
            body(UnsafeRawBufferPointer(rebasing: buffer[..<Self.byteCount]))
        }
    }

    /// Year, month (1...12) and day (1...31) of the proleptic Gregorian calendar: Howard Hinnant's
    /// `civil_from_days`, exact for every day in range (eras of 400 years, each of 146,097 days).
    static func civil(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01: a year that starts in March ends with its leap day
        let era = floorDivision(shifted, 146_097).quotient
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // 0...365, from March 1
        let monthFromMarch = (5 * dayOfYear + 2) / 153  // 0...11
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Quotient and remainder rounded towards negative infinity, so the remainder is in 0..<divisor.
private func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
}
