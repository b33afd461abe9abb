import Foundation

/// The decisions of the incident model: what a command does to an incident, as a pure function from the incident's
/// state (``Incident``) and the command to the events to append, or a ``DomainError`` (DESIGN.md "The incident
/// model"). No clock, no store: the caller passes the time (`now`: the wall time, or the drill clock's for a drill
/// incident), appends the events and folds them.
///
/// The rules hold this province's view: the shared basin map, this province's organisation seed and its code.
public struct IncidentRules: Sendable {
    /// The shared basin map (`playbooks/`).
    public let basin: Basin
    /// This province's units, duty positions and escalation policies (`seeds/<province>/organisation.yaml`).
    public let organisation: Organisation
    /// This province (GB/T 2260).
    public let province: UnitCode

    public init(basin: Basin, organisation: Organisation, province: UnitCode) {
        self.basin = basin
        self.organisation = organisation
        self.province = province
    }

    /// A claim on an `Idempotency-Key`: recorded in the first event of the append it produces, with the number of
    /// events it appended.
    public struct Claim: Sendable, Hashable {
        public var key: String
        public var unit: UnitCode
        public var requestSHA256: String

        public init(key: String, unit: UnitCode, requestSHA256: String) {
            self.key = key
            self.unit = unit
            self.requestSHA256 = requestSHA256
        }

        /// The record of an append of `eventCount` events.
        public func record(eventCount: Int) -> IdempotencyRecord {
            IdempotencyRecord(key: key, unit: unit, requestSHA256: requestSHA256, eventCount: eventCount)
        }
    }

    /// Refuses a report signed (MEP Order No. 17 Art. 14: the reporting unit) for a unit the token may not report
    /// for (issue 15, item 12; DESIGN.md "Terms used in names", *reporting unit*):
    /// - any token: its own unit;
    /// - a commander: any unit of its own province (the first two digits of the GB/T 2260 code);
    /// - an officer, or a drill token on an exercise: a unit below its own in `playbooks/units.yaml` (a county of
    ///   its city) that the province's organisation seed lists — the seed says which units act in this province's
    ///   response, so a unit it leaves out is reported for by no one else.
    ///
    /// A unit the basin does not know is left to the report's own checks (422 "unknown unit").
    ///
    /// - Throws: ``DomainError`` forbidden, `reporting_unit`, field `signature.reportingUnit`.
    public func checkReportingUnit(_ unit: UnitCode, of holder: TokenHolder) throws(DomainError) {
        guard unit != holder.unit, basin.unit(unit) != nil else { return }
        if holder.isCommander {
            if unit.provinceCode == holder.unit.provinceCode { return }
        } else if organisation.units[unit] != nil,
            basin.ancestry(of: unit).dropFirst().contains(where: { $0.code == holder.unit })
        {
            return
        }
        let scope =
            holder.isCommander
            ? "its own unit or another unit of province \(holder.unit.provinceCode)"
            : "its own unit \(holder.unit) or a unit below it that seeds/\(organisation.province)/organisation.yaml lists"
        throw DomainError(
            .forbidden, code: "reporting_unit",
            message: "token \(holder.token) (unit \(holder.unit)) may not sign a report as unit \(unit); "
                + "it reports for \(scope)",
            field: "signature.reportingUnit")
    }

    /// The neighbours an initial report's plan notifies: those whose boundary it is predicted to cross
    /// (``PlanDocument/peerNotifications``, MEP Order No. 17 Art. 8) and, after them, those whose agreement lists a
    /// river or sea the plan touches although no crossing is predicted
    /// (``Basin/sharedWaterNotifications(for:ownProvince:)``, MEE–MWR 2020 guidance).
    public func peerNotifications(for plan: PlanDocument) -> [PeerNotification] {
        plan.peerNotifications + basin.sharedWaterNotifications(for: plan, ownProvince: province)
    }

