/// Hand-rendered JSON for responses on the hot path (JSONEncoder costs several microseconds a call here).
///
/// Commas are placed automatically: every value or key after the first in its container gets one.
/// ```swift
/// var json = JSONWriter()
/// json.object {
///     $0.field("name", "request")
///     $0.field("used", 16)
/// }
/// json.finished()   // {"name":"request","used":16}
/// ```
///
/// It writes into an `OutputBytes` (an append is a capacity check and a copy), so it is non-copyable: pass it
/// `inout`, and take the bytes with `finished()`.
struct JSONWriter: ~Copyable {
    private var out: OutputBytes
    /// Whether the next value or key in the current container needs a comma before it.
    private var needsComma = false

    init(reservingCapacity capacity: Int = 256) {
        out = OutputBytes(capacity: capacity)
    }

    /// Bytes written so far.
    var count: Int { out.count }

    /// What was written; the writer is used up.
    consuming func finished() -> [UInt8] { out.takeArray() }

    /// The bytes written, as a response body in the writer's own buffer (no copy).
    consuming func finishedBody() -> ResponseBytes { out.takeResponseBytes() }

    private mutating func separate() {
        if needsComma { out.append(UInt8(ascii: ",")) }
    }

    /// `{ ... }` with the members `body` writes.
    mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        out.append(UInt8(ascii: "{"))
        needsComma = false
        body(&self)
        out.append(UInt8(ascii: "}"))
        needsComma = true
    }

    /// `[ ... ]` with the elements `body` writes.
    mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        out.append(UInt8(ascii: "["))
        needsComma = false
        body(&self)
        out.append(UInt8(ascii: "]"))
        needsComma = true
    }

    /// A member name; the next value written is its value. Names are literals of ours, which need no escaping:
    /// their bytes are copied as they are (most of what a response writes is names).
    mutating func key(_ name: StaticString) {
        out.appendJSONKey(name, comma: needsComma)
        needsComma = false
    }

    mutating func string(_ value: String) {
        separate()
        Self.appendString(value, to: &out)
        needsComma = true
    }

    mutating func integer<T: BinaryInteger>(_ value: T) {
        separate()
        DecimalText.append(value, to: &out)
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        let literal: StaticString = value ? "true" : "false"
        out.append(literal)
        needsComma = true
    }

    mutating func null() {
        separate()
        let literal: StaticString = "null"
        out.append(literal)
        needsComma = true
    }

    mutating func field(_ name: StaticString, _ value: String) {
        key(name)
        string(value)
    }
    mutating func field<T: BinaryInteger>(_ name: StaticString, _ value: T) {
        key(name)
        integer(value)
    }
    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        bool(value)
    }
    mutating func field<T: BinaryInteger>(_ name: StaticString, _ value: T?) {
        key(name)
        if let value { integer(value) } else { null() }
    }
    /// `"2026-12-01T23:10:04.123Z"`: the timestamp written in place, without a `String`.
    mutating func field(_ name: StaticString, _ value: UTCTimestamp) {
        key(name)
        out.append(UInt8(ascii: "\""))
        value.append(to: &out)
        out.append(UInt8(ascii: "\""))
        needsComma = true
    }
    mutating func field(_ name: StaticString, _ value: String?) {
        key(name)
        if let value { string(value) } else { null() }
    }

    // MARK: - Strings

    /// Appends `string` as a quoted JSON string literal, escaping `"`, `\` and the control characters
    /// U+0000-U+001F (RFC 8259 section 7). Everything else, non-ASCII included, is copied as UTF-8: in one
    /// append when nothing needs escaping, the usual case.
    static func appendString(_ string: String, to out: inout OutputBytes) {
        out.append(UInt8(ascii: "\""))
        var string = string
        // Scanned and copied as one buffer when nothing needs escaping (`withUTF8`: inlined for native strings).
        let copied = string.withUTF8 { bytes in
            guard !bytes.contains(where: needsEscape) else { return false }
            out.append(UnsafeRawBufferPointer(bytes))
            return true
        }
        if !copied {
            for byte in string.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out.append(#"\""#)
                case UInt8(ascii: "\\"): out.append(#"\\"#)
                case 0x0A: out.append(#"\n"#)
                case 0x0D: out.append(#"\r"#)
                case 0x09: out.append(#"\t"#)
                case 0x08: out.append(#"\b"#)
                case 0x0C: out.append(#"\f"#)
                case 0x00..<0x20:
                    out.append(#"\u00"#)
                    out.append(hexDigit(byte >> 4))
                    out.append(hexDigit(byte & 0x0F))
                default:
                    out.append(byte)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// `string` as a quoted JSON string literal, for messages (`got "lots"`).
    static func quoted(_ string: String) -> String {
        var out = OutputBytes(capacity: string.utf8.count + 2)
        appendString(string, to: &out)
        return out.takeString()
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
