@testable import ArenaHTTP

/// Size strings (`"64KiB"`, `1048576`, `ARENA_SERVER_*` sizes): any text either is refused with a message or
/// parses to a non-negative byte count whose `ByteSize.format` parses back to the same count.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSize(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Safe: libFuzzer hands `size` readable bytes at `data` for the duration of the call.
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    switch ByteSize.parse(text: text) {
    case .success(let bytes):
        precondition(bytes >= 0, "\(text) parsed to \(bytes)")
        let formatted = ByteSize.format(bytes)
        guard case .success(let again) = ByteSize.parse(text: formatted), again == bytes else {
            fatalError("\(text) -> \(bytes) -> \(formatted) does not parse back")
        }
    case .failure(let error):
        precondition(!error.got.isEmpty, "an empty 'got' for \(text)")
    }
    // The JSON number form goes through the same digits.
    if let value = try? JSONValue.parse(Array(text.utf8)), case .success(let bytes) = ByteSize.parse(value) {
        precondition(bytes >= 0, "\(text) parsed to \(bytes)")
    }
    return 0
}
