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
    /// Its last failure as the log has it (a delivery report's), if any.
    var failure: String?
    /// Who it goes to: `nil` for the duty rota; a drill's participants (``WatershedCore/DrillScenario/phones``) for
    /// a drill's task — never the real rota.
    var drillPhones: DutyRota?
    /// Whether it is a drill's (marked 【演习】).
    var exercise: Bool
    /// The time on the incident's clock (a drill's for a drill's task): the text's deadline is told in it.
    var now: Date
    /// ``TextToSend/unsentSince`` as a wall time (the give-up is counted in wall time).
    var unsentSinceWall: Date
}

extension IncidentService {
    /// The texts due by the wall time `now` on open incidents (``IncidentRules/textsDue(on:policy:now:)``, a drill's
    /// on its clock): a real incident's for the duty rota's holders, a running drill's for its participants whose
    /// numbers the drill's scenario in `seeds/<province>/drills/` gives (``drillPhones``); a drill without numbers is
    /// not texted.
    func textsDue(policy: TextPolicy, now: Date) -> [PendingText] {
        book.order.flatMap { id -> [PendingText] in
            guard let incident = book.incident(id), incident.isOpen else { return [] }
            var phones: DutyRota?
            if incident.exercise {
                guard let drill = drills.ofIncident[id].flatMap({ drills.drills[$0] }), drill.isRunning,
                    let drillPhones = drillPhones[drill.scenario]
                else { return [] }
                phones = drillPhones
            }
            let taskNow = times(of: id, wall: now).now
            let clock = drills.clock(of: id)
            return rules.textsDue(on: incident, policy: policy, now: taskNow).map { text in
                PendingText(
                    incident: id, text: text, failedBefore: incident.text(text.due.key)?.firstFailedAt != nil,
                    failure: incident.text(text.due.key)?.failure,
                    drillPhones: phones, exercise: incident.exercise, now: taskNow,
                    unsentSinceWall: clock?.wallTime(atDrill: text.unsentSince) ?? text.unsentSince)
            }
        }
    }

    /// The earliest wall time after `now` at which a task of an open incident calls for a text
    /// (``TextPolicy/next(_:after:)``, a drill's mapped from its clock).
    func nextTextTime(policy: TextPolicy, after now: Date) -> Date? {
        book.order.compactMap { id -> Date? in
            guard let incident = book.incident(id), incident.isOpen else { return nil }
            let clock = drills.clock(of: id)
            let taskNow = times(of: id, wall: now).now
            return incident.tasks.compactMap { policy.next($0, after: taskNow) }.min().map {
                clock?.wallTime(atDrill: $0) ?? $0
            }
        }.min()
    }

    /// The duty rota now: the file's, with every override the log holds (``WatershedCore/DutyRota/applying(_:)``);
    /// `nil` without a rota file.
    var rota: DutyRota? {
        rotaFile.map { file in book.rotaOverrides.reduce(file) { $0.applying($1) } }
    }

    /// Sets the rota file's rota.
    func setRota(_ rota: DutyRota?) { rotaFile = rota }

    /// Puts a person of the rota on a position for a span (``WatershedCore/DutyRota/override(_:person:from:to:reason:positions:by:now:)``),
    /// appending `RotaOverridden` with the number's keyed hash.
    ///
    /// - Throws: ``DomainError`` as the rule does; not found (`no_rota`) without a rota file; the log's errors.
    func overrideRota(
        _ request: RotaOverrideRequest, by identity: Identity, hasher: NumberHasher?, now: Date
    ) async throws -> (RotaOverriddenPayload, Int64) {
        guard let rota else {
            throw DomainError(
                .notFound, code: "no_rota", message: "this server has no duty rota (seeds/<province>/rota.yaml)")
        }
        let positions = Set(
            organisation.units.values.flatMap { unit in
                unit.dutyPositions.map { Assignee(unit: unit.code, position: $0) }
            })
        var override = try rota.override(
            Assignee(unit: request.unit, position: request.dutyPosition), person: request.person, from: request.from,
            to: request.to, reason: request.reason, positions: positions, by: identity.holder, now: now)
        override.numberHash = hasher.flatMap { hasher in rota.people[override.person].map { hasher($0.mobile) } }
        let stored = try await append([
            try NewEvent(
                at: now, incident: nil,
                actor: identity.holder.actor,
                event: .rotaOverridden(override))
        ])
        return (override, stored.last?.seq ?? 0)
    }

