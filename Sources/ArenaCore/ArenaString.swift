#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A string's UTF-8 bytes in an arena, from `copy(_:)` (bumpalo's `alloc_str`): read it as a `String` or as a
/// `Span` of its bytes without copying it out again.
///
/// ```swift
/// let name = try arena.copy("frame-7")
/// print(name)                                 // frame-7
/// name == "frame-7"                           // true: compared in place, no String made
/// name.utf8Count                              // 7
/// name.withUTF8 { span in span[0] }           // 102 ("f"), read from the arena's memory
/// ```
///
/// An `ArenaString` is a view, not an owner: it holds the address and length of bytes the arena handed out.
/// It is valid until the arena is reset, rewound past it (a `withCheckpoint` scope that copied it ends), or
/// deinitialized; reading it after that reads released memory (`0xDE` bytes in debug builds, an
/// AddressSanitizer report in builds that define `ARENA_SANITIZE_ADDRESS`). Turn it into a `String`
/// (`String(describing:)`, `description`) to keep the text longer than the arena's generation.
///
/// The bytes are valid UTF-8 (they come from a `String`) with no terminating NUL, and nothing writes them after
/// the copy.
@frozen
public struct ArenaString: Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The first byte, in the arena; never nil (a zero-byte allocation still has an address).
    @usableFromInline let start: UnsafePointer<UInt8>
    /// The number of UTF-8 bytes, `>= 0`.
    @usableFromInline let count: Int
    /// True when the source string knew its bytes are all ASCII (equality then needs no Unicode rules); false
    /// means unknown, not "not ASCII".
    @usableFromInline let isKnownASCII: Bool

    /// Wraps `count` initialized UTF-8 bytes at `start`.
    @inlinable
    init(start: UnsafePointer<UInt8>, count: Int, isKnownASCII: Bool) {
        self.start = start
        self.count = count
        self.isKnownASCII = isKnownASCII
    }

    /// The number of UTF-8 bytes (what `String.utf8.count` says of the source string).
    @inlinable public var utf8Count: Int { count }

    /// True for the copy of an empty string.
    @inlinable public var isEmpty: Bool { count == 0 }

    /// Calls `body` with the UTF-8 bytes in place, as a `Span`: no copy, no pointer to keep.
    ///
    /// ```swift
    /// let name = try arena.copy("héllo")
    /// let bytes = name.withUTF8 { span in span.count }     // 6
    /// ```
    @inlinable
    public func withUTF8<Result, Failure: Error>(
        _ body: (Span<UInt8>) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // Safe: `count` bytes at `start` are initialized and stay unchanged while the arena keeps them; the span
        // cannot escape `body`.
        let buffer = UnsafeBufferPointer(start: start, count: count)
        return try body(buffer.span)
    }

    /// Calls `body` with the bytes as a `UTF8Span`: validated UTF-8 (Unicode scalars, `isKnownASCII`), in place.
    /// `UTF8Span` is in the Swift 6.2 standard library: on Linux it is always there; on Apple systems it needs
    /// their 26 releases (`withUTF8`'s `Span` is back-deployed and needs none).
    ///
    /// ```swift
    /// let name = try arena.copy("é!")
    /// name.withUTF8Span { text in
    ///     var scalars = text.makeUnicodeScalarIterator()
    ///     return scalars.next()                           // "é"
    /// }
    /// ```
    @available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *)
    @inlinable
    public func withUTF8Span<Result, Failure: Error>(
        _ body: (UTF8Span) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // Safe: the bytes were a `String`'s UTF-8, so they are valid UTF-8 and need no second validation.
        let buffer = UnsafeBufferPointer(start: start, count: count)
        return try body(UTF8Span(unchecked: buffer.span, isKnownASCII: isKnownASCII))
    }

    /// The text, as a new `String` (the one copy out of the arena, for text that must outlive it).
    public var description: String {
        String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    }

    /// The text quoted and escaped, as `String`'s `debugDescription`.
    public var debugDescription: String { description.debugDescription }

    /// Whether the bytes are the same, with no Unicode rules.
    @inlinable
    func bytesEqual(_ other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard other.count == count else { return false }
        guard let base = other.baseAddress, count > 0 else { return true }
        // Safe: both regions hold `count` initialized bytes.
        return memcmp(start, base, count) == 0
    }

    /// Compares as `String` does (Unicode canonical equivalence): identical bytes answer at once without
    /// making a `String`; only different bytes that are not all ASCII are compared as strings.
    ///
    /// ```swift
    /// try arena.copy("café") == "cafe\u{301}"                // true, as for two Strings
    /// ```
    @inlinable
    public static func == (lhs: ArenaString, rhs: String) -> Bool {
        var rhs = rhs
        if rhs.withUTF8({ lhs.bytesEqual($0) }) { return true }
        if lhs.isKnownASCII && stringIsKnownASCII(rhs) { return false }
        return lhs.description == rhs
    }

    /// `rhs == lhs`.
    @inlinable
    public static func == (lhs: String, rhs: ArenaString) -> Bool { rhs == lhs }

    /// `!(lhs == rhs)`.
    @inlinable
    public static func != (lhs: ArenaString, rhs: String) -> Bool { !(lhs == rhs) }

    /// `!(lhs == rhs)`.
    @inlinable
    public static func != (lhs: String, rhs: ArenaString) -> Bool { !(rhs == lhs) }

    /// Compares as two `String`s would (see `==(_:_:)` with a `String`).
    @inlinable
    public static func == (lhs: ArenaString, rhs: ArenaString) -> Bool {
        if lhs.bytesEqual(UnsafeBufferPointer(start: rhs.start, count: rhs.count)) { return true }
        if lhs.isKnownASCII && rhs.isKnownASCII { return false }
        return lhs.description == rhs.description
    }
}

/// Whether `string` knows that its UTF-8 is all ASCII: a flag a native `String` keeps, read without a scan. False
/// means unknown, as on Apple systems before their 26 releases, whose runtime has no `UTF8Span`.
@inlinable
func stringIsKnownASCII(_ string: String) -> Bool {
    if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
        return string.utf8Span.isKnownASCII
    }
    return false
}

// Safe: an `UnsafePointer` is not `Sendable` because the compiler cannot know who else writes the memory; nothing
// writes these bytes after `copy(_:)` initialized them, so any thread may read them for as long as the arena keeps
// them (the lifetime rule above, which no annotation can check).
extension ArenaString: @unchecked Sendable {}
