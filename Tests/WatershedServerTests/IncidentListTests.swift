import Foundation
import Testing
import WatershedCore
import WatershedStore
import WatershedWire

/// An incident list after a restart, when every incident's plan is still in the log's bytes: the list names each
/// pollutant in both languages without decoding a plan (a plan is tens of KB; decoding it for every incident in a
/// list, and keeping it decoded, was what the lazy plan was for).
@Suite struct IncidentListTests {
    static let discovered = Date(timeIntervalSince1970: 1_768_464_000)  // 2026-01-15T08:00:00Z

    /// An incident read back from stored bytes: its initial report, then a `PlanComputed` whose payload has the plan's
    /// head (spill unit, pollutant) but is not a whole plan, so that a decode would fail and show.
    static func restored() throws -> Incident {
        let id = UUID()
        let report = InitialReport(
            discoveredAt: discovered, place: .river(id: "longjiang", km: 0), informationSource: "12369 hotline",
            cause: "tailings pond overflow", pollutant: "cadmium", release: .instantaneous(massKg: 21_000),
            signature: ReportSignature(
                reportingUnit: "451200", signingOfficer: "Director Wei", contactName: "Li Ming",
                contactPhone: "0778-1234567"))
        let events = [
            try NewEvent(
                at: discovered, incident: id, actor: .system(component: "test"),
                event: .reported(IncidentReportedPayload(reference: "GX-2026-0001", report: report))),
            NewEvent(
                at: discovered, incident: id, type: .planComputed, actor: .system(component: "planner"),
                payload: [
                    "arrivals": "not read", "pollutant": ["id": "cadmium", "name": "Cadmium", "nameZh": "镉"],
                    "spillUnit": "451200",
                ]),
        ]
        var previous = StoredEvent.genesisHash
        let read = try events.enumerated().map { index, event in
            let stored = try StoredEvent(seq: Int64(index + 1), event: event, prevHash: previous) { _, _ in "h" }
            previous = stored.hash
            return try RecordedEvent(canonicalBytes: stored.canonicalBytes)
        }
        return try #require(Incident.fold(read))
    }

    @Test func theListNamesThePollutantWithoutDecodingThePlan() throws {
        let incident = try Self.restored()
        let listed = IncidentSummary(incident, withPlan: false)
        #expect(listed.pollutant == "cadmium")
        #expect(listed.pollutantName == "Cadmium" && listed.pollutantNameZh == "镉")
        #expect(listed.plan == nil)
        #expect(incident.planRecord?.isDecoded == false, "a list decodes no plan")

        // Asked for with its plan, the summary decodes it (here it is not a plan: no plan, the names stay).
        let whole = IncidentSummary(incident)
        #expect(whole.plan == nil)
        #expect(whole.pollutantName == "Cadmium" && whole.pollutantNameZh == "镉")
    }
}
