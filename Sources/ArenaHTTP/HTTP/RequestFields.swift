import CHTTPD

/// Copies a request's header fields out of libmicrohttpd in one pass, and notices the bytes libmicrohttpd would
/// hide from the application.
///
/// libmicrohttpd ends a header value at its first NUL byte (it measures values with `strlen`), so `X: a\0b` reaches
/// the application as `X: a` while a proxy in front may have read `a\0b`. The fields lie in order in libmicrohttpd's
/// read buffer, each line's CR LF (or bare LF) overwritten with NULs: between the end of one value and the next
/// name there can only be those NULs, and right after the last value another NUL. Anything else there is a value
/// that went on past a NUL.
enum RequestFields {
    /// What one pass collected.
    struct Collected {
        var headers = HTTPHeaders()
        /// The position of the field whose value had bytes after a NUL (see the type's documentation).
        var hiddenBytesAfter: Int?
    }

    /// Fields whose places one pass notes on the stack before packing them into `HTTPHeaders` at once; a request
    /// with more (rare) is copied field by field instead.
    static let stackFields = 32

    /// The fields the iterator has seen so far: where their bytes lie in libmicrohttpd's read buffer.
    fileprivate struct Pass {
        var names: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>
        var values: UnsafeMutableBufferPointer<UnsafeRawBufferPointer>
        var count = 0
        /// Set when there were more fields than `names` holds; `count` then counts them all.
        var overflowed = false
        /// Non-nil in the second pass after an overflow: every field is appended here instead.
        var appended: HTTPHeaders?
        var hiddenBytesAfter: Int?
        /// Address just past the previous value; 0 before the first field.
        var previousValueEnd: UInt = 0
    }

    /// The headers of `connection` in arrival order; call only during an access-handler call for it.
    static func collect(from connection: OpaquePointer) -> Collected {
        withUnsafeTemporaryAllocation(of: UnsafeRawBufferPointer.self, capacity: 2 * stackFields) { places in
            // Safe: the temporary allocation lives until this closure returns; the two halves do not overlap.
            var pass = Pass(
                names: UnsafeMutableBufferPointer(rebasing: places[..<stackFields]),
                values: UnsafeMutableBufferPointer(rebasing: places[stackFields...]))
            withUnsafeMutablePointer(to: &pass) { pointer in
                // Safe: MHD calls the iterator synchronously, only during this call, so `pointer` stays valid.
                _ = MHD_get_connection_values_n(connection, .HEADER_KIND, noteHeader, pointer)
            }
            if pass.hiddenBytesAfter == nil, pass.previousValueEnd != 0 {
                // Safe: the last value is followed in the read buffer by its line end and the blank line, both
                // still there (libmicrohttpd keeps the head until the request completes), so this byte is in
                // bounds.
                let next = UnsafePointer<UInt8>(bitPattern: pass.previousValueEnd + 1)!.pointee
                if next != 0 { pass.hiddenBytesAfter = pass.count - 1 }
            }
            var collected = Collected(hiddenBytesAfter: pass.hiddenBytesAfter)
            if pass.overflowed {
                pass.appended = HTTPHeaders()
                withUnsafeMutablePointer(to: &pass) { pointer in
                    // Safe: as above.
                    _ = MHD_get_connection_values_n(connection, .HEADER_KIND, noteHeader, pointer)
                }
                collected.headers = pass.appended ?? HTTPHeaders()
            } else {
                // Safe: the places point into libmicrohttpd's read buffer, valid during this access-handler call;
                // the bytes are copied here.
                collected.headers = HTTPHeaders(
                    packing: UnsafeBufferPointer(rebasing: pass.names[..<pass.count]),
                    values: UnsafeBufferPointer(rebasing: pass.values[..<pass.count]))
            }
            return collected
        }
    }
}

/// The bytes MHD passes for a key or value: `size` bytes at `pointer` (a NULL value is empty).
private func bytes(_ pointer: UnsafePointer<CChar>?, _ size: Int) -> UnsafeRawBufferPointer {
    // Safe: MHD passes key_size and value_size bytes at key and value, valid during the access-handler call.
    UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : size)
}

/// MHD_KeyValueIteratorN: notes where one header lies, and whether bytes hide before it, in the `Pass` that `cls`
/// points to; in the second pass after an overflow, appends it to `Pass.appended`.
private func noteHeader(
    cls: UnsafeMutableRawPointer?,
    kind: MHD_ValueKind,
    key: UnsafePointer<CChar>?,
    keySize: Int,
    value: UnsafePointer<CChar>?,
    valueSize: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    // Safe: cls is the pointer `collect(from:)` passed, valid while MHD_get_connection_values_n runs.
    let pass = cls.assumingMemoryBound(to: RequestFields.Pass.self)
    if pass.pointee.appended != nil {
        pass.pointee.appended!.append(name: bytes(key, keySize), value: bytes(value, valueSize))
        return .YES
    }
    let index = pass.pointee.count
    if index < pass.pointee.names.count {
        pass.pointee.names[index] = bytes(key, keySize)
        pass.pointee.values[index] = bytes(value, valueSize)
    } else {
        pass.pointee.overflowed = true
    }
    pass.pointee.count = index + 1
    let keyAddress = UInt(bitPattern: key)
    let previousEnd = pass.pointee.previousValueEnd
    if pass.pointee.hiddenBytesAfter == nil, previousEnd != 0 {
        let gap = keyAddress &- previousEnd
        var hidden = keyAddress <= previousEnd || gap > 2
        if !hidden {
            // Safe: `gap` (1 or 2) bytes between the previous value and this name, both in the read buffer.
            let between = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: previousEnd), count: Int(gap))
            hidden = between.contains { $0 != 0 }
        }
        if hidden { pass.pointee.hiddenBytesAfter = index - 1 }
    }
    if let value {
        pass.pointee.previousValueEnd = UInt(bitPattern: value) + UInt(valueSize)
    } else {
        pass.pointee.previousValueEnd = 0
    }
    return .YES
}
