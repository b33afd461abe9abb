import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// The event log on real SQLite files in a temporary folder.
@Suite struct EventLogTests {
    // Gapless seqs, the reads and their filters, and the hand-computed chain values are in the log interface's
    // contract (`Tests/WatershedPostgresTests/EventStoreContract.swift`), which runs on this log too.

    /// 64 tasks × 50 appends of one event each: 3,200 events, seqs 1…3200 once each, every task's events in its
    /// order, and fewer transactions than appends.
    @Test func groupCommitBatchesConcurrentAppends() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            let counter = TransactionCounter()
            let projection: EventLog.Projection = { db, _ in counter.project(db) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<64 {
                    group.addTask {
                        for number in 0..<50 {
                            let stored = try await log.append(
                                [numbered(writer: writer, number: number)], projecting: projection)
                            #expect(stored.count == 1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let events = try log.events(after: 0, limit: 10_000)
            #expect(events.map(\.seq) == Array(1...3200))
            var seen: [Int: [Int]] = [:]
            for event in events {
                guard case .number(let writer) = event.payload["writer"],
                    case .number(let number) = event.payload["number"]
                else {
                    Issue.record("payload \(event.payload)")
                    continue
                }
                seen[Int(writer), default: []].append(Int(number))
            }
            #expect(seen.count == 64)
            #expect(seen.values.allSatisfy { $0 == Array(0..<50) })
            #expect(counter.projections == 3200)
            #expect(counter.transactions < 3200)
            #expect(counter.transactions > 0)
            #expect(try log.verifyChain() == .intact(count: 3200, head: 3200))
        }
    }

    /// A multi-event append stays contiguous even when batched with others.
    @Test func eachCallersEventsStayContiguous() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            let runs = try await withThrowingTaskGroup(of: [StoredEvent].self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        try await log.append((0..<5).map { numbered(writer: writer, number: $0) })
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for run in runs {
                #expect(run.map(\.seq) == Array(run[0].seq..<run[0].seq + 5))
                #expect(run.map { $0.payload["number"] } == (0..<5).map { .number(Double($0)) })
            }
            #expect(try log.head() == 80)
        }
    }

    @Test func writerRunsWithSynchronousFull() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            let (synchronous, journal) = try log.writer.writeWithoutTransaction { db in
                (
                    try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                    try String.fetchOne(db, sql: "PRAGMA journal_mode")
                )
            }
            #expect(synchronous == 2)
            #expect(journal == "wal")
            #expect(log.writer is DatabasePool)

            let queueLog = try EventLog(walQueue(folder + "/queue.sqlite"))
            let queueSynchronous = try queueLog.writer.writeWithoutTransaction { db in
                try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            #expect(queueSynchronous == 2)
        }
    }

