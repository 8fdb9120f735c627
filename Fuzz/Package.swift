// swift-tools-version:6.1
import Foundation
import PackageDescription

// libFuzzer targets (`make fuzz`, scripts/fuzz.sh): each is an executable whose only entry point is
// `LLVMFuzzerTestOneInput`, built by scripts/fuzz.sh with `swift build --sanitize=fuzzer --sanitize=address` and
// explicit coverage flags, which links libFuzzer's own `main`. A package of its own, so that neither a normal
// build nor `swift test` of the root package sees them.
// They reach the server's internals through `@testable import` (debug builds are testable).

// A path dependency's identity is its folder's name, whatever the folder is called (a clone into `ci/` is
// package "ci"), so the products are looked up under the name this checkout actually has.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let rootPackage = root.lastPathComponent.lowercased()

func fuzzTarget(_ name: String, _ products: [String]) -> Target {
    .executableTarget(
        name: name,
        dependencies: products.map { .product(name: $0, package: rootPackage) },
        path: "Targets/\(name)"
    )
}

let package = Package(
    name: "ArenaFuzz",
    dependencies: [.package(path: "..")],
    targets: [
        fuzzTarget("FuzzRequest", ["ArenaHTTP", "ArenaCore"]),
        fuzzTarget("FuzzTarget", ["ArenaHTTP", "ArenaCore"]),
        fuzzTarget("FuzzJSON", ["ArenaHTTP"]),
        fuzzTarget("FuzzSize", ["ArenaHTTP"]),
        fuzzTarget("FuzzConfig", ["ArenaHTTP"]),
        fuzzTarget("FuzzArena", ["ArenaCore"]),
    ],
    swiftLanguageModes: [.v6]
)
