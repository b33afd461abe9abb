import Foundation
import GRDB
import Logging
import PostgresNIO
import Synchronization
import Testing
import WatershedCore
import WatershedPostgres
import WatershedStore
import WatershedTestSupport

/// How a contract test reaches one backend: open (again) the same log, close it, and mark it as written by a newer
/// Watershed.
struct Backend: Sendable {
    var open: @Sendable () async throws -> any EventStore
    var close: @Sendable (any EventStore) async -> Void
    /// Records a migration this Watershed does not know, as a newer one would have.
    var addUnknownMigration: @Sendable (String) async throws -> Void
    /// The error opening the log must throw after ``addUnknownMigration``.
    var location: String
}

/// The SQLite log on a file in a new temporary folder.
func withSQLite<T>(_ body: (Backend) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("watershed-contract-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let path = folder + "/watershed.sqlite"
    let backend = Backend(
        open: { try EventLog.open(path: path) }, close: { _ in },
        addUnknownMigration: { name in
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES (?)", arguments: [name])
            }
        }, location: path)
    return try await body(backend)
}

/// The PostgreSQL log on a new database of the test cluster.
func withPostgres<T>(_ body: (Backend) async throws -> T) async throws -> T {
    try await TestCluster.withDatabase { url in
        let backend = Backend(
            open: { try await PostgresEventLog.open(url, logger: TestCluster.logger) },
            close: { store in await (store as? PostgresEventLog)?.close() },
            addUnknownMigration: { name in
                try await TestCluster.execute(
                    "INSERT INTO watershed_migration (name, applied) VALUES ('\(name)', now())", on: url)
            }, location: url.redacted)
        return try await body(backend)
    }
}

/// The seqs each commit observer call brought, in the order the calls came.
final class SeenBatches: Sendable {
    private let batches = Mutex<[[Int64]]>([])

    func add(_ events: [StoredEvent]) { batches.withLock { $0.append(events.map(\.seq)) } }

    var seqs: [Int64] { batches.withLock { $0.flatMap { $0 } } }

    /// Waits (up to `seconds`) until the observer has seen `count` events.
    func wait(for count: Int, seconds: Double = 30) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while seqs.count < count, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
    }
}