    /// The events of an initial report (MEP Order No. 17 Art. 13–14), in the order they are appended together:
    /// `IncidentReported`, `PlanComputed`, one `ObligationDue` per report obligation, `ObligationMet` for the initial
    /// obligation of the unit the report is signed as (`signature.reportingUnit`; Art. 3: each obligation is met by
    /// its own unit's report, so a provincial commander filing a county's report meets the county's, not the
    /// province's), one pending `PeerNotified` per neighbouring province the plan says to notify, and one
    /// `TaskDispatched` per task for this province's units.
    ///
    /// When the report meets a lower unit's obligation (the county's), the province receives it now: the
    /// obligations counted from receipt (the province's report to MEE, Art. 3: within 1 h of receipt) are due
    /// `withinH` after `now` — e.g. a county report filed at 08:30 makes the province's due at 09:30.
    ///
    /// - Parameters:
    ///   - reference: the incident's reference (handed out by the caller, one at a time).
    ///   - now: the time on the incident's clock (the drill's for a drill).
    ///   - exercise: whether the report is an exercise.
    ///   - drill: for a drill's report, its link and the neighbours it names (an exercise reaches only those; an
    ///     exercise outside a drill reaches none).
    ///   - claim: the `Idempotency-Key` claim, recorded in `IncidentReported`.
    /// - Throws: ``DomainError`` invalid naming the first field at fault (discovery time, place, release…).
    public func initialReport(
        _ report: InitialReport, reference: String, by holder: TokenHolder, now: Date, exercise: Bool,
        drill: (link: DrillLink, peers: [UnitCode])? = nil, claim: Claim? = nil
    ) throws(DomainError) -> [IncidentEvent] {
        // The discovery time, on the incident's clock (issue 15, item 10).
        if let problem = report.discoveryProblem(now: now) { throw .invalid(problem) }
        // One planner run: the checks place a planner error on the report's field, and keep the plan otherwise.
        let checked = report.checked(in: basin, ownProvince: province)
        guard let plan = checked.plan else {
            throw .invalid(
                checked.problems.first ?? FieldError(field: "place", message: "the report cannot be planned"))
        }
        var rest: [IncidentEvent] = [.planComputed(PlanRecord(plan))]
        // Filing this report meets the initial obligation of the unit it is signed as (MEP Order No. 17 Art. 3), not
        // the token's: a commander signing as the county meets the county's. The others become report tasks for their
        // units. When a lower unit's is met now, the obligations counted from its receipt (the province's 1 h to MEE)
        // are due `withinH` after now.
        let filer = report.signature.reportingUnit
        let met = plan.obligations.filter { $0.report == .initial && $0.fromUnit == filer }
        let obligations = Self.received(plan.obligations, meeting: met, at: now)
        rest += obligations.map { .obligationDue($0) }
        rest += met.map { .obligationMet(ObligationMetPayload(obligation: $0.id, filedAt: now, unit: filer)) }
        // Drills are isolated (DESIGN.md "Rules that hold everywhere"): an exercise reaches a neighbour only when the
        // drill names it, and arrives there as an exercise.
        for notification in peerNotifications(for: plan)
        where !exercise || (drill?.peers.contains(notification.province) ?? false) {
            rest.append(.peerNotified(PeerNotifiedPayload(pending: notification)))
        }
        let metIDs = Set(met.map(\.id))
        let dispatched = TaskDispatch.make(
            incidentReference: reference, tasks: plan.tasks,
            obligations: obligations.filter { !metIDs.contains($0.id) }, organisation: organisation,
            units: basin.units, at: now)
        rest += dispatched.map { .task(.dispatched($0)) }
        // A level set below what the plan grades stands, and the commander is asked to review it (issue 17).
        if let review = levelReviewTask(
            LevelReview(level: report.level, hint: plan.gradingHint), reference: reference,
            number: dispatched.count + 1, existing: [], now: now)
        {
            rest.append(.task(.dispatched(review)))
        }
        let first = IncidentEvent.reported(
            IncidentReportedPayload(
                reference: reference, report: report, idempotency: claim?.record(eventCount: 1 + rest.count),
                drill: drill?.link))
        return [first] + rest
    }

    /// `obligations` with the `dueBy` of those counted from receipt (``ObligationAnchor/receipt``) set to `at` plus
    /// their `withinH`, where `met` holds another unit's obligation of the same rule run (the same id suffix:
    /// none for discovery, `/level-change-<n>` for a level change) — the province receives the lower unit's report
    /// when it is filed (MEP Order No. 17 Art. 3). Obligations with a `dueBy` already are left as they are.
    static func received(_ obligations: [ReportObligation], meeting met: [ReportObligation], at: Date)
        -> [ReportObligation]
    {
        func run(_ id: String) -> String { id.firstIndex(of: "/").map { String(id[$0...]) } ?? "" }
        return obligations.map { obligation in
            var obligation = obligation
            if obligation.anchor == .receipt, obligation.dueBy == nil,
                met.contains(where: { $0.fromUnit != obligation.fromUnit && run($0.id) == run(obligation.id) })
            {
                obligation.dueBy = at.addingTimeInterval(obligation.withinH * 3_600)
            }
            return obligation
        }
    }
}
