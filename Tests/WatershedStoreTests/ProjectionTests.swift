import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore

/// The projection tables, written in the append's transaction (issue 3, "Event log").
@Suite struct ProjectionTests {
    static let actor = EventActor.person(unit: "451203", position: "county-duty-officer", token: "yizhou-officer")
    static let task = UUID(uuidString: "6F1C2D3E-0000-4000-8000-0000000000A1")!
    /// 2026-01-15T08:00:00Z.
    static let t0 = morning

    /// The repository's Longjiang initial report as the `IncidentReported` payload.
    static func reported() throws -> NewEvent {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/longjiang-initial-report.json")
        let report = try CanonicalJSON.makeDecoder().decode(InitialReport.self, from: Data(contentsOf: file))
        return NewEvent(
            at: t0, incident: incidentID, type: .incidentReported, actor: actor,
            payload: try JSONValue(encoding: IncidentReportedPayload(reference: "GX-2026-0001", report: report)))
    }

    /// A county task acknowledged within 15 min (so due 08:15:00Z).
    static func dispatched() throws -> NewEvent {
        let assignee = Assignee(unit: "451203", position: .countyDutyOfficer)
        let payload = TaskDispatched(
            task: task, reference: "GX-2026-0001/T1", number: 1, kind: .site, obligation: nil,
            title: "Close the Liuzhou Hexi intake", assignee: assignee, source: nil, startBy: t0 + 7_200, dueBy: nil,
            policy: EscalationPolicy(ackMinutes: 15, repeats: 2),
            chain: [Assignee(unit: "451200", position: .cityDutyChief)], at: t0, ackBy: t0 + 900)
        return NewEvent(
            at: t0, incident: incidentID, type: .taskDispatched, actor: actor, payload: try JSONValue(encoding: payload)
        )
    }

    static func acknowledged(at: Date) throws -> NewEvent {
        let payload = TaskAcknowledged(task: task, by: Assignee(unit: "451203", position: .countyDutyOfficer), at: at)
        return NewEvent(
            at: at, incident: incidentID, type: .taskAcknowledged, actor: actor,
            payload: try JSONValue(encoding: payload))
    }

    static func rows(_ log: EventLog) async throws -> [String: [Row]] {
        try await log.writer.read { db in
            [
                "incident": try Row.fetchAll(db, sql: "SELECT * FROM incident_view ORDER BY id"),
                "task": try Row.fetchAll(db, sql: "SELECT * FROM task_view ORDER BY id"),
            ]
        }
    }

    @Test func appendsProjectAndAFailedAppendLeavesThemAsTheyWere() async throws {
        struct Refused: Error {}
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            _ = try await log.append([try Self.reported(), try Self.dispatched()])
            var rows = try await Self.rows(log)
            let incident = try #require(rows["incident"]?.first)
            #expect(incident["reference"] as String == "GX-2026-0001")
            #expect(incident["state"] as String == "open")
            #expect(incident["spillUnit"] as String == "451203")
            #expect(incident["lastSeq"] as Int64 == 2)
            let task = try #require(rows["task"]?.first)
            #expect(task["state"] as String == "dispatched")
            #expect(task["unit"] as String == "451203")
            #expect(task["nextDeadline"] as String? == "2026-01-15T08:15:00.000Z")

            // A caller whose own projection throws: its acknowledgement is in neither the log nor the tables.
            await #expect(throws: Refused.self) {
                try await log.append([try Self.acknowledged(at: Self.t0 + 600)]) { _, _ in throw Refused() }
            }
            #expect(try await Self.rows(log)["task"]?.first?["state"] as String? == "dispatched")

            _ = try await log.append([try Self.acknowledged(at: Self.t0 + 600)])
            rows = try await Self.rows(log)
            #expect(rows["task"]?.first?["state"] as String? == "acknowledged")
            #expect(rows["task"]?.first?["nextDeadline"] as String?? == .some(nil))
            #expect(rows["incident"]?.first?["lastSeq"] as Int64? == 3)
        }
    }

    /// A log written before the projections: dropping the tables and forgetting the migration, then reopening,
    /// rebuilds the same rows from the events.
    @Test func migrationBackfillsFromTheEvents() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            var log: EventLog? = try EventLog.open(path: path)
            _ = try await log!.append([try Self.reported(), try Self.dispatched()])
            _ = try await log!.append([try Self.acknowledged(at: Self.t0 + 600)])
            let before = try await Self.rows(log!)
            try await log!.writer.write { db in
                for table in ["incident_view", "task_view", "obligation_view", "peer_notification_view"] {
                    try db.execute(sql: "DROP TABLE \(table)")
                }
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v2-projections'")
            }
            log = nil
            let reopened = try EventLog.open(path: path)
            let after = try await Self.rows(reopened)
            #expect(after["incident"] == before["incident"])
            #expect(after["task"] == before["task"])
            #expect(after["task"]?.first?["state"] as String? == "acknowledged")
        }
    }
}
