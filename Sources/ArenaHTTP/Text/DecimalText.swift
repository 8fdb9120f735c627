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
        // Digits from the last into a 20-byte tuple on the stack (UInt64.max has 20), then one append: appending
        // byte by byte checks the array's capacity and uniqueness for each.
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            var rest = magnitude
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            if value < 0 {
                position -= 1
                buffer[position] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[position...]))
        }
    }
}
