import Foundation

/// Where a response task stands. A decline is not a state: it sends the task back to
/// ``dispatched`` with the next assignee.
public enum TaskState: String, Codable, Sendable, CaseIterable {
    /// Sent to the assignee and waiting for an acknowledgement (escalating while it waits).
    case dispatched
    /// Taken on; not started yet.
    case acknowledged
    /// Being worked.
    case inProgress
    /// Done (final).
    case done
    /// No longer needed (final).
    case cancelled

    /// Whether the task can still change (not done or cancelled).
    public var isOpen: Bool { self != .done && self != .cancelled }

    /// The words used in messages: `"dispatched"`, `"acknowledged"`, `"in progress"`, `"done"`, `"cancelled"`.
    public var words: String { self == .inProgress ? "in progress" : rawValue }

    /// The state in Chinese, in the words the console gives it (`terms.zh` of `Console/i18n.js`): `已派发`, `已确认`,
    /// `处置中`, `已完成`, `已取消`. The after-action report's task table and the command line say the same;
    /// ConsoleVocabularyTests holds the console to these words.
    public var nameZh: String {
        switch self {
        case .dispatched: "已派发"
        case .acknowledged: "已确认"
        case .inProgress: "处置中"
        case .done: "已完成"
        case .cancelled: "已取消"
        }
    }
}

/// A response task as folded from its events: who has it, where it stands, what it waits for.
///
/// A pure state machine (STYLE.md "A pure core"). The transitions (``acknowledge(by:at:)``,
/// ``start(by:at:)``, ``complete(by:at:)``, ``decline(by:reason:at:)``, ``cancel(reason:at:)``,
/// ``reschedule(startBy:reason:at:)``, ``deadlinePassed(at:)``) take the time as a parameter and return the
/// changes to append without mutating; ``apply(_:)`` folds one change, so replaying a task's events
/// (``replay(incident:changes:)``) rebuilds it.
///
/// Every transition first catches up the deadlines that passed by its time, so the log does not depend on
/// when the scheduler woke: an acknowledgement at 08:20 of a task due for acknowledgement at 08:15 returns
/// the 08:15 overdue and escalation first, then the acknowledgement. A deadline D has passed at `now` when
/// `now > D` (strictly): an acknowledgement at D is in time.
///
/// Transitions do not check who acts; the caller checks ``mayBeWorked(by:isCommander:)`` first.
public struct ResponseTask: Codable, Sendable, Hashable, Identifiable {
    /// The task's identifier (``TaskDispatched/task``).
    public private(set) var id: UUID
    /// `GX-2026-0007/T3`.
    public private(set) var reference: String
    /// The number within the incident.
    public private(set) var number: Int
    /// The incident.
    public private(set) var incident: UUID
    /// Site or report task.
    public private(set) var kind: ResponseTaskKind
    /// The obligation's id, for a report task.
    public private(set) var obligation: String?
    /// What to do.
    public private(set) var title: String
    /// The same in Chinese, when the dispatch carried it.
    public private(set) var titleZh: String?
    /// The current assignee: the first one, or the one a decline passed it to. An acknowledgement by a
    /// position it was escalated to does not change it.
    public private(set) var assignee: Assignee
    /// Where a site task comes from.
    public private(set) var source: TaskSource?
    /// A site task's latest start (moved by ``reschedule(startBy:reason:at:)``).
    public private(set) var startBy: Date?
    /// A report task's legal deadline.
    public private(set) var dueBy: Date?
    /// Where it stands.
    public private(set) var state: TaskState
    /// The policy in force at dispatch (frozen).
    public private(set) var policy: EscalationPolicy
    /// The assignees above the first one, frozen at dispatch.
    public private(set) var chain: [Assignee]
    /// Escalation steps taken since the (re-)dispatch: 0…K.
    public private(set) var escalationStep: Int
    /// Every position the task has been escalated to so far, in the order first notified, each once; they may
    /// work the task.
    public private(set) var escalatedTo: [Assignee]
    /// Whether nobody owns it (K steps with no acknowledgement, or declined at the top).
    public private(set) var unowned: Bool
    /// The acknowledgement deadline while it waits for one; `nil` once acknowledged, unowned or closed.
    public private(set) var ackBy: Date?
    /// Whether the one-time `TaskOverdue(due)` of a report task has been recorded.
    public private(set) var dueOverdueRecorded: Bool
    /// When it was (last) dispatched.
    public private(set) var dispatchedAt: Date
    /// Every change folded, in order, starting with the dispatch.
    public private(set) var history: [TaskChange]

