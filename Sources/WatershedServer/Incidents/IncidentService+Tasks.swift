import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

extension IncidentService {
    // MARK: Reading tasks

    /// A task by UUID or reference (`GX-2026-0007/T3`).
    func task(_ key: String) -> ResponseTask? {
        book.task(key)
    }

    /// Tasks in dispatch order, filtered by assignee (`unit` or `unit/position`, also matching positions a task
    /// was escalated to), state and incident.
    func tasks(assignee: Assignee?, unit: UnitCode?, state: TaskState?, incident: UUID?) -> [ResponseTask] {
        let tasks = incident.map { book.tasks(of: $0) } ?? book.order.flatMap { book.tasks(of: $0) }
        return tasks.filter { task in
            if let state, task.state != state { return false }
            if let assignee, task.assignee != assignee, !task.escalatedTo.contains(assignee) { return false }
            if let unit, task.assignee.unit != unit, !task.escalatedTo.contains(where: { $0.unit == unit }) {
                return false
            }
            return true
        }
    }

    /// Each incident's earliest open deadline with its task: an acknowledgement awaited (dispatched, owned) or a
    /// report task's due time (kept after it passed, so an overdue report stays the first thing listed).
    func nextDeadlines() -> [UUID: (at: Date, task: String)] {
        var next: [UUID: (at: Date, task: String)] = [:]
        for task in book.allTasks where task.state.isOpen {
            let waiting = [
                task.state == .dispatched && !task.unowned ? task.ackBy : nil, task.kind == .report ? task.dueBy : nil,
            ]
            guard let at = waiting.compactMap({ $0 }).min() else { continue }
            if let known = next[task.incident], known.at <= at { continue }
            next[task.incident] = (at, task.reference)
        }
        return next
    }

    /// The duty positions a task can be assigned to: the standard three and those of the organisation seed.
    var knownPositions: Set<DutyPosition> {
        Set([.countyDutyOfficer, .cityDutyChief, .provincialDutyChief]).union(
            organisation.units.values.flatMap(\.dutyPositions))
    }

    /// Whether the incident a task belongs to is an exercise.
    func isExercise(_ task: ResponseTask) -> Bool { find(task.incident.uuidString)?.exercise ?? false }

    // MARK: Working tasks

    /// Acknowledges, starts, completes or declines a task for `identity`, appending the changes (and any
    /// deadlines that passed before `now`).
    ///
    /// - Throws: ``APIError`` 404 unknown task; 403 when the token may not work it (DESIGN.md "Terms": the
    ///   assignee's unit and position, a position it was escalated to, or a commander); 409 with the task's state
    ///   when the action does not apply (`task_state`).
    func work(_ key: String, action: TaskAction, reason: String?, by identity: Identity, now: Date) async throws
        -> ResponseTask
    {
        guard let task = task(key) else {
            throw APIError(.notFound, code: "unknown_task", message: "no task \"\(key)\"", field: "id")
        }
        let lock = "incident " + task.incident.uuidString
        await acquire(lock)
        defer { release(lock) }
        guard let current = book.task(task.id) else { throw Self.unknown(key) }
        let actor = Assignee(unit: identity.unit, position: identity.dutyPosition)
        guard current.mayBeWorked(by: actor, isCommander: identity.has(.commander)) else {
            throw APIError(
                .forbidden, code: "not_assignee",
                message: "task \(current.reference) is assigned to \(current.assignee)"
                    + (current.escalatedTo.isEmpty
                        ? "" : " (escalated to \(current.escalatedTo.map(\.description).joined(separator: ", ")))")
                    + "; token \(identity.tokenID) is \(actor) and not a commander",
                field: "id")
        }
        // A drill incident's task is worked on its drill's clock.
        let (now, drillWall) = times(of: current.incident, wall: now)
        let changes: [TaskChange]
        do {
            switch action {
            case .ack: changes = try current.acknowledge(by: actor, at: now)
            case .start: changes = try current.start(by: actor, at: now)
            case .done: changes = try current.complete(by: actor, at: now)
            case .decline:
                changes = try current.decline(
                    by: actor, reason: reason ?? "", at: now, isCommander: identity.has(.commander))
            }
        } catch {
            throw APIError(.conflict, code: "task_state", message: error.description, field: "state")
        }
        let make = EventMaker(
            incident: current.incident, identity: identity, now: now, exercise: isExercise(current), wall: drillWall)
        _ = try await append(try changes.map { try event(make, change: $0) })
        return book.task(current.id) ?? current
    }

