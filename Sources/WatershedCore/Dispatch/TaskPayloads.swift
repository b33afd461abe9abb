import Foundation

// The payloads of the task events (DESIGN.md "Identifiers and events"). Every payload names its task by
// `task` (the task's UUID; the event's `incident` says which incident) and carries `at`, the wall-clock time
// the change happened (the event's own `at`; for a scheduler change, the time the passed deadline was
// noticed, which after an outage is later than the deadline itself). Times are RFC 3339 UTC on the wire.

/// Where a response task comes from.
public enum ResponseTaskKind: String, Codable, Sendable, CaseIterable {
    /// A task on the ground from the plan (a ``PlannedTask``: a measure at an emergency site, an intake to
    /// protect, a section to sample…).
    case site
    /// A legal report to file (a ``ReportObligation``, MEP Order No. 17 Art. 3–4).
    case report
    /// A neighbouring province's notification to acknowledge (its acknowledgement sends *accepted* back over the peer
    /// link; MEP Order No. 17 Art. 8, the receiving side).
    case notification
    /// A call to a neighbouring province's duty office: our notification was not *received* by its deadline, or not
    /// *accepted* (issue 5, "Outbound"), or nothing was heard on the link for longer than the neighbour's
    /// `silentAfterMin` ("Store-and-forward"). Its `obligation` field names what it is for: `peer:<code>:not-received`,
    /// `peer:<code>:not-accepted` or `peer:<code>:silent`.
    case peerCall
    /// A decision for our provincial duty chief after the neighbour whose incident ours mirrors changed it: a level
    /// of its that differs from the one our commander set (`origin:level:<their seq>`), or its close while our
    /// receptors are still at risk — close ours or continue (`origin:closed`). Issue 16.
    case review
    /// A call from the duty chief to a position's holder whose text message about a task could not be sent or
    /// delivered for the configured time (issue 19, "When the gateway fails"). Its `obligation` field is
    /// `text:<the task's UUID>`: one open call per task.
    case textUndelivered
}

/// `TaskDispatched`: a task was sent to its first assignee.
///
/// The chain and the policy are frozen here: escalation always uses the values in this payload, whatever
/// the seeds say later.
public struct TaskDispatched: Codable, Sendable, Hashable {
    /// The task's identifier.
    public var task: UUID
    /// `<incident reference>/T<number>`, e.g. `"GX-2026-0007/T3"` (DESIGN.md "Identifiers and events").
    public var reference: String
    /// The number within the incident, from 1.
    public var number: Int
    /// A site task or a report task.
    public var kind: ResponseTaskKind
    /// For a report task, the obligation's id (``ReportObligation/id``, e.g. `"initial-451203"`); `nil` for a
    /// site task.
    public var obligation: String?
    /// What to do, in a sentence.
    public var title: String
    /// The same in Chinese (``PlannedTask/titleZh``, or a report task's), `nil` where there is none yet.
    public var titleZh: String?
    /// The first assignee.
    public var assignee: Assignee
    /// For a site task, where it comes from in the playbooks; `nil` for a report task.
    public var source: TaskSource?
    /// For a site task, the latest start (``PlannedTask/latestStart``: earliest arrival minus the lead time).
    public var startBy: Date?
    /// For a report task, the legal deadline (``ReportObligation/dueBy``, or ``ReportObligation/latestDueBy``
    /// when the anchor time is not known yet).
    public var dueBy: Date?
    /// The escalation policy of the first assignee's unit at dispatch.
    public var policy: EscalationPolicy
    /// The assignees above the first one, nearest first (``EscalationChain/above(_:units:)``).
    public var chain: [Assignee]
    /// Dispatch time.
    public var at: Date
    /// The acknowledgement deadline: `at + policy.ackMinutes`.
    public var ackBy: Date

    /// Creates the payload.
    public init(
        task: UUID, reference: String, number: Int, kind: ResponseTaskKind, obligation: String? = nil, title: String,
        assignee: Assignee, source: TaskSource? = nil, startBy: Date? = nil, dueBy: Date? = nil,
        policy: EscalationPolicy, chain: [Assignee], at: Date, ackBy: Date, titleZh: String? = nil
    ) {
        self.titleZh = titleZh
        self.task = task
        self.reference = reference
        self.number = number
        self.kind = kind
        self.obligation = obligation
        self.title = title
        self.assignee = assignee
        self.source = source
        self.startBy = startBy
        self.dueBy = dueBy
        self.policy = policy
        self.chain = chain
        self.at = at
        self.ackBy = ackBy
    }
}

/// `TaskAcknowledged`: someone who may work the task took it on; escalation stops.
public struct TaskAcknowledged: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Who acknowledged it (the assignee, a position it was escalated to, or a commander's position).
    public var by: Assignee
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, by: Assignee, at: Date) {
        self.task = task
        self.by = by
        self.at = at
    }
}

