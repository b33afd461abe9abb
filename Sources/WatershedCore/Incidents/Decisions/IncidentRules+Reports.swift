import Foundation

extension IncidentRules {
    /// The events of a follow-up or final report on `incident` (MEP Order No. 17 Art. 12–13), in the order they are
    /// appended together: `ReportFiled`; `ObligationMet` for the obligations of the unit the report is signed as
    /// (`signature.reportingUnit`, MEP Order No. 17 Art. 3: each obligation is met by its own unit's report) that it
    /// meets, with their report tasks done, and the obligations counted from receipt of it again as `ObligationDue`
    /// with their `dueBy` (``received(_:meeting:at:)``); for a level change `LevelSet`, one `ObligationDue` per
    /// obligation the rule gives at the new level from the time of the change, the report tasks of the other path
    /// cancelled and the new ones dispatched; for observations of the slug a re-estimated `PlanComputed`, a new
    /// `PeerNotified` for each neighbour whose crossing it moves (``renotifications(after:on:drillPeers:)``) and its
    /// task changes (``replanChanges(on:plan:now:)``); for a final report every open task cancelled and
    /// `IncidentClosed`; and a pending `PeerNotified` per neighbour a dam release warns
    /// (``releaseWarnings(_:on:now:drillPeers:)``).
    ///
    /// The caller has checked the roles (officer; commander for a level change or a final report).
    ///
    /// - Parameters:
    ///   - now: the time on the incident's clock.
    ///   - drillPeers: for a drill incident, the neighbours its drill names.
    ///   - claim: the `Idempotency-Key` claim, recorded in `ReportFiled`.
    /// - Throws: ``DomainError`` conflict `incident_closed` for a closed incident; invalid naming the first field at
    ///   fault (nothing is to be appended).
    public func report(
        _ report: FollowUpReport, on incident: Incident, by holder: TokenHolder, now: Date,
        drillPeers: Set<UnitCode> = [], claim: Claim? = nil
    ) throws(DomainError) -> [IncidentEvent] {
        guard incident.isOpen else {
            throw DomainError(
                .conflict, code: "incident_closed",
                message: "incident \(incident.reference) was closed by its final report; it takes no further reports",
                field: "id")
        }
        // The plume's path is read only by the checks of monitoring results and a dam hold: most follow-ups carry
        // neither, and gathering it (the plan copied out, a set built) was a third of these rules' time in the
        // ingest profile (issue 22).
        let readsPath = !report.monitoring.isEmpty || report.damHold != nil
        let context = FollowUpContext(
            discoveredAt: incident.discoveredAt, level: incident.level,
            pathNodes: readsPath ? Set(incident.plan?.arrivals.map(\.node) ?? []) : [], now: now)
        if let problem = report.problems(in: basin, context: context).first { throw .invalid(problem) }
        var rest: [IncidentEvent] = []
        // The report meets the obligations still due of the unit it is signed as (not the token's unit).
        let filer = report.signature.reportingUnit
        let met = obligationsMet(on: incident, by: filer, kind: report.kind == .final ? .final : .followUp)
        var metTasks: [TaskChange] = []
        for obligation in met {
            rest.append(.obligationMet(ObligationMetPayload(obligation: obligation.id, filedAt: now, unit: filer)))
            if let task = incident.tasks.first(where: { $0.obligation == obligation.id && $0.state.isOpen }) {
                metTasks += (try? task.complete(by: holder.assignee, at: now)) ?? []
            }
        }
        // A lower unit's report of a level change is received now: the province's obligation counted from receipt
        // gets its deadline.
        let due = incident.currentObligations.filter { $0.state == .due }.map(\.obligation)
        for obligation in Self.received(due, meeting: met, at: now) where !due.contains(obligation) {
            rest.append(.obligationDue(obligation))
        }
        var level = incident.level
        var taskChanges: [TaskChange] = []
        if let change = report.levelChange {
            let changed = levelChange(change, on: incident, now: now)
            rest += changed.events
            taskChanges += changed.tasks
            level = change.to
        }
        if let previous = incident.plan, let input = report.replanInput(from: previous.input, level: level, now: now) {
            let plan: PlanDocument
            do {
                plan = try Planner(basin: basin).plan(input)
            } catch {
                throw Self.replanError(error, report: report)
            }
            rest.append(.planComputed(PlanRecord(plan)))
            rest += renotifications(after: plan, on: incident, drillPeers: drillPeers)
                .map { .peerNotified(PeerNotifiedPayload(pending: $0)) }
            var replan = replanChanges(on: incident, plan: plan, now: now)
            // New tasks are numbered after those a level change just dispatched.
            let offset = taskChanges.filter { if case .dispatched = $0 { true } else { false } }.count
            if offset > 0 {
                replan = replan.map { change in
                    guard case .dispatched(var dispatched) = change else { return change }
                    dispatched.number += offset
                    dispatched.reference = "\(incident.reference)/T\(dispatched.number)"
                    return .dispatched(dispatched)
                }
            }
            taskChanges += replan
        }
        if report.kind != .final {
            // A level (now) set below what the (new) plan grades is reviewed once per higher hint (issue 17).
            let dispatched = taskChanges.filter { if case .dispatched = $0 { true } else { false } }.count
            let plan = rest.lazy.compactMap { if case .planComputed(let record) = $0 { record } else { nil } }.last
            if let review = levelReviewTask(
                LevelReview(level: level, hint: (try? plan?.document())?.gradingHint ?? incident.plan?.gradingHint),
                reference: incident.reference, number: incident.tasks.count + dispatched + 1,
                existing: incident.tasks, now: now)
            {
                taskChanges.append(.dispatched(review))
            }
        }
        rest += (metTasks + taskChanges).map { .task($0) }
        if report.kind == .final {
            // Closing cancels what is still open: nobody must be chased for an incident that is over.
            for task in incident.tasks where task.state.isOpen {
                if metTasks.contains(where: { $0.task == task.id }) { continue }
                rest += ((try? task.cancel(reason: "incidentClosed", at: now)) ?? []).map { .task($0) }
            }
            rest.append(.closed(IncidentClosedPayload(reason: "finalReport")))
        }
        rest += releaseWarnings(report, on: incident, now: now, drillPeers: drillPeers)
            .map { .peerNotified(PeerNotifiedPayload(pending: $0)) }
        let first = IncidentEvent.reportFiled(
            ReportFiledPayload(report: report, idempotency: claim?.record(eventCount: 1 + rest.count)))
        return [first] + rest
    }

