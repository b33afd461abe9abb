import Foundation
import Testing
import WatershedCore

/// The incident model's decisions (``IncidentRules``) on the hand-made basin, without a server: one row per rule,
/// the expected answer worked out from the rule quoted beside it. The incidents the rows work on are folded by
/// ``Incident`` from what the decisions returned, as the server does.
@Suite struct IncidentRulesTests {
    static let organisation = Organisation(
        province: "450000", defaultPolicy: EscalationPolicy(ackMinutes: 15, repeats: 2),
        units: [
            OrganisationUnit(code: "450000", dutyPositions: [.provincialDutyChief]),
            OrganisationUnit(code: "451200", dutyPositions: [.cityDutyChief]),
            OrganisationUnit(code: "451203", dutyPositions: [.countyDutyOfficer]),
            OrganisationUnit(code: "450200", dutyPositions: [.cityDutyChief]),
            OrganisationUnit(code: "450222", dutyPositions: [.countyDutyOfficer]),
        ])
    static let rules = IncidentRules(basin: HandBasin.basin(), organisation: organisation, province: "450000")
    static let yizhou = TokenHolder(unit: "451203", position: .countyDutyOfficer, token: "t-yizhou", isCommander: false)
    static let hechi = TokenHolder(unit: "451200", position: .cityDutyChief, token: "t-hechi", isCommander: false)
    static let commander = TokenHolder(
        unit: "450000", position: .provincialDutyChief, token: "t-gx", isCommander: true)
    static let incidentID = UUID(uuidString: "00000000-0000-0000-0000-0000000000AA")!
    /// 2012-01-15 00:30 UTC: half an hour after the spill.
    static let filedAt = HandBasin.spillTime.addingTimeInterval(1_800)

    static func report(discoveredAt: Date = HandBasin.spillTime, signedBy unit: UnitCode = "451203") -> InitialReport {
        InitialReport(
            discoveredAt: discoveredAt, place: .river(id: "trib", km: 3), informationSource: "12369 hotline",
            cause: "tailings pond overflow", pollutant: "cadmium", release: .instantaneous(massKg: 100),
            signature: ReportSignature(
                reportingUnit: unit, signingOfficer: "Director Wei", contactName: "Li Ming",
                contactPhone: "0778-1234567"))
    }