    /// A task just dispatched.
    public init(incident: UUID, dispatched: TaskDispatched) {
        self.id = dispatched.task
        self.reference = dispatched.reference
        self.number = dispatched.number
        self.incident = incident
        self.kind = dispatched.kind
        self.obligation = dispatched.obligation
        self.title = dispatched.title
        self.titleZh = dispatched.titleZh
        self.assignee = dispatched.assignee
        self.source = dispatched.source
        self.startBy = dispatched.startBy
        self.dueBy = dispatched.dueBy
        self.state = .dispatched
        self.policy = dispatched.policy
        self.chain = dispatched.chain
        self.escalationStep = 0
        self.escalatedTo = []
        self.unowned = false
        self.ackBy = dispatched.ackBy
        self.dueOverdueRecorded = false
        self.dispatchedAt = dispatched.at
        self.history = [.dispatched(dispatched)]
    }

    /// Rebuilds a task from its changes in log order; `nil` when the first is not a dispatch. Changes of other
    /// tasks are skipped.
    public static func replay(incident: UUID, changes: [TaskChange]) -> ResponseTask? {
        guard case .dispatched(let first) = changes.first else { return nil }
        var task = ResponseTask(incident: incident, dispatched: first)
        for change in changes.dropFirst() { task.apply(change) }
        return task
    }

    /// The task without its ``history`` — the state as of its last change. The log holds the history; a projection
    /// row or a cache that stores the state needs only this (a task's JSON is mostly history once it has been
    /// escalated a few times).
    public var withoutHistory: ResponseTask {
        var copy = self
        copy.history = []
        return copy
    }

    // MARK: Queries

    /// What the scheduler waits for: the earliest of ``ackBy`` while dispatched and owned, and, for a report
    /// task whose `TaskOverdue(due)` has not been recorded, ``dueBy``; `nil` for a closed task or when there is
    /// nothing to wait for. Call ``deadlinePassed(at:)`` with a time strictly after it.
    public var nextDeadline: Date? {
        [pendingAckDeadline, pendingDueDeadline].compactMap { $0 }.min()
    }

    /// Whether `actor` may work the task: the current assignee's unit and position, any position it has been
    /// escalated to, or a commander (DESIGN.md "Terms used in names").
    public func mayBeWorked(by actor: Assignee, isCommander: Bool) -> Bool {
        isCommander || actor == assignee || escalatedTo.contains(actor)
    }

    /// The states each action may be taken from: what ``acknowledge(by:at:)``, ``start(by:at:)``,
    /// ``complete(by:at:)`` and ``decline(by:reason:at:isCommander:)`` check, and what ``actions(for:isCommander:)``
    /// offers.
    public static let statesAllowing: [TaskAction: Set<TaskState>] = [
        .ack: [.dispatched],
        .start: [.dispatched, .acknowledged],
        .done: [.dispatched, .acknowledged, .inProgress],
        .decline: [.dispatched, .acknowledged],
    ]

    /// What `actor` may do with the task now, in ``TaskAction`` order: nothing unless it may work the task
    /// (``mayBeWorked(by:isCommander:)``: the assignee's unit and position, a position it was escalated to, or a
    /// commander); else the actions the task's state allows (``statesAllowing``). The console offers exactly these
    /// buttons (issue 21: "a person sees only the buttons their role and unit may press").
    public func actions(for actor: Assignee, isCommander: Bool) -> [TaskAction] {
        guard mayBeWorked(by: actor, isCommander: isCommander) else { return [] }
        return TaskAction.allCases.filter { Self.statesAllowing[$0]?.contains(state) == true }
    }

