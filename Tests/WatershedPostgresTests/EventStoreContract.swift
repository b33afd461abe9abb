import Foundation
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// The log interface's contract (``EventStore``), one function per guarantee, run against each backend by the
/// suites below: the SQLite log always, the PostgreSQL log when `WATERSHED_TEST_POSTGRES` names a cluster.
enum EventStoreContract {
    /// Seqs 1, 2, … without gaps across appends; the reads and their filters; the head.
    static func seqsAreGaplessFromOne(_ backend: Backend) async throws {
        let log = try await backend.open()
        #expect(try await log.head() == 0)
        #expect(try await log.headHash() == String(repeating: "0", count: 64))
        let first = try await log.append([
            numbered(writer: 0, number: 1, incident: incidentID), numbered(writer: 0, number: 2),
            numbered(writer: 0, number: 3, incident: incidentID, exercise: true),
        ])
        let second = try await log.append([numbered(writer: 0, number: 4), numbered(writer: 0, number: 5)])
        #expect(first.map(\.seq) == [1, 2, 3])
        #expect(second.map(\.seq) == [4, 5])
        #expect(try await log.head() == 5)
        #expect(try await log.headHash() == second[1].hash)
        #expect(try await log.events(after: 0, limit: 100, incident: nil, exercise: nil) == first + second)
        #expect(try await log.events(after: 2, limit: 2, incident: nil, exercise: nil).map(\.seq) == [3, 4])
        #expect(try await log.events(after: 5, limit: 10, incident: nil, exercise: nil).isEmpty)
        #expect(try await log.events(after: 0, limit: 0, incident: nil, exercise: nil).isEmpty)
        #expect(try await log.events(after: 0, limit: 10, incident: incidentID, exercise: nil).map(\.seq) == [1, 3])
        #expect(try await log.events(after: 0, limit: 10, incident: nil, exercise: true).map(\.seq) == [3])
        #expect(try await log.events(after: 0, limit: 10, incident: incidentID, exercise: false).map(\.seq) == [1])
        #expect(try await log.event(id: second[0].id) == second[0])
        #expect(try await log.event(id: UUID()) == nil)
        #expect(try await log.append([]).isEmpty)
        let undecoded = try await log.storedBytes(after: 0, limit: 100, incident: nil, exercise: nil)
        #expect(undecoded.map(\.seq) == [1, 2, 3, 4, 5])
        #expect(undecoded.map(\.canonicalBytes) == (first + second).map(\.canonicalBytes))
        #expect(undecoded[3].prevHash == first[2].hash)
        #expect(try await log.verifyChain(checkpoint: nil) == .intact(count: 5, head: 5))
        await backend.close(log)
    }

    /// The stored bytes and hashes of two events written out by hand; the hashes computed independently with
    /// coreutils: `printf '%s%s' "$(printf '0%.0s' $(seq 64))" "$E1" | sha256sum`, then with that hash before
    /// `$E2` (the same values as the SQLite log's own test).
    static func chainValuesMatchAnIndependentSHA256(_ backend: Backend) async throws {
        let e2 =
            #"{"actor":{"kind":"person","position":"provincial-duty-chief","token":"T-0001","unit":"450000"},"#
            + #""at":"2026-01-15T08:05:00.000Z","exercise":false,"id":"6F1C2D3E-0000-4000-8000-000000000003","#
            + #""incident":"6F1C2D3E-0000-4000-8000-000000000002","#
            + #""payload":{"level":"III","reason":"饮用水源地受影响"},"seq":2,"type":"LevelSet"}"#
        let hash1 = "5fb3cb9fb37ef92f2a132ca16b1363a002bc92e264642af3b9f48ab03950668c"
        let hash2 = "4fd069f76a023bb215672fe5726ecdb1e40848c0d9f8de5873cf6332f791a7e1"
        let log = try await backend.open()
        let stored = try await log.append([
            NewEvent(
                id: UUID(uuidString: "6F1C2D3E-0000-4000-8000-000000000001")!, at: morning + 0.25,
                incident: incidentID, type: .incidentReported,
                actor: .person(unit: "450100", position: "city-duty-chief", token: "T-0042"),
                payload: ["river": "龙江", "km": 12.5, "source": "https://example.org/reports/7"]),
            NewEvent(
                id: UUID(uuidString: "6F1C2D3E-0000-4000-8000-000000000003")!, at: morning + 300,
                incident: incidentID, type: .levelSet,
                actor: .person(unit: "450000", position: "provincial-duty-chief", token: "T-0001"),
                payload: ["level": "III", "reason": "饮用水源地受影响"]),
        ])
        #expect(stored.map(\.hash) == [hash1, hash2])
        #expect(stored[1].prevHash == hash1)
        // Read back from the store: exactly the bytes written, not a re-encoding.
        let read = try await log.storedBytes(after: 1, limit: 1, incident: nil, exercise: nil)
        #expect(read.first?.canonicalBytes == Data(e2.utf8))
        #expect(read.first?.hash == hash2)
        await backend.close(log)
    }