    // MARK: Deadlines

    /// The earliest deadline of any open task, as a wall time (the scheduler sleeps until just after it): a drill
    /// task's deadline is on its drill's clock, mapped back to the wall.
    public func nextDeadline() -> Date? {
        book.allTasks.compactMap { task in
            task.nextDeadline.map { drills.clock(of: task.incident)?.wallTime(atDrill: $0) ?? $0 }
        }.min()
    }

    /// Appends, for every task with a deadline strictly before `now`, the changes the passed deadlines give
    /// (`TaskOverdue`, `TaskEscalated`, `TaskUnowned`), once each, as the scheduler (`system/scheduler`) — all in
    /// one append, so a thousand deadlines at one instant cost one commit. The incidents' locks are taken in
    /// UUID order (a follow-up or a task action holds at most one), so no report or action interleaves.
    ///
    /// - Returns: the number of events appended.
    @discardableResult
    public func fireDeadlines(now: Date) async throws -> Int {
        let due = Set(
            book.allTasks.filter { task in
                task.nextDeadline.map { $0 < times(of: task.incident, wall: now).now } ?? false
            }.map(\.incident))
        let incidents = due.sorted { $0.uuidString < $1.uuidString }
        for incident in incidents { await acquire("incident " + incident.uuidString) }
        defer { for incident in incidents { release("incident " + incident.uuidString) } }
        var events: [NewEvent] = []
        for incident in incidents {
            let exercise = find(incident.uuidString)?.exercise ?? false
            let (taskNow, drillWall) = times(of: incident, wall: now)
            for task in book.tasks(of: incident) {
                for change in task.deadlinePassed(at: taskNow) {
                    events.append(
                        try NewEvent(
                            at: now, incident: incident, actor: .system(component: "scheduler"), exercise: exercise,
                            drillAt: drillWall == nil ? nil : taskNow, event: .task(change)))
                }
            }
        }
        guard !events.isEmpty else { return 0 }
        _ = try await append(events)
        return events.count
    }

    // MARK: Follow-ups

    /// The obligations of `incident` still due from `unit` that a report of `kind` meets: a follow-up meets
    /// follow-up obligations and those a level change started; a final report also the final ones (MEP Order
    /// No. 17 Art. 12).
    func obligationsMet(on incident: UUID, by unit: UnitCode, kind: ReportKind) -> [ReportObligation] {
        // The last entry of each obligation id stands (a later `ObligationDue` with the same id replaces it).
        let current = Dictionary(
            (book.incident(incident)?.obligations ?? []).map { ($0.obligation.id, $0) }, uniquingKeysWith: { $1 })
        return current.values.filter { entry in
            guard entry.state == .due, entry.obligation.fromUnit == unit else { return false }
            switch entry.obligation.report {
            case .followUp: return true
            case .initial: return entry.obligation.anchor == .levelChange
            case .final: return kind == .final
            }
        }.map(\.obligation).sorted { $0.id < $1.id }
    }

    /// The changes a level change makes to report tasks: open report tasks of obligations on the other path
    /// (II/I 2 h vs III/IV 4 h) are cancelled — the new level's obligations replace them.
    func levelChangeCancellations(on incident: UUID, toMajorPath major: Bool, now: Date) -> [TaskChange] {
        book.tasks(of: incident).flatMap { task -> [TaskChange] in
            guard task.kind == .report, task.state.isOpen, let id = task.obligation,
                let entry = book.obligation(id, of: incident), entry.state == .due, entry.obligation.majorPath != major
            else { return [] }
            return (try? task.cancel(reason: "levelChanged", at: now)) ?? []
        }
    }

    /// The changes a re-estimated plan makes to site tasks: a task whose site the new plan still gives moves its
    /// `startBy` (`TaskRescheduled`, from → to); one whose site is no longer reached is cancelled; the new plan's
    /// own-province tasks with no open counterpart are dispatched (numbered after the incident's tasks). Tasks at
    /// sites at or above the most downstream observed section are left as they are: the front has passed them, so
    /// a re-estimate of their (past) arrival must not move the work there.
    func replanChanges(on incident: UUID, reference: String, plan: PlanDocument, now: Date) -> [TaskChange] {
        let open = book.tasks(of: incident).filter {
            $0.kind == .site && $0.state.isOpen
        }
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
            incidentReference: reference, tasks: new, obligations: [], organisation: organisation, units: basin.units,
            existingCount: book.tasks(of: incident).count, at: now)
        return changes + dispatched.map { .dispatched($0) }
    }
}
