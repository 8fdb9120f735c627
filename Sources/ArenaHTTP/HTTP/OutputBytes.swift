/// A response body being rendered: bytes appended at the end of one buffer that only this value owns.
///
/// `[UInt8].append(contentsOf:)` costs about 90 instructions a call here (the generic sequence copy, a uniqueness
/// check, the count update) and a `String`'s bytes a retain and a release more; a `/metrics` scrape makes ~500
/// such appends. Non-copyable, so an append never has to ask whether the storage is shared: it compares the
/// count with the capacity and copies. The bytes leave as a response body without a copy (`takeResponseBytes()`),
/// or as one `[UInt8]` (`takeArray()`).
///
/// ```swift
/// var out = OutputBytes(capacity: 4096)
/// out.append("# EOF")         // a literal: StaticString
/// out.append(string: name)     // a String
/// out.append(UInt8(ascii: "\n"))
/// let body = out.takeArray()   // [UInt8] of "# EOF\n"
/// ```
struct OutputBytes: ~Copyable {
    /// `capacity` bytes allocated here, the first `count` of them written. Invariant: 0 <= count <= capacity and
    /// capacity >= 1; nothing else points into the buffer.
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes written so far.
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = Swift.max(capacity, 64)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        if count == capacity { grow(toHold: 1) }
        // Safe: count < capacity, after the check.
        base[count] = byte
        count &+= 1
    }

    /// Copies `bytes` (another buffer: ours is never handed out, so they cannot overlap).
    @inline(__always)
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        if capacity &- count < bytes.count { grow(toHold: bytes.count) }
        // Safe: there is room for bytes.count more after the check.
        UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count)
        count &+= bytes.count
    }

    /// Text of ours (`# HELP `, `="`, metric names), copied from the literal, but its last `droppingLast` bytes.
    @inline(__always)
    mutating func append(_ text: StaticString, droppingLast: Int = 0) {
        text.withUTF8Buffer { utf8 in
            append(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(utf8).dropLast(droppingLast)))
        }
    }

    /// A JSON member name of ours and its colon, `,"name":` (without the comma unless `comma`): one capacity check
    /// and one copy instead of five appends, since member names are most of what a JSON response writes.
    @inline(__always)
    mutating func appendJSONKey(_ name: StaticString, comma: Bool) {
        let length = name.utf8CodeUnitCount
        if capacity &- count < length &+ 4 { grow(toHold: length &+ 4) }
        // Safe: there is room for the comma, two quotes, the colon and `length` bytes after the check; `name` is a
        // literal with `length` bytes at `utf8Start`, another buffer than ours.
        var next = base + count
        if comma {
            next.pointee = UInt8(ascii: ",")
            next += 1
        }
        next.pointee = UInt8(ascii: "\"")
        (next + 1).initialize(from: name.utf8Start, count: length)
        next += 1 + length
        next[0] = UInt8(ascii: "\"")
        next[1] = UInt8(ascii: ":")
        count = base.distance(to: next) + 2
    }

    /// `text`'s UTF-8 bytes.
    mutating func append(string text: String) {
        // `withUTF8` on a copy: inlined, a retain and a release (the UTF-8 view's contiguous-storage call is not
        // inlined and cost about 110 instructions a call).
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends again the `range` of what was written (a prefix that lines repeat: a histogram's
    /// `name_bucket{labels,le="`).
    mutating func appendAgain(_ range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "OutputBytes: range past the bytes written")
        if capacity &- count < range.count { grow(toHold: range.count) }
        // Safe: the range lies within the written bytes (checked), the destination after them, with room (grown
        // above): the two do not overlap.
        (base + count).initialize(from: base + range.lowerBound, count: range.count)
        count &+= range.count
    }

    /// Grows the buffer to hold at least `extra` more bytes: at least doubles it, so appends stay amortized O(1).
    @inline(never)
    private mutating func grow(toHold extra: Int) {
        let newCapacity = Swift.max(capacity * 2, count + extra)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        // Safe: both buffers hold at least `count` bytes, the first `count` of the old one written.
        newBase.moveInitialize(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }

    /// The bytes written, as an array (one copy).
    func array() -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Safe: the array has room for `count` bytes, and `count` of ours are written.
            if let destination = buffer.baseAddress { destination.initialize(from: base, count: count) }
            initialized = count
        }
    }

    /// The bytes written, as an array; the buffer is freed.
    consuming func takeArray() -> [UInt8] { array() }

    /// The bytes written, in this buffer, now owned by the returned body: no copy, and no `deinit` here.
    consuming func takeResponseBytes() -> ResponseBytes {
        let body = ResponseBytes(adopting: base, count: count)
        discard self
        return body
    }

    /// The bytes written, as a `String` (invalid UTF-8 repaired); the buffer is freed. One allocation and one copy,
    /// where interpolation appends piece by piece: a blob upload's URL this way took 835 instructions fewer
    /// (callgrind, docs/PERFORMANCE.md).
    consuming func takeString() -> String {
        String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self)
    }
}