    /// The obligations of `incident` still due from `unit` that a report of `kind` signed as `unit` meets (MEP
    /// Order No. 17 Art. 3: each obligation is met by its own unit's report): a follow-up meets follow-up
    /// obligations, the initial ones a level change started, and the province's initial report to MEE counted from
    /// receipt (its own report, filed on the incident); a final report also the final ones (Art. 12). In id order.
    public func obligationsMet(on incident: Incident, by unit: UnitCode, kind: ReportKind) -> [ReportObligation] {
        incident.currentObligations.filter { entry in
            guard entry.state == .due, entry.obligation.fromUnit == unit else { return false }
            switch entry.obligation.report {
            case .followUp: return true
            case .initial: return entry.obligation.anchor != .discovery
            case .final: return kind == .final
            }
        }.map(\.obligation).sorted { $0.id < $1.id }
    }

    /// The changes a level change makes to report tasks: open report tasks of obligations still due on the other
    /// path (II/I 2 h vs III/IV 4 h; MEP Order No. 17 Art. 8) are cancelled — the new level's obligations replace
    /// them.
    public func levelChangeCancellations(on incident: Incident, toMajorPath major: Bool, now: Date) -> [TaskChange] {
        incident.tasks.flatMap { task -> [TaskChange] in
            guard task.kind == .report, task.state.isOpen, let id = task.obligation,
                let entry = incident.obligations.last(where: { $0.obligation.id == id }), entry.state == .due,
                entry.obligation.majorPath != major
            else { return [] }
            return (try? task.cancel(reason: "levelChanged", at: now)) ?? []
        }
    }

