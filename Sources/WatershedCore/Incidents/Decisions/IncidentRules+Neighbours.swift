import Foundation

extension IncidentRules {
    /// What a level change does (MEP Order No. 17 Art. 8: the new level's report paths, counted from the change):
    /// `LevelSet` (from the incident's level), one `ObligationDue` per obligation of the new level, the report tasks of
    /// the other path cancelled and the new obligations' tasks dispatched. Shared by a report's level change and a
    /// neighbour's level followed (``neighbourEvent(_:on:now:followOriginClose:)``).
    ///
    /// For a neighbour's incident mirrored here the spill is not in our province: the obligations are our
    /// provincial department's, as the receiving province (DOMAIN.md §2: "province, on receiving II/I → MEE, 1 h
    /// after receipt"), worked out with our province as the reporting unit and kept only for our units.
    public func levelChange(_ change: LevelChange, on incident: Incident, now: Date) -> (
        events: [IncidentEvent], tasks: [TaskChange]
    ) {
        let mirrored = incident.origin != nil
        let obligations = FollowUpReport.levelChangeObligations(
            change, number: incident.levelChanges + 1, triggers: Set(incident.plan?.triggers ?? []),
            spillUnit: mirrored ? province : incident.spillUnit, units: basin.units
        ).filter { !mirrored || $0.fromUnit.provinceCode == province.provinceCode }
        let events: [IncidentEvent] =
            [.levelSet(LevelSetPayload(from: incident.level, to: change.to, at: change.at))]
            + obligations.map { .obligationDue($0) }
        var tasks = levelChangeCancellations(
            on: incident, toMajorPath: obligations.first?.majorPath ?? (change.to >= .II), now: now)
        tasks += TaskDispatch.make(
            incidentReference: incident.reference, tasks: [], obligations: obligations, organisation: organisation,
            units: basin.units, existingCount: incident.tasks.count, at: now
        ).map { .dispatched($0) }
        return (events, tasks)
    }

    /// The notifications a re-estimated plan moves: for each neighbour already notified of a crossing whose predicted
    /// crossing the new plan changes, a new pending `PeerNotified` with the new crossing and deadline (delivered over
    /// the same link, in order; the incident's notification shows the new time). For an exercise, only the neighbours
    /// its drill names.
    public func renotifications(after plan: PlanDocument, on incident: Incident, drillPeers: Set<UnitCode>)
        -> [PeerNotification]
    {
        plan.peerNotifications.filter { new in
            guard new.kind == nil, !incident.exercise || drillPeers.contains(new.province),
                let last = incident.notifications.last(where: {
                    $0.notification.province == new.province && $0.notification.kind == nil
                })
            else { return false }
            return last.notification.crossingAt != new.crossingAt || last.notification.boundary != new.boundary
        }
    }

    /// What the neighbour's answer to our notification does: `PeerReceived` or `PeerAccepted`, and the calls to its
    /// duty office we dispatched for it (``ResponseTaskKind/peerCall``, `peer:<code>:not-received` — and on
    /// acceptance also `peer:<code>:not-accepted`) done by it: nobody is to chase a neighbour that has answered.
    ///
    /// - Parameter accepted: `PeerAccepted` (its duty officer accepted) rather than `PeerReceived` (its server stored
    ///   our events).
    public func acknowledgement(
        _ payload: PeerAcknowledgementPayload, accepted: Bool, on incident: Incident, now: Date
    ) -> [IncidentEvent] {
        let answered =
            ["peer:\(payload.province):not-received"] + (accepted ? ["peer:\(payload.province):not-accepted"] : [])
        let by = Assignee(unit: payload.province, position: .provincialDutyChief)
        let calls = incident.tasks.filter {
            $0.kind == .peerCall && $0.state.isOpen && answered.contains($0.obligation ?? "")
        }
        return [accepted ? .peerAccepted(payload) : .peerReceived(payload)]
            + calls.flatMap { (try? $0.complete(by: by, at: now)) ?? [] }.map { .task($0) }
    }

