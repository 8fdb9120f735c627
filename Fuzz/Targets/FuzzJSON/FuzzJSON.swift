@testable import ArenaHTTP

/// The JSON reader of request bodies and the configuration file (`JSONValue.parse`): any input either is refused
/// with a `JSONSyntaxError` or parses to a value that, written back out (strings through `JSONWriter.quoted`,
/// the writer of every response), parses to the same value. Traps on a crash or a round trip that differs.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Safe: libFuzzer hands `size` readable bytes at `data` for the duration of the call.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let value = try? JSONValue.parse(bytes) else { return 0 }
    let written = Array(render(value).utf8)
    let again: JSONValue
    do {
        again = try JSONValue.parse(written)
    } catch {
        fatalError("our own rendering of \(value) does not parse: \(error)")
    }
    precondition(again == value, "round trip changed \(value) into \(again)")
    return 0
}

func render(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool(let flag): flag ? "true" : "false"
    case .number(let literal): literal
    case .string(let text): JSONWriter.quoted(text)
    case .array(let items): "[" + items.map(render).joined(separator: ",") + "]"
    case .object(let members):
        "{" + members.map { JSONWriter.quoted($0.key) + ":" + render($0.value) }.joined(separator: ",") + "}"
    }
}
