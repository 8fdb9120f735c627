import CHTTPD

/// Copies a request's header fields out of libmicrohttpd in one pass.
enum RequestFields {
    /// The headers of `connection` in arrival order; call only during an access-handler call for it. 512 bytes
    /// hold the usual handful without regrowing.
    static func headers(of connection: OpaquePointer) -> HTTPHeaders {
        var headers = HTTPHeaders(reservingCapacity: 512)
        withUnsafeMutablePointer(to: &headers) { pointer in
            // Safe: MHD calls the iterator synchronously, only during this call, so `pointer` stays valid.
            _ = MHD_get_connection_values_n(connection, .HEADER_KIND, collectHeader, pointer)
        }
        return headers
    }
}

/// MHD_KeyValueIteratorN: appends one header to the `HTTPHeaders` that `cls` points to.
private func collectHeader(
    cls: UnsafeMutableRawPointer?,
    kind: MHD_ValueKind,
    key: UnsafePointer<CChar>?,
    keySize: Int,
    value: UnsafePointer<CChar>?,
    valueSize: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    // Safe: cls is the pointer `headers(of:)` passed, valid while MHD_get_connection_values_n runs.
    let headers = cls.assumingMemoryBound(to: HTTPHeaders.self)
    // Safe: MHD passes key_size and value_size bytes at key and value (value may be NULL), valid during this
    // call; both are copied before it returns.
    headers.pointee.append(
        name: UnsafeRawBufferPointer(start: key, count: keySize),
        value: UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueSize))
    return .YES
}
