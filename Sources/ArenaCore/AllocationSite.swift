#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where an allocation was asked for: a file and line, recorded with its trace event, so a profile can say which
/// code fills a scope.
///
/// Every allocation call takes one without the caller writing anything (its `file: #fileID, line: #line`
/// defaults), or a named site of the caller's choosing (`TraceRing.site(named:)`, what the HTTP API's `"site"`
/// field becomes). Recording it costs one more store per traced event; untraced allocations ignore it.
///
/// ```swift
/// let p = try arena.allocate(byteCount: 16, alignment: 8)   // site: "MyModule/Parser.swift" and this line
/// ring.events(after: 0).first?.site.description              // "MyModule/Parser.swift:12"
/// ```
@frozen
public struct AllocationSite: Hashable, Sendable, CustomStringConvertible {
    /// Address of the site's name: NUL-terminated UTF-8 that lives as long as the process (a `StaticString`) or
    /// as the ring that interned it. 0 for an unknown site.
    @usableFromInline let address: UInt
    /// The line, 0 when the name says it all (a named site); at most 65535 is kept.
    @usableFromInline let line: UInt32

    @inlinable
    init(address: UInt, line: UInt32) {
        self.address = address
        self.line = line
    }

    /// The site of a source location; the defaults name the caller's.
    @inlinable
    public init(file: StaticString = #fileID, line: UInt = #line) {
        // Safe: #fileID (any string literal with more than one scalar) has a pointer representation, and a
        // literal's bytes are static and NUL-terminated.
        self.init(address: UInt(bitPattern: file.utf8Start), line: UInt32(truncatingIfNeeded: min(line, 65_535)))
    }

    /// No site known (`(unknown)` in profiles).
    public static let unknown = AllocationSite(address: 0, line: 0)

    /// The name (a file ID, or a named site), nil when unknown.
    public var name: String? {
        // Safe: a non-zero address is the start of NUL-terminated UTF-8 that outlives every event that carries it
        // (see `address`).
        UnsafePointer<CChar>(bitPattern: address).map { String(cString: $0) }
    }

    /// The line, nil for a named site or an unknown one.
    public var lineNumber: Int? { line == 0 ? nil : Int(line) }

    /// `Parser.swift:12`, a named site's name, or `(unknown)`.
    public var description: String {
        guard let name else { return "(unknown)" }
        return line == 0 ? name : "\(name):\(line)"
    }
}
