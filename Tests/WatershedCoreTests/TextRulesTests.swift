import Foundation
import Testing
import WatershedCore

/// The text-message rules (issue 19) on the hand-made basin, one row per rule: which texts a task's log leaves due
/// (``IncidentRules/textsDue(on:policy:now:)``), what giving up on one does
/// (``IncidentRules/textUndeliverable(_:on:reason:minutes:now:)``), and what a reply does
/// (``TextReplyDecision``). The task: T-next of GX-2012-0001, dispatched at 08:30 (+08:00) to Yizhou's county duty
/// officer, 15 minutes to acknowledge, then Hechi's city duty chief, then the region's.
@Suite struct TextRulesTests {
    static let rules = IncidentRulesTests.rules
    static let taskID = UUID(uuidString: "00000000-0000-0000-0000-00000000C0DE")!
    static let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
    static let hechi = Assignee(unit: "451200", position: .cityDutyChief)
    static let region = Assignee(unit: "450000", position: .provincialDutyChief)
    /// 2012-01-15 08:30 +08:00 (00:30 UTC), Unix 1,326,587,400.
    static let t0 = IncidentRulesTests.filedAt

    /// The opened incident with the task dispatched at `t0`.
    static func incident() throws -> Incident {
        let opened = try IncidentRulesTests.opened()
        let number = opened.tasks.count + 1
        let dispatched = TaskDispatched(
            task: taskID, reference: "GX-2012-0001/T\(number)", number: number, kind: .site,
            title: "Close the Yizhou intake", assignee: yizhou, policy: EscalationPolicy(ackMinutes: 15, repeats: 2),
            chain: [hechi, region], at: t0, ackBy: t0.addingTimeInterval(900))
        return IncidentRulesTests.applying([.task(.dispatched(dispatched))], to: opened, at: t0)
    }

    static func key(_ occasion: String, step: Int = 0, from: Int = 1_326_587_400) -> String {
        "\(taskID.uuidString) step \(step) from \(from) \(occasion)"
    }

    static func sent(_ occasion: String) -> IncidentEvent {
        .textSent(
            TaskTextSent(
                task: taskID, key: key(occasion), occasion: occasion == "notice" ? .dispatched : .reminder, to: yizhou,
                person: "p-a", numberHash: "0123456789abcdef", code: "AAAA", segments: 1, at: t0))
    }

    static func failed(_ occasion: String, final: Bool = false) -> IncidentEvent {
        .textFailed(TaskTextFailed(task: taskID, key: key(occasion), reason: "refused", final: final, at: t0))
    }

    static let delivered = IncidentEvent.textDelivered(TaskTextDelivered(task: taskID, key: key("notice"), at: t0))

    // MARK: Texts due

    /// (the task's text events, minutes after dispatch, the text due: occasion and minutes its step has been unsent
    /// since, or nil).
    @Test(
        arguments: [
            ([], 0.0, "dispatched 0.0"),  // at dispatch: the notice
            ([sent("notice")], 0.0, nil),  // sent: settled
            ([sent("notice")], 7.5, "reminder 7.5"),  // half of 15 min: the reminder
            ([], 7.5, "reminder 0.0"),  // a sender down since dispatch sends the reminder only, unsent since 08:30
            ([failed("notice")], 1.0, "dispatched 0.0"),  // an attempt failed: still due
            ([sent("notice"), failed("notice")], 1.0, "dispatched 0.0"),  // a delivery report of failure: due again
            ([failed("notice", final: true)], 1.0, nil),  // given up
            ([failed("notice", final: true)], 7.5, "reminder 7.5"),  // the reminder is tried for its own time
            ([sent("notice"), delivered], 1.0, nil),  // delivered
            ([sent("notice"), sent("reminder")], 10.0, nil),  // both sent
        ] as [([IncidentEvent], Double, String?)])
    func textsDue(log: [IncidentEvent], minutes: Double, expected: String?) throws {
        let incident = IncidentRulesTests.applying(log, to: try Self.incident(), at: Self.t0)
        let due = Self.rules.textsDue(
            on: incident, policy: .standard, now: Self.t0.addingTimeInterval(minutes * 60)
        ).filter { $0.task.id == Self.taskID }
        let described = due.map {
            "\($0.due.occasion.rawValue) \($0.unsentSince.timeIntervalSince(Self.t0) / 60)"
        }
        #expect(described == (expected.map { [$0] } ?? []))
        #expect(due.allSatisfy { $0.due.to == Self.yizhou })
    }

