/// An ordered list of header fields with ASCII case-insensitive lookup by name.
///
/// Kept as an array, not a dictionary: requests carry a handful of headers, a linear scan beats hashing,
/// and repeated fields (e.g. two `Accept` lines) survive.
///
/// ```swift
/// var headers = HTTPHeaders()
/// headers.add(name: "Content-Type", value: "application/json")
/// headers["content-type"]   // "application/json"
/// ```
struct HTTPHeaders: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    /// One header line.
    struct Field: Sendable, Equatable {
        var name: String
        var value: String
    }

    private var fields: [Field] = []

    init() {}

    init(dictionaryLiteral elements: (String, String)...) {
        fields = elements.map { Field(name: $0.0, value: $0.1) }
    }

    /// Number of fields, repeated names counted each time.
    var count: Int { fields.count }

    /// The value of the first field called `name` (ASCII case-insensitive), or nil.
    subscript(name: String) -> String? {
        for field in fields where Self.namesEqual(field.name, name) {
            return field.value
        }
        return nil
    }

    /// All values of fields called `name`, in order.
    func values(for name: String) -> [String] {
        fields.filter { Self.namesEqual($0.name, name) }.map(\.value)
    }

    /// Appends a field; an existing field of the same name is kept.
    mutating func add(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field called `name` by one with `value`.
    mutating func replace(name: String, value: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
        fields.append(Field(name: name, value: value))
    }

    func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }

    /// Header names are ASCII tokens; comparing bytes with the 0x20 case bit folded avoids lowercased copies.
    static func namesEqual(_ lhs: String, _ rhs: String) -> Bool {
        let left = lhs.utf8
        let right = rhs.utf8
        guard left.count == right.count else { return false }
        for (a, b) in zip(left, right) where a != b {
            let lowerA = (a >= 0x41 && a <= 0x5A) ? a | 0x20 : a
            let lowerB = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
            if lowerA != lowerB { return false }
        }
        return true
    }
}
