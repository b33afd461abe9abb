import Foundation

/// A neighbour's incident opened here, and the calls our duty chief makes when a neighbour does not answer (issue 5,
/// "Inbound", "Outbound" and "Store-and-forward"): pure decisions the federation's effects call with the time.
extension IncidentRules {
    /// The plume's first crossing into `province` in `plan`: the earliest boundary (or maritime boundary) arrival
    /// whose `beyond` is that province and which is not already inside it; `nil` when the plan predicts none.
    ///
    /// A plan made here excludes our own province from its ``PlanDocument/peerNotifications`` (we never notify
    /// ourselves), so the crossing into us is read from the arrivals: the same node and time the origin's plan,
    /// made on the same shared basin, notifies us with.
    public func crossing(into province: UnitCode, in plan: PlanDocument) -> Arrival? {
        plan.arrivals
            .filter {
                ($0.kind == .boundary || $0.kind == .maritimeBoundary) && $0.beyond?.provinceCode == province
                    && $0.province != province
            }
            .min { $0.earliestArrival < $1.earliestArrival }
    }

    /// The events that open our incident for a neighbour's `IncidentReported` (issue 5, "Inbound"), in the order
    /// they are appended together:
    /// 1. `IncidentReported` with the neighbour's report, our `reference`, and `origin` (its province, incident,
    ///    reference, event and seq); a joint drill's link when `exercise` (its deadlines run on the drill's clock);
    /// 2. `PlanComputed`, planned here from the reported spill on the shared basin (both provinces load the same
    ///    network, so the arrivals from the boundary on are the ones the origin's plan predicts) — left out when the
    ///    report cannot be planned here;
    /// 3. T1, a ``ResponseTaskKind/notification`` task for our provincial duty chief to acknowledge the notification
    ///    (``notificationTask(reference:from:originReference:crossing:at:)``), whose acknowledgement sends
    ///    *accepted* back;
    /// 4. one `TaskDispatched` per planned task for **our own units only** (``TaskDispatch/make``), numbered from T2.
    ///
    /// - Parameters:
    ///   - reported: the neighbour's `IncidentReported` payload (its reference, report and drill link).
    ///   - origin: where it came from: the neighbour's province, incident UUID, reference, event id and seq.
    ///   - reference: our reference for the incident (handed out by the caller).
    ///   - peerName: the neighbour's name as titles say it (`Guangxi`).
    ///   - exercise: whether the neighbour's event is an exercise.
    ///   - now: the time on the incident's clock (the drill's for a joint drill).
    public func neighbourOpened(
        _ reported: IncidentReportedPayload, origin: IncidentOrigin, reference: String, peerName: String,
        exercise: Bool, now: Date
    ) -> [IncidentEvent] {
        let plan = reported.report.checked(in: basin, ownProvince: province).plan
        var rest: [IncidentEvent] = []
        if let plan { rest.append(.planComputed(PlanRecord(plan))) }
        rest.append(
            .task(
                .dispatched(
                    notificationTask(
                        reference: reference, from: peerName, originReference: reported.reference,
                        crossing: plan.flatMap { crossing(into: province, in: $0) }, at: now))))
        if let plan {
            rest += TaskDispatch.make(
                incidentReference: reference, tasks: plan.tasks, obligations: [], organisation: organisation,
                units: basin.units, existingCount: 1, at: now
            ).map { .task(.dispatched($0)) }
        }
        let first = IncidentEvent.reported(
            IncidentReportedPayload(
                reference: reference, report: reported.report, origin: origin,
                drill: exercise ? reported.drill : nil))
        return [first] + rest
    }

    /// T1 of a neighbour's incident opened here: our provincial duty chief acknowledges `peerName`'s notification
    /// of `originReference`, due by the predicted crossing into our province when there is one (its title then
    /// names the boundary and the time, RFC 3339 UTC with milliseconds); our policy's acknowledgement interval
    /// applies, escalating up our chain.
    public func notificationTask(
        reference: String, from peerName: String, originReference: String, crossing: Arrival?, at: Date
    ) -> TaskDispatched {
        let assignee = Assignee(unit: province, position: .provincialDutyChief)
        let policy = organisation.policy(for: province)
        var title = "Acknowledge \(peerName)'s notification of \(originReference)"
        if let crossing {
            title += ": crossing at \(crossing.name) predicted \(CanonicalJSON.timestamp(crossing.earliestArrival))"
        }
        return TaskDispatched(
            task: UUID(), reference: "\(reference)/T1", number: 1, kind: .notification, title: title,
            assignee: assignee, dueBy: crossing?.earliestArrival, policy: policy,
            chain: EscalationChain.above(assignee, units: basin.units), at: at,
            ackBy: at.addingTimeInterval(policy.ackInterval))
    }

