import Foundation
import GRDB
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// Runs `body` with a new empty folder under the system's temporary folder, removed afterwards.
func withTemporaryFolder<T>(_ body: (String) async throws -> T) async throws -> T {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("watershed-store-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    return try await body(folder)
}

/// A `DatabaseQueue` in WAL mode on a file, as tests may use instead of the production pool.
func walQueue(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.journalMode = .wal
    return try DatabaseQueue(path: path, configuration: configuration)
}

/// Counts committed transactions from inside projections: the first projection of a transaction registers one
/// commit callback; the writer runs projections and callbacks one at a time, so a plain flag under a lock works.
final class TransactionCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var armed = false
    private var committed = 0
    private var calls = 0

    var transactions: Int { lock.withLock { committed } }
    var projections: Int { lock.withLock { calls } }

    func project(_ db: Database) {
        let register = lock.withLock {
            calls += 1
            if armed { return false }
            armed = true
            return true
        }
        guard register else { return }
        db.afterNextTransaction(
            onCommit: { _ in
                self.lock.withLock {
                    self.committed += 1
                    self.armed = false
                }
            },
            onRollback: { _ in self.lock.withLock { self.armed = false } })
    }
}

/// Flags set and waited for across threads (the writer's queue and the test).
final class Gate: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func open() { semaphore.signal() }
    func wait() { semaphore.wait() }
}
