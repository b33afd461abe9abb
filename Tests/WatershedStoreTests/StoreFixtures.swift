import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// Events the store's tests append: the Longjiang report, a task and its acknowledgement. (The `*_view` tables they
/// once checked are gone: incidents are read out of Core's `Incident`, `IncidentModelTests`.)
enum StoreFixtures {
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
}
