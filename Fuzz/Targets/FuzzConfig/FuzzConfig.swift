import ArenaHTTP

/// The configuration file (`--config`, `Configuration.parse(json:source:)`): any bytes either load or are refused
/// with a `ConfigurationError` that says where and why (a key path and a reason); never a trap (an overflow in a
/// size or a budget sum, an index out of range in a key path).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Safe: libFuzzer hands `size` readable bytes at `data` for the duration of the call.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let configuration = try Configuration.parse(json: bytes, source: "fuzz.json")
        precondition(configuration.limits.maxArenas >= 0, "negative max_arenas loaded")
    } catch {
        precondition(!error.keyPath.isEmpty && !error.reason.isEmpty, "a configuration error without a place: \(error)")
    }
    return 0
}
