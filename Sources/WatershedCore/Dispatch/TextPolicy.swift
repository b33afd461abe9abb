import Foundation

/// When a task's text messages are due (issue 19, "SMS out": "at dispatch, again at half the acknowledgement
/// time, then the next position at the deadline as today"). A pure rule over the task as folded: the sender asks
/// it what is due by now and sends what the log does not yet say was sent (each ``TextDue/key`` once).
///
/// While a task waits for an acknowledgement at escalation step `k` (deadline `ackBy`, the step's start
/// `ackBy − ackMinutes`), the position asked (``ResponseTask/position(atStep:)``) is due
///
/// 1. a notice at the step's start — *dispatched* at step 0, *escalated* after;
/// 2. a reminder at `start + reminderFraction × ackMinutes`, when the policy has one.
///
/// Only the current step's texts are due: a task acknowledged, unowned, done or cancelled calls for none, and a
/// sender that was down does not send the texts of steps already passed (their positions have been escalated
/// past; the next position's notice says so). The escalation itself stays the scheduler's (``ResponseTask``).
public struct TextPolicy: Codable, Sendable, Hashable {
    /// The fraction of the acknowledgement time after which the same holder is reminded (0 < f < 1), or `nil` for
    /// no reminder.
    public var reminderFraction: Double?

    public init(reminderFraction: Double?) {
        self.reminderFraction = reminderFraction
    }

    /// A notice at each step and a reminder at half the acknowledgement time.
    public static let standard = TextPolicy(reminderFraction: 0.5)

    /// The texts `task` calls for by `now`, in time order.
    public func due(_ task: ResponseTask, now: Date) -> [TextDue] {
        guard task.state == .dispatched, !task.unowned, let ackBy = task.ackBy else { return [] }
        let step = task.escalationStep
        let position = task.position(atStep: step)
        let start = ackBy.addingTimeInterval(-task.policy.ackInterval)
        // The step's start names it: a decline re-dispatches at step 0 with a new start.
        let stepKey = "\(task.id.uuidString) step \(step) from \(Int64(start.timeIntervalSince1970.rounded(.down)))"
        var due: [TextDue] = []
        if now >= start {
            due.append(
                TextDue(
                    key: "\(stepKey) notice", occasion: step == 0 ? .dispatched : .escalated, to: position, at: start,
                    ackBy: ackBy))
        }
        if let fraction = reminderFraction, fraction > 0, fraction < 1 {
            let reminder = start.addingTimeInterval(fraction * task.policy.ackInterval)
            if now >= reminder {
                due.append(
                    TextDue(key: "\(stepKey) reminder", occasion: .reminder, to: position, at: reminder, ackBy: ackBy))
            }
        }
        return due
    }
}

extension TextPolicy {
    /// The next moment after `now` at which `task` calls for a text (its reminder, or its step's start after a
    /// re-dispatch), or `nil` when none is ahead of it: when the sender next wakes, unless a commit wakes it first.
    public func next(_ task: ResponseTask, after now: Date) -> Date? {
        guard task.state == .dispatched, !task.unowned, let ackBy = task.ackBy else { return nil }
        let start = ackBy.addingTimeInterval(-task.policy.ackInterval)
        var times = [start]
        if let fraction = reminderFraction, fraction > 0, fraction < 1 {
            times.append(start.addingTimeInterval(fraction * task.policy.ackInterval))
        }
        return times.filter { $0 > now }.min()
    }
}

/// One text a task calls for (``TextPolicy/due(_:now:)``).
public struct TextDue: Sendable, Hashable {
    /// What makes it one text, whatever node or restart asks: `<task> step <k> from <its start, Unix seconds>
    /// notice|reminder`.
    public var key: String
    /// Why.
    public var occasion: TaskTextMessage.Occasion
    /// The position whose holder gets it (``DutyRota/holder(of:at:)`` at ``at``).
    public var to: Assignee
    /// When it became due.
    public var at: Date
    /// The deadline the text states.
    public var ackBy: Date
}
