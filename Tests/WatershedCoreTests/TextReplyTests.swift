import Foundation
import Testing
import WatershedCore

/// Replies by text (issue 19, "Acknowledgement by reply"): how a reply reads (``TextReply``) and what it does
/// (``TextReplyDecision``), from the rota's numbers and a stranger's, on the task of ``TextRulesTests``.
@Suite struct TextReplyTests {
    static let officer = MobileNumber("+86 100 0045 1231")!
    static let chief = MobileNumber("+86 100 0045 1201")!
    static let stranger = MobileNumber("+86 139 0000 0000")!
    static let since = DrillScenario.parseTime("2012-01-01T08:30:00+08:00")!
    /// One person on each of Yizhou's officer and Hechi's chief, always on shift.
    static let rota = DutyRota(
        people: [
            "p-lu-jian": .init(id: "p-lu-jian", name: "陆建", mobile: officer),
            "p-lan-tao": .init(id: "p-lan-tao", name: "蓝涛", mobile: chief),
        ],
        rotations: [
            TextRulesTests.yizhou: .init(
                assignee: TextRulesTests.yizhou, startsAt: since, shiftHours: 24, people: ["p-lu-jian"]),
            TextRulesTests.hechi: .init(
                assignee: TextRulesTests.hechi, startsAt: since, shiftHours: 24, people: ["p-lan-tao"]),
        ])

    @Test(arguments: [
        ("1 T3", TextReply.acknowledge(number: 3, code: nil)),
        ("1T3", .acknowledge(number: 3, code: nil)),
        ("t3", .acknowledge(number: 3, code: nil)),
        ("１　Ｔ３", .acknowledge(number: 3, code: nil)),  // full-width, as a Chinese keyboard types it
        ("CCAA", .acknowledge(number: nil, code: "CCAA")),
        ("ccaa ", .acknowledge(number: nil, code: "CCAA")),
        ("1 K7QM", .acknowledge(number: nil, code: "K7QM")),
        ("T346", .acknowledge(number: 346, code: "T346")),  // a code that reads as a number too
        ("?", .list),
        ("？", .list),
        ("1 T0", .notUnderstood),
        ("OK", .notUnderstood),
        ("CCAB", .notUnderstood),  // B is not in the code's alphabet
        ("好的", .notUnderstood),
    ])
    func reads(text: String, expected: TextReply) {
        #expect(TextReply(text) == expected)
    }

    static func task() throws -> ResponseTask {
        try #require(try TextRulesTests.incident().task(TextRulesTests.taskID))
    }

    @Test func theOfficerOnTheRotaAcknowledgesByNumberOrCode() throws {
        let task = try Self.task()
        let now = TextRulesTests.t0.addingTimeInterval(60)
        for text in ["1 T\(task.number)", TaskTextMessage.code(for: task.id)] {
            let decision = TextReplyDecision.decide(text, from: Self.officer, rota: Self.rota, tasks: [task], now: now)
            #expect(
                decision.outcome
                    == .acknowledge(
                        task: task.id, reference: task.reference, as: TextRulesTests.yizhou, person: "p-lu-jian"))
            #expect(decision.answer == "已确认 \(task.reference)。")
        }
    }

    @Test func aStrangerIsIgnoredAndToldNothing() throws {
        let task = try Self.task()
        let decision = TextReplyDecision.decide(
            "1 T\(task.number)", from: Self.stranger, rota: Self.rota, tasks: [task], now: TextRulesTests.t0)
        #expect(decision.outcome == .stranger)
        #expect(decision.answer == nil)
    }

    @Test func theChiefMayNotAcknowledgeBeforeTheTaskReachesThem() throws {
        let task = try Self.task()
        let before = TextReplyDecision.decide(
            "1 T\(task.number)", from: Self.chief, rota: Self.rota, tasks: [task], now: TextRulesTests.t0)
        #expect(before.outcome == .notFound)
        #expect(before.answer == "没有待您确认的任务 T\(task.number)。回复 1 T编号 或 四位代码确认任务，回复 ? 查看待办任务。")
        // Escalated at 08:45: now the chief's, acknowledged as Hechi's city duty chief.
        var escalated = task
        let at = TextRulesTests.t0.addingTimeInterval(901)
        for change in task.deadlinePassed(at: at) { escalated.apply(change) }
        let after = TextReplyDecision.decide(
            "1 T\(task.number)", from: Self.chief, rota: Self.rota, tasks: [escalated], now: at)
        #expect(
            after.outcome
                == .acknowledge(task: task.id, reference: task.reference, as: TextRulesTests.hechi, person: "p-lan-tao")
        )
    }

    @Test func twoTasksWithTheSameNumberAreToldApartByCode() throws {
        let task = try Self.task()
        let other = ResponseTask(
            incident: UUID(),
            dispatched: TaskDispatched(
                task: UUID(uuidString: "00000000-0000-0000-0000-000000000001")!,
                reference: "GX-2012-0002/T\(task.number)",
                number: task.number, kind: .site, title: "Sample", assignee: TextRulesTests.yizhou,
                policy: EscalationPolicy(ackMinutes: 15, repeats: 2), chain: [], at: TextRulesTests.t0,
                ackBy: TextRulesTests.t0.addingTimeInterval(900)))
        let decision = TextReplyDecision.decide(
            "1 T\(task.number)", from: Self.officer, rota: Self.rota, tasks: [task, other], now: TextRulesTests.t0)
        #expect(decision.outcome == .notFound)
        // UUID …0001: the last four bytes are the number 1, lowest symbol first: C, A, A, A (alphabet[1] = C).
        #expect(TaskTextMessage.code(for: other.id) == "CAAA")
        #expect(
            decision.answer
                == "T\(task.number) 不止一项：\(task.reference) \(TaskTextMessage.code(for: task.id))；"
                + "GX-2012-0002/T\(task.number) CAAA。请回复四位代码。")
    }

    @Test func aQuestionMarkListsTheirOpenTasks() throws {
        let task = try Self.task()
        let code = TaskTextMessage.code(for: task.id)
        let decision = TextReplyDecision.decide(
            "？", from: Self.officer, rota: Self.rota, tasks: [task], now: TextRulesTests.t0)
        #expect(decision.outcome == .list)
        // Dispatched 08:30 +08:00 with 15 minutes: 08:45.
        #expect(decision.answer == "待办：\(task.reference) 待确认 \(code) 08:45前")
        let none = TextReplyDecision.decide(
            "?", from: Self.chief, rota: Self.rota, tasks: [task], now: TextRulesTests.t0)
        #expect(none.answer == "您没有待办任务。")
    }
}