    /// The calls our provincial duty chief makes about `incident`'s overdue notifications at `now`
    /// (``Incident/overdueNotifications(at:)``; issue 5, "Outbound"): for a neighbour whose server has not
    /// *received* it, "Phone … duty office" (`peer:<code>:not-received`; the link keeps retrying meanwhile); for one
    /// that received it but has not *accepted* it, "Escalate to … provincial duty chief" (`peer:<code>:not-accepted`).
    /// One ``ResponseTaskKind/peerCall`` task per neighbour and reason, ever: a marker already among the incident's
    /// tasks (open or not) is not dispatched again. Numbered after the incident's tasks, in deadline order.
    ///
    /// - Parameter names: neighbours' names for titles (the code when missing).
    public func peerCalls(on incident: Incident, names: [UnitCode: String], now: Date) -> [TaskDispatched] {
        var calls: [TaskDispatched] = []
        for overdue in incident.overdueNotifications(at: now) {
            let reason = overdue.delivery == .pending ? "not-received" : "not-accepted"
            let marker = "peer:\(overdue.province):\(reason)"
            guard !incident.tasks.contains(where: { $0.kind == .peerCall && $0.obligation == marker }) else {
                continue
            }
            let name = names[overdue.province] ?? overdue.province
            let deadline = CanonicalJSON.timestamp(overdue.deadline)
            let title =
                reason == "not-received"
                ? "Phone \(name)'s duty office: the notification of \(incident.reference) was not received by its "
                    + "deadline \(deadline) (the link keeps retrying)"
                : "Escalate to \(name)'s provincial duty chief: \(incident.reference) was received but not accepted "
                    + "by its deadline \(deadline)"
            let nameZh = basin.unit(overdue.province).map { $0.nameZh ?? $0.name } ?? name
            let titleZh =
                reason == "not-received"
                ? "电话联系\(nameZh)值班室：\(incident.reference)的通报在时限\(ReportWordsZh.time(overdue.deadline))前未被"
                    + "对方接收（链路仍在重试）"
                : "报告\(nameZh)的省级值班长：\(incident.reference)的通报已被接收，但在时限"
                    + "\(ReportWordsZh.time(overdue.deadline))前未被接受"
            calls.append(
                peerCall(
                    title, titleZh: titleZh, marker: marker, number: incident.tasks.count + calls.count + 1,
                    on: incident, at: now))
        }
        return calls
    }

    /// Where and how our provincial duty chief is asked to phone a neighbour whose link has been silent longer
    /// than `silentAfter` seconds since `lastHeard` (issue 5, "Store-and-forward"; marker `peer:<code>:silent`).
    /// Tasks are numbered within an incident (DESIGN.md "Identifiers and events"), so it goes on the most recently
    /// reported of `candidates` (the incidents shared with that neighbour) that is open and not an exercise; `nil`
    /// when there is none (the silence waits until such an incident opens).
    public func silenceCall(
        to neighbour: UnitCode, name: String, lastHeard: Date, silentAfter: TimeInterval, candidates: [Incident],
        now: Date
    ) -> (incident: Incident, task: TaskDispatched)? {
        guard
            let incident = candidates.filter({ $0.isOpen && !$0.exercise })
                .max(by: { $0.reportedSeq < $1.reportedSeq })
        else { return nil }
        let minutes = silentAfter / 60
        let allowed = minutes == minutes.rounded() ? String(Int(minutes)) : String(minutes)
        let title =
            "Phone \(name)'s duty office: nothing heard on the peer link since "
            + "\(CanonicalJSON.timestamp(lastHeard)) (more than \(allowed) min)"
        let nameZh = basin.unit(neighbour).map { $0.nameZh ?? $0.name } ?? name
        let titleZh = "电话联系\(nameZh)值班室：自\(ReportWordsZh.time(lastHeard))起对端链路没有任何消息（超过\(allowed)分钟）"
        return (
            incident,
            peerCall(
                title, titleZh: titleZh, marker: "peer:\(neighbour):silent", number: incident.tasks.count + 1,
                on: incident, at: now)
        )
    }

    /// A ``ResponseTaskKind/peerCall`` task for our provincial duty chief, no due time (our policy's
    /// acknowledgement interval applies); `marker` goes in its `obligation` field.
    func peerCall(
        _ title: String, titleZh: String, marker: String, number: Int, on incident: Incident, at now: Date
    ) -> TaskDispatched {
        let assignee = Assignee(unit: province, position: .provincialDutyChief)
        let policy = organisation.policy(for: province)
        return TaskDispatched(
            task: UUID(), reference: "\(incident.reference)/T\(number)", number: number, kind: .peerCall,
            obligation: marker, title: title, assignee: assignee, policy: policy,
            chain: EscalationChain.above(assignee, units: basin.units), at: now,
            ackBy: now.addingTimeInterval(policy.ackInterval), titleZh: titleZh)
    }
}