    /// The changes a re-estimated plan makes to site tasks: a task whose site the new plan still gives moves its
    /// `startBy` (`TaskRescheduled`, from → to); one whose site is no longer reached is cancelled; the new plan's
    /// own-province tasks with no open counterpart are dispatched (numbered after the incident's tasks). Tasks at
    /// sites at or above the most downstream observed section are left as they are: the front has passed them, so
    /// a re-estimate of their (past) arrival must not move the work there.
    public func replanChanges(on incident: Incident, plan: PlanDocument, now: Date) -> [TaskChange] {
        let open = incident.tasks.filter { $0.kind == .site && $0.state.isOpen }
        // A site is its playbook, node and measure (the playbook version may change between plans).
        func key(_ source: TaskSource?) -> String {
            [source?.playbook ?? "", source?.node ?? "", source?.measure ?? ""].joined(separator: "\u{0}")
        }
        var planned: [String: PlannedTask] = [:]
        for task in plan.tasks where task.province == province && planned[key(task.source)] == nil {
            planned[key(task.source)] = task
        }
        var distance: [String: Double] = [:]
        for arrival in plan.arrivals { distance[arrival.node] = arrival.distanceKm }
        let observedKm = plan.input.observations.compactMap { distance[$0.node] }.max()
        var changes: [TaskChange] = []
        var kept = Set<String>()
        for task in open {
            let k = key(task.source)
            if let observedKm, let node = task.source?.node, let km = distance[node], km <= observedKm {
                kept.insert(k)
                continue
            }
            if let next = planned[k] {
                kept.insert(k)
                changes +=
                    (try? task.reschedule(startBy: next.latestStart, reason: "re-estimated arrivals", at: now)) ?? []
            } else {
                changes += (try? task.cancel(reason: "replanned: site no longer reached", at: now)) ?? []
            }
        }
        let new = plan.tasks.filter { $0.province == province && !kept.contains(key($0.source)) }
        let dispatched = TaskDispatch.make(
            incidentReference: incident.reference, tasks: new, obligations: [], organisation: organisation,
            units: basin.units, existingCount: incident.tasks.count, at: now)
        return changes + dispatched.map { .dispatched($0) }
    }

    /// The neighbours a follow-up report's dam release warns (``FollowUpReport/damRelease``): each whose boundary the
    /// released water crosses (``Basin/damReleaseNotifications(_:plan:now:)``; MEE–MWR 2020 guidance, task 3), other
    /// than this province; for an exercise, only those its drill names (`drillPeers`). None for an incident without a
    /// plan.
    public func releaseWarnings(_ report: FollowUpReport, on incident: Incident, now: Date, drillPeers: Set<UnitCode>)
        -> [PeerNotification]
    {
        guard let release = report.damRelease, let plan = incident.plan else { return [] }
        return basin.damReleaseNotifications(release, plan: plan, now: now).filter {
            $0.province != province && (!incident.exercise || drillPeers.contains($0.province))
        }
    }

    /// A planner error on re-estimating, against the report's field (its observations passed the checks, so the
    /// planner can only object to one of them).
    static func replanError(_ error: PlanError, report: FollowUpReport) -> DomainError {
        func index(of node: String) -> Int? {
            report.monitoring.firstIndex { $0.node == node && $0.feature != nil }
        }
        switch error {
        case .unknownObservationNode(let node):
            if let i = index(of: node) {
                return DomainError(
                    .invalid, code: "unknown_observation_node", message: error.description,
                    field: "monitoring[\(i)].node")
            }
        case .impossibleObservation(let node, _):
            if let i = index(of: node) {
                return DomainError(
                    .invalid, code: "impossible_observation", message: error.description,
                    field: "monitoring[\(i)].sampledAt")
            }
        default:
            break
        }
        return DomainError(.invalid, code: error.code, message: error.description, field: error.field)
    }
}
