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
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        // The event log on PostgreSQL for several nodes (issue 18): the same interface as the SQLite log, through
        // PostgresNIO, with the head-row lock, LISTEN/NOTIFY fan-out and the primary found among several hosts.
        .target(
            name: "WatershedPostgres",
            dependencies: [
                "WatershedCore", "WatershedStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // CAP 1.2 (OASIS): the alert model, its XML writer and parser (unknown elements and <Signature> kept
        // verbatim), incidents mapped to CAP messages, and the Atom feed. Pure: no I/O.
        .target(name: "WatershedCAP", dependencies: ["WatershedCore"]),
        // Federation: the peer link and peer port (mutual TLS, the feed protocol), CAP 1.2 ingest with its held
        // messages, and the peer watch — on Core's decisions through a narrow interface to the incidents
        // (`FederatedIncidents`) and the store's federation tables.
        .target(
            name: "WatershedFederation",
            dependencies: [
                "WatershedCore", "WatershedWire", "WatershedPlaybooks", "WatershedStore", "WatershedCAP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Hummingbird application: HTTPS API, WSS push, auth, TLS, development certificates and the browser console.
        .target(
            name: "WatershedServer",
            dependencies: [
                "WatershedCore", "WatershedWire", "WatershedPlaybooks", "WatershedStore",
                "WatershedCAP", "WatershedFederation", "WatershedPostgres",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The duty-officer console (HTML, CSS, JavaScript modules), served at `/`, and the API's OpenAPI 3.1
            // description, served at `/v1/openapi.json`.
            resources: [.copy("Console"), .copy("OpenAPI")]
        ),
        // A typed client for a server's HTTP API and live stream (resuming by itself), for the CLI, drills and tests.
        .target(
            name: "WatershedClient",
            dependencies: [
                "WatershedCore", "WatershedWire",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The `watershed` command tree as a library, so commands can be tested.
        .target(
            name: "WatershedCLI",
            dependencies: [
                "WatershedCore", "WatershedWire", "WatershedPlaybooks", "WatershedStore", "WatershedServer",
                "WatershedFederation", "WatershedClient", "WatershedPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
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
        // Both log backends in one run: durable appends/s on SQLite and PostgreSQL, and PostgreSQL's node-to-node
        // commit latency (issue 18).
        .executableTarget(
            name: "watershed-backends-bench",
            dependencies: [
                "WatershedCore", "WatershedStore", "WatershedPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/watershed-backends-bench"
        ),
        // Live stream latency: committed → received p50/p99 with N subscribers over TLS against an in-process server.
        .executableTarget(
            name: "watershed-push-bench",
            dependencies: [
                "WatershedServer", "WatershedStore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/Sources/watershed-push-bench"
        ),
        // Federation: filed in Guangxi → on a Guangdong stream subscriber (two server processes, mutual TLS), and the
        // catch-up of a queued outbox after an outage.
        .executableTarget(
            name: "watershed-federation-bench",
            dependencies: [
                "WatershedClient", "WatershedServer", "WatershedCore", "WatershedWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Benchmarks/Sources/watershed-federation-bench"
        ),
        // Load generator (issue 7): N TLS WebSocket subscribers, publishes at a rate, delivery latency, memory per
        // connection; speaks Watershed's stream and the NATS protocol with the same client code (Benchmarks/run.sh).
        .executableTarget(
            name: "watershed-load",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Benchmarks/Sources/watershed-load"
        ),
        // Deadline scheduler: idle CPU with 10,000 open tasks, time to fire 1,000 deadlines due at one instant.
        .executableTarget(
            name: "watershed-scheduler-bench",
            dependencies: [
                "WatershedServer", "WatershedFederation", "WatershedStore", "WatershedPlaybooks",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Sources/watershed-scheduler-bench"
        ),
        // Start-up: the time to read a log of 100,000 events and fold every incident (issue 16).
        .executableTarget(
            name: "watershed-startup-bench",
            dependencies: ["WatershedServer", "WatershedStore", "WatershedPlaybooks", "WatershedCore"],
            path: "Benchmarks/Sources/watershed-startup-bench"
        ),
        // Fixtures shared by tests: the repository's playbooks folder, scratch copies, hand-made networks.
        .target(
            name: "WatershedTestSupport",
            dependencies: [
                "WatershedCore", "WatershedPlaybooks", "WatershedPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
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
        .testTarget(
            name: "WatershedStoreTests",
            dependencies: ["WatershedStore", "WatershedTestSupport", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        // The log interface's contract on both backends (SQLite always; PostgreSQL when WATERSHED_TEST_POSTGRES names
        // a cluster), and what only PostgreSQL has: several nodes, a transaction held open, durability forced on.
        .testTarget(
            name: "WatershedPostgresTests",
            dependencies: [
                "WatershedStore", "WatershedPostgres", "WatershedCore", "WatershedCLI", "WatershedTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The server live over TLS on loopback: health, auth, incidents, the stream and its resume.
        .testTarget(
            name: "WatershedServerTests",
            dependencies: [
                "WatershedServer", "WatershedFederation", "WatershedClient", "WatershedWire", "WatershedTestSupport",
                "WatershedCLI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // CAP 1.2: the OASIS examples round-trip, exported documents validate with xmllint, the mapping by hand,
        // and ingest on a real log (held messages survive a restart).
        .testTarget(
            name: "WatershedCAPTests",
            dependencies: [
                "WatershedCAP", "WatershedServer", "WatershedFederation", "WatershedStore", "WatershedPlaybooks",
                "WatershedTestSupport",
            ]
        ),
        // Commands run in-process: exit codes, messages and the offline planner's output.
        .testTarget(
            name: "WatershedCLITests",
            dependencies: [
                "WatershedCLI", "WatershedTestSupport", "WatershedStore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ]
)