    @Test func aClosedIncidentCallsForNoText() throws {
        let closed = IncidentRulesTests.applying(
            [.closed(IncidentClosedPayload(reason: "final report filed"))], to: try Self.incident(), at: Self.t0)
        #expect(Self.rules.textsDue(on: closed, policy: .standard, now: Self.t0).isEmpty)
    }

    @Test func afterTheDeadlineTheTextIsTheNextPositionsAndItsStepIsNew() throws {
        var incident = try Self.incident()
        let task = try #require(incident.task(Self.taskID))
        incident = IncidentRulesTests.applying(
            task.deadlinePassed(at: Self.t0.addingTimeInterval(901)).map { .task($0) }, to: incident, at: Self.t0)
        let due = Self.rules.textsDue(on: incident, policy: .standard, now: Self.t0.addingTimeInterval(901))
            .filter { $0.task.id == Self.taskID }
        // Step 1 starts at the deadline, 08:45 = Unix 1,326,588,300.
        #expect(due.map(\.due.key) == [Self.key("notice", step: 1, from: 1_326_588_300)])
        #expect(due.map(\.due.to) == [Self.hechi])
        #expect(due.map(\.due.occasion) == [.escalated])
    }

    // MARK: Giving up

    @Test func givingUpAsksTheChiefAboveToPhoneOnce() throws {
        let incident = try Self.incident()
        let text = try #require(
            Self.rules.textsDue(on: incident, policy: .standard, now: Self.t0).first { $0.task.id == Self.taskID })
        let at = Self.t0.addingTimeInterval(900)
        let events = Self.rules.textUndeliverable(text, on: incident, reason: "gateway down", minutes: 15, now: at)
        #expect(events.count == 2)
        #expect(
            events.first
                == .textFailed(
                    TaskTextFailed(
                        task: Self.taskID, key: Self.key("notice"), reason: "gateway down", final: true, at: at)
                ))
        guard case .task(.dispatched(let call)) = events.last else {
            Issue.record("no call dispatched: \(events)")
            return
        }
        let number = incident.tasks.count + 1
        #expect(call.reference == "GX-2012-0001/T\(number)")
        #expect(call.kind == .textUndelivered)
        #expect(call.obligation == "text:\(Self.taskID.uuidString)")
        #expect(call.assignee == Self.hechi)  // the chief above the county officer nobody could text
        #expect(call.chain == [Self.region])
        #expect(call.ackBy == at.addingTimeInterval(15 * 60))  // the default policy: 15 min
        #expect(
            call.title
                == "Phone the Yizhou county duty officer on duty about GX-2012-0001/T\(number - 1): its text message "
                + "has not gone through for 15 min")
        #expect(call.titleZh == "电话通知Yizhou县级值班员：GX-2012-0001/T\(number - 1) 的短信已15分钟未能送达")

        // With that call open, giving up again (the reminder) records the failure only.
        let after = IncidentRulesTests.applying(events, to: incident, at: at)
        let again = Self.rules.textUndeliverable(text, on: after, reason: "gateway down", minutes: 15, now: at)
        #expect(again.count == 1)
        // The call's own text given up: no call about the call.
        let callText = try #require(
            Self.rules.textsDue(on: after, policy: .standard, now: at).first { $0.task.id == call.task })
        #expect(Self.rules.textUndeliverable(callText, on: after, reason: "down", minutes: 15, now: at).count == 1)
    }

    @Test func theTopOfTheChainFallsBackToTheProvincesDutyChief() throws {
        var incident = try Self.incident()
        let task = try #require(incident.task(Self.taskID))
        // Two deadlines passed: step 2, the region's chief.
        incident = IncidentRulesTests.applying(
            task.deadlinePassed(at: Self.t0.addingTimeInterval(1_801)).map { .task($0) }, to: incident, at: Self.t0)
        let at = Self.t0.addingTimeInterval(1_801)
        let text = try #require(
            Self.rules.textsDue(on: incident, policy: .standard, now: at).first { $0.task.id == Self.taskID })
        #expect(text.due.to == Self.region)
        let events = Self.rules.textUndeliverable(text, on: incident, reason: "down", minutes: 15, now: at)
        guard case .task(.dispatched(let call)) = events.last else {
            Issue.record("no call: \(events)")
            return
        }
        #expect(call.assignee == Self.region)
    }
}
