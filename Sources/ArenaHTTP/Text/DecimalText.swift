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
        var digits = 1
        var scale: UInt64 = 10
        while digits < 20 && magnitude >= scale {
            digits += 1
            scale = scale &* 10
        }
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: digits))
        var rest = magnitude
        var index = start + digits
        while rest > 0 {
            index -= 1
            out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
    }
}
