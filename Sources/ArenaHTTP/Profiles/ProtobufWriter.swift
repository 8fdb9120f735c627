/// Protocol-buffer encoding, the small part of it `profile.proto` needs: varints, length-delimited fields
/// (strings, nested messages, packed numbers). Written by hand: no dependency for one message type.
///
/// ```swift
/// var message = ProtobufWriter()
/// message.varint(field: 1, 42)
/// message.bytes(field: 6, Array("alloc".utf8))
/// ```
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    /// A varint field (wire type 0); zero values are written too, as repeated fields need them.
    mutating func varint(field: Int, _ value: UInt64) {
        key(field, wireType: 0)
        Self.appendVarint(value, to: &bytes)
    }

    mutating func varint(field: Int, _ value: Int) { varint(field: field, UInt64(bitPattern: Int64(value))) }

    /// A length-delimited field (wire type 2).
    mutating func bytes(field: Int, _ payload: [UInt8]) {
        key(field, wireType: 2)
        Self.appendVarint(UInt64(payload.count), to: &bytes)
        bytes.append(contentsOf: payload)
    }

    /// A nested message.
    mutating func message(field: Int, _ build: (inout ProtobufWriter) -> Void) {
        var inner = ProtobufWriter()
        build(&inner)
        bytes(field: field, inner.bytes)
    }

    /// A packed repeated varint field.
    mutating func packed(field: Int, _ values: [UInt64]) {
        var payload: [UInt8] = []
        for value in values { Self.appendVarint(value, to: &payload) }
        bytes(field: field, payload)
    }

    private mutating func key(_ field: Int, wireType: UInt64) {
        Self.appendVarint(UInt64(field) << 3 | wireType, to: &bytes)
    }

    static func appendVarint(_ value: UInt64, to out: inout [UInt8]) {
        var rest = value
        while rest >= 0x80 {
            out.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        out.append(UInt8(rest))
    }
}
