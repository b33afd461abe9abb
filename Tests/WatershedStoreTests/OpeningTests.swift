import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// Opening the log: clear errors, read-only audits, migrations.
@Suite struct OpeningTests {
    @Test func readOnlyNeedsAnExistingFile() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            #expect(throws: EventLogError.notFound(path: path)) { try EventLog.openReadOnly(path: path) }
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }

    @Test func missingFolderCannotBeOpened() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/nowhere/watershed.sqlite"
            #expect(
                throws: EventLogError.cannotOpen(path: path, reason: "the folder \(folder)/nowhere does not exist")
            ) { try EventLog.open(path: path) }
        }
    }

    @Test func fileThatIsNotADatabase() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            try Data(String(repeating: "not sqlite\n", count: 200).utf8).write(to: URL(fileURLWithPath: path))
            for open in [{ try EventLog.openReadOnly(path: path) }, { try EventLog.open(path: path) }] {
                do {
                    _ = try open()
                    Issue.record("opened a text file")
                } catch let error as EventLogError {
                    guard case .cannotOpen(let errorPath, let reason) = error else {
                        Issue.record("\(error)")
                        continue
                    }
                    #expect(errorPath == path)
                    #expect(reason.contains("not a database"))
                }
            }
        }
    }

    @Test func databaseWithoutEvents() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/other.sqlite"
            try DatabaseQueue(path: path).write { db in try db.execute(sql: "CREATE TABLE t (x)") }
            #expect(throws: EventLogError.notAnEventLog(path: path)) { try EventLog.openReadOnly(path: path) }
        }
    }

    @Test func newerSchemaIsRefused() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            do {
                let log = try EventLog.open(path: path)
                try log.writer.write { db in
                    try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9-future')")
                }
            }
            #expect(throws: EventLogError.newerSchema(path: path, unknownMigrations: ["v9-future"])) {
                try EventLog.open(path: path)
            }
        }
    }

    /// An audit can read the log while the server's pool has it open, and cannot append.
    @Test func readOnlyAlongsideTheWriter() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            let log = try EventLog.open(path: path)
            let stored = try await log.append((1...3).map { numbered(writer: 0, number: $0) })
            let audit = try EventLog.openReadOnly(path: path)
            #expect(audit.isReadOnly)
            #expect(try audit.head() == 3)
            #expect(try audit.headHash() == stored[2].hash)
            #expect(try audit.verifyChain() == .intact(count: 3, head: 3))
            await #expect(throws: EventLogError.readOnly(path: path)) {
                try await audit.append([numbered(writer: 1, number: 1)])
            }
            _ = try await log.append([numbered(writer: 0, number: 4)])
            #expect(try audit.head() == 4)
        }
    }

    @Test func errorsReadAsSentences() {
        #expect(
            EventLogError.notFound(path: "/d/watershed.sqlite").description == "no event log at /d/watershed.sqlite")
        #expect(
            EventLogError.cannotOpen(path: "/d/w.sqlite", reason: "file is not a database").description
                == "cannot open the event log at /d/w.sqlite: file is not a database")
    }
}
