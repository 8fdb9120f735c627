import CHTTPD

/// The headers and query parameters of a request, copied out of libmicrohttpd in one pass.
struct RequestFields {
    /// Request headers in arrival order. 512 bytes hold the usual handful without regrowing.
    var headers = HTTPHeaders(reservingCapacity: 512)
    /// Decoded query parameters.
    var query: [String: String] = [:]

    /// Copies the fields of `connection`; call only during an access-handler call for it.
    init(connection: OpaquePointer) {
        // Two passes: MHD_ValueKind is imported as a closed Swift enum, so the two kinds cannot be or-ed into one
        // mask. Each pass walks the same short list of fields.
        withUnsafeMutablePointer(to: &self) { fields in
            // Safe: MHD calls the iterator synchronously, only during these calls, so `fields` stays valid.
            _ = MHD_get_connection_values_n(connection, .HEADER_KIND, collectRequestField, fields)
            _ = MHD_get_connection_values_n(connection, .GET_ARGUMENT_KIND, collectRequestField, fields)
        }
    }
}

/// MHD_KeyValueIteratorN: adds one header or query parameter to the `RequestFields` that `cls` points to.
private func collectRequestField(
    cls: UnsafeMutableRawPointer?,
    kind: MHD_ValueKind,
    key: UnsafePointer<CChar>?,
    keySize: Int,
    value: UnsafePointer<CChar>?,
    valueSize: Int
) -> MHD_Result {
    guard let cls, let key else { return .YES }
    // Safe: cls is the pointer RequestFields.init passed, valid while MHD_get_connection_values_n runs.
    let fields = cls.assumingMemoryBound(to: RequestFields.self)
    // Safe: MHD passes key_size and value_size bytes at key and value (value may be NULL for "?flag"), valid
    // during this call; both are copied before it returns.
    let nameBytes = UnsafeRawBufferPointer(start: key, count: keySize)
    let valueBytes = UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueSize)
    if kind == .HEADER_KIND {
        fields.pointee.headers.append(name: nameBytes, value: valueBytes)
    } else {
        fields.pointee.query[String(decoding: nameBytes, as: UTF8.self)] = String(decoding: valueBytes, as: UTF8.self)
    }
    return .YES
}

extension HTTPRequest {
    /// Assembles a request from what the server collected.
    init(method: HTTPMethod, path: String, fields: RequestFields, body: [UInt8]) {
        self.init(method: method, path: path, query: fields.query, headers: fields.headers, body: body)
    }
}