    /// The incident the initial report opens, folded from the decision's events (seqs 1, 2, …).
    static func opened() throws -> Incident {
        let events = try rules.initialReport(
            report(), reference: "GX-2012-0001", by: yizhou, now: filedAt, exercise: false)
        return try #require(
            Incident.fold(
                events.enumerated().map { index, event in
                    RecordedEvent(
                        seq: Int64(index + 1), at: filedAt, incident: incidentID, actor: yizhou.actor, event: event)
                }))
    }

    /// Applies `events` after the incident's last seq.
    static func applying(_ events: [IncidentEvent], to incident: Incident, at: Date) -> Incident {
        var incident = incident
        for event in events {
            incident.apply(
                RecordedEvent(
                    seq: incident.lastSeq + 1, at: at, incident: incident.id, actor: commander.actor, event: event))
        }
        return incident
    }

    // MARK: Reporting unit

    /// DESIGN.md "Terms used in names", *reporting unit*: a token signs as its own unit; a commander as any unit of
    /// its province; an officer as a unit below its own that the organisation seed lists.
    @Test(arguments: [
        (yizhou, "451203", true),  // its own unit
        (hechi, "451203", true),  // Hechi's city duty chief for Yizhou, a county of Hechi the seed lists
        (hechi, "450222", false),  // Liucheng is under Liuzhou, not Hechi
        (yizhou, "451200", false),  // the city above the county
        (commander, "450222", true),  // a commander: any unit of Guangxi
        (commander, "441225", false),  // … but not Guangdong's Fengkai
        (yizhou, "999999", true),  // a unit nobody knows is left to the report's own checks (422)
    ])
    func reportingUnit(holder: TokenHolder, unit: UnitCode, allowed: Bool) {
        do {
            try Self.rules.checkReportingUnit(unit, of: holder)
            #expect(allowed, "\(holder.unit) signing as \(unit) was allowed")
        } catch {
            #expect(!allowed, "\(holder.unit) signing as \(unit) was refused")
            #expect(error.kind == .forbidden)
            #expect(error.field == "signature.reportingUnit")
        }
    }

    // MARK: Initial report

    /// MEP Order No. 17 Art. 13–14 and Art. 3: the report opens the incident with its plan, the filing county's own
    /// initial obligation is met by filing it, and tasks go to this province's units only.
    @Test func anInitialReportOpensPlansAndMeetsTheFilersOwnObligation() throws {
        let events = try Self.rules.initialReport(
            Self.report(), reference: "GX-2012-0001", by: Self.yizhou, now: Self.filedAt, exercise: false)
        #expect(events.prefix(2).map(\.type) == [.incidentReported, .planComputed])
        guard case .planComputed(let record) = events[1], let plan = try? record.document() else {
            Issue.record("no plan")
            return
        }
        let ownInitial = plan.obligations.filter { $0.report == .initial && $0.fromUnit == "451203" }.map(\.id)
        #expect(!ownInitial.isEmpty, "Yizhou owes an initial report (Art. 3)")
        let met = events.compactMap { event -> String? in
            if case .obligationMet(let met) = event { met.obligation } else { nil }
        }
        #expect(met == ownInitial)
        // Every task goes to one of this province's units (code 45xxxx), none to Yizhou's met obligation.
        let dispatched = events.compactMap { event -> TaskDispatched? in
            if case .task(.dispatched(let task)) = event { task } else { nil }
        }
        #expect(!dispatched.isEmpty)
        #expect(dispatched.allSatisfy { $0.assignee.unit.hasPrefix("45") })
        #expect(!dispatched.contains { $0.obligation.map(ownInitial.contains) ?? false })
        // References number the tasks T1, T2, … in dispatch order.
        #expect(dispatched.map(\.reference) == dispatched.indices.map { "GX-2012-0001/T\($0 + 1)" })
    }

    /// Issue 15, item 10: a discovery later than the filing time plus the 300 s allowed skew is refused, naming the
    /// field, and nothing is to be appended.
    @Test func aDiscoveryInTheFutureIsRefused() {
        let error = #expect(throws: DomainError.self) {
            try Self.rules.initialReport(
                Self.report(discoveredAt: Self.filedAt.addingTimeInterval(301)), reference: "GX-2012-0001",
                by: Self.yizhou, now: Self.filedAt, exercise: false)
        }
        #expect(error?.kind == .invalid)
        #expect(error?.field == "discoveredAt")
    }

    // MARK: Follow-up and final reports

    static func followUp(_ kind: ReportKind, levelTo: SeverityLevel? = nil, at: Date) -> FollowUpReport {
        FollowUpReport(
            kind: kind, summary: "intake at km 10 closed",
            levelChange: levelTo.map { LevelChange(to: $0, at: at) }, signature: report().signature)
    }

    /// A level change records from → to and starts the new level's obligations, counted from the change.
    @Test func aLevelChangeSetsTheLevelAndItsObligations() throws {
        let incident = try Self.opened()
        let at = Self.filedAt.addingTimeInterval(3_600)
        let events = try Self.rules.report(
            Self.followUp(.followUp, levelTo: .III, at: at), on: incident, by: Self.commander, now: at)
        #expect(events.first?.type == .reportFiled)
        let levels = events.compactMap { event -> LevelSetPayload? in
            if case .levelSet(let payload) = event { payload } else { nil }
        }
        #expect(levels == [LevelSetPayload(from: nil, to: .III, at: at)])
        let after = Self.applying(events, to: incident, at: at)
        #expect(after.level == .III)
        #expect(after.levelChanges == 1)
        #expect(after.isOpen)
    }

    /// MEP Order No. 17 Art. 12: the final report closes the incident and cancels what is still open; `IncidentClosed`
    /// comes last, and a closed incident takes no further report (409 `incident_closed`).
    @Test func theFinalReportClosesAndCancelsOpenTasks() throws {
        let incident = try Self.opened()
        let open = incident.tasks.filter(\.state.isOpen).count
        #expect(open > 0)
        let at = Self.filedAt.addingTimeInterval(7_200)
        let events = try Self.rules.report(Self.followUp(.final, at: at), on: incident, by: Self.commander, now: at)
        #expect(events.last?.type == .incidentClosed)
        let after = Self.applying(events, to: incident, at: at)
        #expect(after.state == .closed)
        #expect(after.tasks.allSatisfy { !$0.state.isOpen })
        let error = #expect(throws: DomainError.self) {
            try Self.rules.report(Self.followUp(.followUp, at: at), on: after, by: Self.commander, now: at)
        }
        #expect(error?.kind == .conflict)
        #expect(error?.code == "incident_closed")
    }

    // MARK: Tasks

    @Test func workingATaskFollowsWhoMayWorkIt() throws {
        let incident = try Self.opened()
        let task = try #require(incident.tasks.first { $0.state == .dispatched })
        let assignee = TokenHolder(
            unit: task.assignee.unit, position: task.assignee.position, token: "t-assignee", isCommander: false)
        let at = Self.filedAt.addingTimeInterval(60)
        // The assignee acknowledges: one TaskAcknowledged.
        let acked = try Self.rules.work(task.id, on: incident, action: .ack, reason: nil, by: assignee, now: at)
        #expect(acked == [.task(.acknowledged(TaskAcknowledged(task: task.id, by: task.assignee, at: at)))])
        // Another unit's officer may not (403 not_assignee); an unknown task is 404.
        let stranger = TokenHolder(unit: "450222", position: .countyDutyOfficer, token: "t-x", isCommander: false)
        let forbidden = #expect(throws: DomainError.self) {
            try Self.rules.work(task.id, on: incident, action: .ack, reason: nil, by: stranger, now: at)
        }
        #expect(forbidden?.code == "not_assignee")
        let unknown = #expect(throws: DomainError.self) {
            try Self.rules.work(UUID(), on: incident, action: .ack, reason: nil, by: assignee, now: at)
        }
        #expect(unknown?.kind == .notFound)
        // Done cannot be acknowledged (409 task_state).
        let done = Self.applying(
            try Self.rules.work(task.id, on: incident, action: .done, reason: nil, by: assignee, now: at),
            to: incident, at: at)
        let conflict = #expect(throws: DomainError.self) {
            try Self.rules.work(task.id, on: done, action: .ack, reason: nil, by: assignee, now: at)
        }
        #expect(conflict?.code == "task_state")
    }

    /// Issue 4's escalation through the decisions: dispatched at 00:30 with 15 min to acknowledge (the seed's
    /// default policy), nothing is due at 00:45 exactly; just after it, each unacknowledged task is overdue and goes
    /// one step up.
    @Test func deadlinesPassStrictlyAfterThem() throws {
        let incident = try Self.opened()
        let waiting = incident.tasks.filter { $0.ackBy == Self.filedAt.addingTimeInterval(900) }
        #expect(!waiting.isEmpty)
        #expect(Self.rules.deadlinesPassed(on: incident, now: Self.filedAt.addingTimeInterval(900)) == [])
        let passed = Self.rules.deadlinesPassed(on: incident, now: Self.filedAt.addingTimeInterval(900.001))
        let overdue = passed.filter { $0.type == .taskOverdue }
        #expect(overdue.count == waiting.count)
    }
}
