import Foundation
import Testing
import WatershedCore

/// When texts are due (issue 19): a notice at each step's start, a reminder at half the acknowledgement time, only
/// for the step the task is at, none once acknowledged. The task: dispatched 12:30 (+08:00) to Yizhou's county duty
/// officer, 15 minutes to acknowledge, 2 escalation steps, chain Hechi's city duty chief then the region's chief.
@Suite struct TextPolicyTests {
    static let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
    static let hechi = Assignee(unit: "451200", position: .cityDutyChief)
    static let region = Assignee(unit: "450000", position: .provincialDutyChief)

    static func time(_ text: String) -> Date { DrillScenario.parseTime("2026-12-07T\(text)+08:00")! }

    static func task() -> ResponseTask {
        ResponseTask(
            incident: UUID(),
            dispatched: TaskDispatched(
                task: UUID(), reference: "GX-2026-0007/T3", number: 3, kind: .site, title: "Dose at Lalang",
                assignee: yizhou, policy: EscalationPolicy(ackMinutes: 15, repeats: 2), chain: [hechi, region],
                at: time("12:30:00"), ackBy: time("12:45:00")))
    }

    /// The task with every deadline passed by `now` applied, as the scheduler would.
    static func caughtUp(_ task: ResponseTask, to now: Date) -> ResponseTask {
        var task = task
        for change in task.deadlinePassed(at: now) { task.apply(change) }
        return task
    }

    static func summary(_ due: [TextDue]) -> [String] {
        due.map {
            let at = TaskTextMessage.localTime($0.at)
            return "\($0.occasion.rawValue) \($0.to.unit) at \(at) by \(TaskTextMessage.localTime($0.ackBy))"
        }
    }

    @Test func atDispatchTheAssigneeIsTexted() {
        let due = TextPolicy.standard.due(Self.task(), now: Self.time("12:30:00"))
        #expect(Self.summary(due) == ["dispatched 451203 at 12:30 by 12:45"])
    }

    @Test func theReminderComesAtHalfTheAcknowledgementTime() {
        // 12:30 + 7.5 min = 12:37:30.
        #expect(TextPolicy.standard.due(Self.task(), now: Self.time("12:37:29")).count == 1)
        let due = TextPolicy.standard.due(Self.task(), now: Self.time("12:37:30"))
        #expect(Self.summary(due) == ["dispatched 451203 at 12:30 by 12:45", "reminder 451203 at 12:37 by 12:45"])
        #expect(due[1].at == Self.time("12:37:30"))
    }

    @Test func afterTheDeadlineTheNextPositionIsTexted() {
        // 12:45 passed (strictly) at 12:45:01: step 1, Hechi, by 13:00; its reminder at 12:52:30.
        let escalated = Self.caughtUp(Self.task(), to: Self.time("12:45:01"))
        #expect(
            Self.summary(TextPolicy.standard.due(escalated, now: Self.time("12:45:01"))) == [
                "escalated 451200 at 12:45 by 13:00"
            ])
        #expect(
            Self.summary(TextPolicy.standard.due(escalated, now: Self.time("12:52:30"))) == [
                "escalated 451200 at 12:45 by 13:00", "reminder 451200 at 12:52 by 13:00",
            ])
        // 13:00 passed: step 2, the region, by 13:15.
        let twice = Self.caughtUp(escalated, to: Self.time("13:00:01"))
        #expect(
            Self.summary(TextPolicy.standard.due(twice, now: Self.time("13:00:01"))) == [
                "escalated 450000 at 13:00 by 13:15"
            ])
        // 13:15 passed with both steps taken: unowned, no texts (the console shows it).
        let unowned = Self.caughtUp(twice, to: Self.time("13:15:01"))
        #expect(unowned.unowned)
        #expect(TextPolicy.standard.due(unowned, now: Self.time("13:15:01")).isEmpty)
    }

    @Test func anAcknowledgedTaskCallsForNoText() throws {
        let task = Self.task()
        var acknowledged = task
        for change in try task.acknowledge(by: Self.yizhou, at: Self.time("12:33:00")) { acknowledged.apply(change) }
        #expect(TextPolicy.standard.due(acknowledged, now: Self.time("12:40:00")).isEmpty)
    }

    @Test func eachTextHasOneKeyWhoeverAsks() {
        let task = Self.task()
        let first = TextPolicy.standard.due(task, now: Self.time("12:40:00"))
        let again = TextPolicy.standard.due(task, now: Self.time("12:44:00"))
        #expect(first.map(\.key) == again.map(\.key))
        #expect(Set(first.map(\.key)).count == 2)
    }

    @Test func withoutAReminderOnlyTheNoticeIsDue() {
        let due = TextPolicy(reminderFraction: nil).due(Self.task(), now: Self.time("12:44:00"))
        #expect(due.map(\.occasion) == [.dispatched])
    }
}
