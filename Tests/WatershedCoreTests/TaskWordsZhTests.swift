import Foundation
import Testing
import WatershedCore

/// Chinese task titles (issue 17): the fixed vocabulary, with place names from the playbooks' `nameZh` (as
/// `playbooks/units.yaml` writes Yizhou, Hechi and Guangxi) and the English name where a playbook has none.
@Suite struct TaskWordsZhTests {
    static let units: [UnitCode: AdministrativeUnit] = [
        "450000": AdministrativeUnit(code: "450000", name: "Guangxi", nameZh: "广西壮族自治区", kind: .province),
        "451200": AdministrativeUnit(
            code: "451200", name: "Hechi", nameZh: "河池市", kind: .districtedCity, parent: "450000"),
        "451203": AdministrativeUnit(code: "451203", name: "Yizhou", nameZh: "宜州区", kind: .county, parent: "451200"),
    ]

    static func initial(_ level: SeverityLevel) -> [ReportObligation] {
        ReportingRules.initialObligations(
            level: level, triggers: [], anchorAt: HandBasin.spillTime, anchor: .discovery, spillUnit: "451203",
            units: units)
    }

    /// III: the county reports to its government and the city's bureau (Art. 3, 4 h); II: to its government, the
    /// provincial department and the ministry, and the province to the ministry.
    @Test func reportTasksNameTheirRecipientsInChinese() throws {
        #expect(
            TaskWordsZh.report(try #require(Self.initial(.III).first), units: Self.units)
                == "向宜州区人民政府、河池市生态环境局报送初报（《突发环境事件信息报告办法》第三条）")
        let major = Self.initial(.II)
        #expect(
            major.map { TaskWordsZh.report($0, units: Self.units) } == [
                "向宜州区人民政府、广西壮族自治区生态环境厅、生态环境部报送初报（《突发环境事件信息报告办法》第三条）",
                "向生态环境部报送初报（《突发环境事件信息报告办法》第三条）",
            ])
    }

    /// The hand-made basin's plan for 1,000 kg of cadmium at trib km 0: dosing at trib-dam, closing Main intake
    /// (45 times the standard there with dosing, PlannerTests), sampling at Trib km 5 — each with its Chinese title,
    /// the playbook's English names standing where it has no `nameZh`; the dispatch carries them to the task.
    @Test func plannedTasksCarryTheirChineseTitleToTheTask() throws {
        let plan = try Planner(basin: HandBasin.basin()).plan(HandBasin.input())
        let titles = plan.tasks.compactMap(\.titleZh)
        #expect(titles.count == plan.tasks.count)
        #expect(titles.contains("在Trib dam投药处置"))
        #expect(titles.contains("Main intake：在污染团前锋到达前关闭取水口或切换备用水源，每小时监测原水"))
        #expect(titles.contains("在“Trib km 5”断面每小时监测Cadmium，前锋到达前开始"))
        let dispatched = TaskDispatch.make(
            incidentReference: "GX-2012-0001", tasks: plan.tasks, obligations: plan.obligations,
            organisation: IncidentRulesTests.organisation, units: HandBasin.basin().units, at: HandBasin.spillTime)
        let task = ResponseTask(
            incident: UUID(), dispatched: try #require(dispatched.first { $0.source?.measure == "dose-trib-dam" }))
        #expect(task.titleZh == "在Trib dam投药处置")
        #expect(dispatched.filter { $0.kind == .report }.allSatisfy { $0.titleZh?.hasPrefix("向") == true })
    }
}
