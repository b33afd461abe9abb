import Foundation
import Testing
import WatershedCore

/// A level set below what the plan grades (issue 17): it stands (MEP Order No. 17 Art. 3), every surface says so
/// in the same words, and the commander gets one review task per higher hint. The report of
/// ``ReportedImpactsTests`` — a milligram of benzene, so the plan predicts nothing — states a cross-provincial
/// impact, which the 2014 plan grades II.
@Suite struct LevelReviewTests {
    static let crossProvincial = GradingHint(level: .II, reasons: ["crossProvincial impact → II"])

    @Test(arguments: [
        (SeverityLevel?.some(.III), true),  // III set, II graded: reviewed
        (.IV, true),
        (.II, false),  // the level already is what the plan grades
        (.I, false),  // set higher than the plan grades: the bureau's judgement, nothing to review
        (nil, false),  // ungraded: the hint itself decides the path (ReportingRulesTests)
    ])
    func aReviewIsDueOnlyWhenTheLevelSetIsLower(level: SeverityLevel?, due: Bool) {
        #expect((LevelReview(level: level, hint: Self.crossProvincial) != nil) == due)
    }

    @Test func theSentenceEverySurfaceShows() throws {
        let review = try #require(LevelReview(level: .III, hint: Self.crossProvincial))
        #expect(
            review.text
                == "Level III stands (the bureau's determination, MEP Order No. 17 Art. 3), but the plan grades II "
                + "(2014 national plan): crossProvincial impact → II. The commander is asked to review the level.")
        #expect(review.marker == "level:review:II")
        #expect(LevelReview(level: .III, hint: GradingHint(level: nil, reasons: [])) == nil)
    }

    /// The same sentence on a Chinese screen, the reasons in the words of the 2014 plan's annex; a hint stored
    /// before the Chinese reasons existed shows the English ones rather than none.
    @Test func theSentenceInChinese() throws {
        let hint = Grading.grade(GradingFacts(deaths: 12, reach: .crossProvincial))
        #expect(hint.reasonsZh == ["死亡12人 → II级", "造成跨省级行政区域影响 → II级"])
        let review = try #require(LevelReview(level: .III, hint: hint))
        #expect(
            review.textZh
                == "已定为III级（报告单位的初步认定，《突发环境事件信息报告办法》第三条），但按2014年国家预案分级标准为II级："
                + "死亡12人 → II级；造成跨省级行政区域影响 → II级。请指挥长复核级别。")
        let stored = try JSONDecoder().decode(
            GradingHint.self, from: Data(#"{"level":"II","reasons":["crossProvincial impact → II"]}"#.utf8))
        #expect(stored.reasonsZh == [])
        #expect(LevelReview(level: .IV, hint: stored)?.reasonsZh == ["crossProvincial impact → II"])
    }

    /// Every row of the annex in its words: the loss in 万元 (2,000万元 is the II threshold), the intake by the
    /// level of the town it serves.
    @Test(arguments: [
        (GradingFacts(poisonedOrInjured: 50), "中毒或重伤50人 → II级"),
        (GradingFacts(evacuated: 5_000), "疏散、转移5000人 → III级"),
        (GradingFacts(directLossCNY: 20_000_000), "直接经济损失2000万元 → II级"),
        (GradingFacts(directLossCNY: 1_234_567), "直接经济损失123.5万元 → IV级"),
        (GradingFacts(intakeCutOff: .countyLevelCity), "县级城市集中式饮用水水源地取水中断 → II级"),
        (GradingFacts(reach: .transnational), "造成重大跨国境影响 → I级"),
    ])
    func everyReasonInTheAnnexsWords(facts: GradingFacts, zh: String) {
        #expect(Grading.grade(facts).reasonsZh == [zh])
    }

    static func report(level: SeverityLevel?) -> InitialReport {
        var report = ReportedImpactsTests.report(ReportedImpacts(crossProvincial: true))
        report.level = level
        return report
    }

    static func reviews(_ events: [IncidentEvent]) -> [TaskDispatched] {
        NeighbourRulesTests.dispatchedTasks(events).filter { $0.kind == .review }
    }

    /// Filed at level IV with a cross-provincial impact: the level stands (4 h path), and the last task is the
    /// commander's review, naming the reason.
    @Test func anInitialReportBelowThePlansGradeAsksForAReview() throws {
        let events = try IncidentRulesTests.rules.initialReport(
            Self.report(level: .IV), reference: "GX-2012-0001", by: IncidentRulesTests.yizhou,
            now: IncidentRulesTests.filedAt, exercise: false)
        let tasks = NeighbourRulesTests.dispatchedTasks(events)
        let review = try #require(tasks.last)
        #expect(Self.reviews(events) == [review])
        #expect(review.obligation == "level:review:II")
        #expect(
            review.title
                == "Review the level of GX-2012-0001: IV is set, the plan grades II (crossProvincial impact → II)")
        #expect(
            review.titleZh == "复核GX-2012-0001的事件级别：已定为IV级，预案分级为II级（造成跨省级行政区域影响 → II级）")
        #expect(review.assignee == Assignee(unit: "450000", position: .provincialDutyChief))
        #expect(review.number == tasks.count)
        #expect(review.reference == "GX-2012-0001/T\(tasks.count)")
        // The level stands: the county's report is on the 4 h path.
        let county = try #require(
            events.compactMap { if case .obligationDue(let due) = $0 { due } else { nil } }.first)
        #expect(county.dueBy == HandBasin.spillTime.addingTimeInterval(4 * 3_600))
    }

    @Test func anInitialReportAtThePlansGradeAsksForNone() throws {
        let events = try IncidentRulesTests.rules.initialReport(
            Self.report(level: .II), reference: "GX-2012-0001", by: IncidentRulesTests.yizhou,
            now: IncidentRulesTests.filedAt, exercise: false)
        #expect(Self.reviews(events) == [])
    }

    /// Ungraded at first; the commander then sets III (below II): one review task. A later follow-up does not
    /// raise another while the hint stays II.
    @Test func aLevelChangeBelowThePlansGradeAsksOnce() throws {
        let at = IncidentRulesTests.filedAt
        let opened = try #require(
            Incident.fold(
                try IncidentRulesTests.rules.initialReport(
                    Self.report(level: nil), reference: "GX-2012-0001", by: IncidentRulesTests.yizhou, now: at,
                    exercise: false
                ).enumerated().map { index, event in
                    RecordedEvent(
                        seq: Int64(index + 1), at: at, incident: IncidentRulesTests.incidentID,
                        actor: IncidentRulesTests.yizhou.actor, event: event)
                }))
        #expect(opened.tasks.filter { $0.kind == .review }.isEmpty, "ungraded: nothing to review")
        let later = at.addingTimeInterval(3_600)
        let changed = try IncidentRulesTests.rules.report(
            IncidentRulesTests.followUp(.followUp, levelTo: .III, at: later), on: opened,
            by: IncidentRulesTests.commander, now: later)
        let review = try #require(Self.reviews(changed).first)
        #expect(Self.reviews(changed).count == 1)
        #expect(review.title.hasPrefix("Review the level of GX-2012-0001: III is set, the plan grades II"))
        let reviewed = IncidentRulesTests.applying(changed, to: opened, at: later)
        #expect(review.number == reviewed.tasks.count, "numbered after every task the report dispatched")
        let again = try IncidentRulesTests.rules.report(
            IncidentRulesTests.followUp(.followUp, at: later.addingTimeInterval(600)), on: reviewed,
            by: IncidentRulesTests.commander, now: later.addingTimeInterval(600))
        #expect(Self.reviews(again) == [])
    }

    /// Filed at level IV with nothing that grades higher; a follow-up then states a cross-provincial impact: the
    /// plan is re-computed with it, and the commander gets the review task, in both languages.
    @Test func aFollowUpsImpactsAskForAReview() throws {
        let at = IncidentRulesTests.filedAt
        var report = Self.report(level: .IV)
        report.impacts = nil
        let opened = try #require(
            Incident.fold(
                try IncidentRulesTests.rules.initialReport(
                    report, reference: "GX-2012-0001", by: IncidentRulesTests.yizhou, now: at, exercise: false
                ).enumerated().map { index, event in
                    RecordedEvent(
                        seq: Int64(index + 1), at: at, incident: IncidentRulesTests.incidentID,
                        actor: IncidentRulesTests.yizhou.actor, event: event)
                }))
        #expect(opened.tasks.filter { $0.kind == .review }.isEmpty)
        let later = at.addingTimeInterval(3_600)
        var followUp = IncidentRulesTests.followUp(.followUp, at: later)
        followUp.impacts = ReportedImpacts(crossProvincial: true)
        let events = try IncidentRulesTests.rules.report(
            followUp, on: opened, by: IncidentRulesTests.commander, now: later)
        let plan = try #require(
            events.compactMap { if case .planComputed(let record) = $0 { try? record.document() } else { nil } }.last)
        #expect(plan.gradingHint.level == .II)
        let review = try #require(Self.reviews(events).first)
        #expect(review.titleZh == "复核GX-2012-0001的事件级别：已定为IV级，预案分级为II级（造成跨省级行政区域影响 → II级）")
    }
}
