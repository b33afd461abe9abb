import Foundation

/// A text a task calls for and the log does not yet settle (``IncidentRules/textsDue(on:policy:now:)``).
public struct TextToSend: Sendable, Hashable {
    /// The task, as folded.
    public var task: ResponseTask
    /// The text.
    public var due: TextDue
    /// Since when the task's current step has had a text due that was neither sent nor delivered: the earliest
    /// such text's ``TextDue/at`` (what ``IncidentRules/textUndeliverable(_:on:now:)`` counts from).
    public var unsentSince: Date
}

extension IncidentRules {
    /// The texts `incident`'s tasks call for by `now` (``TextPolicy/due(_:now:)``) that are not settled in its log
    /// (``Incident/TaskText/isSettled``: sent, delivered or given up), one per task: when a step has several
    /// unsettled ones (a sender that was down past a reminder), only the latest is sent — the reminder says all the
    /// notice would. A closed incident calls for none.
    ///
    /// - Parameter now: the time on the incident's clock.
    public func textsDue(on incident: Incident, policy: TextPolicy, now: Date) -> [TextToSend] {
        guard incident.isOpen else { return [] }
        return incident.tasks.compactMap { task in
            let due = policy.due(task, now: now)
            let unsettled = due.filter { incident.text($0.key)?.isSettled != true }
            guard let last = unsettled.last else { return nil }
            // Counted from the first text of the step still to go out (one whose delivery failed counts too; one
            // given up does not: a reminder after it is tried for its own time, the gateway may be back).
            let unsent = due.filter { due in incident.text(due.key).map { $0.state == .failing } ?? true }
            return TextToSend(task: task, due: last, unsentSince: unsent.first?.at ?? last.at)
        }
    }

    /// What giving up on a text gives (issue 19, "When the gateway fails": "a text undeliverable for a configured
    /// time opens a task for the duty chief"): `TaskTextFailed` with `final: true`, and a
    /// ``ResponseTaskKind/textUndelivered`` task for the duty chief above the position the text was for (the next
    /// in the task's chain; the province's duty chief when there is none) to phone its holder — unless the task is
    /// itself such a call (the chief's own text failing would call the chief again), or the task already has an open
    /// call. The call is numbered after the incident's tasks; its acknowledgement time is the chief's unit's policy.
    ///
    /// - Parameters:
    ///   - text: the text given up on.
    ///   - reason: the last failure, in words.
    ///   - minutes: how long it has been undeliverable (for the title).
    ///   - now: the time on the incident's clock.
    public func textUndeliverable(
        _ text: TextToSend, on incident: Incident, reason: String, minutes: Int, now: Date
    ) -> [IncidentEvent] {
        let task = text.task
        var events: [IncidentEvent] = [
            .textFailed(TaskTextFailed(task: task.id, key: text.due.key, reason: reason, final: true, at: now))
        ]
        let marker = "text:\(task.id.uuidString)"
        guard task.kind != .textUndelivered,
            !incident.tasks.contains(where: {
                $0.kind == .textUndelivered && $0.obligation == marker && $0.state.isOpen
            })
        else { return events }
        let unreached = text.due.to
        let chain = [task.assignee] + task.chain
        let above = chain.firstIndex(of: unreached).flatMap { $0 + 1 < chain.count ? chain[$0 + 1] : nil }
        let chief = above ?? Assignee(unit: province, position: .provincialDutyChief)
        let policy = organisation.policy(for: chief.unit)
        let number = incident.tasks.count + 1
        let unitName = basin.units[unreached.unit]
        let title =
            "Phone the \(unitName?.name ?? unreached.unit) \(unreached.position.rawValue.replacingOccurrences(of: "-", with: " ")) "
            + "on duty about \(task.reference): its text message has not gone through for \(minutes) min"
        let titleZh =
            "电话通知\(unitName?.nameZh ?? unitName?.name ?? unreached.unit)\(Self.positionZh(unreached.position))："
            + "\(task.reference) 的短信已\(minutes)分钟未能送达"
        events.append(
            .task(
                .dispatched(
                    TaskDispatched(
                        task: UUID(), reference: "\(incident.reference)/T\(number)", number: number,
                        kind: .textUndelivered, obligation: marker, title: title, assignee: chief, policy: policy,
                        chain: EscalationChain.above(chief, units: basin.units), at: now,
                        ackBy: now.addingTimeInterval(policy.ackInterval), titleZh: titleZh))))
        return events
    }

    /// A duty position in Chinese (``DutyPosition/nameZh``), its identifier for one the words do not know.
    static func positionZh(_ position: DutyPosition) -> String { position.nameZh ?? position.rawValue }
}
