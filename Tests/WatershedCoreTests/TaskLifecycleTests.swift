import Foundation
import Testing
import WatershedCore

/// Response tasks, their escalation and their fold (issue 4), on a manual clock: every time is a plain `Date` on
/// 2026-01-15 UTC, and every expected deadline below is worked out by hand in the comment beside it.
///
/// Units are the real ones of `playbooks/units.yaml`: Liujiang District 450206 (county) under Liuzhou 450200
/// (districted city) under Guangxi 450000.
@Suite struct TaskLifecycleTests {
    static let units: [UnitCode: AdministrativeUnit] = [
        "450000": AdministrativeUnit(code: "450000", name: "Guangxi", kind: .province),
        "450200": AdministrativeUnit(code: "450200", name: "Liuzhou", kind: .districtedCity, parent: "450000"),
        "450206": AdministrativeUnit(code: "450206", name: "Liujiang District", kind: .county, parent: "450200"),
        "450224": AdministrativeUnit(code: "450224", name: "Rong'an County", kind: .county, parent: "450200"),
        "VN": AdministrativeUnit(code: "VN", name: "Viet Nam", kind: .country),
    ]
    static let county = Assignee(unit: "450206", position: .countyDutyOfficer)
    static let otherCounty = Assignee(unit: "450224", position: .countyDutyOfficer)
    static let city = Assignee(unit: "450200", position: .cityDutyChief)
    static let province = Assignee(unit: "450000", position: .provincialDutyChief)
    static let incident = UUID(uuidString: "00000000-0000-0000-0000-0000000000AA")!
    static let taskID = UUID(uuidString: "00000000-0000-0000-0000-000000000003")!
    static let fifteenTwice = EscalationPolicy(ackMinutes: 15, repeats: 2)

    /// `"08:15"` or `"08:15:00.001"` on 2026-01-15, UTC.
    static func time(_ text: String) -> Date {
        let full = text.count == 5 ? "\(text):00.000" : text
        return CanonicalJSON.date(fromTimestamp: "2026-01-15T\(full)Z")!
    }

    /// A site task GX-2026-0007/T3 dispatched at `at` to `assignee`, with the chain computed from the units.
    static func dispatched(
        to assignee: Assignee = county, policy: EscalationPolicy = fifteenTwice, at: String = "08:00",
        kind: ResponseTaskKind = .site, dueBy: String? = nil
    ) -> ResponseTask {
        let start = time(at)
        let payload = TaskDispatched(
            task: taskID, reference: "GX-2026-0007/T3", number: 3, kind: kind,
            obligation: kind == .report ? "initial-450206" : nil, title: "Close the Liujiang intake",
            assignee: assignee, startBy: kind == .site ? time("09:00") : nil, dueBy: dueBy.map(time), policy: policy,
            chain: EscalationChain.above(assignee, units: units), at: start,
            ackBy: start.addingTimeInterval(policy.ackInterval))
        return ResponseTask(incident: incident, dispatched: payload)
    }

    /// Applies every change to `task` and returns them.
    @discardableResult
    static func fold(_ task: inout ResponseTask, _ changes: [TaskChange]) -> [TaskChange] {
        for change in changes { task.apply(change) }
        return changes
    }

    static func overdue(_ kind: TaskDeadlineKind, _ deadline: String, at: String) -> TaskChange {
        .overdue(TaskOverdue(task: taskID, kind: kind, deadline: time(deadline), at: time(at)))
    }

    static func escalated(_ step: Int, to: Assignee, ackBy: String, at: String) -> TaskChange {
        .escalated(TaskEscalated(task: taskID, step: step, to: to, ackBy: time(ackBy), at: time(at)))
    }

    static func unowned(steps: Int, deadline: String, at: String) -> TaskChange {
        .unowned(
            TaskUnowned(task: taskID, reason: .noAcknowledgement, steps: steps, deadline: time(deadline), at: time(at)))
    }

    // MARK: Chain

    @Test func chainOfACountyInLiuzhou() {
        // Liujiang District 450206 → its parent Liuzhou 450200 (city duty chief) → Liuzhou's parent 450000.
        #expect(EscalationChain.above(Self.county, units: Self.units) == [Self.city, Self.province])
        // A city-level first assignee starts at the city: only the province is above it.
        #expect(EscalationChain.above(Self.city, units: Self.units) == [Self.province])
        // The province has nobody above it; nor has a foreign country.
        #expect(EscalationChain.above(Self.province, units: Self.units) == [])
        #expect(EscalationChain.above(Assignee(unit: "VN", position: "x"), units: Self.units) == [])
    }

