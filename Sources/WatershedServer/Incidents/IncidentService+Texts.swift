import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

/// A text to send, with what the sender needs besides the rule's answer.
struct PendingText: Sendable {
    var incident: UUID
    var text: TextToSend
    /// Whether the log already has a failure of it (the first failure is recorded, later ones only counted).
    var failedBefore: Bool
}

extension IncidentService {
    /// The texts due by `now` on open incidents that are not exercises (``IncidentRules/textsDue(on:policy:now:)``).
    /// Drill tasks are texted to drill participants only, whose numbers are not in the rota: not yet (docs/sms.md).
    func textsDue(policy: TextPolicy, now: Date) -> [PendingText] {
        book.order.flatMap { id -> [PendingText] in
            guard let incident = book.incident(id), incident.isOpen, !incident.exercise else { return [] }
            return rules.textsDue(on: incident, policy: policy, now: now).map { text in
                PendingText(
                    incident: id, text: text, failedBefore: incident.text(text.due.key)?.firstFailedAt != nil)
            }
        }
    }

    /// The earliest moment after `now` at which a task of an open real incident calls for a text
    /// (``TextPolicy/next(_:after:)``).
    func nextTextTime(policy: TextPolicy, after now: Date) -> Date? {
        book.order.compactMap { id -> Date? in
            guard let incident = book.incident(id), incident.isOpen, !incident.exercise else { return nil }
            return incident.tasks.compactMap { policy.next($0, after: now) }.min()
        }.min()
    }

    /// Appends text events (`TaskTextSent`, `TaskTextFailed`, `TaskTextDelivered`) of `incident` as
    /// `system/sms`.
    ///
    /// - Throws: what the append throws.
    func recordText(_ events: [IncidentEvent], incident: UUID, now: Date) async throws {
        guard let folded = book.incident(incident), !events.isEmpty else { return }
        let make = EventMaker(
            incident: incident, actor: .system(component: "sms"), now: now, exercise: folded.exercise)
        _ = try await append(try make(events))
    }

    /// Gives up on `text` (``IncidentRules/textUndeliverable(_:on:reason:minutes:now:)``): its final failure and,
    /// once per task, the duty chief's call. Returns the call, if one was dispatched.
    ///
    /// - Throws: what the append throws.
    func giveUpOnText(_ text: PendingText, reason: String, minutes: Int, now: Date) async throws -> TaskDispatched? {
        let lock = "incident " + text.incident.uuidString
        await acquire(lock)
        defer { release(lock) }
        var call: TaskDispatched?
        _ = try await decideAndAppend(on: text.incident) {
            guard let incident = book.incident(text.incident) else { return [] }
            let events = rules.textUndeliverable(text.text, on: incident, reason: reason, minutes: minutes, now: now)
            call =
                events.lazy.compactMap { event -> TaskDispatched? in
                    if case .task(.dispatched(let task)) = event { return task }
                    return nil
                }.first
            let make = EventMaker(
                incident: incident.id, actor: .system(component: "sms"), now: now, exercise: incident.exercise)
            return try make(events)
        }
        return call
    }

    /// A delivery report from the gateway for the text `key` (``TextDue/key``, which begins with the task's UUID):
    /// Kannel's type 1 (delivered to the phone) → `TaskTextDelivered`; 2 (failed) or 16 (rejected by the SMSC) →
    /// `TaskTextFailed` (not final: the sender tries again); 4 (buffered) and 8 (taken by the SMSC) say nothing new.
    /// Returns what was recorded (`delivered`, `failed`), or `nil` for nothing.
    ///
    /// - Throws: ``DomainError`` `notFound` (`unknown_text`) for a key of no task; what the append throws.
    func deliveryReport(key: String, type: Int, now: Date) async throws -> String? {
        guard let id = UUID(uuidString: String(key.prefix(36))), let task = book.task(id),
            let incident = book.incident(task.incident)
        else {
            throw DomainError(
                .notFound, code: "unknown_text", message: "no task's text has key \"\(key)\"", field: "key")
        }
        let event: IncidentEvent
        switch type {
        case 1:
            guard incident.text(key)?.state != .delivered else { return nil }
            event = .textDelivered(TaskTextDelivered(task: id, key: key, at: now))
        case 2, 16:
            let reason = type == 2 ? "the network reported it undelivered" : "the SMSC rejected it"
            event = .textFailed(TaskTextFailed(task: id, key: key, reason: reason, final: false, at: now))
        default:
            return nil
        }
        try await recordText([event], incident: incident.id, now: now)
        return type == 1 ? "delivered" : "failed"
    }

    /// Decides a reply (``TextReplyDecision/decide(_:from:rota:tasks:now:)``) among the tasks of open incidents
    /// that are not exercises, and carries out an acknowledgement as the rota's position (token `sms:<person id>`),
    /// through the same rule as the console's button. An acknowledgement that loses a race (the task acknowledged
    /// meanwhile) answers so.
    ///
    /// - Throws: what the append throws.
    func textReply(_ text: String, from: MobileNumber, rota: DutyRota, now: Date) async throws -> TextReplyDecision {
        let tasks = book.order.flatMap { id -> [ResponseTask] in
            guard let incident = book.incident(id), incident.isOpen, !incident.exercise else { return [] }
            return incident.tasks
        }
        var decision = TextReplyDecision.decide(text, from: from, rota: rota, tasks: tasks, now: now)
        guard case .acknowledge(let task, let reference, let position, let person) = decision.outcome else {
            return decision
        }
        let identity = Identity(
            tokenID: "sms:\(person)", unit: position.unit, dutyPosition: position.position, roles: [.officer])
        do {
            _ = try await work(task.uuidString, action: .ack, reason: nil, by: identity, now: now)
        } catch let error as DomainError where error.code == "task_state" {
            decision.outcome = .notFound
            let state = book.task(task).map { TextReplyDecision.stateZh($0.state) } ?? "已取消"
            decision.answer = "\(reference) \(state)，无需再确认。"
        }
        return decision
    }
}
