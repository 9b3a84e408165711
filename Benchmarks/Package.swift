// swift-tools-version: 6.2
// The benchmark harness: its own package, so `swift build` / `swift test` of the root never
// builds it. Run from this directory:
//   swift package benchmark                       (all benchmarks)
//   swift package benchmark thresholds check      (allocation thresholds in Thresholds/)
import PackageDescription

let package = Package(
    name: "PortolanBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Portolan", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "BenchSupport",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Portolan", package: "Portolan"),
            ],
            path: "Support"
        ),
    ] + ["Capture", "Catalog", "Flows"].map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "BenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Portolan", package: "Portolan"),
            ],
            path: "Benchmarks/\(name)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    },
    swiftLanguageModes: [.v6]
)