/// `TaskStarted`: work on the task started (an unacknowledged task is acknowledged by starting it).
public struct TaskStarted: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Who started it.
    public var by: Assignee
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, by: Assignee, at: Date) {
        self.task = task
        self.by = by
        self.at = at
    }
}

/// `TaskDone`: the task was done.
public struct TaskDone: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Who reported it done.
    public var by: Assignee
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, by: Assignee, at: Date) {
        self.task = task
        self.by = by
        self.at = at
    }
}

/// `TaskDeclined`: the assignee declined; the task goes to the next assignee in its frozen chain with a
/// fresh acknowledgement deadline, or, with nobody above, becomes unowned (a `TaskUnowned` follows).
public struct TaskDeclined: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Who declined.
    public var by: Assignee
    /// Why, in the decliner's words.
    public var reason: String
    /// The next assignee, or `nil` when the assignee was at the top of the chain.
    public var redispatchedTo: Assignee?
    /// The new acknowledgement deadline: `at + policy.ackMinutes`; `nil` with no new assignee.
    public var ackBy: Date?
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, by: Assignee, reason: String, redispatchedTo: Assignee?, ackBy: Date?, at: Date) {
        self.task = task
        self.by = by
        self.reason = reason
        self.redispatchedTo = redispatchedTo
        self.ackBy = ackBy
        self.at = at
    }
}

/// `TaskCancelled`: the task is no longer needed.
public struct TaskCancelled: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Why, e.g. `"replanned: site no longer reached"` or `"levelChanged"`.
    public var reason: String
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, reason: String, at: Date) {
        self.task = task
        self.reason = reason
        self.at = at
    }
}

/// Which deadline of a task passed.
public enum TaskDeadlineKind: String, Codable, Sendable, CaseIterable {
    /// The acknowledgement deadline (``ResponseTask/ackBy``); an escalation step or `TaskUnowned` follows.
    case ack
    /// A site task's latest start (``ResponseTask/startBy``). Not produced by
    /// ``ResponseTask/deadlinePassed(at:)`` yet: issue 4 has the scheduler wait only for the ack and due
    /// deadlines.
    case start
    /// A report task's legal deadline (``ResponseTask/dueBy``), MEP Order No. 17 Art. 3; fired once.
    case due
}

/// `TaskOverdue`: a deadline passed without the expected step.
public struct TaskOverdue: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Which deadline.
    public var kind: TaskDeadlineKind
    /// The deadline that passed.
    public var deadline: Date
    /// When it was noticed (after the deadline; much later after an outage).
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, kind: TaskDeadlineKind, deadline: Date, at: Date) {
        self.task = task
        self.kind = kind
        self.deadline = deadline
        self.at = at
    }
}

/// `TaskEscalated`: an acknowledgement deadline passed; one more position up the chain is notified and may
/// work the task.
public struct TaskEscalated: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// The step, 1…K (``EscalationPolicy/repeats``).
    public var step: Int
    /// The position notified: the chain above the current assignee at index `min(step − 1, count − 1)`, or the
    /// assignee itself when nobody is above.
    public var to: Assignee
    /// The next acknowledgement deadline: the passed deadline plus ``EscalationPolicy/ackMinutes`` (anchored on
    /// the deadline, not on the time it was noticed).
    public var ackBy: Date
    /// When it was noticed.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, step: Int, to: Assignee, ackBy: Date, at: Date) {
        self.task = task
        self.step = step
        self.to = to
        self.ackBy = ackBy
        self.at = at
    }
}

/// Why a task has no owner.
public enum TaskUnownedReason: String, Codable, Sendable, CaseIterable {
    /// K escalation steps passed with no acknowledgement.
    case noAcknowledgement
    /// The top of the chain declined it.
    case declinedAtTop
}

/// `TaskUnowned`: nobody has taken the task on; no further deadlines are waited for. A commander must act
/// (any position that may work the task can still acknowledge it late).
public struct TaskUnowned: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// Why.
    public var reason: TaskUnownedReason
    /// Escalation steps taken before (K for ``TaskUnownedReason/noAcknowledgement``).
    public var steps: Int
    /// The acknowledgement deadline whose passing made it unowned; `nil` after a decline at the top.
    public var deadline: Date?
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, reason: TaskUnownedReason, steps: Int, deadline: Date?, at: Date) {
        self.task = task
        self.reason = reason
        self.steps = steps
        self.deadline = deadline
        self.at = at
    }
}

/// `TaskRescheduled`: a site task's latest start moved (a re-plan with new arrival times).
public struct TaskRescheduled: Codable, Sendable, Hashable {
    /// The task.
    public var task: UUID
    /// The latest start before (`nil` when there was none).
    public var from: Date?
    /// The new latest start.
    public var to: Date
    /// Why, e.g. `"replanned: observation at Sancha"`.
    public var reason: String
    /// When.
    public var at: Date

    /// Creates the payload.
    public init(task: UUID, from: Date?, to: Date, reason: String, at: Date) {
        self.task = task
        self.from = from
        self.to = to
        self.reason = reason
        self.at = at
    }
}
