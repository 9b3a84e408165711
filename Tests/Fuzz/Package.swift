// swift-tools-version: 6.2
// The libFuzzer harness: its own package, so that `swift build` / `swift test` of the root never
// build it (it is built with sanitizer flags only). Run it with `Tests/Fuzz/run.sh [SECONDS]`.
import PackageDescription

let package = Package(
    name: "PortolanFuzz",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "Portolan", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "PortolanFuzz",
            dependencies: [.product(name: "Portolan", package: "Portolan")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
