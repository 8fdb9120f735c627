/// Compares two secrets in time that depends only on their lengths, not on where they first differ, so that a
/// client timing failed attempts cannot guess a token byte by byte.
///
/// ```swift
/// guard let presented = request.headers["authorization"],
///       constantTimeEquals(presented, "Bearer " + token) else { return .error(status: .unauthorized, ...) }
/// ```
func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
    constantTimeEquals(Array(lhs.utf8), Array(rhs.utf8))
}

/// Byte-array form of `constantTimeEquals(_:_:)`.
@inline(never)
func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    // Every byte of the longer input is visited whatever the contents, and differences are or-ed together
    // rather than returned early. The length difference itself is folded in, not branched on.
    var difference = UInt64(truncatingIfNeeded: lhs.count ^ rhs.count)
    let length = max(lhs.count, rhs.count)
    for index in 0..<length {
        let left = index < lhs.count ? lhs[index] : 0
        let right = index < rhs.count ? rhs[index] : 0
        difference |= UInt64(left ^ right)
    }
    return difference == 0
}
