import Foundation
import WatershedCore

/// An incident as the API lists it, folded from its events.
public struct IncidentSummary: Codable, Sendable, Hashable {
    /// The incident's UUID.
    public var id: UUID
    /// Human reference, `GX-2026-0007`.
    public var reference: String
    /// `open`, `closed`, or `cancelled` (a CAP thread its sender withdrew).
    public var state: String
    /// The level set, or `nil` while not yet graded.
    public var level: SeverityLevel?
    /// When it was discovered.
    public var discoveredAt: Date
    /// Where; absent for an incident opened by a neighbour's CAP alert (its areas are in its CAP messages).
    public var place: SpillLocation?
    /// The pollutant's id; for an incident opened by a CAP alert, the alert's headline (what it says happened).
    public var pollutant: String
    /// The pollutant's name from the plan's catalogue entry (`Cadmium`), so that a list without plans can name it;
    /// `nil` without a plan.
    public var pollutantName: String? = nil
    /// Its Chinese name (`镉`) where the catalogue gives one.
    public var pollutantNameZh: String? = nil
    /// For an incident opened by a CAP 1.2 alert from a neighbour that does not run Watershed: the peer, the
    /// sender and the messages applied.
    public var cap: CAPThread?
    /// The unit where it is.
    public var spillUnit: UnitCode
    /// Whether it is an exercise.
    public var exercise: Bool
    /// The seq of its first event.
    public var reportedSeq: Int64
    /// The current plan (the last `PlanComputed`).
    public var plan: PlanDocument?
    /// When the final report closed it (the `IncidentClosed` event's time), `nil` while open.
    public var closedAt: Date?
    /// The earliest deadline of its open tasks — an acknowledgement still awaited, or a report task's legal due
    /// time (MEP Order No. 17), passed or not — as `GET /v1/incidents` lists it; absent elsewhere and when nothing
    /// waits.
    public var nextDeadline: Date? = nil
    /// The task that deadline belongs to (`GX-2026-0007/T3`).
    public var nextDeadlineTask: String? = nil
    /// When the level set is lower than what the plan grades (``LevelReview``, issue 17): the level, the hint, the
    /// reasons and the sentence to show. Present with the plan (the detail), absent in lists.
    public var levelReview: LevelReview? = nil

    /// Creates a summary.
    public init(
        id: UUID, reference: String, state: String, level: SeverityLevel?, discoveredAt: Date, place: SpillLocation?,
        pollutant: String, spillUnit: UnitCode, exercise: Bool, reportedSeq: Int64, plan: PlanDocument?,
        closedAt: Date?
    ) {
        self.id = id
        self.reference = reference
        self.state = state
        self.level = level
        self.discoveredAt = discoveredAt
        self.place = place
        self.pollutant = pollutant
        self.spillUnit = spillUnit
        self.exercise = exercise
        self.reportedSeq = reportedSeq
        self.plan = plan
        self.closedAt = closedAt
    }

    /// The summary without its plan (tens of KB), for answers that list or acknowledge incidents; the plan is in
    /// `GET /v1/incidents/{id}` and on the stream as `PlanComputed`.
    public var withoutPlan: IncidentSummary {
        var lean = self
        lean.plan = nil
        lean.levelReview = nil
        return lean
    }
}

/// `201` for `POST /v1/incidents` and `POST /v1/incidents/{id}/reports`: the incident right after the report
/// (without its plan: `GET /v1/incidents/{id}`), and the seqs of the events the report appended
/// (`firstSeq`…`lastSeq`).
public struct IncidentCreated: Codable, Sendable, Hashable {
    /// The incident as it stands after the report, without its plan.
    public var incident: IncidentSummary
    /// The seq of the report's first event.
    public var firstSeq: Int64
    /// The seq of the report's last event.
    public var lastSeq: Int64

    /// Creates an answer.
    public init(incident: IncidentSummary, firstSeq: Int64, lastSeq: Int64) {
        self.incident = incident
        self.firstSeq = firstSeq
        self.lastSeq = lastSeq
    }
}

extension IncidentSummary {
    /// The summary of `incident`: a read-out of the incident model (no next deadline: the caller adds it), with its
    /// plan unless `withPlan` is `false` (a list: a plan read back from the log is decoded only when asked for).
    public init(_ incident: Incident, withPlan: Bool = true) {
        // Read once, and only for a summary with its plan: each read of `Incident.plan` copies the document out of its
        // record (a lock and a retain per array), and a plan read back from the log is decoded on the first — which
        // a list must not do for every incident (the pollutant's names are read with the plan's head).
        let plan = withPlan ? incident.plan : nil
        self.init(
            id: incident.id, reference: incident.reference, state: incident.state.rawValue, level: incident.level,
            discoveredAt: incident.discoveredAt, place: incident.initialReport?.place,
            pollutant: incident.initialReport?.pollutant ?? incident.cap?.headline ?? "", spillUnit: incident.spillUnit,
            exercise: incident.exercise, reportedSeq: incident.reportedSeq, plan: plan,
            closedAt: incident.closedAt)
        self.cap = incident.cap
        self.pollutantName = incident.planRecord?.pollutantName
        self.pollutantNameZh = incident.planRecord?.pollutantNameZh
        if withPlan { self.levelReview = LevelReview(level: incident.level, hint: plan?.gradingHint) }
    }
}
