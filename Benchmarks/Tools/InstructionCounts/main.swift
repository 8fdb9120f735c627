import ArenaCore
import CReference

#if canImport(Glibc)
import Glibc
#endif

// Instruction counts per allocation, for `valgrind --tool=callgrind` (scripts/bench-callgrind.sh): wall-clock
// times on a shared 2-core machine move by tens of percent, instruction counts do not.
//
// `InstructionCounts KERNEL ROUNDS` runs ROUNDS rounds of one kernel; a kernel is one `@inline(never)` function,
// `kernel_<name>`, whose loop is the measured loop of the package-benchmark benchmark of the same name (1000
// operations, the same literal sizes, the checksum). The arena is reset between rounds, outside the kernel, so
// `callgrind --toggle-collect='*kernel_<name>*'` counts exactly the measured loop: Ir / (ROUNDS * 1000) is the
// instruction count of one operation.

let operations = 1_000
let capacity = 1 << 20
let ringCapacity = 4_096

@inline(never) func kernel_LocalArena_alloc16(_ arena: LocalArena) -> UInt {
    var checksum: UInt = 0
    for _ in 0..<operations { checksum ^= UInt(bitPattern: try! arena.allocate(byteCount: 16, alignment: 8)) }
    return checksum
}

@inline(never) func kernel_LocalArena_alloc16_traced(_ arena: LocalArena) -> UInt {
    var checksum: UInt = 0
    for _ in 0..<operations { checksum ^= UInt(bitPattern: try! arena.allocate(byteCount: 16, alignment: 8)) }
    return checksum
}

@inline(never) func kernel_BumpArena_alloc16(_ arena: BumpArena) -> UInt {
    var checksum: UInt = 0
    for _ in 0..<operations { checksum ^= UInt(bitPattern: try! arena.allocate(byteCount: 16, alignment: 8)) }
    return checksum
}

@inline(never) func kernel_BumpArena_alloc16_traced(_ arena: BumpArena) -> UInt {
    var checksum: UInt = 0
    for _ in 0..<operations { checksum ^= UInt(bitPattern: try! arena.allocate(byteCount: 16, alignment: 8)) }
    return checksum
}

@inline(never) func kernel_Baseline_malloc16() -> UInt {
    var checksum: UInt = 0
    for _ in 0..<operations {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 8)
        checksum ^= UInt(bitPattern: pointer)
        pointer.deallocate()
    }
    return checksum
}

@inline(never) func kernel_Baseline_cBump16(_ buffer: UnsafeMutableRawPointer) -> UInt {
    creference_bump16(buffer.assumingMemoryBound(to: UInt8.self), capacity, Int32(operations))
}

@inline(never) func kernel_Baseline_cAtomicBump16(
    _ buffer: UnsafeMutableRawPointer, _ offset: UnsafeMutablePointer<Int>
)
    -> UInt
{
    creference_atomic_bump16(buffer.assumingMemoryBound(to: UInt8.self), capacity, offset, Int32(operations))
}

@inline(never) func kernel_Baseline_cMalloc16() -> UInt {
    creference_malloc16(Int32(operations))
}

let arguments = CommandLine.arguments
guard arguments.count == 3, let rounds = Int(arguments[2]), rounds > 0 else {
    print("usage: InstructionCounts KERNEL ROUNDS")
    exit(2)
}
var checksum: UInt = 0
switch arguments[1] {
case "LocalArena.alloc16":
    let arena = LocalArena(policy: .fixed(capacity: capacity))
    for _ in 0..<rounds {
        arena.reset()
        checksum ^= kernel_LocalArena_alloc16(arena)
    }
case "LocalArena.alloc16.traced", "LocalArena.alloc16.traced.nosite":
    let ring = TraceRing(capacity: ringCapacity, singleWriter: true, recordsSites: !arguments[1].hasSuffix("nosite"))
    let arena = LocalArena(policy: .fixed(capacity: capacity), trace: ring)
    for _ in 0..<rounds {
        arena.reset()
        checksum ^= kernel_LocalArena_alloc16_traced(arena)
    }
case "BumpArena.alloc16":
    let arena = BumpArena(policy: .fixed(capacity: capacity))
    for _ in 0..<rounds {
        arena.reset()
        checksum ^= kernel_BumpArena_alloc16(arena)
    }
case "BumpArena.alloc16.traced", "BumpArena.alloc16.traced.nosite":
    let ring = TraceRing(capacity: ringCapacity, recordsSites: !arguments[1].hasSuffix("nosite"))
    let arena = BumpArena(policy: .fixed(capacity: capacity), trace: ring)
    for _ in 0..<rounds {
        arena.reset()
        checksum ^= kernel_BumpArena_alloc16_traced(arena)
    }
case "Baseline.malloc16":
    for _ in 0..<rounds { checksum ^= kernel_Baseline_malloc16() }
case "Baseline.cBump16":
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
    for _ in 0..<rounds { checksum ^= kernel_Baseline_cBump16(buffer) }
case "Baseline.cAtomicBump16":
    let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 4096)
    let offset = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    for _ in 0..<rounds {
        offset.pointee = 0
        checksum ^= kernel_Baseline_cAtomicBump16(buffer, offset)
    }
case "Baseline.cMalloc16":
    for _ in 0..<rounds { checksum ^= kernel_Baseline_cMalloc16() }
default:
    print("unknown kernel \(arguments[1])")
    exit(2)
}
print("checksum \(checksum)")