    /// The assignees above the current one in the frozen chain: the whole chain for the first assignee, the
    /// rest of it after a decline passed the task up.
    public var chainAboveAssignee: [Assignee] {
        guard let index = chain.firstIndex(of: assignee) else { return chain }
        return Array(chain[(index + 1)...])
    }

    /// The position asked to acknowledge at escalation step `step`: the assignee at 0, then the chain above it one
    /// position a step, staying at its top once there (``chainAboveAssignee``).
    public func position(atStep step: Int) -> Assignee {
        let above = chainAboveAssignee
        guard step > 0, !above.isEmpty else { return assignee }
        return above[min(step - 1, above.count - 1)]
    }

    private var pendingAckDeadline: Date? {
        state == .dispatched && !unowned ? ackBy : nil
    }

    private var pendingDueDeadline: Date? {
        state.isOpen && kind == .report && !dueOverdueRecorded ? dueBy : nil
    }

    // MARK: Transitions

    /// Acknowledges the task (only while ``TaskState/dispatched``); escalation stops. A late acknowledgement
    /// of an unowned task takes it on again.
    ///
    /// - Returns: The deadlines passed by `at` (see the type), then `TaskAcknowledged`.
    /// - Throws: ``TaskTransitionError`` in any other state.
    public func acknowledge(by actor: Assignee, at: Date) throws(TaskTransitionError) -> [TaskChange] {
        try require(Self.statesAllowing[.ack]!, for: .acknowledge)
        return caughtUp(at: at) { task in [.acknowledged(TaskAcknowledged(task: task.id, by: actor, at: at))] }
    }

    /// Starts work (from ``TaskState/dispatched``, which counts as acknowledging it, or
    /// ``TaskState/acknowledged``).
    ///
    /// - Returns: The deadlines passed by `at`, then `TaskStarted`.
    /// - Throws: ``TaskTransitionError`` when in progress, done or cancelled.
    public func start(by actor: Assignee, at: Date) throws(TaskTransitionError) -> [TaskChange] {
        try require(Self.statesAllowing[.start]!, for: .start)
        return caughtUp(at: at) { task in [.started(TaskStarted(task: task.id, by: actor, at: at))] }
    }

    /// Marks the task done (from any open state; for a report task, filing the report).
    ///
    /// - Returns: The deadlines passed by `at` (a report filed after its `dueBy` still records the overdue),
    ///   then `TaskDone`.
    /// - Throws: ``TaskTransitionError`` when done or cancelled.
    public func complete(by actor: Assignee, at: Date) throws(TaskTransitionError) -> [TaskChange] {
        try require(Self.statesAllowing[.done]!, for: .complete)
        return caughtUp(at: at) { task in [.done(TaskDone(task: task.id, by: actor, at: at))] }
    }

    /// Declines the task (while dispatched or acknowledged): it goes to the next assignee above the current one
    /// in the frozen chain, back to ``TaskState/dispatched`` at escalation step 0 with
    /// `ackBy = at + policy.ackMinutes` (the policy frozen at dispatch). With nobody above, `TaskDeclined` has no new
    /// assignee and `TaskUnowned(declinedAtTop)` follows.
    ///
    /// Who declines decides where "above" starts:
    /// - a position the task was escalated to (not a commander) passes it on above itself — it was asked because
    ///   those below did not answer, and it says the task is not its own either;
    /// - the assignee passes it to the next one above it;
    /// - a commander decides *for the assignee*, so the task goes to the next one above the assignee — also when the
    ///   commander's own position is one the task was escalated to (the provincial duty chief who commands): a
    ///   commander's decline never leaves a task unowned while someone is above the assignee. Decided for issue 16
    ///   (the documented rule); before, such a decline left the task unowned with nobody re-dispatched.
    ///
    /// - Parameter isCommander: whether the decliner acts as commander (the `commander` role).
    /// - Returns: The deadlines passed by `at`, then `TaskDeclined` (and `TaskUnowned`).
    /// - Throws: ``TaskTransitionError`` when in progress, done or cancelled.
    public func decline(by actor: Assignee, reason: String, at: Date, isCommander: Bool = false)
        throws(TaskTransitionError) -> [TaskChange]
    {
        try require(Self.statesAllowing[.decline]!, for: .decline)
        return caughtUp(at: at) { task in
            var above = task.chainAboveAssignee
            if !isCommander, task.escalatedTo.contains(actor), let index = above.firstIndex(of: actor) {
                above.removeFirst(index + 1)
            }
            guard let next = above.first else {
                return [
                    .declined(
                        TaskDeclined(task: task.id, by: actor, reason: reason, redispatchedTo: nil, ackBy: nil, at: at)),
                    .unowned(TaskUnowned(task: task.id, reason: .declinedAtTop, steps: 0, deadline: nil, at: at)),
                ]
            }
            let ackBy = at.addingTimeInterval(task.policy.ackInterval)
            return [
                .declined(
                    TaskDeclined(task: task.id, by: actor, reason: reason, redispatchedTo: next, ackBy: ackBy, at: at))
            ]
        }
    }

