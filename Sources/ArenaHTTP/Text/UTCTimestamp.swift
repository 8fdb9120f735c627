#if canImport(Glibc)
import Glibc
#endif

/// A wall-clock instant as a log line shows it: RFC 3339 in UTC with milliseconds, `2026-12-01T23:10:04.123Z`.
///
/// Rendered by hand with integer arithmetic: no `DateFormatter` (microseconds a call), no `gmtime_r` (glibc takes
/// its time-zone lock even for UTC, which worker threads would contend for), no `String`.
///
/// ```swift
/// var out: [UInt8] = []
/// LogTimestamp(secondsSinceEpoch: 0, milliseconds: 7).append(to: &out)   // "1970-01-01T00:00:00.007Z"
/// ```
struct LogTimestamp: Sendable, Equatable {
    /// Seconds since 1970-01-01T00:00:00Z; negative before it.
    var secondsSinceEpoch: Int64
    /// 0...999.
    var milliseconds: Int

    /// `CLOCK_REALTIME` now.
    static func now() -> LogTimestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return LogTimestamp(secondsSinceEpoch: Int64(time.tv_sec), milliseconds: Int(time.tv_nsec / 1_000_000))
    }

    /// Bytes `append(to:)` writes for years 0...9999.
    static let byteCount = 24

    /// Appends `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    func append(to out: inout [UInt8]) {
        let (days, secondOfDay) = floorDivision(secondsSinceEpoch, 86_400)
        let (year, month, day) = Self.civil(daysSinceEpoch: days)
        appendDigits(year, count: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(month, count: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(day, count: 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(secondOfDay / 3600, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay / 60 % 60, count: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(secondOfDay % 60, count: 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(Int64(milliseconds), count: 3, to: &out)
        out.append(UInt8(ascii: "Z"))
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

    /// `value` in exactly `count` decimal digits, zero-padded (the lowest `count` digits of a larger one).
    private func appendDigits(_ value: Int64, count: Int, to out: inout [UInt8]) {
        var magnitude = value.magnitude
        let start = out.count
        for _ in 0..<count {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        out[start...].reverse()
    }
}

/// Quotient and remainder rounded towards negative infinity, so the remainder is in 0..<divisor.
private func floorDivision(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
    let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
    return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
}
