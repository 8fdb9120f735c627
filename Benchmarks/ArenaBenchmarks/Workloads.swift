/// The fixed inputs the benchmarks read in their measured loops, allocated once at registration so that the
/// loops themselves touch no array (no bounds checks, no retain/release, no allocation).
enum Workloads {
    /// Allocations per benchmark iteration; equals the benchmarks' `scalingFactor` (`.kilo`), so the reported
    /// wall-clock time is per allocation.
    static let operationsPerIteration = 1_000

    /// One mixed request.
    struct Request {
        var byteCount: Int
        var alignment: Int
    }

    /// `operationsPerIteration` requests with sizes in 1...256 and alignments in {1, 2, 4, 8, 16, 32, 64}, drawn
    /// from a fixed xorshift seed so every run (and every arena) sees the same sequence.
    /// Worst case per iteration: 1000 * (256 + 63) bytes, about 312 KiB, well inside `arenaCapacity`.
    // nonisolated(unsafe): written once by the lazy initializer, only read afterwards.
    nonisolated(unsafe) static let mixed: UnsafeBufferPointer<Request> = {
        let requests = UnsafeMutableBufferPointer<Request>.allocate(capacity: operationsPerIteration)
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in requests.indices {
            seed ^= seed << 13
            seed ^= seed >> 7
            seed ^= seed << 17
            let byteCount = Int(seed % 256) + 1
            let alignment = 1 << Int((seed >> 32) % 7)
            requests.initializeElement(at: index, to: Request(byteCount: byteCount, alignment: alignment))
        }
        return UnsafeBufferPointer(requests)  // Lives for the whole process, never freed.
    }()

    /// The 64 bytes the copy benchmarks copy, as raw memory.
    // nonisolated(unsafe): written once by the lazy initializer, only read afterwards.
    nonisolated(unsafe) static let payloadBytes: UnsafeRawBufferPointer = {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 37) }
        return UnsafeRawBufferPointer(bytes)  // Lives for the whole process, never freed.
    }()

    /// The same 64 bytes as an array (for the generic `copy(_:)`).
    static let payloadArray: [UInt8] = Array(payloadBytes)

    /// Big enough for one iteration of any benchmark; the arenas are reset before each iteration.
    static let arenaCapacity = 1 << 20

    /// Large enough that the ring's slots stay in cache-sized steady state and wrap many times per run.
    static let ringCapacity = 4_096
}
