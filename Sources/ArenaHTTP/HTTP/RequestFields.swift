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
        var headers = HTTPHeaders(reservingCapacity: 512)
        /// The position of the field whose value had bytes after a NUL (see the type's documentation).
        var hiddenBytesAfter: Int?
        /// Address just past the previous value; 0 before the first field.
        fileprivate var previousValueEnd: UInt = 0
    }

    /// The headers of `connection` in arrival order; call only during an access-handler call for it. 512 bytes
    /// hold the usual handful without regrowing.
    static func collect(from connection: OpaquePointer) -> Collected {
        var collected = Collected()
        withUnsafeMutablePointer(to: &collected) { pointer in
            // Safe: MHD calls the iterator synchronously, only during this call, so `pointer` stays valid.
            _ = MHD_get_connection_values_n(connection, .HEADER_KIND, collectHeader, pointer)
        }
        if collected.hiddenBytesAfter == nil, collected.previousValueEnd != 0 {
            // Safe: the last value is followed in the read buffer by its line end and the blank line, both still
            // there (libmicrohttpd keeps the head until the request completes), so this byte is in bounds.
            let next = UnsafePointer<UInt8>(bitPattern: collected.previousValueEnd + 1)!.pointee
            if next != 0 { collected.hiddenBytesAfter = collected.headers.count - 1 }
        }
        return collected
    }
}

/// MHD_KeyValueIteratorN: appends one header to the `Collected` that `cls` points to.
private func collectHeader(
    cls: UnsafeMutableRawPointer?,
    kind: MHD_ValueKind,
    key: UnsafePointer<CChar>?,
    keySize: Int,
    value: UnsafePointer<CChar>?,
    valueSize: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    // Safe: cls is the pointer `collect(from:)` passed, valid while MHD_get_connection_values_n runs.
    let collected = cls.assumingMemoryBound(to: RequestFields.Collected.self)
    // Safe: MHD passes key_size and value_size bytes at key and value (value may be NULL), valid during this
    // call; both are copied before it returns.
    let name = UnsafeRawBufferPointer(start: key, count: keySize)
    collected.pointee.headers.append(
        name: name, value: UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueSize))
    let keyAddress = UInt(bitPattern: key)
    let previousEnd = collected.pointee.previousValueEnd
    if collected.pointee.hiddenBytesAfter == nil, previousEnd != 0 {
        let gap = keyAddress &- previousEnd
        var hidden = keyAddress <= previousEnd || gap > 2
        if !hidden {
            // Safe: `gap` (1 or 2) bytes between the previous value and this name, both in the read buffer.
            let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: previousEnd), count: Int(gap))
            hidden = bytes.contains { $0 != 0 }
        }
        if hidden { collected.pointee.hiddenBytesAfter = collected.pointee.headers.count - 2 }
    }
    if let value {
        collected.pointee.previousValueEnd = UInt(bitPattern: value) + UInt(valueSize)
    } else {
        collected.pointee.previousValueEnd = 0
    }
    return .YES
}
