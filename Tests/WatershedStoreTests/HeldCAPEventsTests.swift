import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// Held CAP messages as events: holding, refusing and dropping one append `CAPHeld`, `CAPHeldRefused` and
/// `CAPHeldDropped` with `cap_held` written in the same transaction; `verifyHeldCAPMessages()` compares the table
/// with the fold of the events; the migration `v6-cap-held-events` records rows held before.
@Suite struct HeldCAPEventsTests {
    /// `hsas@dhs.gov,U-n,…`: the sent of OASIS example A.1, 2003-04-02T14:39:01-05:00, in UTC.
    static func identity(_ identifier: String) -> CAPIdentity {
        CAPIdentity(sender: "hsas@dhs.gov", identifier: identifier, sentUTC: "2003-04-02T19:39:01-00:00")
    }

    /// 43 bytes: `<alert>` 7, `<identifier>` 12, the identifier 3, `</identifier>` 13, `</alert>` 8. The store does
    /// not read CAP, so a short stand-in does.
    static func xml(_ identifier: String) -> String { "<alert><identifier>\(identifier)</identifier></alert>" }

    /// `U-1` from 440000, received at 08:00:00Z.
    static func message(_ identifier: String, at: Date = morning) -> HeldCAPMessage {
        HeldCAPMessage(
            sender: "hsas@dhs.gov", identifier: identifier, sentUTC: "2003-04-02T19:39:01-00:00", peer: "440000",
            receivedAt: at, xml: Data(xml(identifier).utf8))
    }

    static let waitingFor = ["hsas@dhs.gov,A-1,2003-04-02T19:39:01-00:00"]
    static let commander = EventActor.person(unit: "450000", position: "provincial-duty-chief", token: "gx-commander")

    /// The `CAPReceived` of `A-1` (an Alert), `sent` as written with its −05:00 offset, with the store's
    /// `cap_message` row as its projection — as ingest appends it.
    static func applyAlert(_ identifier: String, on log: EventLog, at: Date = morning) async throws -> StoredEvent {
        let payload = CAPReceivedPayload(
            peer: "440000", sender: "hsas@dhs.gov", identifier: identifier, sent: "2003-04-02T14:39:01-05:00",
            status: "Actual", msgType: identifier.hasPrefix("A") ? "Alert" : "Update", references: [], headline: nil,
            wasHeld: false, xml: xml(identifier))
        let incident = UUID()
        let event = try NewEvent(
            at: at, incident: incident, actor: .peer(province: "440000"), event: .capReceived(payload))
        return try await log.append([event]) { db, stored in
            try EventLog.recordCAPMessage(
                CAPMessageRecord(
                    sender: "hsas@dhs.gov", identifier: identifier, sentUTC: "2003-04-02T19:39:01-00:00",
                    peer: "440000", msgType: payload.msgType, incident: incident, seq: stored[0].seq),
                in: db)
        }[0]
    }

    static func intact(_ log: EventLog, rows: Int) throws {
        let verification = try log.verifyHeldCAPMessages()
        #expect(verification.covered)
        #expect(verification.rows == rows)
        #expect(verification.held == rows)
        #expect(verification.problems == [])
    }

