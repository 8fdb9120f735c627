/// A request's JSON object body, read field by field with precise 400s: unknown and duplicate members, wrong
/// types, negative or fractional numbers and overflow (e.g. 2^63) each say which field and what was wrong.
///
/// ```swift
/// var body = try RequestBody(request)
/// let size = try body.integer("size")          // Int? (nil when absent)
/// try body.rejectUnknownFields()
/// ```
struct RequestBody {
    /// The object's members in document order, keys unique (checked in init). Bodies have a handful of members:
    /// a linear search beats hashing every key.
    private var members: [JSONValue.Member] = []
    /// The names the accessors asked for, in order (for `rejectUnknownFields`' message).
    private var read: [String] = []
    /// Per member, whether an accessor asked for it: bit `i` for member `i` of the first 64, then
    /// `usedBeyond64` (allocated only for a body that long, which `rejectUnknownFields` refuses anyway).
    private var used: UInt64 = 0
    private var usedBeyond64: [Bool] = []

    /// Parses `request.body` as a JSON object. Requires `Content-Type: application/json` (or `+json`): 415
    /// without it.
    init(_ request: HTTPRequest) throws(APIError) {
        try Self.requireJSONContentType(request)
        try self.init(checked: request)
    }

    /// Parses the body of a request whose Content-Type `requireJSONContentType` has accepted.
    init(checked request: HTTPRequest) throws(APIError) {
        guard !request.body.isEmpty else {
            throw APIError.badRequest(
                "expected a JSON object in the request body, got an empty body",
                code: "bad_json")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(request.body)
        } catch {
            throw APIError.badRequest("the request body is not valid JSON: \(error)", code: "bad_json")
        }
        guard case .object(let members) = value else {
            throw APIError.badRequest(
                "expected a JSON object in the request body, got \(value.summary)",
                code: "bad_json")
        }
        if let duplicate = Self.firstDuplicate(members) {
            throw APIError.badRequest("field '\(duplicate)' appears twice", code: "bad_field")
        }
        self.members = members
        if members.count > 64 { usedBeyond64 = Array(repeating: false, count: members.count - 64) }
    }