    @Test func chainWithAMissingParentEndsAtTheProvince() {
        // 451203 Yizhou District is not in this small table: its city is unknown, its province is 450000.
        let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
        #expect(EscalationChain.above(yizhou, units: Self.units) == [Self.province])
    }

    // MARK: Escalation

    @Test func twoRepeatsThenUnowned() {
        // ackMinutes 15, repeats 2; dispatched 08:00 → ackBy 08:15.
        var task = Self.dispatched()
        #expect(task.ackBy == Self.time("08:15"))
        #expect(task.nextDeadline == Self.time("08:15"))
        // At 08:15:00.000 exactly the deadline has not passed (it must be strictly after).
        #expect(task.deadlinePassed(at: Self.time("08:15")) == [])
        // 08:16: overdue at 08:15, step 1 to the city duty chief, next ackBy 08:15 + 15 min = 08:30.
        #expect(
            Self.fold(&task, task.deadlinePassed(at: Self.time("08:16"))) == [
                Self.overdue(.ack, "08:15", at: "08:16"),
                Self.escalated(1, to: Self.city, ackBy: "08:30", at: "08:16"),
            ])
        #expect(task.nextDeadline == Self.time("08:30"))
        #expect(task.escalatedTo == [Self.city])
        // 08:31: overdue at 08:30, step 2 to the provincial duty chief, next ackBy 08:45.
        #expect(
            Self.fold(&task, task.deadlinePassed(at: Self.time("08:31"))) == [
                Self.overdue(.ack, "08:30", at: "08:31"),
                Self.escalated(2, to: Self.province, ackBy: "08:45", at: "08:31"),
            ])
        #expect(task.escalationStep == 2)
        // 08:46: K = 2 steps taken, so the 08:45 deadline makes it unowned; nothing more is waited for.
        #expect(
            Self.fold(&task, task.deadlinePassed(at: Self.time("08:46"))) == [
                Self.overdue(.ack, "08:45", at: "08:46"),
                Self.unowned(steps: 2, deadline: "08:45", at: "08:46"),
            ])
        #expect(task.unowned)
        #expect(task.nextDeadline == nil)
        #expect(task.ackBy == nil)
        #expect(task.deadlinePassed(at: Self.time("12:00")) == [])
        #expect(task.escalatedTo == [Self.city, Self.province])
        #expect(task.state == .dispatched)
    }

    @Test func outageCatchUpFiresEveryStepOnce() {
        // The server was down from 08:05 to 10:00: deadlines 08:15, 08:30 and 08:45 all passed.
        var task = Self.dispatched()
        let changes = task.deadlinePassed(at: Self.time("10:00"))
        // Each next deadline is anchored on the one that passed (08:15 + 15 = 08:30, 08:30 + 15 = 08:45),
        // not on 10:00.
        #expect(
            changes == [
                Self.overdue(.ack, "08:15", at: "10:00"),
                Self.escalated(1, to: Self.city, ackBy: "08:30", at: "10:00"),
                Self.overdue(.ack, "08:30", at: "10:00"),
                Self.escalated(2, to: Self.province, ackBy: "08:45", at: "10:00"),
                Self.overdue(.ack, "08:45", at: "10:00"),
                Self.unowned(steps: 2, deadline: "08:45", at: "10:00"),
            ])
        // Pure: asking again without folding gives the same answer.
        #expect(task.deadlinePassed(at: Self.time("10:00")) == changes)
        Self.fold(&task, changes)
        #expect(task.deadlinePassed(at: Self.time("10:00")) == [])
        #expect(task.unowned)
    }

    @Test func catchUpAfterAPartialOutage() {
        // Step 1 happened at 08:16; the server then stopped until 08:40: only the 08:30 deadline is new.
        var task = Self.dispatched()
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))
        #expect(
            task.deadlinePassed(at: Self.time("08:40")) == [
                Self.overdue(.ack, "08:30", at: "08:40"),
                Self.escalated(2, to: Self.province, ackBy: "08:45", at: "08:40"),
            ])
    }

    @Test func acknowledgementStopsEscalation() {
        var task = Self.dispatched()
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))  // step 1 to the city, ackBy 08:30
        // The city duty chief, escalated to, acknowledges at 08:20 (before 08:30): only the acknowledgement.
        let ack = Self.fold(&task, try! task.acknowledge(by: Self.city, at: Self.time("08:20")))
        #expect(ack == [.acknowledged(TaskAcknowledged(task: Self.taskID, by: Self.city, at: Self.time("08:20")))])
        #expect(task.state == .acknowledged)
        #expect(task.nextDeadline == nil)
        #expect(task.deadlinePassed(at: Self.time("09:00")) == [])
        // The assignee stays the county; the acknowledgement names who took it.
        #expect(task.assignee == Self.county)
    }

    @Test func acknowledgementAtTheEscalationInstantIsInTime() throws {
        var task = Self.dispatched()
        // ackBy is 08:15:00.000; an acknowledgement at that very instant is in time: no overdue, no escalation.
        let changes = Self.fold(&task, try task.acknowledge(by: Self.county, at: Self.time("08:15")))
        #expect(
            changes == [.acknowledged(TaskAcknowledged(task: Self.taskID, by: Self.county, at: Self.time("08:15")))])
        // One millisecond later the scheduler finds nothing to do.
        #expect(task.deadlinePassed(at: Self.time("08:15:00.001")) == [])
        #expect(task.escalationStep == 0)
        #expect(task.escalatedTo == [])
    }

    @Test func lateAcknowledgementRecordsTheMissedDeadlineFirst() throws {
        // No scheduler ran between 08:15 and 08:20: the acknowledgement at 08:20 first catches up the 08:15
        // deadline (overdue, step 1 to the city with ackBy 08:30), so the log is the same whenever the scheduler woke.
        let task = Self.dispatched()
        #expect(
            try task.acknowledge(by: Self.county, at: Self.time("08:20")) == [
                Self.overdue(.ack, "08:15", at: "08:20"),
                Self.escalated(1, to: Self.city, ackBy: "08:30", at: "08:20"),
                .acknowledged(TaskAcknowledged(task: Self.taskID, by: Self.county, at: Self.time("08:20"))),
            ])
    }

    @Test func lateAcknowledgementOfAnUnownedTaskTakesItOn() throws {
        var task = Self.dispatched()
        Self.fold(&task, task.deadlinePassed(at: Self.time("10:00")))
        #expect(task.unowned)
        Self.fold(&task, try task.acknowledge(by: Self.province, at: Self.time("10:05")))
        #expect(!task.unowned)
        #expect(task.state == .acknowledged)
    }

    @Test func provinceLevelTaskRepeatsAtTheTop() {
        // Empty chain above the provincial duty chief; 5 min, 2 repeats; dispatched 08:00 → ackBy 08:05.
        var task = Self.dispatched(to: Self.province, policy: EscalationPolicy(ackMinutes: 5, repeats: 2))
        #expect(task.chain == [])
        // 08:05 → step 1 to itself, ackBy 08:10 → step 2 to itself, ackBy 08:15 → unowned.
        #expect(
            Self.fold(&task, task.deadlinePassed(at: Self.time("08:20"))) == [
                Self.overdue(.ack, "08:05", at: "08:20"),
                Self.escalated(1, to: Self.province, ackBy: "08:10", at: "08:20"),
                Self.overdue(.ack, "08:10", at: "08:20"),
                Self.escalated(2, to: Self.province, ackBy: "08:15", at: "08:20"),
                Self.overdue(.ack, "08:15", at: "08:20"),
                Self.unowned(steps: 2, deadline: "08:15", at: "08:20"),
            ])
        #expect(task.escalatedTo == [Self.province])
    }

    @Test func moreRepeatsThanChainStayAtTheTop() {
        // 10 min, 3 repeats for the county: steps 1, 2, 3 go to city, province, province (index min(n − 1, 1)).
        // Dispatched 08:00 → 08:10 step 1 (ackBy 08:20) → step 2 (08:30) → step 3 (08:40) → unowned at 08:40.
        let task = Self.dispatched(policy: EscalationPolicy(ackMinutes: 10, repeats: 3))
        let escalations = task.deadlinePassed(at: Self.time("09:00")).compactMap { change -> TaskEscalated? in
            if case .escalated(let payload) = change { return payload }
            return nil
        }
        #expect(escalations.map(\.to) == [Self.city, Self.province, Self.province])
        #expect(escalations.map(\.ackBy) == [Self.time("08:20"), Self.time("08:30"), Self.time("08:40")])
    }

    @Test func noRepeatsMeansUnownedAtTheFirstDeadline() {
        let task = Self.dispatched(policy: EscalationPolicy(ackMinutes: 15, repeats: 0))
        #expect(
            task.deadlinePassed(at: Self.time("08:16")) == [
                Self.overdue(.ack, "08:15", at: "08:16"), Self.unowned(steps: 0, deadline: "08:15", at: "08:16"),
            ])
    }

    // MARK: Decline

    @Test func declineRedispatchesToTheNextAssigneeAndRestartsEscalation() throws {
        var task = Self.dispatched()
        // The county declines at 08:05: to the city duty chief, step 0, ackBy 08:05 + 15 = 08:20.
        #expect(
            Self.fold(&task, try task.decline(by: Self.county, reason: "no boat on duty", at: Self.time("08:05"))) == [
                .declined(
                    TaskDeclined(
                        task: Self.taskID, by: Self.county, reason: "no boat on duty", redispatchedTo: Self.city,
                        ackBy: Self.time("08:20"), at: Self.time("08:05")))
            ])
        #expect(task.assignee == Self.city)
        #expect(task.state == .dispatched)
        #expect(task.nextDeadline == Self.time("08:20"))
        #expect(!task.mayBeWorked(by: Self.county, isCommander: false))
        // Above the city is only the province: 08:20 → step 1 to it (ackBy 08:35), 08:35 → step 2 to it again
        // (ackBy 08:50), 08:50 → unowned.
        #expect(
            task.deadlinePassed(at: Self.time("09:00")) == [
                Self.overdue(.ack, "08:20", at: "09:00"),
                Self.escalated(1, to: Self.province, ackBy: "08:35", at: "09:00"),
                Self.overdue(.ack, "08:35", at: "09:00"),
                Self.escalated(2, to: Self.province, ackBy: "08:50", at: "09:00"),
                Self.overdue(.ack, "08:50", at: "09:00"),
                Self.unowned(steps: 2, deadline: "08:50", at: "09:00"),
            ])
    }

    @Test func declineAfterAStepRestartsFromTheDeclineTime() throws {
        var task = Self.dispatched()
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))  // step 1 to the city, ackBy 08:30
        // The county declines at 08:25: to the city, step 0, ackBy 08:25 + 15 = 08:40 (not the old 08:30).
        Self.fold(&task, try task.decline(by: Self.county, reason: "outside our reach", at: Self.time("08:25")))
        #expect(task.escalationStep == 0)
        #expect(task.ackBy == Self.time("08:40"))
        #expect(task.deadlinePassed(at: Self.time("08:39")) == [])
        #expect(
            task.deadlinePassed(at: Self.time("08:41")) == [
                Self.overdue(.ack, "08:40", at: "08:41"),
                Self.escalated(1, to: Self.province, ackBy: "08:55", at: "08:41"),
            ])
    }

    @Test func declineByTheEscalatedCityGoesAboveTheCity() throws {
        var task = Self.dispatched()
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))  // step 1 to the city
        // The city, notified by escalation, declines at 08:20: the task goes above the city, to the province,
        // with ackBy 08:20 + 15 = 08:35.
        let changes = try task.decline(by: Self.city, reason: "county matter", at: Self.time("08:20"))
        #expect(
            changes == [
                .declined(
                    TaskDeclined(
                        task: Self.taskID, by: Self.city, reason: "county matter", redispatchedTo: Self.province,
                        ackBy: Self.time("08:35"), at: Self.time("08:20")))
            ])
    }

    /// The provincial duty chief is also the commander: the task, escalated to the province, is declined by them as
    /// commander, for the county. It goes to the next one above the county — the city — not to nobody.
    @Test func commandersDeclineOfAnEscalatedTaskPassesItAboveTheAssignee() throws {
        var task = Self.dispatched()
        // 08:00 dispatched to the county, ackBy 08:15; at 08:16 step 1 to the city (ackBy 08:15 + 15 = 08:30); at 08:32
        // step 2 to the province (ackBy 08:45). Nothing is due again before 08:45.
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:32")))
        #expect(task.escalatedTo == [Self.city, Self.province])
        // 08:40, as commander: to the city, ackBy 08:40 + 15 = 08:55.
        let changes = try task.decline(
            by: Self.province, reason: "the county has no boat", at: Self.time("08:40"), isCommander: true)
        #expect(
            changes == [
                .declined(
                    TaskDeclined(
                        task: Self.taskID, by: Self.province, reason: "the county has no boat",
                        redispatchedTo: Self.city, ackBy: Self.time("08:55"), at: Self.time("08:40")))
            ])
        // Not as commander, the province declines its own escalated share: nobody is above it.
        let own = try task.decline(by: Self.province, reason: "not ours", at: Self.time("08:40"))
        #expect(own.map(\.eventType) == [.taskDeclined, .taskUnowned])
    }

    @Test func declineAtTheTopLeavesTheTaskUnowned() throws {
        var task = Self.dispatched(to: Self.province)
        Self.fold(&task, try task.decline(by: Self.province, reason: "not ours", at: Self.time("08:02")))
        #expect(
            task.history.dropFirst().map { $0 } == [
                .declined(
                    TaskDeclined(
                        task: Self.taskID, by: Self.province, reason: "not ours", redispatchedTo: nil, ackBy: nil,
                        at: Self.time("08:02"))),
                .unowned(
                    TaskUnowned(
                        task: Self.taskID, reason: .declinedAtTop, steps: 0, deadline: nil, at: Self.time("08:02"))),
            ])
        #expect(task.unowned)
        #expect(task.nextDeadline == nil)
        #expect(task.assignee == Self.province)
    }

    // MARK: Policy frozen at dispatch

    @Test func policyIsFrozenAtDispatch() throws {
        let plannedTask = try Self.plannedTask(owner: "450206", province: "450000")
        let before = Organisation(province: "450000", defaultPolicy: Self.fifteenTwice, units: [])
        let dispatched = TaskDispatch.make(
            incidentReference: "GX-2026-0007", tasks: [plannedTask], obligations: [], organisation: before,
            units: Self.units, at: Self.time("08:00"), newID: { Self.taskID })
        var task = ResponseTask(incident: Self.incident, dispatched: dispatched[0])
        // The seeds change afterwards: the county now has 5 minutes. A new dispatch at 08:00 would get 08:05…
        let after = Organisation(
            province: "450000", defaultPolicy: Self.fifteenTwice,
            units: [
                OrganisationUnit(
                    code: "450206", dutyPositions: [.countyDutyOfficer], policy: .init(ackMinutes: 5, repeats: 1))
            ])
        let redone = TaskDispatch.make(
            incidentReference: "GX-2026-0007", tasks: [plannedTask], obligations: [], organisation: after,
            units: Self.units, at: Self.time("08:00"), newID: { Self.taskID })
        #expect(redone[0].ackBy == Self.time("08:05"))
        // …but the task out already keeps 15 min and 2 repeats: ackBy 08:15, and a decline at 08:05 gives
        // 08:05 + 15 = 08:20 (not 08:10).
        #expect(task.policy == EscalationPolicy(ackMinutes: 15, repeats: 2))
        #expect(task.ackBy == Self.time("08:15"))
        Self.fold(&task, try task.decline(by: Self.county, reason: "busy", at: Self.time("08:05")))
        #expect(task.ackBy == Self.time("08:20"))
    }

    // MARK: Wrong states

    /// A task brought to each state at 08:05 and 08:10 (acknowledged by the county at 08:05).
    static func task(in state: TaskState) throws -> ResponseTask {
        var task = dispatched()
        switch state {
        case .dispatched: break
        case .acknowledged: fold(&task, try task.acknowledge(by: county, at: time("08:05")))
        case .inProgress: fold(&task, try task.start(by: county, at: time("08:05")))
        case .done: fold(&task, try task.complete(by: county, at: time("08:05")))
        case .cancelled: fold(&task, try task.cancel(reason: "levelChanged", at: time("08:05")))
        }
        #expect(task.state == state)
        return task
    }

    @Test(arguments: [
        (
            TaskState.done, TaskTransitionError.Action.acknowledge,
            "task GX-2026-0007/T3 is done; it cannot be acknowledged"
        ),
        (.acknowledged, .acknowledge, "task GX-2026-0007/T3 is acknowledged; it cannot be acknowledged"),
        (.inProgress, .acknowledge, "task GX-2026-0007/T3 is in progress; it cannot be acknowledged"),
        (.inProgress, .start, "task GX-2026-0007/T3 is in progress; it cannot be started"),
        (.cancelled, .start, "task GX-2026-0007/T3 is cancelled; it cannot be started"),
        (.done, .complete, "task GX-2026-0007/T3 is done; it cannot be completed"),
        (.inProgress, .decline, "task GX-2026-0007/T3 is in progress; it cannot be declined"),
        (.cancelled, .cancel, "task GX-2026-0007/T3 is cancelled; it cannot be cancelled"),
        (.done, .reschedule, "task GX-2026-0007/T3 is done; it cannot be rescheduled"),
    ])
    func wrongStateThrowsWithTheState(state: TaskState, action: TaskTransitionError.Action, message: String) throws {
        let task = try Self.task(in: state)
        let at = Self.time("08:10")
        let error = #expect(throws: TaskTransitionError.self) {
            switch action {
            case .acknowledge: _ = try task.acknowledge(by: Self.county, at: at)
            case .start: _ = try task.start(by: Self.county, at: at)
            case .complete: _ = try task.complete(by: Self.county, at: at)
            case .decline: _ = try task.decline(by: Self.county, reason: "r", at: at)
            case .cancel: _ = try task.cancel(reason: "r", at: at)
            case .reschedule: _ = try task.reschedule(startBy: Self.time("09:30"), reason: "r", at: at)
            }
        }
        #expect(error == TaskTransitionError(reference: "GX-2026-0007/T3", state: state, action: action))
        #expect(error?.description == message)
    }

    /// The buttons a console offers (issue 21), as a table: who × state → actions. The county assignee, a commander
    /// (any position), the city above before the task is escalated to it, and another county; each state as
    /// ``task(in:)`` makes it. Worked out from the transitions' own rules (DESIGN.md "Tasks"): ack only while
    /// dispatched; start while dispatched or acknowledged; done from any open state; decline while dispatched or
    /// acknowledged; nothing for someone who may not work the task, nor once it is done or cancelled.
    @Test(arguments: [
        (TaskState.dispatched, "county", [TaskAction.ack, .start, .done, .decline]),
        (.acknowledged, "county", [.start, .done, .decline]),
        (.inProgress, "county", [.done]),
        (.done, "county", []),
        (.cancelled, "county", []),
        (.dispatched, "commander", [.ack, .start, .done, .decline]),
        (.inProgress, "commander", [.done]),
        (.dispatched, "city", []),
        (.dispatched, "otherCounty", []),
        (.acknowledged, "otherCounty", []),
    ])
    func actionsOffered(state: TaskState, who: String, expected: [TaskAction]) throws {
        let task = try Self.task(in: state)
        let actions =
            switch who {
            case "county": task.actions(for: Self.county, isCommander: false)
            case "commander": task.actions(for: Self.province, isCommander: true)
            case "city": task.actions(for: Self.city, isCommander: false)
            default: task.actions(for: Self.otherCounty, isCommander: false)
            }
        #expect(actions == expected)
        // Every action offered is one the transition accepts (and, for the county, one not offered is refused).
        for action in TaskAction.allCases where who == "county" {
            let at = Self.time("08:10")
            let accepted: Bool
            switch action {
            case .ack: accepted = (try? task.acknowledge(by: Self.county, at: at)) != nil
            case .start: accepted = (try? task.start(by: Self.county, at: at)) != nil
            case .done: accepted = (try? task.complete(by: Self.county, at: at)) != nil
            case .decline: accepted = (try? task.decline(by: Self.county, reason: "r", at: at)) != nil
            }
            #expect(accepted == expected.contains(action), "\(action) in \(state)")
        }
    }

    /// Escalated to the city, the task offers the city its actions too.
    @Test func anEscalatedPositionIsOffered() throws {
        var task = Self.dispatched()
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))
        #expect(task.escalatedTo == [Self.city])
        #expect(task.actions(for: Self.city, isCommander: false) == [.ack, .start, .done, .decline])
        #expect(task.actions(for: Self.otherCounty, isCommander: false) == [])
    }

    @Test func startingWithoutAcknowledgementStopsEscalation() throws {
        var task = Self.dispatched()
        #expect(
            Self.fold(&task, try task.start(by: Self.county, at: Self.time("08:10")))
                == [.started(TaskStarted(task: Self.taskID, by: Self.county, at: Self.time("08:10")))])
        #expect(task.state == .inProgress)
        #expect(task.nextDeadline == nil)
        Self.fold(&task, try task.complete(by: Self.county, at: Self.time("08:50")))
        #expect(task.state == .done)
    }

    @Test func rescheduleMovesTheLatestStart() throws {
        var task = Self.dispatched()
        #expect(try task.reschedule(startBy: Self.time("09:00"), reason: "same", at: Self.time("08:05")) == [])
        Self.fold(
            &task, try task.reschedule(startBy: Self.time("09:40"), reason: "replanned", at: Self.time("08:05")))
        #expect(task.startBy == Self.time("09:40"))
        #expect(
            task.history.last
                == .rescheduled(
                    TaskRescheduled(
                        task: Self.taskID, from: Self.time("09:00"), to: Self.time("09:40"), reason: "replanned",
                        at: Self.time("08:05"))))
    }

    // MARK: Who may act

    @Test func mayBeWorked() {
        var task = Self.dispatched()
        #expect(task.mayBeWorked(by: Self.county, isCommander: false))
        #expect(!task.mayBeWorked(by: Self.otherCounty, isCommander: false))
        #expect(!task.mayBeWorked(by: Assignee(unit: "450206", position: .cityDutyChief), isCommander: false))
        #expect(!task.mayBeWorked(by: Self.city, isCommander: false))
        #expect(!task.mayBeWorked(by: Self.province, isCommander: false))
        // A commander may work any task, whatever its unit and position.
        #expect(task.mayBeWorked(by: Self.otherCounty, isCommander: true))
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))  // escalated to the city
        #expect(task.mayBeWorked(by: Self.city, isCommander: false))
        #expect(!task.mayBeWorked(by: Self.province, isCommander: false))
        #expect(task.mayBeWorked(by: Self.county, isCommander: false))
    }

    // MARK: Report tasks

    @Test func reportTaskFiresItsDueDeadlineOnce() throws {
        // Initial report due 10:00 (discovery 06:00 + 4 h, MEP Order No. 17 Art. 3, III/IV path).
        var task = Self.dispatched(kind: .report, dueBy: "10:00")
        Self.fold(&task, try task.acknowledge(by: Self.county, at: Self.time("08:10")))
        #expect(task.nextDeadline == Self.time("10:00"))
        #expect(task.deadlinePassed(at: Self.time("10:00")) == [])
        #expect(
            Self.fold(&task, task.deadlinePassed(at: Self.time("10:01"))) == [Self.overdue(.due, "10:00", at: "10:01")])
        #expect(task.nextDeadline == nil)
        #expect(task.deadlinePassed(at: Self.time("11:00")) == [])
        #expect(
            try task.complete(by: Self.county, at: Self.time("10:30"))
                == [.done(TaskDone(task: Self.taskID, by: Self.county, at: Self.time("10:30")))])
    }

    @Test func reportTaskDeadlinesInterleaveInOrder() {
        // Unacknowledged, due 08:40: ack deadlines 08:15, 08:30, 08:45 and the due deadline 08:40, earliest first.
        let task = Self.dispatched(kind: .report, dueBy: "08:40")
        #expect(
            task.deadlinePassed(at: Self.time("09:00")) == [
                Self.overdue(.ack, "08:15", at: "09:00"),
                Self.escalated(1, to: Self.city, ackBy: "08:30", at: "09:00"),
                Self.overdue(.ack, "08:30", at: "09:00"),
                Self.escalated(2, to: Self.province, ackBy: "08:45", at: "09:00"),
                Self.overdue(.due, "08:40", at: "09:00"),
                Self.overdue(.ack, "08:45", at: "09:00"),
                Self.unowned(steps: 2, deadline: "08:45", at: "09:00"),
            ])
    }

    @Test func reportFiledLateStillRecordsTheOverdue() throws {
        let task = Self.dispatched(
            to: Self.province, policy: EscalationPolicy(ackMinutes: 5, repeats: 2), kind: .report, dueBy: "08:01")
        // Started at 08:00:30 (in time for the 08:05 ack), filed at 08:03: past 08:01, so the overdue comes first.
        var started = task
        Self.fold(&started, try started.start(by: Self.province, at: Self.time("08:00:30.000")))
        #expect(
            try started.complete(by: Self.province, at: Self.time("08:03")) == [
                Self.overdue(.due, "08:01", at: "08:03"),
                .done(TaskDone(task: Self.taskID, by: Self.province, at: Self.time("08:03"))),
            ])
    }

    // MARK: Dispatch from a plan

    static func plannedTask(owner: UnitCode, province: UnitCode, number: Int = 1) throws -> PlannedTask {
        let value: JSONValue = [
            "number": .number(Double(number)), "kind": "intake", "action": "closeIntake",
            "title": .string("Close the intake at \(owner)"), "owner": .string(owner), "ownerName": "x",
            "province": .string(province), "dutyPosition": "county-duty-officer",
            "latestStart": "2026-01-15T09:30:00.000Z", "leadTimeH": 1, "feasible": true,
            "source": ["playbook": "liujiang", "version": "2026-11-29", "node": .string("intake-\(owner)")],
        ]
        return try value.decode()
    }

    static func obligation(id: String, from unit: UnitCode, position: DutyPosition, dueBy: String?) throws
        -> ReportObligation
    {
        var value: [String: JSONValue] = [
            "id": .string(id), "report": "initial", "fromUnit": .string(unit), "fromName": "x",
            "dutyPosition": .string(position.rawValue),
            "recipients": [["unit": "MEE", "body": "ministry", "name": "Ministry of Ecology and Environment"]],
            "anchor": "receipt", "withinH": 1, "latestDueBy": "2026-01-15T11:00:00.000Z", "majorPath": true,
            "rule": "MEP Order No. 17, Art. 3 (province → MEE: 1 h after receipt)", "reason": "level II",
        ]
        if let dueBy { value["dueBy"] = .string("2026-01-15T\(dueBy):00.000Z") }
        return try JSONValue.object(value).decode()
    }

    @Test func dispatchFromAPlan() throws {
        let organisation = Organisation(
            province: "450000", defaultPolicy: Self.fifteenTwice,
            units: [
                OrganisationUnit(
                    code: "450000", dutyPositions: [.provincialDutyChief], policy: .init(ackMinutes: 5, repeats: 2))
            ])
        var ids = (1...3).map { UUID(uuidString: "00000000-0000-0000-0000-00000000010\($0)")! }.makeIterator()
        let payloads = TaskDispatch.make(
            incidentReference: "GX-2026-0007",
            tasks: [
                try Self.plannedTask(owner: "450206", province: "450000"),
                // Guangdong's Fengkai County: its own province dispatches it.
                try Self.plannedTask(owner: "441225", province: "440000", number: 2),
            ],
            obligations: [
                try Self.obligation(
                    id: "initial-450000-mee", from: "450000", position: .provincialDutyChief, dueBy: nil),
                try Self.obligation(id: "initial-441225", from: "441225", position: .countyDutyOfficer, dueBy: "10:00"),
            ],
            organisation: organisation, units: Self.units, existingCount: 2, at: Self.time("08:00"),
            newID: { ids.next()! })
        // Two tasks already: the new ones are T3 (site) and T4 (report); Guangdong's are skipped.
        #expect(payloads.map(\.reference) == ["GX-2026-0007/T3", "GX-2026-0007/T4"])
        #expect(payloads.map(\.kind) == [.site, .report])
        let site = payloads[0]
        #expect(site.assignee == Self.county)
        #expect(site.startBy == Self.time("09:30"))
        #expect(site.policy == Self.fifteenTwice)  // 450206 has no policy of its own: the default
        #expect(site.ackBy == Self.time("08:15"))  // 08:00 + 15 min
        #expect(site.chain == [Self.city, Self.province])
        #expect(site.source?.node == "intake-450206")
        let report = payloads[1]
        #expect(report.assignee == Self.province)
        #expect(report.obligation == "initial-450000-mee")
        #expect(report.dueBy == Self.time("11:00"))  // no dueBy before receipt: latestDueBy
        #expect(report.policy == EscalationPolicy(ackMinutes: 5, repeats: 2))
        #expect(report.ackBy == Self.time("08:05"))  // 08:00 + 5 min
        #expect(report.chain == [])
        #expect(report.startBy == nil)
        #expect(
            report.title
                == "File the initial report to Ministry of Ecology and Environment "
                + "(MEP Order No. 17, Art. 3 (province → MEE: 1 h after receipt))")
        #expect(report.task == UUID(uuidString: "00000000-0000-0000-0000-000000000102")!)
    }

    // MARK: Events

    @Test func changesRoundTripThroughEventPayloads() throws {
        var task = Self.dispatched(kind: .report, dueBy: "08:40")
        Self.fold(&task, task.deadlinePassed(at: Self.time("08:16")))
        Self.fold(&task, try task.decline(by: Self.county, reason: "busy", at: Self.time("08:20")))
        Self.fold(&task, try task.acknowledge(by: Self.city, at: Self.time("08:22")))
        Self.fold(&task, try task.reschedule(startBy: Self.time("09:10"), reason: "replanned", at: Self.time("08:23")))
        Self.fold(&task, try task.start(by: Self.city, at: Self.time("08:24")))
        Self.fold(&task, try task.complete(by: Self.city, at: Self.time("09:00")))
        #expect(
            task.history.map(\.eventType) == [
                .taskDispatched, .taskOverdue, .taskEscalated, .taskDeclined, .taskAcknowledged, .taskRescheduled,
                .taskStarted, .taskOverdue, .taskDone,
            ])
        var read: [TaskChange] = []
        for change in task.history {
            read.append(try #require(try TaskChange(eventType: change.eventType, payload: try change.payload())))
        }
        #expect(read == task.history)
        #expect(ResponseTask.replay(incident: Self.incident, changes: read) == task)
        #expect(try TaskChange(eventType: .levelSet, payload: JSONValue.object([:])) == nil)
        let coded = try JSONDecoder().decode([TaskChange].self, from: try JSONEncoder().encode(task.history))
        #expect(coded == task.history)
    }

    @Test func escalationPayloadShape() throws {
        // The JSON written into the log: times RFC 3339 UTC with three fractional digits, UUIDs upper case.
        let change = Self.escalated(1, to: Self.city, ackBy: "08:30", at: "08:16")
        #expect(change.eventType.rawValue == "TaskEscalated")
        #expect(
            try change.payload() == [
                "task": "00000000-0000-0000-0000-000000000003", "step": 1,
                "to": ["unit": "450200", "position": "city-duty-chief"],
                "ackBy": "2026-01-15T08:30:00.000Z", "at": "2026-01-15T08:16:00.000Z",
            ])
    }

    @Test func newEventTypesKeepTheirNames() {
        #expect(EventType.taskUnowned.rawValue == "TaskUnowned")
        #expect(EventType.taskRescheduled.rawValue == "TaskRescheduled")
        #expect(EventType(rawValue: "TaskDispatched") == .taskDispatched)
    }

    @Test func changesOfAnotherTaskAreIgnored() {
        var task = Self.dispatched()
        let other = TaskChange.cancelled(TaskCancelled(task: UUID(), reason: "x", at: Self.time("08:01")))
        task.apply(other)
        #expect(task.state == .dispatched)
        #expect(task.history.count == 1)
    }
}