    /// Cancels the task (from any open state), e.g. `"replanned: site no longer reached"` or `"levelChanged"`.
    ///
    /// - Returns: The deadlines passed by `at`, then `TaskCancelled`.
    /// - Throws: ``TaskTransitionError`` when done or cancelled.
    public func cancel(reason: String, at: Date) throws(TaskTransitionError) -> [TaskChange] {
        try require([.dispatched, .acknowledged, .inProgress], for: .cancel)
        return caughtUp(at: at) { task in [.cancelled(TaskCancelled(task: task.id, reason: reason, at: at))] }
    }

    /// Moves the latest start (from any open state); nothing when it does not move.
    ///
    /// - Returns: The deadlines passed by `at`, then `TaskRescheduled(from: startBy, to: startBy)`; `[]` when
    ///   `startBy` is unchanged.
    /// - Throws: ``TaskTransitionError`` when done or cancelled.
    public func reschedule(startBy newStart: Date, reason: String, at: Date) throws(TaskTransitionError)
        -> [TaskChange]
    {
        try require([.dispatched, .acknowledged, .inProgress], for: .reschedule)
        guard newStart != startBy else { return [] }
        return caughtUp(at: at) { task in
            [.rescheduled(TaskRescheduled(task: task.id, from: task.startBy, to: newStart, reason: reason, at: at))]
        }
    }

    /// The changes for every deadline passed by `now` (strictly after it), each once, earliest deadline first.
    ///
    /// An acknowledgement deadline `ackBy` passed while dispatched and owned gives `TaskOverdue(ack, ackBy)`
    /// and, while fewer than K (``EscalationPolicy/repeats``) steps have been taken, `TaskEscalated(step n,
    /// to: above[min(n − 1, above.count − 1)], ackBy: ackBy + ackMinutes)`, where `above` is
    /// ``chainAboveAssignee`` (the assignee itself when it is empty); after K steps `TaskUnowned` instead, and
    /// no further deadline. Each next deadline is anchored on the one that passed, not on `now`, so after an
    /// outage one call catches up every step deterministically, and a second call with the same `now`
    /// returns `[]`. A report task also gets one `TaskOverdue(due, dueBy)` once `now > dueBy` while open.
    public func deadlinePassed(at now: Date) -> [TaskChange] {
        var task = self
        var changes: [TaskChange] = []
        while let step = task.earliestPassedDeadline(at: now) {
            for change in step {
                task.apply(change)
                changes.append(change)
            }
        }
        return changes
    }

    /// The changes for the earliest deadline passed by `now`, or `nil`.
    private func earliestPassedDeadline(at now: Date) -> [TaskChange]? {
        let ack = pendingAckDeadline.flatMap { now > $0 ? $0 : nil }
        let due = pendingDueDeadline.flatMap { now > $0 ? $0 : nil }
        if let ack, due.map({ ack <= $0 }) ?? true {
            let overdue = TaskChange.overdue(TaskOverdue(task: id, kind: .ack, deadline: ack, at: now))
            guard escalationStep < policy.repeats else {
                let unowned = TaskUnowned(
                    task: id, reason: .noAcknowledgement, steps: escalationStep, deadline: ack, at: now)
                return [overdue, .unowned(unowned)]
            }
            let step = escalationStep + 1
            let target = position(atStep: step)
            let escalated = TaskEscalated(
                task: id, step: step, to: target, ackBy: ack.addingTimeInterval(policy.ackInterval), at: now)
            return [overdue, .escalated(escalated)]
        }
        if let due { return [.overdue(TaskOverdue(task: id, kind: .due, deadline: due, at: now))] }
        return nil
    }

