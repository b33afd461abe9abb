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
    func nextDeadlines() -> [UUID: (at: Date, task: String)] { Self.nextDeadlines(in: book.allTasks) }

    /// ``nextDeadlines()`` over `tasks` only (one incident's, for its detail).
    nonisolated static func nextDeadlines(in tasks: some Sequence<ResponseTask>) -> [UUID: (at: Date, task: String)] {
        var next: [UUID: (at: Date, task: String)] = [:]
        for task in tasks where task.state.isOpen {
            let waiting = [
                task.state == .dispatched && !task.unowned ? task.ackBy : nil, task.kind == .report ? task.dueBy : nil,
            ]
            guard let at = waiting.compactMap({ $0 }).min() else { continue }
            if let known = next[task.incident], known.at <= at { continue }
            next[task.incident] = (at, task.reference)
        }
        return next
    }

    /// The duty positions a task can be assigned to (``IncidentRules/knownPositions``).
    var knownPositions: Set<DutyPosition> { rules.knownPositions }

    /// Whether the incident a task belongs to is an exercise.
    func isExercise(_ task: ResponseTask) -> Bool { book.incident(task.incident)?.exercise ?? false }

    // MARK: Working tasks

    /// Acknowledges, starts, completes or declines a task for `identity`, appending the changes (and any
    /// deadlines that passed before `now`).
    ///
    /// - Throws: ``DomainError`` `notFound` (404) unknown task, `forbidden` (403) when the token may not work it
    ///   (DESIGN.md "Terms": the assignee's unit and position, a position it was escalated to, or a commander);
    ///   `conflict` (409) with the task's state when the action does not apply (`task_state`).
    func work(_ key: String, action: TaskAction, reason: String?, by identity: Identity, now: Date) async throws
        -> ResponseTask
    {
        guard let task = task(key) else {
            throw DomainError(.notFound, code: "unknown_task", message: "no task \"\(key)\"", field: "id")
        }
        let lock = "incident " + task.incident.uuidString
        await acquire(lock)
        defer { release(lock) }
        // A drill incident's task is worked on its drill's clock.
        let (taskNow, drillWall) = times(of: task.incident, wall: now)
        _ = try await decideAndAppend(on: task.incident) {
            guard let incident = book.incident(task.incident) else { throw Self.unknown(key) }
            let events = try rules.work(
                task.id, on: incident, action: action, reason: reason, by: identity.holder, now: taskNow)
            let make = EventMaker(
                incident: incident.id, identity: identity, now: taskNow, exercise: incident.exercise, wall: drillWall)
            return try make(events)
        }
        return book.task(task.id) ?? task
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
        for id in incidents {
            guard let incident = book.incident(id) else { continue }
            let (taskNow, drillWall) = times(of: id, wall: now)
            let make = EventMaker(
                incident: id, actor: .system(component: "scheduler"), now: taskNow, exercise: incident.exercise,
                wall: drillWall)
            // `at` is the wall time the scheduler fired at; a drill's events also carry the drill time.
            events += try make(rules.deadlinesPassed(on: incident, now: taskNow))
        }
        guard !events.isEmpty else { return 0 }
        _ = try await append(events)
        return events.count
    }
}
