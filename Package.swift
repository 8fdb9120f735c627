// swift-tools-version:6.1
import PackageDescription

// The root package stays light: the allocator library, the server library, the daemon and their tests.
// Benchmarks live in their own package under Benchmarks/ (ordo-one/benchmark doubles a clean build).
let package = Package(
    name: "arena-server",
    products: [
        .library(name: "ArenaCore", targets: ["ArenaCore"]),
        .library(name: "ArenaHTTP", targets: ["ArenaHTTP"]),
        .executable(name: "arena-server", targets: ["ArenaServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        // `swift package generate-documentation --target ArenaCore` (`make docs`); a plugin, so it adds nothing
        // to what a build of the library compiles.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // AddressSanitizer poisoning of released arena memory; empty unless ASan builds define
        // ARENA_SANITIZE_ADDRESS (see its shim.h).
        .systemLibrary(name: "CArenaSanitizer"),
        .target(name: "ArenaCore", dependencies: ["CArenaSanitizer"]),
        .systemLibrary(
            name: "CHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The server as a library: HTTP on libmicrohttpd, the JSON API, metrics, streams, dashboard, configuration.
        .target(
            name: "ArenaHTTP",
            dependencies: ["ArenaCore", "CHTTPD", "CZlib", .product(name: "Logging", package: "swift-log")]
        ),
        // The daemon: flags, signals, start.
        .executableTarget(
            name: "ArenaServer",
            dependencies: [
                "ArenaHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ArenaCoreTests",
            dependencies: [
                "ArenaCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ArenaServerTests",
            dependencies: ["ArenaHTTP", "ArenaCore", .product(name: "Logging", package: "swift-log")]
        ),
        // A program that embeds the server around its own registry, through the public API only.
        .testTarget(
            name: "EmbeddingTests",
            dependencies: ["ArenaHTTP", "ArenaCore", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
