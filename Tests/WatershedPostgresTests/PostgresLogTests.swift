import Foundation
import PostgresNIO
import Synchronization
import Testing
import WatershedCore
import WatershedPostgres
import WatershedStore
import WatershedTestSupport

/// What only the PostgreSQL log has to show: several nodes on one database, the order of commits while one
/// transaction is held open, the append-only guard, tampering found, durability forced on.
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct PostgresLogTests {
    /// Three logs on one database stand for three nodes: all append at once; every node's observers get every
    /// event once, in seq order — the ones the others committed too (LISTEN/NOTIFY and the poll).
    @Test func everyNodeSeesEveryCommitInOrder() async throws {
        try await TestCluster.withDatabase { url in
            var nodes: [PostgresEventLog] = []
            for _ in 0..<3 { nodes.append(try await PostgresEventLog.open(url, logger: TestCluster.logger)) }
            let seen = nodes.map { node in
                let batches = SeenBatches()
                node.onCommit { batches.add($0) }
                return batches
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, node) in nodes.enumerated() {
                    for writer in 0..<8 {
                        group.addTask {
                            for number in 0..<10 {
                                _ = try await node.append([numbered(writer: index * 10 + writer, number: number)])
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            for batches in seen {
                try await batches.wait(for: 240)
                #expect(batches.seqs == Array(1...240))
            }
            #expect(try await nodes[2].verifyChain() == .intact(count: 240, head: 240))
            for node in nodes { await node.close() }
        }
    }

    /// Four nodes starting together on a new database: each opens the log (the migrations run once, under the
    /// advisory lock) and the schema is applied once.
    @Test func nodesStartingTogetherMigrateOnce() async throws {
        try await TestCluster.withDatabase { url in
            let logs = try await withThrowingTaskGroup(of: PostgresEventLog.self) { group in
                for _ in 0..<4 { group.addTask { try await PostgresEventLog.open(url, logger: TestCluster.logger) } }
                return try await group.reduce(into: [PostgresEventLog]()) { $0.append($1) }
            }
            #expect(logs.count == 4)
            _ = try await logs[3].append([numbered(writer: 0, number: 0)])
            #expect(try await logs[0].head() == 1)
            let names = try await TestCluster.withConnection(url) { connection in
                try await connection.query("SELECT count(*) FROM watershed_migration", logger: TestCluster.logger)
                    .collect().first?.decode(Int64.self)
            }
            #expect(names == 4, "v1-events, v2-leader, v3-claims and v4-stream-tickets, once each")
            for log in logs { await log.close() }
        }
    }

    /// One append's transaction is held open for 3 s (`pg_sleep` before its `COMMIT`) while another node appends
    /// and a third reads: the other appends wait for it (they need the head row), and no read ever shows a seq
    /// with a smaller one missing, or a smaller one appearing after a larger was seen.
    @Test func heldOpenTransactionSkipsNothing() async throws {
        try await TestCluster.withDatabase { url in
            let held = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let other = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let reader = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let observed = SeenBatches()
            reader.onCommit { observed.add($0) }
            _ = try await held.append([numbered(writer: 0, number: 0)])
            let entered = SeenSetting()
            held.beforeCommit.set { connection in
                entered.set("yes")
                try await connection.query("SELECT pg_sleep(3)", logger: TestCluster.logger)
            }
            let slow = Task { try await held.append([numbered(writer: 0, number: 1)]) }
            // Once the slow append holds the head row (its hook runs after the head update), the others start.
            let start = ContinuousClock.now
            while entered.value == nil, ContinuousClock.now < start + .seconds(30) {
                try await Task.sleep(for: .milliseconds(10))
            }
            held.beforeCommit.set(nil)
            let fast = Task {
                var stored: [StoredEvent] = []
                for number in 0..<5 { stored += try await other.append([numbered(writer: 1, number: number)]) }
                return stored
            }
            let finished = SeenSetting()
            let both = Task {
                _ = try? await (slow.value, fast.value)
                finished.set("yes")
            }
            // Read while both appends are under way (bounded: a loaded machine may take long), then once after.
            var reads: [[Int64]] = []
            let until = ContinuousClock.now + .seconds(60)
            while finished.value == nil, ContinuousClock.now < until {
                reads.append(try await reader.events(after: 0, limit: 100, incident: nil, exercise: nil).map(\.seq))
                try await Task.sleep(for: .milliseconds(50))
            }
            await both.value
            reads.append(try await reader.events(after: 0, limit: 100, incident: nil, exercise: nil).map(\.seq))
            let slowSeq = try await slow.value[0].seq
            let fastSeqs = try await fast.value.map(\.seq)
            #expect(slowSeq == 2)
            #expect(fastSeqs == [3, 4, 5, 6, 7])
            for read in reads { #expect(read == Array(stride(from: 1, through: Int64(read.count), by: 1))) }
            #expect(zip(reads, reads.dropFirst()).allSatisfy { $0.count <= $1.count })
            #expect(reads.contains { $0.count == 1 })
            #expect(reads.last?.count == 7)
            try await observed.wait(for: 7)
            #expect(observed.seqs == Array(1...7))
            for log in [held, other, reader] { await log.close() }
        }
    }

    /// The `event` table refuses UPDATE, DELETE and TRUNCATE (a trigger), so the log is append-only through SQL too.
    @Test func eventsCannotBeChangedThroughSQL() async throws {
        try await TestCluster.withDatabase { url in
            let log = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            _ = try await log.append([numbered(writer: 0, number: 0)])
            for statement in ["UPDATE event SET type = 'LevelSet'", "DELETE FROM event", "TRUNCATE event"] {
                await #expect(throws: (any Error).self) { try await TestCluster.execute(statement, on: url) }
            }
            #expect(try await log.verifyChain() == .intact(count: 1, head: 1))
            await log.close()
        }
    }

    /// With the guard dropped by the table's owner, one flipped byte in seq 3's stored bytes is named.
    @Test func flippedByteNamesItsSeq() async throws {
        try await TestCluster.withDatabase { url in
            let log = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            _ = try await log.append((0..<5).map { numbered(writer: 0, number: $0) })
            try await TestCluster.execute("ALTER TABLE event DISABLE TRIGGER USER", on: url)
            // "writer-0" → "writer-1" in the actor's component: same length, other bytes.
            try await TestCluster.execute(
                "UPDATE event SET bytes = convert_to(replace(convert_from(bytes, 'UTF8'), 'writer-0', 'writer-1'), "
                    + "'UTF8') WHERE seq = 3", on: url)
            guard case .broken(let seq, let reason) = try await log.verifyChain() else {
                Issue.record("chain reported intact")
                return
            }
            #expect(seq == 3)
            #expect(reason.hasPrefix("hash mismatch"))
            await log.close()
        }
    }

    /// A database whose default is `synchronous_commit = off` still gets durable appends: the append transaction
    /// sets it on for itself.
    @Test func appendsRunWithSynchronousCommitOn() async throws {
        try await TestCluster.withDatabase { url in
            try await TestCluster.execute("ALTER DATABASE \(url.database) SET synchronous_commit = off", on: url)
            let log = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let setting = SeenSetting()
            log.beforeCommit.set { connection in
                for try await value in try await connection.query("SHOW synchronous_commit", logger: TestCluster.logger)
                    .decode(String.self)
                {
                    setting.set(value)
                }
            }
            _ = try await log.append([numbered(writer: 0, number: 0)])
            #expect(setting.value == "on")
            await log.close()
        }
    }

    /// A host that does not answer is named in the error, with no password in it.
    @Test func unreachableHostIsNamed() async throws {
        let url = try DatabaseURL("postgres://watershed:secret@127.0.0.1:1/watershed")
        do {
            _ = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            Issue.record("opened a log on port 1")
        } catch let error as EventLogError {
            let text = "\(error)"
            #expect(text.contains("127.0.0.1:1"))
            #expect(!text.contains("secret"))
        }
    }
}

final class SeenSetting: Sendable {
    private let stored = Mutex<String?>(nil)
    func set(_ value: String) { stored.withLock { $0 = value } }
    var value: String? { stored.withLock { $0 } }
}

/// Parsing database addresses (no server needed).
@Suite struct DatabaseURLTests {
    @Test func fullAddress() throws {
        let url = try DatabaseURL("postgres://ws:p%40ss@db1:5433,db2/watershed?sslmode=require")
        #expect(url.user == "ws")
        #expect(url.password == "p@ss")
        #expect(url.hosts == [.init(name: "db1", port: 5433), .init(name: "db2", port: 5432)])
        #expect(url.database == "watershed")
        #expect(url.sslMode == .require)
        #expect(url.redacted == "postgres://ws:***@db1:5433,db2:5432/watershed?sslmode=require")
    }

    @Test func defaultsAndSocket() throws {
        let url = try DatabaseURL("postgresql://watershed@/?host=/run/postgresql")
        #expect(url.hosts == [.init(name: "localhost", port: 5432)])
        #expect(url.database == "watershed")
        #expect(url.socketDirectory == "/run/postgresql")
        #expect(url.password == nil)
    }

    @Test(arguments: [
        ("mysql://u@h/d", "postgres://"), ("postgres://h/d", "no user"), ("postgres://u@h:99999/d", "port"),
        ("postgres://u@h/d?sslmode=verify-full", "sslmode"), ("postgres://u@h/d?timeout=3", "timeout"),
    ])
    func refusals(text: String, named: String) {
        #expect {
            try DatabaseURL(text)
        } throws: { error in
            "\(error)".contains(named)
        }
    }
}

/// What the log does when the server ends its sessions (an operator's `pg_terminate_backend`, a restart).
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct PostgresSessionLossTests {
    /// Every session of the log ended by the server: the next appends still commit (on new connections), within
    /// a bounded time, and the chain continues.
    @Test(.timeLimit(.minutes(1))) func appendsGoOnAfterTheServerEndsTheSessions() async throws {
        try await TestCluster.withDatabase { url in
            let log = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            _ = try await log.append([numbered(writer: 0, number: 0)])
            try await TestCluster.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE datname = '\(url.database)' AND pid <> pg_backend_pid()", on: url)
            var stored: [StoredEvent] = []
            for attempt in 1...3 {
                do {
                    stored = try await log.append([numbered(writer: 0, number: attempt)])
                    break
                } catch {
                    // The first append may meet the dead connection; the pool replaces it.
                    try await Task.sleep(for: .milliseconds(200))
                }
            }
            #expect(stored.first?.seq == 2)
            #expect(try await log.verifyChain() == .intact(count: 2, head: 2))
            await log.close()
        }
    }
}