    /// 64 tasks × 20 appends of one event: 1,280 events, seqs 1…1280 once each, each task's in its order.
    static func concurrentAppendsAreGaplessAndOrdered(_ backend: Backend) async throws {
        let log = try await backend.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<64 {
                group.addTask {
                    for number in 0..<20 {
                        let stored = try await log.append([numbered(writer: writer, number: number)])
                        #expect(stored.count == 1)
                    }
                }
            }
            try await group.waitForAll()
        }
        let events = try await log.events(after: 0, limit: 10_000, incident: nil, exercise: nil)
        #expect(events.map(\.seq) == Array(1...1280))
        var seen: [Double: [Double]] = [:]
        for event in events {
            guard case .number(let writer) = event.payload["writer"],
                case .number(let number) = event.payload["number"]
            else { continue }
            seen[writer, default: []].append(number)
        }
        #expect(seen.count == 64)
        #expect(seen.values.allSatisfy { $0 == (0..<20).map(Double.init) })
        #expect(try await log.verifyChain(checkpoint: nil) == .intact(count: 1280, head: 1280))
        await backend.close(log)
    }

    /// A multi-event append stays contiguous even when batched with others.
    static func eachCallersEventsStayContiguous(_ backend: Backend) async throws {
        let log = try await backend.open()
        let runs = try await withThrowingTaskGroup(of: [StoredEvent].self) { group in
            for writer in 0..<16 {
                group.addTask { try await log.append((0..<5).map { numbered(writer: writer, number: $0) }) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for run in runs {
            #expect(run.map(\.seq) == Array(run[0].seq..<run[0].seq + 5))
        }
        #expect(try await log.head() == 80)
        await backend.close(log)
    }

    /// A caller whose event id is already in the log fails alone: the other 15 concurrent callers commit, and the
    /// seqs stay gapless.
    static func duplicateIdFailsOnlyItsCaller(_ backend: Backend) async throws {
        let log = try await backend.open()
        let existing = try await log.append([numbered(writer: 99, number: 0)])[0]
        var duplicate = numbered(writer: 99, number: 1)
        duplicate.id = existing.id
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for writer in 0..<16 {
                let event = writer == 7 ? duplicate : numbered(writer: writer, number: 0)
                group.addTask { (try? await log.append([event, numbered(writer: writer, number: 1)])) != nil }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 15)
        #expect(try await log.head() == 31)
        let seqs = try await log.events(after: 0, limit: 100, incident: nil, exercise: nil).map(\.seq)
        #expect(seqs == Array(1...31))
        #expect(try await log.verifyChain(checkpoint: nil) == .intact(count: 31, head: 31))
        await backend.close(log)
    }

    /// Reopening finds the same head, hash and events, and the next append continues the chain.
    static func reopeningKeepsHeadAndHashes(_ backend: Backend) async throws {
        let first = try await backend.open()
        let stored = try await first.append((0..<3).map { numbered(writer: 0, number: $0) })
        await backend.close(first)
        let again = try await backend.open()
        #expect(try await again.head() == 3)
        #expect(try await again.headHash() == stored[2].hash)
        let next = try await again.append([numbered(writer: 0, number: 3)])
        #expect(next[0].seq == 4)
        #expect(next[0].prevHash == stored[2].hash)
        await backend.close(again)
    }

    /// A log migrated by a newer Watershed (a migration this one does not know) is refused, naming it.
    static func newerSchemaIsRefused(_ backend: Backend) async throws {
        let log = try await backend.open()
        await backend.close(log)
        try await backend.addUnknownMigration("v9-future")
        await #expect(throws: EventLogError.newerSchema(path: backend.location, unknownMigrations: ["v9-future"])) {
            _ = try await backend.open()
        }
    }

    /// An append's condition (``AppendCondition``) is checked at commit: the incident's last seq as expected, or the
    /// append is refused and writes nothing; of two concurrent appends deciding on the same last seq, one goes in.
    static func staleConditionsAreRefused(_ backend: Backend) async throws {
        let log = try await backend.open()
        let other = UUID()
        _ = try await log.append([
            numbered(writer: 0, number: 1, incident: incidentID), numbered(writer: 0, number: 2),
        ])
        let next = try await log.append(
            [numbered(writer: 0, number: 3, incident: incidentID)], fence: nil,
            condition: AppendCondition(incident: incidentID, lastSeq: 1))
        #expect(next.map(\.seq) == [3])
        await #expect(throws: EventLogError.stale(incident: incidentID, expected: 1, found: 3)) {
            _ = try await log.append(
                [numbered(writer: 0, number: 4, incident: incidentID)], fence: nil,
                condition: AppendCondition(incident: incidentID, lastSeq: 1))
        }
        #expect(try await log.head() == 3)
        // An incident with no event yet: last seq 0.
        let first = try await log.append(
            [numbered(writer: 0, number: 5, incident: other)], fence: nil,
            condition: AppendCondition(incident: other, lastSeq: 0))
        #expect(first.map(\.seq) == [4])
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for writer in 1...4 {
                group.addTask {
                    do {
                        _ = try await log.append(
                            [numbered(writer: writer, number: 0, incident: incidentID)], fence: nil,
                            condition: AppendCondition(incident: incidentID, lastSeq: 3))
                        return true
                    } catch EventLogError.stale {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")
        #expect(try await log.head() == 5)
        await backend.close(log)
    }

    /// The commit observers see every committed event once, in seq order.
    static func observersSeeEveryCommitOnceInOrder(_ backend: Backend) async throws {
        let log = try await backend.open()
        let seen = SeenBatches()
        log.onCommit { seen.add($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for number in 0..<10 { _ = try await log.append([numbered(writer: writer, number: number)]) }
                }
            }
            try await group.waitForAll()
        }
        try await seen.wait(for: 80)
        #expect(seen.seqs == Array(1...80))
        await backend.close(log)
    }
}

/// The contract on the SQLite log (always).
@Suite struct SQLiteEventStoreContractTests {
    @Test func seqsAreGaplessFromOne() async throws { try await withSQLite(EventStoreContract.seqsAreGaplessFromOne) }
    @Test func chainValuesMatchAnIndependentSHA256() async throws {
        try await withSQLite(EventStoreContract.chainValuesMatchAnIndependentSHA256)
    }
    @Test func concurrentAppendsAreGaplessAndOrdered() async throws {
        try await withSQLite(EventStoreContract.concurrentAppendsAreGaplessAndOrdered)
    }
    @Test func eachCallersEventsStayContiguous() async throws {
        try await withSQLite(EventStoreContract.eachCallersEventsStayContiguous)
    }
    @Test func duplicateIdFailsOnlyItsCaller() async throws {
        try await withSQLite(EventStoreContract.duplicateIdFailsOnlyItsCaller)
    }
    @Test func reopeningKeepsHeadAndHashes() async throws {
        try await withSQLite(EventStoreContract.reopeningKeepsHeadAndHashes)
    }
    @Test func newerSchemaIsRefused() async throws { try await withSQLite(EventStoreContract.newerSchemaIsRefused) }
    @Test func observersSeeEveryCommitOnceInOrder() async throws {
        try await withSQLite(EventStoreContract.observersSeeEveryCommitOnceInOrder)
    }
    @Test func staleConditionsAreRefused() async throws {
        try await withSQLite(EventStoreContract.staleConditionsAreRefused)
    }
}

/// The same contract on the PostgreSQL log, each test on a new database of the test cluster. Skipped when
/// `WATERSHED_TEST_POSTGRES` is not set (a bare `swift test`); `.ci/run` sets it and fails if these are skipped.
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct PostgresEventStoreContractTests {
    @Test func seqsAreGaplessFromOne() async throws {
        try await withPostgres(EventStoreContract.seqsAreGaplessFromOne)
    }
    @Test func chainValuesMatchAnIndependentSHA256() async throws {
        try await withPostgres(EventStoreContract.chainValuesMatchAnIndependentSHA256)
    }
    @Test func concurrentAppendsAreGaplessAndOrdered() async throws {
        try await withPostgres(EventStoreContract.concurrentAppendsAreGaplessAndOrdered)
    }
    @Test func eachCallersEventsStayContiguous() async throws {
        try await withPostgres(EventStoreContract.eachCallersEventsStayContiguous)
    }
    @Test func duplicateIdFailsOnlyItsCaller() async throws {
        try await withPostgres(EventStoreContract.duplicateIdFailsOnlyItsCaller)
    }
    @Test func reopeningKeepsHeadAndHashes() async throws {
        try await withPostgres(EventStoreContract.reopeningKeepsHeadAndHashes)
    }
    @Test func newerSchemaIsRefused() async throws {
        try await withPostgres(EventStoreContract.newerSchemaIsRefused)
    }
    @Test func observersSeeEveryCommitOnceInOrder() async throws {
        try await withPostgres(EventStoreContract.observersSeeEveryCommitOnceInOrder)
    }
    @Test func staleConditionsAreRefused() async throws {
        try await withPostgres(EventStoreContract.staleConditionsAreRefused)
    }
}
