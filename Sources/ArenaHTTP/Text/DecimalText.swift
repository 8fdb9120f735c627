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
        if value < 0 { out.append(UInt8(ascii: "-")) }
        // Least significant digit first, then reversed in place: no String, no scratch buffer.
        let start = out.count
        var rest = magnitude
        repeat {
            out.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10))
            rest /= 10
        } while rest > 0
        out[start...].reverse()
    }
}
