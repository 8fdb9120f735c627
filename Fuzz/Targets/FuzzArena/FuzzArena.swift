import ArenaCore

/// ArenaCore driven by a fuzz-chosen program, checked step by step against `ArenaModel` (the model tests'
/// runner, `Tests/ArenaCoreTests/ArenaProgram.swift`, linked here): the first byte picks the arena type, the next
/// four its policy, then every 6 bytes are one step (operation, size, alignment, pick). Any disagreement traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArena(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    // Safe: libFuzzer hands `size` readable bytes at `data` for the duration of the call.
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard bytes.count >= 5 else { return 0 }
    let kind: ArenaKind = bytes[0] & 1 == 0 ? .local : .shared
    let first = 1 + (Int(bytes[1]) << 8 | Int(bytes[2])) % 8192
    let extra = (Int(bytes[3]) << 8 | Int(bytes[4])) * 2
    let policy: ArenaPolicy =
        bytes[0] & 2 == 0 ? .fixed(capacity: first) : .growing(initialChunk: first, limit: first + extra)
    var program: [ArenaStep] = []
    var index = 5
    while index + 6 <= bytes.count, program.count < 512 {
        let b = bytes[index..<index + 6].map(Int.init)
        program.append(
            ArenaStep(
                operation: b[0] % 100, size: (b[1] << 8 | b[2]) % 4097, alignmentLog2: b[3] % 13,
                pick: b[4] << 8 | b[5]))
        index += 6
    }
    var runner = ArenaProgramRunner(kind: kind, policy: policy)
    do throws(ModelMismatch) {
        try runner.run(program)
    } catch {
        fatalError("arena disagrees with the model: \(error)\n\(policy), program \(program)")
    }
    return 0
}
