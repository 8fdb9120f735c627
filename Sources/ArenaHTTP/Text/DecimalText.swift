/// Decimal digits written straight into a byte buffer: the JSON writer, the Prometheus text and the log render
/// integers with it, without a `String` per number.
///
/// ```swift
/// var out: [UInt8] = []
/// DecimalText.append(-42, to: &out)   // "-42"
/// ```
enum DecimalText {
    static func append<T: BinaryInteger>(_ value: T, to out: inout [UInt8]) {
        guard let magnitude = UInt64(exactly: value.magnitude) else {
            out.append(contentsOf: String(value).utf8)  // wider than 64 bits: rare enough for the slow way
            return
        }
        withDigits(of: magnitude, negative: value < 0) { out.append(contentsOf: $0) }
    }

    static func append<T: BinaryInteger>(_ value: T, to out: inout OutputBytes) {
        // A single digit, the most frequent number in a response (zero counts, generation 0): one byte.
        if value >= 0 && value < 10 {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value))
            return
        }
        guard let magnitude = UInt64(exactly: value.magnitude) else {
            out.append(string: String(value))  // wider than 64 bits: rare enough for the slow way
            return
        }
        withDigits(of: magnitude, negative: value < 0) { out.append($0) }
    }

    /// `nanoseconds` in seconds, exactly, as a decimal: `12.5` for 12,500,000,000, `0.000000123` for 123, `3`
    /// without a fraction when whole (as Go writes a whole float). A `Double` of the seconds would round what
    /// it sums (about 104 days of nanoseconds exceed its 53 bits) and cost a float-to-text conversion.
    static func appendSeconds(nanoseconds: UInt64, to out: inout OutputBytes) {
        append(nanoseconds / 1_000_000_000, to: &out)
        var fraction = nanoseconds % 1_000_000_000
        guard fraction != 0 else { return }
        // Nine fraction digits, less the trailing zeros.
        var digits = 9
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        var significant = 1
        var rest = fraction / 10
        while rest > 0 {
            significant += 1
            rest /= 10
        }
        out.append(UInt8(ascii: "."))
        for _ in significant..<digits { out.append(UInt8(ascii: "0")) }
        append(fraction, to: &out)
    }

    /// Calls `body` with the digits of `magnitude`, after a `-` if `negative`.
    @inline(__always)
    private static func withDigits(
        of magnitude: UInt64, negative: Bool, _ body: (UnsafeRawBufferPointer) -> Void
    ) {
        // Digits from the last into a 24-byte tuple on the stack (UInt64.max has 20, and the sign), then one
        // append: appending byte by byte checks the buffer's capacity for each.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = magnitude
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            if negative {
                position -= 1
                buffer[position] = UInt8(ascii: "-")
            }
            body(UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }
}