    /// Throws 415 unless `Content-Type` is JSON (see `isJSON`). Required, not only checked when present: a
    /// browser page can send a body without one (or as text/plain) cross-site without asking first, but never as
    /// application/json.
    static func requireJSONContentType(_ request: HTTPRequest) throws(APIError) {
        guard let contentType = request.headers.valueBytes("Content-Type") else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message: "expected Content-Type: application/json, got none")
        }
        guard isJSON(contentType) else {
            throw APIError(
                status: .unsupportedMediaType, code: "unsupported_media_type",
                message:
                    "expected Content-Type: application/json, got '\(String(decoding: contentType, as: UTF8.self))'")
        }
    }

    private mutating func markUsed(_ index: Int) {
        if index < 64 { used |= 1 << UInt64(index) } else { usedBeyond64[index - 64] = true }
    }

    private func isUsed(_ index: Int) -> Bool {
        index < 64 ? used & (1 << UInt64(index)) != 0 : usedBeyond64[index - 64]
    }

    /// The first key that appears twice: pairwise for the usual few members, through a set past that.
    private static func firstDuplicate(_ members: [JSONValue.Member]) -> String? {
        if members.count <= 16 {
            for (index, member) in members.enumerated()
            where members[..<index].contains(where: { $0.key == member.key }) {
                return member.key
            }
            return nil
        }
        var seen = Set<String>()
        return members.first { !seen.insert($0.key).inserted }?.key
    }

    private func index(of name: String) -> Int? {
        members.firstIndex { $0.key == name }
    }

    /// Whether the media type (before any `;` parameters, spaces around it ignored, ASCII case-insensitive) is
    /// `application/json` or ends in `+json`. Compared byte by byte: this runs for every JSON request.
    static func isJSON(_ contentType: ArraySlice<UInt8>) -> Bool {
        contentType.withUnsafeBufferPointer { bytes in
            var end = bytes.firstIndex(of: UInt8(ascii: ";")) ?? bytes.count
            var start = 0
            while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
            // Safe: start...end was narrowed inside `bytes`.
            let type = UnsafeBufferPointer(rebasing: bytes[start..<end])
            return (type.count == 16 && hasSuffix(type, "application/json")) || hasSuffix(type, "+json")
        }
    }

    /// Whether `bytes` ends with `suffix`, ASCII case-insensitive. (Not a nested function of `isJSON`: one that
    /// captured its `var`s would box them and check every access at run time.)
    private static func hasSuffix(_ bytes: UnsafeBufferPointer<UInt8>, _ suffix: StaticString) -> Bool {
        let count = suffix.utf8CodeUnitCount
        guard bytes.count >= count else { return false }
        // Safe: a StaticString of ASCII literal text; `count` bytes from its start, and the last `count` of `bytes`.
        return HTTPHeaders.equalIgnoringASCIICase(
            UnsafeBufferPointer(rebasing: bytes[(bytes.count - count)...]),
            UnsafeBufferPointer(start: suffix.utf8Start, count: count))
    }

    private mutating func value(_ name: String) -> JSONValue? {
        if !read.contains(name) {
            // Routes read a few fields: one allocation for their names, not one per doubling from 1.
            if read.isEmpty { read.reserveCapacity(8) }
            read.append(name)
        }
        guard let index = index(of: name) else { return nil }
        markUsed(index)
        let value = members[index].value
        return value == .null ? nil : value
    }

    /// Whether the body has the member (null counts as absent).
    func has(_ name: String) -> Bool { index(of: name).map { members[$0].value != .null } ?? false }

    /// A non-negative integer field, nil when absent.
    mutating func integer(_ name: String) throws(APIError) -> Int? {
        guard let value = value(name) else { return nil }
        return try Self.integer(value, field: name)
    }

    /// Parses a JSON number that must be a non-negative whole number fitting in `Int`.
    static func integer(_ value: JSONValue, field: String) throws(APIError) -> Int {
        guard case .number(let literal) = value else {
            throw APIError.badRequest(
                "field '\(field)' must be a whole number, got \(value.summary)",
                code: "bad_field")
        }
        // The usual case first, without the checks below (each walks the literal as Characters): only digits, at
        // most 18 of them, which cannot overflow.
        if literal.utf8.count <= 18 {
            var number = 0
            var digitsOnly = true
            for byte in literal.utf8 {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                    digitsOnly = false
                    break
                }
                number = number * 10 + Int(byte - UInt8(ascii: "0"))
            }
            if digitsOnly { return number }
        }
        if literal.hasPrefix("-") {
            throw APIError.badRequest("field '\(field)' must not be negative, got \(literal)", code: "bad_field")
        }
        if literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            throw APIError.badRequest("field '\(field)' must be a whole number, got \(literal)", code: "bad_field")
        }
        guard let number = Int(literal) else {
            throw APIError.badRequest(
                "field '\(field)' is too large: \(literal) (the maximum is \(Int.max))",
                code: "bad_field")
        }
        return number
    }

    /// A size field: an integer of bytes or a string like `"64KiB"`; nil when absent.
    mutating func size(named name: String) throws(APIError) -> Int? {
        guard let value = value(name) else { return nil }
        switch ByteSize.parse(value) {
        case .success(let bytes): return bytes
        case .failure(let error):
            throw APIError.badRequest("field '\(name)': \(error.reason)", code: "bad_field")
        }
    }

    mutating func bool(_ name: String) throws(APIError) -> Bool? {
        guard let value = value(name) else { return nil }
        guard case .bool(let flag) = value else {
            throw APIError.badRequest("field '\(name)' must be true or false, got \(value.summary)", code: "bad_field")
        }
        return flag
    }

    mutating func string(_ name: String) throws(APIError) -> String? {
        guard let value = value(name) else { return nil }
        guard case .string(let text) = value else {
            throw APIError.badRequest("field '\(name)' must be a string, got \(value.summary)", code: "bad_field")
        }
        return text
    }

    /// An array of non-negative integers; nil when absent.
    mutating func integers(_ name: String) throws(APIError) -> [Int]? {
        guard let value = value(name) else { return nil }
        guard case .array(let elements) = value else {
            throw APIError.badRequest(
                "field '\(name)' must be an array of whole numbers, got \(value.summary)",
                code: "bad_field")
        }
        var numbers: [Int] = []
        numbers.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            numbers.append(try Self.integer(element, field: "\(name)[\(index)]"))
        }
        return numbers
    }

    /// Throws for the first member no accessor asked for.
    func rejectUnknownFields() throws(APIError) {
        // The usual case, every member read, decided on the word without building the lists below.
        if members.count <= 64, used == (members.count == 64 ? UInt64.max : (1 << UInt64(members.count)) - 1) {
            return
        }
        let unread = members.indices.filter { !isUsed($0) }.map { members[$0].key }
        if let unknown = unread.sorted().first {
            let known = read.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw APIError.badRequest("unknown field '\(unknown)'; known fields: \(known)", code: "bad_field")
        }
    }
}

extension RequestBody: PolicyFieldReader {
    mutating func size(_ key: String) throws(APIError) -> Int? { try size(named: key) }

    func problem(_ key: String, _ reason: String) -> APIError {
        APIError.badRequest("field '\(key)': \(reason)", code: "bad_field")
    }
}
