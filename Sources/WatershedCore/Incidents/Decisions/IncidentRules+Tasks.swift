import Foundation

/// What `POST /v1/tasks/{id}/{action}` asks for (DESIGN.md "HTTP API").
public enum TaskAction: String, Codable, Sendable, CaseIterable {
    /// The assignee has it (stops escalation).
    case ack
    /// Work on it has begun.
    case start
    /// It is done.
    case done
    /// The assignee cannot take it; it passes up the duty chain (with a reason).
    case decline
}

extension IncidentRules {
    /// Acknowledges, starts, completes or declines a task of `incident` for `holder` (``ResponseTask``'s
    /// transitions; any deadlines that passed before `now` come first).
    ///
    /// - Parameter now: the time on the incident's clock.
    /// - Returns: the task events to append.
    /// - Throws: ``DomainError`` not found (`unknown_task`) when the incident has no such task; forbidden
    ///   (`not_assignee`) when the holder may not work it (DESIGN.md "Terms used in names": the assignee's unit and
    ///   position, a position it was escalated to, or a commander); conflict (`task_state`) when the task's state
    ///   does not allow the action.
    public func work(
        _ task: UUID, on incident: Incident, action: TaskAction, reason: String?, by holder: TokenHolder, now: Date
    ) throws(DomainError) -> [IncidentEvent] {
        guard let current = incident.task(task) else {
            throw DomainError(.notFound, code: "unknown_task", message: "no task \"\(task)\"", field: "id")
        }
        let actor = holder.assignee
        guard current.mayBeWorked(by: actor, isCommander: holder.isCommander) else {
            throw DomainError(
                .forbidden, code: "not_assignee",
                message: "task \(current.reference) is assigned to \(current.assignee)"
                    + (current.escalatedTo.isEmpty
                        ? "" : " (escalated to \(current.escalatedTo.map(\.description).joined(separator: ", ")))")
                    + "; token \(holder.token) is \(actor) and not a commander",
                field: "id")
        }
        let changes: [TaskChange]
        do {
            switch action {
            case .ack: changes = try current.acknowledge(by: actor, at: now)
            case .start: changes = try current.start(by: actor, at: now)
            case .done: changes = try current.complete(by: actor, at: now)
            case .decline:
                changes = try current.decline(
                    by: actor, reason: reason ?? "", at: now, isCommander: holder.isCommander)
            }
        } catch {
            throw DomainError(.conflict, code: "task_state", message: error.description, field: "state")
        }
        return changes.map { .task($0) }
    }

    /// What the deadlines of `incident`'s tasks that passed strictly before `now` give: `TaskOverdue`,
    /// `TaskEscalated`, `TaskUnowned` (``ResponseTask/deadlinePassed(at:)``), in task order, each once.
    ///
    /// - Parameter now: the time on the incident's clock.
    public func deadlinesPassed(on incident: Incident, now: Date) -> [IncidentEvent] {
        incident.tasks.flatMap { $0.deadlinePassed(at: now) }.map { .task($0) }
    }
}