    @Test func holdingAppendsCAPHeldAndWritesItsRow() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            let stored = try await log.holdCAPMessage(Self.message("U-1"), waitingFor: Self.waitingFor, exercise: false)
            #expect(stored.seq == 1)
            #expect(stored.type == .capHeld)
            #expect(stored.incident == nil)
            #expect(stored.actor == .peer(province: "440000"))
            #expect(!stored.exercise)
            #expect(stored.at == morning)
            #expect(
                try RecordedEvent(stored).event
                    == .capHeld(
                        CAPHeldPayload(
                            peer: "440000", sender: "hsas@dhs.gov", identifier: "U-1",
                            sentUTC: "2003-04-02T19:39:01-00:00", receivedAt: morning,
                            xml: "<alert><identifier>U-1</identifier></alert>", waitingFor: Self.waitingFor)))
            let text = String(decoding: stored.canonicalBytes, as: UTF8.self)
            #expect(text.contains(#""receivedAt":"2026-01-15T08:00:00.000Z""#), "\(text)")
            #expect(text.contains(#""sentUTC":"2003-04-02T19:39:01-00:00""#), "\(text)")

            let row = try #require(
                try log.heldCAPMessage(sender: "hsas@dhs.gov", identifier: "U-1", sentUTC: "2003-04-02T19:39:01-00:00"))
            #expect(row == Self.message("U-1"))
            #expect(row.refusal == nil)

            // Held already: a constraint error, nothing appended.
            await #expect(throws: DatabaseError.self) {
                try await log.holdCAPMessage(Self.message("U-1"), waitingFor: Self.waitingFor, exercise: false)
            }
            #expect(try log.head() == 1)
            // A CAP Exercise is held as an exercise event.
            #expect(try await log.holdCAPMessage(Self.message("U-2"), waitingFor: [], exercise: true).exercise)
            try Self.intact(log, rows: 2)
        }
    }

    @Test func refusingAppendsCAPHeldRefusedAndSetsTheRowsRefusal() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            try await log.holdCAPMessage(Self.message("U-1"), waitingFor: Self.waitingFor, exercise: false)
            let reason = "expired: held since 2026-01-15T08:00:00.000Z"
            let refused = try #require(
                try await log.refuseHeldCAPMessage(
                    Self.identity("U-1"), reason: reason, at: morning + 3_600,
                    actor: .system(component: "cap-ingest"), exercise: false))
            #expect(refused.seq == 2)
            #expect(refused.type == .capHeldRefused)
            #expect(refused.incident == nil)
            #expect(refused.actor == .system(component: "cap-ingest"))
            #expect(refused.at == morning + 3_600)
            guard case .capHeldRefused(let payload) = try RecordedEvent(refused).event else {
                Issue.record("not a CAPHeldRefused: \(refused.type)")
                return
            }
            #expect(payload.identity == Self.identity("U-1"))
            #expect(payload.reason == "expired: held since 2026-01-15T08:00:00.000Z")
            #expect(try log.heldCAPMessages().isEmpty)
            #expect(try log.heldCAPMessages(includingRefused: true).map(\.refusal) == [reason])

            // Not held: nothing appended.
            #expect(
                try await log.refuseHeldCAPMessage(
                    Self.identity("U-9"), reason: "no", at: morning, actor: .peer(province: "440000"), exercise: false)
                    == nil)
            #expect(try log.head() == 2)
            try Self.intact(log, rows: 1)
        }
    }

    @Test func droppingAppendsCAPHeldDroppedAndDeletesTheRow() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            try await log.holdCAPMessage(Self.message("U-1"), waitingFor: Self.waitingFor, exercise: false)
            let by = Assignee(unit: "450000", position: "provincial-duty-chief")
            let dropped = try #require(
                try await log.dropHeldCAPMessage(
                    Self.identity("U-1"), by: by, reason: "dropped by a commander", at: morning + 60,
                    actor: Self.commander, exercise: false))
            #expect(dropped.seq == 2)
            #expect(dropped.type == .capHeldDropped)
            #expect(dropped.actor == Self.commander)
            #expect(
                try RecordedEvent(dropped).event
                    == .capHeldDropped(
                        CAPHeldDroppedPayload(identity: Self.identity("U-1"), by: by, reason: "dropped by a commander"))
            )
            #expect(try log.heldCAPMessages(includingRefused: true).isEmpty)
            #expect(
                try await log.dropHeldCAPMessage(
                    Self.identity("U-1"), by: by, reason: "again", at: morning + 61, actor: Self.commander,
                    exercise: false) == nil)
            #expect(try log.head() == 2)
            try Self.intact(log, rows: 0)
        }
    }

    /// The `CAPReceived` of a held message removes its row in its own transaction; a `CAPHeld` committed after the
    /// message was applied (its release won the race) writes no row, and the fold agrees.
    @Test func applyingAHeldMessageRemovesItsRow() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            try await log.holdCAPMessage(Self.message("U-1"), waitingFor: Self.waitingFor, exercise: false)
            try await log.holdCAPMessage(Self.message("U-2"), waitingFor: Self.waitingFor, exercise: false)
            _ = try await Self.applyAlert("U-1", on: log)
            #expect(try log.heldCAPMessages().map(\.identifier) == ["U-2"])
            try Self.intact(log, rows: 1)

            _ = try await Self.applyAlert("U-3", on: log)
            let late = try await log.holdCAPMessage(Self.message("U-3"), waitingFor: Self.waitingFor, exercise: false)
            #expect(late.seq == 5)
            #expect(try log.heldCAPMessages().map(\.identifier) == ["U-2"])
            try Self.intact(log, rows: 1)
        }
    }

    /// Each direct SQL change to `cap_held` is found and named by its identity: other XML bytes, a refusal taken
    /// away, a row deleted, a row added.
    @Test func tamperingWithCapHeldIsNamedByIdentity() async throws {
        let cases: [(sql: String, arguments: StatementArguments, problem: HeldCAPProblem)] = [
            (
                "UPDATE cap_held SET xml = ? WHERE identifier = 'U-1'", [Data(Self.xml("U-9").utf8)],
                HeldCAPProblem(
                    identity: Self.identity("U-1"),
                    reason: "the XML in cap_held (43 bytes) is not what event seq 1 holds (43 bytes): they differ "
                        + "from byte 21 on")
            ),
            (
                "UPDATE cap_held SET refusal = NULL WHERE identifier = 'U-2'", [],
                HeldCAPProblem(
                    identity: Self.identity("U-2"),
                    reason: #"cap_held says waiting, the events say refused ("the Cancel spans 2 incidents")"#)
            ),
            (
                "DELETE FROM cap_held WHERE identifier = 'U-1'", [],
                HeldCAPProblem(
                    identity: Self.identity("U-1"),
                    reason: "missing from cap_held: event seq 1 (CAPHeld) holds it and no later event releases, "
                        + "refuses away or drops it")
            ),
            (
                """
                INSERT INTO cap_held (sender, identifier, sentUTC, peer, receivedAt, xml, refusal)
                VALUES ('hsas@dhs.gov', 'U-3', '2003-04-02T19:39:01-00:00', '440000', '2026-01-15T08:00:00.000Z',
                        ?, NULL)
                """, [Data(Self.xml("U-3").utf8)],
                HeldCAPProblem(
                    identity: Self.identity("U-3"),
                    reason: "in cap_held, but no event holds it: a row written outside the log")
            ),
        ]
        for (sql, arguments, problem) in cases {
            try await withTemporaryFolder { folder in
                let log = try EventLog.open(path: folder + "/watershed.sqlite")
                try await log.holdCAPMessage(Self.message("U-1"), waitingFor: Self.waitingFor, exercise: false)
                try await log.holdCAPMessage(Self.message("U-2"), waitingFor: Self.waitingFor, exercise: false)
                try await log.refuseHeldCAPMessage(
                    Self.identity("U-2"), reason: "the Cancel spans 2 incidents", at: morning,
                    actor: .peer(province: "440000"), exercise: false)
                try Self.intact(log, rows: 2)
                try await log.writer.write { db in try db.execute(sql: sql, arguments: arguments) }
                let verification = try EventLog.openReadOnly(path: folder + "/watershed.sqlite")
                    .verifyHeldCAPMessages()
                #expect(verification.covered)
                #expect(verification.problems == [problem], "\(sql)")
                #expect(!verification.holds)
                // The chain itself is intact: cap_held is outside it, which is why it is compared.
                #expect(try log.verifyChain() == .intact(count: 3, head: 3))
            }
        }
    }

    /// A data directory written before v6 with rows in `cap_held` (made here by taking v6 out of the migrations
    /// table and writing rows as v5 did): read-only, audit lists them as not covered; opened, the migration appends a
    /// `CAPHeld` per row (and a `CAPHeldRefused` for the refused one), oldest first, and deletes the row of a message
    /// applied already; the table then is the fold of the events.
    @Test func theV6MigrationRecordsRowsHeldBefore() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            var log: EventLog? = try EventLog.open(path: path)
            _ = try await Self.applyAlert("A-1", on: log!)
            try await log!.writer.write { db in
                let insert = """
                    INSERT INTO cap_held (sender, identifier, sentUTC, peer, receivedAt, xml, refusal)
                    VALUES ('hsas@dhs.gov', ?, '2003-04-02T19:39:01-00:00', ?, ?, ?, ?)
                    """
                // Received later but inserted first: the migration goes by receivedAt.
                try db.execute(
                    sql: insert,
                    arguments: ["U-2", "460000", "2026-01-15T08:05:00.000Z", Data(Self.xml("U-2").utf8), "expired: …"])
                try db.execute(
                    sql: insert,
                    arguments: ["U-1", "440000", "2026-01-15T08:00:00.000Z", Data(Self.xml("U-1").utf8), nil])
                // Left over for A-1, applied already.
                try db.execute(
                    sql: insert,
                    arguments: ["A-1", "440000", "2026-01-15T07:59:00.000Z", Data(Self.xml("A-1").utf8), nil])
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v6-cap-held-events'")
            }
            log = nil

            let before = try EventLog.openReadOnly(path: path).verifyHeldCAPMessages()
            #expect(!before.covered)
            #expect(before.rows == 3)
            #expect(before.uncovered == [Self.identity("A-1"), Self.identity("U-1"), Self.identity("U-2")])
            #expect(before.problems.isEmpty)

            let opened = Date()
            let migrated = try EventLog.open(path: path)
            let events = try migrated.events(after: 1, limit: 10)
            #expect(events.map(\.seq) == [2, 3, 4])
            #expect(events.map(\.type) == [.capHeld, .capHeld, .capHeldRefused])
            let actor = EventActor.system(component: "migration-v6-cap-held-events")
            #expect(events.allSatisfy { $0.actor == actor && $0.incident == nil && !$0.exercise })
            #expect(events.allSatisfy { $0.at >= opened.addingTimeInterval(-1) && $0.at <= Date() + 1 })
            #expect(
                try events.map { try RecordedEvent($0).event } == [
                    .capHeld(
                        CAPHeldPayload(
                            peer: "440000", sender: "hsas@dhs.gov", identifier: "U-1",
                            sentUTC: "2003-04-02T19:39:01-00:00", receivedAt: morning, xml: Self.xml("U-1"),
                            waitingFor: nil)),
                    .capHeld(
                        CAPHeldPayload(
                            peer: "460000", sender: "hsas@dhs.gov", identifier: "U-2",
                            sentUTC: "2003-04-02T19:39:01-00:00", receivedAt: morning + 300, xml: Self.xml("U-2"),
                            waitingFor: nil)),
                    .capHeldRefused(CAPHeldRefusedPayload(identity: Self.identity("U-2"), reason: "expired: …")),
                ])
            let rows = try migrated.heldCAPMessages(includingRefused: true)
            #expect(rows.map(\.identifier) == ["U-1", "U-2"])
            #expect(rows.map(\.refusal) == [nil, "expired: …"])
            try Self.intact(migrated, rows: 2)
            #expect(try migrated.verifyChain() == .intact(count: 4, head: 4))
        }
    }
}
