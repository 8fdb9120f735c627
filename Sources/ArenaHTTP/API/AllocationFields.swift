/// The fields of an allocation request's body: `size` (one allocation) or `sizes` (a batch), `align` (8 when
/// absent) and `site`, as `RequestBody` reads and refuses them.
///
/// The usual body, `{"size":16}` or `{"size":16,"align":8}` byte for byte, is recognized by `canonical` without
/// building a JSON tree (parsing one cost about 5,000 instructions of a 35,000-instruction request); every other
/// body, spaces or a third field included, goes through `RequestBody`. `canonical` accepts only bodies that
/// `RequestBody` reads to the same fields without an error (`AllocationFieldsTests` checks both ways).
struct AllocationFields: Equatable {
    var size: Int?
    var sizes: [Int]?
    var alignment = 8
    var site: String?

    /// Reads `request`'s body: 415 without a JSON Content-Type, 400 for a body `RequestBody` refuses.
    init(_ request: HTTPRequest) throws(APIError) {
        try RequestBody.requireJSONContentType(request)
        if let fields = Self.canonical(request.body) {
            self = fields
        } else {
            self = try Self.parsed(request)
        }
    }

    private init(size: Int?, sizes: [Int]?, alignment: Int, site: String?) {
        self.size = size
        self.sizes = sizes
        self.alignment = alignment
        self.site = site
    }

    /// The fields through `RequestBody`, for any body (its Content-Type already accepted).
    static func parsed(_ request: HTTPRequest) throws(APIError) -> AllocationFields {
        var body = try RequestBody(checked: request)
        let fields = AllocationFields(
            size: try body.integer("size"), sizes: try body.integers("sizes"),
            alignment: try body.integer("align") ?? 8, site: try body.string("site"))
        try body.rejectUnknownFields()
        return fields
    }

    /// The fields of `{"size":N}` or `{"size":N,"align":M}` written exactly so (no spaces; N and M JSON integers
    /// of at most 18 digits, so they fit in `Int`); nil for any other body.
    static func canonical(_ body: [UInt8]) -> AllocationFields? {
        body.withUnsafeBufferPointer { bytes -> AllocationFields? in
            var index = 0
            guard skip(#"{"size":"#, in: bytes, at: &index), let size = integer(in: bytes, at: &index) else {
                return nil
            }
            var alignment = 8
            if skip(#","align":"#, in: bytes, at: &index) {
                guard let value = integer(in: bytes, at: &index) else { return nil }
                alignment = value
            }
            guard skip("}", in: bytes, at: &index), index == bytes.count else { return nil }
            return AllocationFields(size: size, sizes: nil, alignment: alignment, site: nil)
        }
    }

    /// Moves `index` past `literal` when the bytes there are `literal`.
    private static func skip(_ literal: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> Bool
    {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - index >= count else { return false }
        // Safe: `literal` has `count` bytes at `utf8Start`; `bytes` has at least `count` from `index`.
        for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
        index += count
        return true
    }

    /// A JSON integer at `index` of 1 to 18 digits, no leading zero (JSON allows none) and no sign.
    private static func integer(in bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> Int? {
        var value = 0
        var digits = 0
        while index + digits < bytes.count, case let byte = bytes[index + digits],
            byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9")
        {
            value = value &* 10 &+ Int(byte &- UInt8(ascii: "0"))
            digits += 1
        }
        guard digits >= 1, digits <= 18, digits == 1 || bytes[index] != UInt8(ascii: "0") else { return nil }
        index += digits
        return value
    }
}
