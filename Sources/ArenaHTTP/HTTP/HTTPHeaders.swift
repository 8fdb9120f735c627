/// An ordered list of header fields with ASCII case-insensitive lookup by name.
///
/// The fields are packed into one byte array (per field: name length and value length as little-endian `UInt32`,
/// the name, a NUL, the value, a NUL), like swift-nio's `HTTPHeaders` keeps one buffer plus indices. Copying a
/// request's headers out of libmicrohttpd is then a few `memcpy`s into one allocation, no `String` is built
/// until a handler asks for a value, and the server hands response headers to C without copying them.
/// Repeated fields (two `Accept` lines) are kept.
///
/// ```swift
/// var headers = HTTPHeaders()
/// headers.add(name: "Content-Type", value: "application/json")
/// headers["content-type"]   // "application/json"
/// ```
struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header line, as Strings.
    struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    /// Where one field lies in `storage`.
    private struct Slot {
        /// Start of the name; the name ends with a NUL at `name.upperBound`.
        var name: Range<Int>
        /// Start of the value; the value ends with a NUL at `value.upperBound`.
        var value: Range<Int>
    }

    /// Packed fields, see the type's documentation. Invariant: a whole number of well-formed records.
    private var storage: [UInt8] = []

    /// Number of fields, repeated names counted each time.
    private(set) var count = 0

    init() {}

    /// An empty list with room for `bytes` bytes of names and values before it must grow.
    init(reservingCapacity bytes: Int) {
        storage.reserveCapacity(bytes)
    }

    init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { add(name: name, value: value) }
    }

    /// The value of the first field called `name` (ASCII case-insensitive), or nil. Invalid UTF-8 is repaired.
    subscript(name: String) -> String? {
        valueBytes(name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The raw bytes of the first field called `name` (ASCII case-insensitive), or nil: a view of the storage, no
    /// `String` made (for checks that run on every request, such as a body's `Content-Type`).
    func valueBytes(_ name: String) -> ArraySlice<UInt8>? {
        var name = name
        let found = name.withUTF8 { wanted in
            storage.withUnsafeBufferPointer { bytes -> Range<Int>? in
                var found: Range<Int>?
                forEachSlot { slot in
                    // Safe: slots lie inside storage (the type's invariant), which `bytes` covers here.
                    guard slot.name.count == wanted.count,
                        Self.equalIgnoringASCIICase(UnsafeBufferPointer(rebasing: bytes[slot.name]), wanted)
                    else { return true }
                    found = slot.value
                    return false
                }
                return found
            }
        }
        return found.map { storage[$0] }
    }

    /// All values of fields called `name`, in order.
    func values(for name: String) -> [String] {
        var values: [String] = []
        forEachSlot { slot in
            if nameMatches(slot, name) { values.append(String(decoding: storage[slot.value], as: UTF8.self)) }
            return true
        }
        return values
    }

    /// Appends a field; an existing field of the same name is kept.
    mutating func add(name: String, value: String) {
        var name = name
        var value = value
        name.withUTF8 { nameBytes in
            value.withUTF8 { valueBytes in
                // Safe: the UTF-8 buffers are valid inside these closures, and append copies them before returning.
                append(name: UnsafeRawBufferPointer(nameBytes), value: UnsafeRawBufferPointer(valueBytes))
            }
        }
    }

    /// Appends a field from raw bytes (the server's way in from C for a head of more fields than it notes on the
    /// stack, see `RequestFields`). The buffers must be valid during the call
    /// only: they are copied.
    mutating func append(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        let nameLength = UInt32(truncatingIfNeeded: name.count)
        let valueLength = UInt32(truncatingIfNeeded: value.count)
        precondition(
            Int(nameLength) == name.count && Int(valueLength) == value.count,
            "a header field longer than 4 GiB")
        // One allocation for the whole record (an empty list grows several times otherwise), then the record
        // written in place by the one writer of the layout.
        let start = storage.count
        let recordLength = 10 + name.count + value.count
        if storage.capacity < start + recordLength {
            storage.reserveCapacity(Swift.max(start + recordLength, 2 * storage.capacity))
        }
        storage.append(contentsOf: repeatElement(0, count: recordLength))
        storage.withUnsafeMutableBytes { raw in
            _ = Self.writeRecord(name: name, value: value, into: raw, at: start)
        }
        count += 1
    }

    /// The fields `names[i]: values[i]` in order, packed in one allocation sized for them, written in place (the
    /// server's way in from C: no growth, no per-field array append). The buffers must be valid during the call
    /// only.
    init(
        packing names: UnsafeBufferPointer<UnsafeRawBufferPointer>, values: UnsafeBufferPointer<UnsafeRawBufferPointer>
    ) {
        precondition(names.count == values.count, "HTTPHeaders(packing:): a name without a value")
        var total = 0
        for index in names.indices {
            precondition(
                names[index].count <= Int(UInt32.max) && values[index].count <= Int(UInt32.max),
                "a header field longer than 4 GiB")
            total += 10 + names[index].count + values[index].count
        }
        // Room for the usual handful more (a response may add some), as `RequestFields` used to reserve.
        storage = [UInt8](unsafeUninitializedCapacity: Swift.max(total, 512)) { buffer, initialized in
            // Safe: `total` bytes are written, the record layout of the type's documentation, within the
            // capacity of at least `total`.
            let raw = UnsafeMutableRawBufferPointer(buffer)
            var offset = 0
            for index in names.indices {
                offset = Self.writeRecord(name: names[index], value: values[index], into: raw, at: offset)
            }
            initialized = offset
        }
        count = names.count
    }

    /// Writes one record (see the type's documentation) at `offset` of `raw`, which has room for it; returns the
    /// offset just past it.
    private static func writeRecord(
        name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, into raw: UnsafeMutableRawBufferPointer,
        at offset: Int
    ) -> Int {
        raw.storeBytes(of: UInt32(truncatingIfNeeded: name.count).littleEndian, toByteOffset: offset, as: UInt32.self)
        raw.storeBytes(
            of: UInt32(truncatingIfNeeded: value.count).littleEndian, toByteOffset: offset + 4, as: UInt32.self)
        var position = offset + 8
        if let source = name.baseAddress, !name.isEmpty {
            (raw.baseAddress! + position).copyMemory(from: source, byteCount: name.count)
        }
        position += name.count
        raw[position] = 0
        position += 1
        if let source = value.baseAddress, !value.isEmpty {
            (raw.baseAddress! + position).copyMemory(from: source, byteCount: value.count)
        }
        position += value.count
        raw[position] = 0
        return position + 1
    }

    /// Replaces every field called `name` by one with `value`, at the end.
    mutating func replace(name: String, value: String) {
        var kept = HTTPHeaders(reservingCapacity: storage.count)
        for field in self where !Self.namesEqual(field.name, name) {
            kept.add(name: field.name, value: field.value)
        }
        kept.add(name: name, value: value)
        self = kept
    }

    func makeIterator() -> IndexingIterator<[Field]> {
        var fields: [Field] = []
        fields.reserveCapacity(count)
        forEachSlot { slot in
            fields.append(
                Field(
                    name: String(decoding: storage[slot.name], as: UTF8.self),
                    value: String(decoding: storage[slot.value], as: UTF8.self)))
            return true
        }
        return fields.makeIterator()
    }

    /// Calls `body` with each field's name and value as NUL-terminated C strings, valid only during the call.
    /// A name or value that itself contains a NUL byte is seen by C as ending there.
    func withCStrings(_ body: (UnsafePointer<CChar>, UnsafePointer<CChar>) -> Void) {
        storage.withUnsafeBytes { raw in
            forEachSlot { slot in
                // Safe: every name and value in storage is followed by a NUL written by append(name:value:), and
                // `raw` covers all of storage for the duration of this closure. baseAddress is non-nil: a slot
                // exists, so storage is not empty.
                let name = (raw.baseAddress! + slot.name.lowerBound).assumingMemoryBound(to: CChar.self)
                let value = (raw.baseAddress! + slot.value.lowerBound).assumingMemoryBound(to: CChar.self)
                body(name, value)
                return true
            }
        }
    }

    /// Calls `body` with the raw bytes of each field's name and value, in order, until it returns false: for the
    /// checks that must see exactly what arrived (control characters, spaces in names), which `Field`'s Strings
    /// would repair. The buffers stay valid until this method returns (not beyond), so `body` may keep one to
    /// compare with a later field's.
    func forEachRawField(_ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Bool) {
        storage.withUnsafeBytes { raw in
            forEachSlot { slot in
                // Safe: every slot lies inside storage (the type's invariant), which `raw` covers until
                // withUnsafeBytes returns, after the last call of `body`.
                body(
                    UnsafeRawBufferPointer(rebasing: raw[slot.name]), UnsafeRawBufferPointer(rebasing: raw[slot.value]))
            }
        }
    }

    /// Header names are ASCII tokens; comparing bytes with the 0x20 case bit folded avoids lowercased copies.
    static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        bytesEqualIgnoringASCIICase(lhs.utf8, rhs.utf8)
    }

    // MARK: - Packed storage

    /// Visits fields in order until `body` returns false.
    private func forEachSlot(_ body: (Slot) -> Bool) {
        var index = 0
        while index < storage.count {
            // Safe: `index` starts a record (the invariant): its two little-endian lengths come first.
            let (nameLength, valueLength) = storage.withUnsafeBytes { raw in
                (
                    Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt32.self))),
                    Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self)))
                )
            }
            let nameStart = index + 8
            let valueStart = nameStart + nameLength + 1
            let slot = Slot(name: nameStart..<(nameStart + nameLength), value: valueStart..<(valueStart + valueLength))
            guard body(slot) else { return }
            index = valueStart + valueLength + 1
        }
    }

    private func nameMatches(_ slot: Slot, _ name: String) -> Bool {
        Self.bytesEqualIgnoringASCIICase(storage[slot.name], name.utf8)
    }

    static func bytesEqualIgnoringASCIICase<L: Collection<UInt8>, R: Collection<UInt8>>(
        _ lhs: L, _ rhs: R
    )
        -> Bool
    {
        guard lhs.count == rhs.count else { return false }
        // Over contiguous bytes when both have them (header storage, String's UTF-8): this runs several times
        // per header per request, and index-by-index iteration of a generic collection is many times slower.
        let fast = lhs.withContiguousStorageIfAvailable { left in
            rhs.withContiguousStorageIfAvailable { right in equalIgnoringASCIICase(left, right) }
        }
        if let fast, let result = fast { return result }
        for (a, b) in zip(lhs, rhs) where a != b {
            if lowercased(a) != lowercased(b) { return false }
        }
        return true
    }

    /// ASCII case-insensitive equality of two buffers of the same count (the caller checked it).
    static func equalIgnoringASCIICase(
        _ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>
    )
        -> Bool
    {
        for index in 0..<left.count {
            let a = left[index]
            let b = right[index]
            if a != b && lowercased(a) != lowercased(b) { return false }
        }
        return true
    }

    @inline(__always)
    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }
}
