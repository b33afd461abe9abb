import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

/// The incidents folded from the log, in the order they were reported.
struct IncidentList: Sendable {
    private(set) var byID: [UUID: IncidentSummary] = [:]
    private(set) var order: [UUID] = []
    /// Level changes so far per incident (numbers the obligations a change starts).
    private(set) var levelChanges: [UUID: Int] = [:]

    /// Applies one committed event. `plan` is the `PlanComputed` payload when the caller has it already (it has just
    /// appended it), which saves decoding tens of KB again.
    mutating func fold(_ event: StoredEvent, plan known: PlanDocument? = nil) {
        guard let incident = event.incident else { return }
        switch event.type {
        case .incidentReported:
            guard let payload = try? event.payload.decode(IncidentReportedPayload.self) else { return }
            byID[incident] = IncidentSummary(
                id: incident, reference: payload.reference, state: "open", level: payload.report.level,
                discoveredAt: payload.report.discoveredAt, place: payload.report.place,
                pollutant: payload.report.pollutant, spillUnit: payload.report.signature.reportingUnit,
                exercise: event.exercise, reportedSeq: event.seq, plan: nil, closedAt: nil)
            order.append(incident)
        case .planComputed:
            guard let plan = known ?? (try? event.payload.decode(PlanDocument.self)) else { return }
            byID[incident]?.plan = plan
            byID[incident]?.spillUnit = plan.spillUnit
        case .levelSet:
            guard let payload = try? event.payload.decode(LevelSetPayload.self) else { return }
            byID[incident]?.level = payload.to
            levelChanges[incident, default: 0] += 1
        case .incidentClosed:
            byID[incident]?.state = "closed"
            byID[incident]?.closedAt = event.at
        default:
            break
        }
    }

    /// The `Idempotency-Key` record an event carries (the first event of a report's append), with the seqs it
    /// covers.
    static func idempotency(of event: StoredEvent) -> (record: IdempotencyRecord, entry: Idempotency.Entry)? {
        guard event.type == .incidentReported || event.type == .reportFiled, let incident = event.incident,
            let value = event.payload["idempotency"], let record = try? value.decode(IdempotencyRecord.self)
        else { return nil }
        return (
            record,
            Idempotency.Entry(
                requestSHA256: record.requestSHA256, incident: incident, firstSeq: event.seq,
                lastSeq: event.seq + Int64(max(1, record.eventCount)) - 1, at: event.at)
        )
    }
}
