/// How a log line writes text that a client or a configuration could choose, in either format, so that nothing
/// written can start a line of its own, change another field or break the line's JSON.
///
/// - Text: control bytes and DEL become `\xNN`, `\` becomes `\\`, and in a field (`.field`) a space becomes
///   `\x20`, so fields split on spaces. Other bytes, UTF-8 included, stay as they are.
/// - JSON: string contents by RFC 8259: `"` and `\` are escaped, control bytes and DEL become `\u00XX`, valid
///   UTF-8 stays as it is, and a byte that is not part of valid UTF-8 becomes U+FFFD, so every line is valid
///   UTF-8 and parses.
///
/// Both cut their input at `limit` bytes (back to the start of a UTF-8 sequence, never inside one) and mark the cut
/// with `...`. Every byte in grows to at most 6 bytes out, which is how callers keep lines under PIPE_BUF.
///
/// ```swift
/// var out: [UInt8] = []
/// LogEscaping.appendText("/a\nb c", limit: 512, as: .field, to: &out)   // /a\x0ab\x20c
/// LogEscaping.appendJSON("say \"hi\"\n", limit: 512, to: &out)           // say \"hi\"\u000a
/// ```
enum LogEscaping {
    /// What a text is in a text line.
    enum TextRole {
        /// A field of a space-separated line: spaces are escaped too.
        case field
        /// The free text at the end of a notice: spaces stay.
        case message
    }

    /// Most bytes one input byte becomes (`\u00XX`).
    static let maxGrowth = 6

    static func appendText(_ text: String, limit: Int, as role: TextRole, to out: inout [UInt8]) {
        withBytes(of: text) { appendText($0, limit: limit, as: role, to: &out) }
    }

    static func appendText(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int, as role: TextRole, to out: inout [UInt8]) {
        let end = cutIndex(bytes, limit: limit)
        for byte in bytes[..<end] {
            switch byte {
            case 0x00..<0x20, 0x7F:
                appendHexEscape(byte, to: &out)
            case UInt8(ascii: " ") where role == .field:
                appendHexEscape(byte, to: &out)
            case UInt8(ascii: "\\"):
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            default:
                out.append(byte)
            }
        }
        if end < bytes.count { out.append(contentsOf: "...".utf8) }
    }

    /// The contents of a JSON string (without its quotes).
    static func appendJSON(_ text: String, limit: Int, to out: inout [UInt8]) {
        withBytes(of: text) { appendJSON($0, limit: limit, to: &out) }
    }

    static func appendJSON(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int, to out: inout [UInt8]) {
        let end = cutIndex(bytes, limit: limit)
        var index = 0
        while index < end {
            let byte = bytes[index]
            if byte < 0x80 {
                switch byte {
                case 0x00..<0x20, 0x7F:
                    out.append(contentsOf: [
                        UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                        hexDigit(byte >> 4), hexDigit(byte & 0x0F),
                    ])
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    out.append(contentsOf: [UInt8(ascii: "\\"), byte])
                default:
                    out.append(byte)
                }
                index += 1
            } else if let length = validSequenceLength(bytes, at: index, end: end) {
                out.append(contentsOf: bytes[index..<(index + length)])
                index += length
            } else {
                out.append(contentsOf: [0xEF, 0xBF, 0xBD])  // U+FFFD REPLACEMENT CHARACTER
                index += 1
            }
        }
        if end < bytes.count { out.append(contentsOf: "...".utf8) }
    }

    /// `limit`, or the whole text when it is shorter, moved back to the first byte of a UTF-8 sequence (at most
    /// three steps: a continuation byte is never more than three bytes after its lead).
    private static func cutIndex(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int) -> Int {
        guard bytes.count > limit else { return bytes.count }
        var end = max(0, limit)
        var steps = 0
        while end > 0, steps < 3, bytes[end] & 0xC0 == 0x80 {
            end -= 1
            steps += 1
        }
        return end
    }

    /// The length of the well-formed UTF-8 sequence (Unicode's table 3-7) that starts at `index` and ends by
    /// `end`, or nil.
    private static func validSequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> Int? {
        let lead = bytes[index]
        let length: Int
        var second: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: (length, second) = (3, 0x80...0x9F)  // no UTF-16 surrogates
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: length = 4
        case 0xF4: (length, second) = (4, 0x80...0x8F)  // nothing above U+10FFFF
        default: return nil
        }
        guard end - index >= length, second.contains(bytes[index + 1]) else { return nil }
        for offset in 2..<length where bytes[index + offset] & 0xC0 != 0x80 { return nil }
        return length
    }

    /// `\xNN`.
    private static func appendHexEscape(_ byte: UInt8, to out: inout [UInt8]) {
        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigit(byte >> 4), hexDigit(byte & 0x0F)])
    }

    private static func withBytes(of text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        // A native string hands out its UTF-8 storage; a bridged one is copied once.
        if text.utf8.withContiguousStorageIfAvailable(body) == nil {
            Array(text.utf8).withUnsafeBufferPointer(body)
        }
    }

    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
