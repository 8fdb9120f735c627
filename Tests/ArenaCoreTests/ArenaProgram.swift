import ArenaCore

#if canImport(Glibc)
import Glibc
#endif

// The arena programs the model tests run, and `make fuzz`'s ArenaCore target (Fuzz/) too: this file and
// ArenaModel.swift depend on ArenaCore alone, so the fuzz package compiles them as they are (symbolic links).

/// The two arena types share one engine; most tests run against both.
enum ArenaKind: String, CaseIterable, Sendable {
    case shared
    case local

    var testDescription: String { rawValue == "shared" ? "BumpArena" : "LocalArena" }

    func make(_ policy: ArenaPolicy, trace: TraceRing? = nil) -> any BumpAllocator {
        switch self {
        case .shared: BumpArena(policy: policy, trace: trace)
        case .local: LocalArena(policy: policy, trace: trace)
        }
    }

    /// A ring this kind of arena may write to: single-writer for the local arena (its fast mode), concurrent
    /// writers for the shared one (which refuses a single-writer ring).
    func makeRing(capacity: Int = 1024) -> TraceRing {
        TraceRing(capacity: capacity, singleWriter: self == .local)
    }
}

extension UnsafeMutableRawPointer {
    var address: UInt { UInt(bitPattern: self) }
}

/// One step of a random arena program; `operation` picks what to do, the other numbers parameterise it.
struct ArenaStep: CustomStringConvertible, Sendable {
    var operation: Int
    var size: Int
    var alignmentLog2: Int
    var pick: Int

    var alignment: Int { 1 << alignmentLog2 }

    var description: String { "(\(operation), size \(size), align \(alignment), pick \(pick))" }
}

/// The first difference between the arena and the model, with the step it happened at.
struct ModelMismatch: Error, CustomStringConvertible {
    var step: Int
    var what: String
    var description: String { "step \(step): \(what)" }
}

/// Runs a random program against an arena and `ArenaModel` side by side, checking after every step that the
/// live allocations do not overlap (by address and by logical offset), are aligned, lie inside `[0, used)`,
/// still hold the bytes written into them, that every result, error and the stats equal the model's exactly,
/// that stale and foreign checkpoints throw and change nothing, and that the ring holds the model's events.
struct ArenaProgramRunner {
    struct Live {
        var serial: Int
        var pointer: UnsafeMutableRawPointer
        var byteCount: Int
        var alignment: Int
        var offset: Int
        var content: [UInt8]
    }

    let arena: any BumpAllocator
    let ring: TraceRing
    /// Another arena, whose checkpoints are foreign to `arena`.
    let stranger: any BumpAllocator
    var model: ArenaModel
    var live: [Live] = []
    /// For each model checkpoint: the arena's checkpoint and the allocation serial when it was taken.
    var checkpoints: [(checkpoint: Checkpoint, serial: Int)] = []
    var nextSerial = 0
    var lastSequence: UInt64 = 0
    var step = 0
    /// Steps between two checks of the stats, invariants and events. Each check reads the arena, which folds a
    /// `LocalArena`'s cursor back into its state word; more than 1 lets runs of allocations go through the cursor
    /// alone between two reads.
    let checkingEvery: Int

    init(kind: ArenaKind, policy: ArenaPolicy, checkingEvery: Int = 1) {
        self.checkingEvery = max(1, checkingEvery)
        ring = kind.makeRing(capacity: 256)
        arena = kind.make(policy, trace: ring)
        stranger = kind.make(.fixed(capacity: 64))
        model = ArenaModel(policy: policy, arenaID: arena.id, tracing: true)
    }

    func fail(_ what: String) -> ModelMismatch { ModelMismatch(step: step, what: what) }

    mutating func run(_ program: [ArenaStep]) throws(ModelMismatch) {
        var checkContents = false
        for (index, instruction) in program.enumerated() {
            step = index
            checkContents = try perform(instruction) || checkContents
            guard (index + 1) % checkingEvery == 0 else { continue }
            try checkInvariants(contents: checkContents)
            checkContents = false
        }
        try checkInvariants(contents: true)
    }

