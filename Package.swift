// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "Watershed",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "watershed", targets: ["watershed"]),
        .library(name: "WatershedCore", targets: ["WatershedCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // Domain types and pure rules: river network, travel time, drift, planner, obligations. No I/O, no clock.
        .target(name: "WatershedCore"),
        // Request/response bodies and stream frames shared by server, clients and peers.
        .target(name: "WatershedWire", dependencies: ["WatershedCore"]),
        // Reads playbook and seed YAML into Core types; every problem carries file:line:column and field.
        .target(
            name: "WatershedPlaybooks",
            dependencies: ["WatershedCore", .product(name: "Yams", package: "Yams")]
        ),
        // The event log with its hash chain, projections and migrations (GRDB over SQLite, WAL).
        .target(
            name: "WatershedStore",
            dependencies: [
                "WatershedCore", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The `watershed` command tree as a library, so commands can be tested.
        .target(
            name: "WatershedCLI",
            dependencies: [
                "WatershedCore", "WatershedWire", "WatershedPlaybooks", "WatershedStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The executable: a few lines that run the command tree.
        .executableTarget(name: "watershed", dependencies: ["WatershedCLI"]),
        // Planner and loader benchmarks (median, p99); results go to Benchmarks/results/.
        .executableTarget(
            name: "watershed-bench",
            dependencies: ["WatershedCore", "WatershedPlaybooks"],
            path: "Benchmarks/Sources/watershed-bench"
        ),
        // Event log benchmark: durable appends per second from 64 writers, group commit vs one transaction per event.
        .executableTarget(
            name: "watershed-store-bench", dependencies: ["WatershedStore"],
            path: "Benchmarks/Sources/watershed-store-bench"
        ),
        // Fixtures shared by tests: the repository's playbooks folder, scratch copies, hand-made networks.
        .target(name: "WatershedTestSupport", dependencies: ["WatershedCore", "WatershedPlaybooks"]),
        // Pure rules, table-driven, with values worked out by hand.
        .testTarget(name: "WatershedCoreTests", dependencies: ["WatershedCore"]),
        // Wire bodies round-trip as JSON.
        .testTarget(name: "WatershedWireTests", dependencies: ["WatershedWire"]),
        // Every playbook in playbooks/ loads; broken copies report file:line:column per problem.
        .testTarget(
            name: "WatershedPlaybooksTests",
            dependencies: ["WatershedPlaybooks", "WatershedCLI", "WatershedTestSupport"]
        ),
        // The log on a real SQLite file: gapless seqs, the hash chain, group commit, synchronous = FULL.
        .testTarget(name: "WatershedStoreTests", dependencies: ["WatershedStore"]),
        // Commands run in-process: exit codes, messages and the offline planner's output.
        .testTarget(
            name: "WatershedCLITests",
            dependencies: ["WatershedCLI", "WatershedTestSupport"]
        ),
    ]
)
