// swift-tools-version: 6.2
import PackageDescription

// Targets follow ../shared/DESIGN.md. `TrafficSynth` (deterministic capture generator for
// `portolan bench` and Benchmarks/) is the one addition: it sits above CaptureFile so the
// benchmark package can generate the same traffic as the CLI.
let package = Package(
    name: "Portolan",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "Portolan", targets: [
            "PacketWire", "CaptureFile", "LiveCapture", "PortCatalog", "FlowAnalysis", "Pipeline", "Reports", "TrafficSynth",
        ]),
        .executable(name: "portolan", targets: ["portolan"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        // Metric types and the text exposition (Reports/Prometheus.swift).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // HTTP for `live --metrics` (MetricsHTTP): NIO's HTTP/1 codec, no hand-written parser.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        // Insecure.SHA1 for the Community ID flow hash (Reports), not a hand-written SHA-1.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"])]
        ),
        // A header only: `__builtin_prefetch` for the reader (Swift has no prefetch intrinsic).
        .systemLibrary(name: "CPrefetch"),
        // The counting SIGINT/SIGTERM/SIGHUP handler of `analyze` and its flag (a volatile load
        // per packet; Swift has no volatile).
        .target(name: "CStop"),
        .target(name: "PacketWire"),
        .target(name: "CaptureFile", dependencies: ["PacketWire", "CZlib", "CZstd", "CPrefetch"]),
        .target(name: "LiveCapture", dependencies: ["PacketWire", "CPcap"]),
        .target(
            name: "PortCatalog",
            dependencies: ["PacketWire", .product(name: "Yams", package: "Yams")],
            // The YAML is the source; BuiltInCatalogs.swift carries it and its parse into the binary.
            exclude: ["Resources"]
        ),
        .target(name: "FlowAnalysis", dependencies: ["PacketWire", "PortCatalog"]),
        // Sources feeding the one packet loop into the analyzer: a mapped file, its byte ranges on
        // several threads, the live session; and the stages `bench` measures.
        .target(name: "Pipeline", dependencies: ["CaptureFile", "LiveCapture", "FlowAnalysis", "PortCatalog", "PacketWire", "CStop"]),
        // Every byte a user reads: report formats, catalog and decode text, the output writer.
        .target(name: "Reports", dependencies: [
            "FlowAnalysis", "PortCatalog", "PacketWire", "CStop", .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // IPFIX (RFC 7011) flow records over UDP: the encoder into a reused buffer, the socket.
        .target(name: "FlowExport", dependencies: ["FlowAnalysis", "PacketWire"]),
        // `live --metrics`: serves the last published exposition on GET /metrics.
        .target(name: "MetricsHTTP", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .target(name: "TrafficSynth", dependencies: ["PacketWire", "CaptureFile"]),
        .executableTarget(
            name: "portolan",
            dependencies: [
                "PacketWire", "CaptureFile", "LiveCapture", "PortCatalog", "FlowAnalysis", "Pipeline", "Reports", "TrafficSynth",
                "FlowExport", "MetricsHTTP", "CStop",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Corpus location and directory listings for the test targets (not a product).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "PacketWireTests", dependencies: ["PacketWire", "CaptureFile", "Reports", "TestSupport"]),
        .testTarget(name: "CaptureFileTests", dependencies: ["CaptureFile", "PacketWire", "TestSupport"]),
        .testTarget(name: "PortCatalogTests", dependencies: ["PortCatalog", "PacketWire", "Reports", "TestSupport"]),
        .testTarget(name: "FlowAnalysisTests", dependencies: ["FlowAnalysis", "PortCatalog", "PacketWire", "CaptureFile", "TestSupport"]),
        // swift-crypto: the oracle for CommunityID's own one-block SHA-1.
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "FlowAnalysis", "PortCatalog", "PacketWire", "CaptureFile", "TestSupport",
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "LiveCaptureTests", dependencies: ["LiveCapture", "PacketWire", "CaptureFile", "FlowAnalysis", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Reports", "FlowAnalysis", "PortCatalog", "CaptureFile", "TestSupport"]),
        .testTarget(name: "PortolanCLITests", dependencies: ["portolan", "TestSupport"], exclude: ["fleet-sql.py"]),
        .testTarget(name: "FlowExportTests", dependencies: ["FlowExport", "FlowAnalysis", "PortCatalog", "PacketWire", "TestSupport"]),
        .testTarget(name: "TrafficSynthTests", dependencies: ["TrafficSynth", "CaptureFile", "PacketWire", "PortCatalog", "FlowAnalysis"]),
    ],
    swiftLanguageModes: [.v6]
)
