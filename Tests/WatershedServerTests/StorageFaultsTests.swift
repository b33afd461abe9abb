import Foundation
import Logging
import Synchronization
import Testing
import WatershedStore

@testable import WatershedServer

/// Storage failures are counted each and logged at most once per kind per interval (issue 15, item 18).
@Suite struct StorageFaultsTests {
    /// Keeps the messages and metadata logged through it.
    final class Captured: Sendable {
        let lines = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
    }

    struct CapturingHandler: LogHandler {
        let captured: Captured
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            captured.lines.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    @Test func eachKindIsCountedAndLoggedAtMostOncePerInterval() async throws {
        let captured = Captured()
        let logger = Logger(label: "test") { _ in CapturingHandler(captured: captured) }
        let metrics = ServerMetrics()
        let faults = StorageFaults(metrics: metrics, logger: logger, interval: .milliseconds(300))
        let error = EventLogError.readOnly(path: "test")
        for _ in 0..<3 { faults.record(.full, error: error, during: "POST /v1/incidents") }
        faults.record(.io, error: error, during: "POST /v1/incidents")
        var lines = captured.lines.withLock { $0 }
        #expect(lines.count == 2)
        #expect(lines.map(\.0) == [.error, .error])
        #expect(lines.map { $0.2["kind"]?.description } == ["full", "io"])
        #expect(lines[0].1.contains("storage is full"))
        let exposition = metrics.exposition()
        #expect(exposition.contains(#"watershed_storage_failures_total{kind="full"} 3"#), "\(exposition)")
        #expect(exposition.contains(#"watershed_storage_failures_total{kind="io"} 1"#), "\(exposition)")

        try await Task.sleep(for: .milliseconds(400))
        faults.record(.full, error: error, during: "POST /v1/incidents")
        lines = captured.lines.withLock { $0 }
        #expect(lines.count == 3)
        // The two failures of the first interval that were not logged are counted on the next line.
        #expect(lines.last?.2["unlogged_since_last"]?.description == "2")
    }
}