    /// What an event of the neighbour's incident does to ours, the mirror of it (`PeerEventReceived` first, then):
    ///
    /// - **level**: while our commander has set no level of our own, the origin's becomes ours (a level change here,
    ///   with its obligations and tasks); once ours is set, the origin's change raises a review task for our
    ///   provincial duty chief instead — our province keeps the last word on its own incident;
    /// - **re-estimate**: the origin's new plan (its observations) re-plans ours through the shared playbooks, with
    ///   our site tasks rescheduled, cancelled or dispatched as for our own re-estimate;
    /// - **close**: our incident closes by itself (open tasks cancelled, `IncidentClosed` reason `originClosed`) when
    ///   none of our receptors is still at risk (``Incident/atRisk(in:now:)``) or `followOriginClose` says so (the
    ///   peer's settings); otherwise our commander gets a task to close it or continue.
    ///
    /// Nothing more for a closed incident of ours, or for an event of the neighbour that is not about the incident's
    /// course (its tasks, its obligations).
    ///
    /// - Parameter now: the time on our incident's clock.
    public func neighbourEvent(
        _ received: PeerEventReceivedPayload, on incident: Incident, now: Date, followOriginClose: Bool = false
    ) -> [IncidentEvent] {
        var events: [IncidentEvent] = [.peerEventReceived(received)]
        guard incident.isOpen, let origin = incident.origin, let event = try? RecordedEvent(received.event) else {
            return events
        }
        let name = basin.agreements[origin.province]?.name ?? basin.units[origin.province]?.name ?? origin.province
        switch event.event {
        case .levelSet(let level):
            if incident.levelSetHere {
                guard level.to != incident.level else { break }
                let title =
                    "Review our level: \(name) set \(origin.reference) to level \(level.to) "
                    + "(ours, \(incident.reference), is \(incident.level.map { "level \($0)" } ?? "ungraded"))"
                events.append(
                    .task(.dispatched(reviewTask(title, marker: "origin:level:\(event.seq)", on: incident, now: now))))
            } else {
                let change = levelChange(
                    LevelChange(from: incident.level, to: level.to, at: now), on: incident, now: now)
                events += change.events + change.tasks.map { .task($0) }
            }
        case .planComputed(let record):
            guard let theirs = try? record.document(), let ours = incident.plan,
                theirs.input.observations != ours.input.observations
            else { break }
            var input = theirs.input
            input.ownProvince = province
            input.level = incident.level
            guard let plan = try? Planner(basin: basin).plan(input) else { break }
            events.append(.planComputed(PlanRecord(plan)))
            events += replanChanges(on: incident, plan: plan, now: now).map { .task($0) }
        case .closed:
            if followOriginClose || !incident.atRisk(in: province, now: now) {
                events += incident.tasks.filter(\.state.isOpen)
                    .flatMap { (try? $0.cancel(reason: "originClosed", at: now)) ?? [] }.map { .task($0) }
                events.append(.closed(IncidentClosedPayload(reason: "originClosed")))
            } else {
                let until = incident.clearsAt(in: province).map { " until \(CanonicalJSON.timestamp($0))" } ?? ""
                let title =
                    "\(name) closed \(origin.reference): close \(incident.reference) or continue "
                    + "(our receptors are still at risk\(until))"
                events.append(.task(.dispatched(reviewTask(title, marker: "origin:closed", on: incident, now: now))))
            }
        default:
            break
        }
        return events
    }

    /// A decision task for our provincial duty chief (``ResponseTaskKind/review``), numbered after the incident's
    /// tasks; `marker` goes in its `obligation` field (what it is about).
    func reviewTask(_ title: String, marker: String, on incident: Incident, now: Date) -> TaskDispatched {
        let assignee = Assignee(unit: province, position: .provincialDutyChief)
        let policy = organisation.policy(for: province)
        let number = incident.tasks.count + 1
        return TaskDispatched(
            task: UUID(), reference: "\(incident.reference)/T\(number)", number: number, kind: .review,
            obligation: marker, title: title, assignee: assignee, policy: policy,
            chain: EscalationChain.above(assignee, units: basin.units), at: now,
            ackBy: now.addingTimeInterval(policy.ackInterval))
    }
}