    /// Performs one step on both; returns whether memory contents should be checked afterwards.
    mutating func perform(_ s: ArenaStep) throws(ModelMismatch) -> Bool {
        switch s.operation {
        case 0..<45:
            let size = s.pick % 3 == 0 ? s.size % 64 : s.size
            try allocate(byteCount: size, alignment: s.alignment, pointerOnly: s.pick % 5 == 0)
            return false
        case 45..<50:
            try allocate(byteCount: 0, alignment: s.alignment, pointerOnly: s.pick % 2 == 0)
            return false
        case 50..<58:
            try copy(s)
            return false
        case 58..<72:
            takeCheckpoint()
            return false
        case 72..<88:
            if s.pick % 10 == 0 {
                try rewindToForeignCheckpoint()
            } else if checkpoints.isEmpty {
                takeCheckpoint()
            } else {
                try rewind(toMark: s.pick % checkpoints.count)
            }
            return true
        case 88..<93:
            let released = arena.reset()
            let expected = model.reset()
            guard released == expected else { throw fail("reset released \(released), model \(expected)") }
            live.removeAll()
            return true
        default:
            arena.isTracing.toggle()
            model.tracing.toggle()
            guard arena.isTracing == model.tracing else { throw fail("isTracing did not toggle") }
            return false
        }
    }

    mutating func allocate(byteCount: Int, alignment: Int, pointerOnly: Bool) throws(ModelMismatch) {
        let expected = model.allocate(byteCount: byteCount, alignment: alignment)
        do {
            let pointer: UnsafeMutableRawPointer
            if pointerOnly {
                pointer = try arena.allocate(byteCount: byteCount, alignment: alignment)
            } else {
                let allocation = try arena.allocation(byteCount: byteCount, alignment: alignment)
                pointer = allocation.pointer
                let placement = ArenaModel.Placement(offset: allocation.offset, padding: allocation.padding)
                guard allocation.byteCount == byteCount, allocation.generation == model.generation,
                    case .success(placement) = expected
                else { throw fail("allocate(\(byteCount), \(alignment)) gave \(allocation), model \(expected)") }
            }
            guard case .success(let placement) = expected else {
                throw fail("allocate(\(byteCount), \(alignment)) succeeded, model \(expected)")
            }
            let pattern = UInt8(truncatingIfNeeded: nextSerial % 251 + 1)
            pointer.initializeMemory(as: UInt8.self, repeating: pattern, count: byteCount)
            addLive(
                pointer: pointer, byteCount: byteCount, alignment: alignment, offset: placement.offset,
                content: [UInt8](repeating: pattern, count: byteCount))
        } catch let error as ArenaError {
            guard case .failure(error) = expected else {
                throw fail("allocate(\(byteCount), \(alignment)) threw \(error), model \(expected)")
            }
        } catch let mismatch as ModelMismatch {
            throw mismatch
        } catch {
            throw fail("unexpected error \(error)")
        }
    }