    /// Who holds each position of the rota at `at` (the overrides included), by unit and position.
    func rotaHolders(at: Date) -> [RotaHolder] {
        guard let rota else { return [] }
        let positions = Set(rota.rotations.keys).union(rota.overrides.map(\.assignee)).sorted {
            ($0.unit, $0.position.rawValue) < ($1.unit, $1.position.rawValue)
        }
        return positions.map { position in
            let person = rota.holder(of: position, at: at)
            let override = rota.overrides.last { $0.assignee == position && $0.covers(at) }
            return RotaHolder(
                unit: position.unit, dutyPosition: position.position, person: person?.id, name: person?.name,
                mobile: person?.mobile.masked, until: override?.to, reason: override?.reason)
        }
    }

    /// Sets the drills' phone books, by scenario id (read from `seeds/<province>/drills/` at start).
    func setDrillPhones(_ phones: [String: DutyRota]) { drillPhones = phones }

    /// Appends text events (`TaskTextSent`, `TaskTextFailed`, `TaskTextDelivered`) of `incident` as
    /// `system/sms`.
    ///
    /// - Throws: what the append throws.
    func recordText(_ events: [IncidentEvent], incident: UUID, now: Date) async throws {
        guard let folded = book.incident(incident), !events.isEmpty else { return }
        let (taskNow, drillWall) = times(of: incident, wall: now)
        let make = EventMaker(
            incident: incident, actor: .system(component: "sms"), now: taskNow, exercise: folded.exercise,
            wall: drillWall)
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
        let (taskNow, drillWall) = times(of: text.incident, wall: now)
        _ = try await decideAndAppend(on: text.incident) {
            guard let incident = book.incident(text.incident) else { return [] }
            let events = rules.textUndeliverable(
                text.text, on: incident, reason: reason, minutes: minutes, now: taskNow)
            call =
                events.lazy.compactMap { event -> TaskDispatched? in
                    if case .task(.dispatched(let task)) = event { return task }
                    return nil
                }.first
            let make = EventMaker(
                incident: incident.id, actor: .system(component: "sms"), now: taskNow, exercise: incident.exercise,
                wall: drillWall)
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

    /// Decides a reply (``TextReplyDecision/decide(_:from:rota:tasks:now:)``) by the rota as it stands (``rota``)
    /// among the tasks of open incidents that are not exercises — or, from a running drill's participant, among the
    /// drill's tasks on its clock — and carries out an acknowledgement as the rota's position (token `sms:<person id>`),
    /// through the same rule as the console's button. An acknowledgement that loses a race (the task acknowledged
    /// meanwhile) answers so.
    ///
    /// - Throws: what the append throws.
    func textReply(_ text: String, from: MobileNumber, now: Date) async throws -> TextReplyDecision {
        let rota = self.rota ?? DutyRota()
        let tasks = book.order.flatMap { id -> [ResponseTask] in
            guard let incident = book.incident(id), incident.isOpen, !incident.exercise else { return [] }
            return incident.tasks
        }
        var decision = TextReplyDecision.decide(text, from: from, rota: rota, tasks: tasks, now: now)
        // Not on the duty rota: a participant of a running drill, answering on the drill's clock about its tasks.
        if decision.outcome == .stranger {
            for drill in drills.order.compactMap({ drills.drills[$0] }) where drill.isRunning {
                guard let phones = drillPhones[drill.scenario] else { continue }
                let tasks = drill.incidents.flatMap { book.incident($0)?.tasks ?? [] }
                let drillNow = drill.clock.drillTime(atWall: now)
                decision = TextReplyDecision.decide(text, from: from, rota: phones, tasks: tasks, now: drillNow)
                if decision.outcome != .stranger { break }
            }
        }
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