    /// The deadlines passed by `at`, then what `make` returns for the task caught up to `at`.
    private func caughtUp(at: Date, _ make: (ResponseTask) -> [TaskChange]) -> [TaskChange] {
        var task = self
        let passed = deadlinePassed(at: at)
        for change in passed { task.apply(change) }
        return passed + make(task)
    }

    private func require(_ states: Set<TaskState>, for action: TaskTransitionError.Action) throws(TaskTransitionError) {
        guard states.contains(state) else {
            throw TaskTransitionError(reference: reference, state: state, action: action)
        }
    }

    // MARK: Fold

    /// Folds one change into the task. Changes of another task (a different ``TaskChange/task``) are ignored; a
    /// `dispatched` change starts the task over from its payload (keeping the history). The fold does not check
    /// that the change was allowed: it records what the log says.
    public mutating func apply(_ change: TaskChange) {
        guard change.task == id else { return }
        switch change {
        case .dispatched(let payload):
            let history = self.history
            self = ResponseTask(incident: incident, dispatched: payload)
            self.history = history
        case .acknowledged:
            state = .acknowledged
            unowned = false
            ackBy = nil
        case .started:
            state = .inProgress
            unowned = false
            ackBy = nil
        case .done:
            state = .done
            unowned = false
            ackBy = nil
        case .declined(let payload):
            if let next = payload.redispatchedTo { assignee = next }
            state = .dispatched
            escalationStep = 0
            unowned = false
            ackBy = payload.ackBy
        case .cancelled:
            state = .cancelled
            ackBy = nil
        case .overdue(let payload):
            if payload.kind == .due { dueOverdueRecorded = true }
        case .escalated(let payload):
            escalationStep = payload.step
            ackBy = payload.ackBy
            if !escalatedTo.contains(payload.to) { escalatedTo.append(payload.to) }
        case .unowned:
            unowned = true
            ackBy = nil
        case .rescheduled(let payload):
            startBy = payload.to
        }
        history.append(change)
    }
}

/// A transition the task's state does not allow, e.g. acknowledging a task that is done. The server answers
/// it with HTTP 409 and ``description``.
public struct TaskTransitionError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was attempted.
    public enum Action: String, Codable, Sendable, CaseIterable {
        /// ``ResponseTask/acknowledge(by:at:)``.
        case acknowledge
        /// ``ResponseTask/start(by:at:)``.
        case start
        /// ``ResponseTask/complete(by:at:)``.
        case complete
        /// ``ResponseTask/decline(by:reason:at:)``.
        case decline
        /// ``ResponseTask/cancel(reason:at:)``.
        case cancel
        /// ``ResponseTask/reschedule(startBy:reason:at:)``.
        case reschedule

        /// `"acknowledged"`, `"started"`, `"completed"`, `"declined"`, `"cancelled"`, `"rescheduled"`.
        public var pastParticiple: String {
            switch self {
            case .acknowledge: "acknowledged"
            case .start: "started"
            case .complete: "completed"
            case .decline: "declined"
            case .cancel: "cancelled"
            case .reschedule: "rescheduled"
            }
        }
    }

    /// The task, e.g. `"GX-2026-0007/T3"`.
    public var reference: String
    /// Its state at the time.
    public var state: TaskState
    /// What was attempted.
    public var action: Action

    /// Creates the error.
    public init(reference: String, state: TaskState, action: Action) {
        self.reference = reference
        self.state = state
        self.action = action
    }

    /// `task GX-2026-0007/T3 is done; it cannot be acknowledged`.
    public var description: String {
        "task \(reference) is \(state.words); it cannot be \(action.pastParticiple)"
    }
}
