// swift-tools-version:6.1
import PackageDescription

// The root package stays light: the allocator library, the daemon and their tests.
// Benchmarks live in their own package under Benchmarks/ (ordo-one/benchmark doubles a clean build).
let package = Package(
    name: "arena-server",
    products: [
        .library(name: "ArenaCore", targets: ["ArenaCore"]),
        .executable(name: "arena-server", targets: ["ArenaServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .target(name: "ArenaCore"),
        .systemLibrary(
            name: "CHTTPD",
            pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]
        ),
        .executableTarget(
            name: "ArenaServer",
            dependencies: [
                "ArenaCore",
                "CHTTPD",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            resources: []
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
            dependencies: ["ArenaServer", "ArenaCore"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
