import Foundation
import Testing
import WatershedCLI
import WatershedCore
import WatershedPostgres
import WatershedStore
import WatershedTestSupport

/// Runs `watershed` in-process and captures what it writes.
private func watershed(_ arguments: [String]) async -> (code: Int32, out: String, err: String) {
    let output = CommandOutput(capture: true)
    let code = await CommandOutput.$current.withValue(output) { await Watershed.run(arguments) }
    return (code, output.standardOutput, output.standardError)
}

/// A data folder whose `watershed.sqlite` holds `count` events (from 2026-01-15T08:00Z, one a second, every tenth
/// of an incident, every seventh an exercise).
private func dataFolder(events count: Int) async throws -> (folder: String, log: EventLog) {
    let folder = FileManager.default.temporaryDirectory
        .appendingPathComponent("watershed-migrate-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let log = try EventLog.open(path: folder + "/watershed.sqlite")
    for start in stride(from: 0, to: count, by: 500) {
        _ = try await log.append(
            (start..<min(count, start + 500)).map { number in
                numbered(
                    writer: number % 3, number: number, incident: number % 10 == 0 ? incidentID : nil,
                    exercise: number % 7 == 0)
            })
    }
    return (folder, log)
}

/// `watershed migrate` and `watershed audit verify --database` against the test cluster.
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct MigrateCommandTests {
    /// 2,500 events (three pages) copied with their seqs, bytes and hashes; the database's chain verifies to the
    /// SQLite log's head hash; a second run copies nothing.
    @Test func copiesSeqsBytesAndHashes() async throws {
        let (folder, sqlite) = try await dataFolder(events: 2_500)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let head = try sqlite.headHash()
        try await TestCluster.withDatabase { url in
            let first = await watershed(["migrate", "--from", folder, "--to", url.description])
            #expect(first.code == 0, "\(first.err)")
            // Run from a checkout (the tests' binary is under .build/): the command to copy is one that runs there.
            #expect(
                first.out == "copied 2500 events (seqs 1…2500) from \(folder)/watershed.sqlite to \(url.redacted)\n"
                    + "head seq 2500, head hash \(head)\n"
                    + "verify it: swift run watershed audit verify --database '\(url.redacted)'\n")
            let audit = await watershed(["audit", "verify", "--database", url.description])
            #expect(audit.code == 0, "\(audit.err)")
            #expect(audit.out == "chain intact: 2500 events, head seq 2500, head hash \(head)\n")
            let postgres = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let copied = try await postgres.storedBytes(after: 1_234, limit: 3, incident: nil, exercise: nil)
            #expect(copied == (try sqlite.storedBytes(after: 1_234, limit: 3)))
            #expect(try await postgres.events(after: 0, limit: 10, incident: incidentID, exercise: nil).count == 10)
            await postgres.close()
            let again = await watershed(["migrate", "--from", folder, "--to", url.description])
            #expect(again.code == 0)
            #expect(again.out.hasPrefix("nothing to copy: \(url.redacted) already has the 2500 events of"))
        }
    }

    /// A copy interrupted after its first page is continued from seq 1001.
    @Test func interruptedCopyContinues() async throws {
        let (folder, sqlite) = try await dataFolder(events: 2_500)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestCluster.withDatabase { url in
            let postgres = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            #expect(try await postgres.importStored(try sqlite.storedBytes(after: 0, limit: 1_000)) == 1_000)
            await postgres.close()
            let result = await watershed(["migrate", "--from", folder, "--to", url.description])
            #expect(result.code == 0, "\(result.err)")
            #expect(result.out.hasPrefix("copied 1500 events (seqs 1001…2500)"))
        }
    }

    /// A database holding other events is refused, and keeps them.
    @Test func databaseWithOtherEventsIsRefused() async throws {
        let (folder, _) = try await dataFolder(events: 10)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestCluster.withDatabase { url in
            let postgres = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let other = try await postgres.append((0..<3).map { numbered(writer: 9, number: $0) })
            let result = await watershed(["migrate", "--from", folder, "--to", url.description])
            #expect(result.code == 1)
            #expect(result.err.contains("holds other events (head seq 3, hash \(other[2].hash))"))
            #expect(try await postgres.head() == 3)
            await postgres.close()
        }
    }

    /// A page that does not continue the chain is refused as a whole.
    @Test func pageThatDoesNotContinueIsRefused() async throws {
        let (folder, sqlite) = try await dataFolder(events: 20)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await TestCluster.withDatabase { url in
            let postgres = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            await #expect(throws: PostgresEventLog.ImportRefused.self) {
                _ = try await postgres.importStored(try sqlite.storedBytes(after: 5, limit: 5))
            }
            #expect(try await postgres.head() == 0)
            await postgres.close()
        }
    }
}

/// What `migrate` refuses before it reaches a database (no cluster needed).
@Suite struct MigrateRefusalTests {
    /// A running server holds the data directory: exit 1, naming this process as the holder.
    @Test func runningServerIsRefused() async throws {
        let (folder, _) = try await dataFolder(events: 1)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lock = try DataDirectory.lock(folder)
        let result = await watershed(["migrate", "--from", folder, "--to", "postgres://u@127.0.0.1:1/d"])
        lock.release()
        #expect(result.code == 1)
        #expect(result.err.contains("\(getpid())"))
        #expect(result.err.contains("stop the server first"))
    }

    @Test func badAddressIsAUsageError() async throws {
        let result = await watershed(["migrate", "--from", "/nonexistent", "--to", "mysql://x"])
        #expect(result.code == 2)
        #expect(result.err.contains("postgres://"))
    }
}
