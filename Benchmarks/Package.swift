// swift-tools-version:6.1
import PackageDescription

import struct Foundation.URL

// The benchmarks are their own package so that the root build stays light: ordo-one/benchmark and its
// dependencies (malloc interposer, histogram, argument parser, ...) are only built by `make bench`.
//
// A path dependency is identified by its folder's name, which differs between checkouts (/work/main, a CI
// clone, a worktree), so the root package's identity is derived from where this manifest lives.
let rootName = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .lastPathComponent

let package = Package(
    name: "ArenaBenchmarks",
    dependencies: [
        // The MallocInterposer trait gives the malloc metrics (mallocCountTotal, ...) on Linux with Swift 6.3.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(path: ".."),
    ],
    targets: [
        // The C references the library ratios are taken against (inline bump, glibc malloc + free).
        .target(name: "CReference", path: "CReference", cSettings: [.unsafeFlags(["-O2"])]),
        .executableTarget(
            name: "ArenaBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ArenaCore", package: rootName),
                "CReference",
            ],
            path: "ArenaBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
        // The benchmarks' measured loops, one function each, for callgrind's instruction counts
        // (scripts/bench-callgrind.sh). Outside the folders the benchmark plugin runs (their parent is not
        // `Benchmarks`), and without the benchmark harness or its malloc interposer.
        .executableTarget(
            name: "InstructionCounts",
            dependencies: [
                .product(name: "ArenaCore", package: rootName),
                "CReference",
            ],
            path: "Tools/InstructionCounts"
        ),
    ],
    swiftLanguageModes: [.v6]
)