    @Test func reopeningKeepsHeadAndHashes() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            let before: [StoredEvent]
            do {
                let log = try EventLog.open(path: path)
                before = try await log.append((1...20).map { numbered(writer: 1, number: $0) })
            }
            let log = try EventLog.open(path: path)
            #expect(try log.head() == 20)
            #expect(try log.headHash() == before.last!.hash)
            #expect(try log.events(after: 0, limit: 100) == before)
            let next = try await log.append([numbered(writer: 2, number: 1)])
            #expect(next[0].seq == 21)
            #expect(next[0].prevHash == before.last!.hash)
            #expect(try log.verifyChain() == .intact(count: 21, head: 21))
            let migrations = try await log.writer.read { db in
                try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")
            }
            #expect(
                migrations == [
                    "v1-events", "v2-projections", "v3-peer-federation", "v4-cap", "v5-drop-projection-views",
                    "v6-cap-held-events",
                ])
        }
    }

    @Test func failingProjectionWritesNothing() async throws {
        struct Refused: Error, Equatable {}
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            // The commit observer sees committed batches only, in seq order, before the appender resumes.
            let observed = ObservedBatches()
            log.onCommit { events in observed.add(events.map(\.seq)) }
            try await log.writer.write { db in try db.execute(sql: "CREATE TABLE incident (id TEXT PRIMARY KEY)") }
            let committed = try await log.append([numbered(writer: 0, number: 1), numbered(writer: 0, number: 2)])
            await #expect(throws: Refused.self) {
                try await log.append([numbered(writer: 1, number: 1), numbered(writer: 1, number: 2)]) { db, events in
                    try db.execute(sql: "INSERT INTO incident (id) VALUES ('half-done')")
                    #expect(events.map(\.seq) == [3, 4])
                    throw Refused()
                }
            }
            #expect(try log.head() == 2)
            #expect(try log.events(after: 0, limit: 10) == committed)
            #expect(try await log.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM incident") } == 0)
            let next = try await log.append([numbered(writer: 2, number: 1)]) { db, _ in
                try db.execute(sql: "INSERT INTO incident (id) VALUES ('done')")
            }
            #expect(next[0].seq == 3)
            #expect(next[0].prevHash == committed[1].hash)
            #expect(try await log.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM incident") } == 1)
            #expect(try log.verifyChain() == .intact(count: 3, head: 3))
            #expect(observed.batches == [[1, 2], [3]])
        }
    }

    /// Holds the writer with a slow first append so that the next appends queue up and share one transaction.
    private static func holdWriter(_ log: EventLog, gate: Gate) -> Task<[StoredEvent], any Error> {
        Task { try await log.append([numbered(writer: 99, number: 0)]) { _, _ in gate.wait() } }
    }

    /// In one batch, a caller whose projection throws (or whose event id is already in the log) fails alone.
    @Test func oneFailingCallerDoesNotFailItsBatch() async throws {
        struct Refused: Error {}
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            let existing = try await log.append([numbered(writer: 0, number: 0)])
            let gate = Gate()
            let holder = Self.holdWriter(log, gate: gate)
            try await Task.sleep(for: .milliseconds(100))
            let counter = TransactionCounter()
            let refused = Task {
                try await log.append([numbered(writer: 1, number: 0)]) { db, _ in
                    counter.project(db)
                    throw Refused()
                }
            }
            let duplicate = Task {
                try await log.append([numbered(writer: 2, number: 0), existing[0].newEvent]) { db, _ in
                    counter.project(db)
                }
            }
            let fine = Task {
                try await log.append([numbered(writer: 3, number: 0), numbered(writer: 3, number: 1)]) { db, _ in
                    counter.project(db)
                }
            }
            try await Task.sleep(for: .milliseconds(400))
            gate.open()
            _ = try await holder.value
            await #expect(throws: Refused.self) { try await refused.value }
            await #expect(throws: DatabaseError.self) { try await duplicate.value }
            let written = try await fine.value
            #expect(written.map(\.seq) == [3, 4])
            #expect(counter.transactions == 1)
            #expect(try log.head() == 4)
            #expect(try log.verifyChain() == .intact(count: 4, head: 4))
        }
    }

    /// When the transaction itself fails (here a deferred foreign key that SQLite checks only at COMMIT), every
    /// caller of the batch gets the error and none of the batch is written; the chain goes on from the last commit.
    @Test func failedCommitFailsTheWholeBatch() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            try await log.writer.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE parent (id TEXT PRIMARY KEY);
                        CREATE TABLE child (parent TEXT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
                        """)
            }
            let gate = Gate()
            let holder = Self.holdWriter(log, gate: gate)
            try await Task.sleep(for: .milliseconds(100))
            let orphan = Task {
                try await log.append([numbered(writer: 1, number: 0)]) { db, _ in
                    try db.execute(sql: "INSERT INTO child (parent) VALUES ('nobody')")
                }
            }
            let innocent = Task { try await log.append([numbered(writer: 2, number: 0)]) }
            try await Task.sleep(for: .milliseconds(400))
            gate.open()
            let held = try await holder.value
            await #expect(throws: DatabaseError.self) { try await orphan.value }
            await #expect(throws: DatabaseError.self) { try await innocent.value }
            #expect(try log.head() == 1)
            let next = try await log.append([numbered(writer: 3, number: 0)])
            #expect(next[0].seq == 2)
            #expect(next[0].prevHash == held[0].hash)
            #expect(try log.verifyChain() == .intact(count: 2, head: 2))
        }
    }

    @Test func oneTransactionPerAppendWhenBatchSizeIsOne() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite", maximumBatchSize: 1)
            let counter = TransactionCounter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for number in 0..<5 {
                            _ = try await log.append([numbered(writer: writer, number: number)]) { db, _ in
                                counter.project(db)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(counter.transactions == 40)
            #expect(try log.verifyChain() == .intact(count: 40, head: 40))
        }
    }
}

/// Batches of seqs a commit observer saw.
final class ObservedBatches: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [[Int64]] = []
    func add(_ seqs: [Int64]) { lock.withLock { seen.append(seqs) } }
    var batches: [[Int64]] { lock.withLock { seen } }
}
