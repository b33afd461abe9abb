// swift-tools-version: 6.2
// Coverage-guided fuzz targets (libFuzzer) for the parsers that read what a client, a neighbour or a planner sends:
// the CAP parser, the report decoder and the playbook loader. A package of its own, so that the main `swift build` and
// `swift test` never see it; built only with `-sanitize=fuzzer` by `Fuzz/run.sh` (docs/fuzzing.md).
import PackageDescription

let package = Package(
    name: "WatershedFuzz",
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2")
    ],
    targets: [
        // The library targets under test: Sources/<name> are links to the main package's own sources, not copies.
        .target(name: "WatershedCore"),
        .target(name: "WatershedCAP", dependencies: ["WatershedCore"]),
        .target(
            name: "WatershedPlaybooks",
            dependencies: ["WatershedCore", .product(name: "Yams", package: "Yams")]
        ),
        // libFuzzer's driver, started from each executable's own `main`.
        .target(name: "FuzzDriver"),
        // `CAPAlert(xml:)` on the input bytes.
        .executableTarget(name: "fuzz-cap", dependencies: ["WatershedCAP", "FuzzDriver"]),
        // The server's report decoding: JSON with its date strategy into `InitialReport` and `FollowUpReport`.
        .executableTarget(name: "fuzz-report", dependencies: ["WatershedCore", "FuzzDriver"]),
        // `PlaybookLoader.decodeFile` on one file's bytes.
        .executableTarget(name: "fuzz-playbook", dependencies: ["WatershedPlaybooks", "FuzzDriver"]),
    ]
)