    mutating func copy(_ s: ArenaStep) throws(ModelMismatch) {
        let content: [UInt8]
        let alignment: Int
        let result: Result<UnsafeMutableRawBufferPointer, ArenaError>
        switch s.pick % 3 {
        case 0:
            let values = (0..<(s.size / 64)).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(s.pick) }
            content = values.withUnsafeBytes { Array($0) }
            alignment = MemoryLayout<UInt64>.alignment
            result = Result { () throws(ArenaError) in UnsafeMutableRawBufferPointer(try arena.copy(values)) }
        case 1:
            let string = String(repeating: ["é", "x", "日", "🚀"][s.pick % 4], count: s.size / 128)
            content = Array(string.utf8)
            alignment = 1
            result = Result { () throws(ArenaError) in try arena.copy(string).memory }
        default:
            content = (0..<(s.size / 8)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ s.pick) }
            alignment = s.alignment
            result = content.withUnsafeBytes { bytes in
                Result { () throws(ArenaError) in try arena.copy(bytes: bytes, alignment: alignment) }
            }
        }
        let expected = model.allocate(byteCount: content.count, alignment: alignment)
        switch (result, expected) {
        case (.success(let buffer), .success(let placement)):
            guard buffer.count == content.count, Array(buffer) == content else {
                throw fail("copy of \(content.count) bytes holds other bytes")
            }
            addLive(
                pointer: buffer.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!,
                byteCount: content.count, alignment: alignment, offset: placement.offset, content: content)
        case (.failure(let error), .failure(let modelError)) where error == modelError:
            break
        default:
            throw fail("copy of \(content.count) bytes aligned to \(alignment): \(result), model \(expected)")
        }
    }

    mutating func addLive(
        pointer: UnsafeMutableRawPointer, byteCount: Int, alignment: Int, offset: Int,
        content: [UInt8]
    ) {
        live.append(
            Live(
                serial: nextSerial, pointer: pointer, byteCount: byteCount, alignment: alignment,
                offset: offset, content: content))
        nextSerial += 1
    }

    mutating func takeCheckpoint() {
        let checkpoint = arena.checkpoint()
        let index = model.checkpoint()
        assert(index == checkpoints.count)
        checkpoints.append((checkpoint, nextSerial))
    }

    mutating func rewind(toMark index: Int) throws(ModelMismatch) {
        let before = arena.stats
        let expected = model.rewind(toMark: index)
        let (checkpoint, serial) = checkpoints[index]
        let mark = model.marks[index]
        guard checkpoint.offset == mark.offset, checkpoint.generation == mark.generation,
            checkpoint.arenaID == arena.id
        else { throw fail("checkpoint \(checkpoint) does not match the model's \(mark)") }
        let result = Result { () throws(ArenaError) in try arena.rewind(to: checkpoint) }
        switch (result, expected) {
        case (.success(let released), .success(let modelReleased)) where released == modelReleased:
            live.removeAll { $0.serial >= serial }
        case (.failure(let error), .failure(let modelError)) where error == modelError:
            guard arena.stats == before else { throw fail("a stale rewind changed the stats") }
        default:
            throw fail("rewind to checkpoint \(index) (\(checkpoint)): \(result), model \(expected)")
        }
    }

    mutating func rewindToForeignCheckpoint() throws(ModelMismatch) {
        let before = arena.stats
        let foreign = stranger.checkpoint()
        do {
            try arena.rewind(to: foreign)
            throw fail("a foreign checkpoint was accepted")
        } catch let error as ArenaError {
            guard error == model.foreignCheckpointError(foreign) else { throw fail("foreign rewind: \(error)") }
        } catch let mismatch as ModelMismatch {
            throw mismatch
        } catch {
            throw fail("unexpected error \(error)")
        }
        guard arena.stats == before else { throw fail("a foreign rewind changed the stats") }
    }

    mutating func checkInvariants(contents: Bool) throws(ModelMismatch) {
        // The engine's own invariants first (chunk order, offsets, ledger, rewind floor): traps on a violation.
        arena._checkInvariants()
        let stats = arena.stats
        let expected = model.stats
        guard stats == expected else { throw fail("stats\n  arena \(stats)\n  model \(expected)") }
        guard arena.generation == model.generation else { throw fail("generation") }
        let used = stats.used
        for block in live {
            guard block.pointer.address % UInt(block.alignment) == 0 else {
                throw fail("allocation \(block.serial) is not aligned to \(block.alignment)")
            }
            guard block.offset >= 0, block.offset + block.byteCount <= used else {
                throw fail("allocation \(block.serial) at \(block.offset) (+\(block.byteCount)) is outside 0..<\(used)")
            }
        }
        let byAddress = live.filter { $0.byteCount > 0 }.sorted { $0.pointer < $1.pointer }
        for (a, b) in zip(byAddress, byAddress.dropFirst()) where a.pointer + a.byteCount > b.pointer {
            throw fail("allocations \(a.serial) and \(b.serial) overlap in memory")
        }
        let byOffset = live.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(byOffset, byOffset.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw fail("allocations \(a.serial) and \(b.serial) overlap in logical offsets")
        }
        if contents {
            for block in live where block.byteCount > 0 {
                let same = block.content.withUnsafeBytes { memcmp(block.pointer, $0.baseAddress!, block.byteCount) }
                guard same == 0 else { throw fail("allocation \(block.serial) lost its bytes") }
            }
        }
        let batch = ring.events(after: lastSequence)
        let texts = batch.map { "\($0)" }
        guard batch.missed == 0, texts == model.pendingEvents else {
            throw fail("events \(texts) (missed \(batch.missed)), model \(model.pendingEvents)")
        }
        guard batch.allSatisfy({ $0.arenaID == arena.id }) else { throw fail("event of another arena") }
        lastSequence = batch.next
        model.pendingEvents.removeAll()
    }
}

extension ArenaString {
    /// The UTF-8 bytes, read through `withUTF8`'s span.
    var bytes: [UInt8] { withUTF8 { span in span.withUnsafeBufferPointer { Array($0) } } }

    /// The arena memory the string occupies, for tests that check it against other live allocations. The
    /// pointer leaves the closure on purpose: the bytes are the arena's, valid until a reset or rewind.
    var memory: UnsafeMutableRawBufferPointer {
        withUTF8 { span in span.withUnsafeBytes { UnsafeMutableRawBufferPointer(mutating: $0) } }
    }
}
