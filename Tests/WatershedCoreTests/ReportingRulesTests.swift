import Foundation
import Testing
import WatershedCore

/// MEP Order No. 17 Art. 3–4 (DOMAIN.md §2), for a spill in Yizhou (county) under Hechi (city), Guangxi.
@Suite struct ReportingRulesTests {
    let units = Dictionary(uniqueKeysWithValues: HandBasin.units.map { ($0.code, $0) })
    let discovery = HandBasin.spillTime

    func obligations(
        _ level: SeverityLevel?, _ triggers: Set<Art4Trigger> = [], at: Date? = nil,
        anchor: ObligationAnchor = .discovery
    )
        -> [ReportObligation]
    {
        ReportingRules.initialObligations(
            level: level, triggers: triggers, anchorAt: at ?? discovery, anchor: anchor, spillUnit: "451203",
            units: units)
    }

    /// IV and III: 4 h to the county government and the next-higher (Hechi) bureau; nothing to MEE.
    @Test(arguments: [SeverityLevel.III, .IV])
    func ordinaryLevels(level: SeverityLevel) throws {
        let list = obligations(level)
        #expect(list.count == 1)
        let county = try #require(list.first)
        #expect(county.dueBy == discovery.addingTimeInterval(4 * 3_600))
        #expect(!county.majorPath)
        #expect(county.recipients.map(\.unit) == ["451203", "451200"])
        #expect(county.recipients.map(\.body) == [.government, .environmentBureau])
    }

    /// II and I: 2 h to the county government, the provincial department and MEE; the province has 1 h
    /// after receipt, so at the latest 3 h after discovery.
    @Test(arguments: [SeverityLevel.I, .II])
    func majorLevels(level: SeverityLevel) throws {
        let list = obligations(level)
        #expect(list.count == 2)
        #expect(list[0].dueBy == discovery.addingTimeInterval(2 * 3_600))
        #expect(list[0].recipients.map(\.unit) == ["451203", "450000", "MEE"])
        #expect(list[1].fromUnit == "450000")
        #expect(list[1].anchor == .receipt)
        #expect(list[1].dueBy == nil)
        #expect(list[1].withinH == 1)
        #expect(list[1].latestDueBy == discovery.addingTimeInterval(3 * 3_600))
    }

    /// While ungraded, each Art. 4 trigger alone puts the incident on the 2 h path.
    @Test(arguments: Art4Trigger.allCases)
    func eachTriggerWhileUngraded(trigger: Art4Trigger) {
        let list = obligations(nil, [trigger])
        #expect(list[0].dueBy == discovery.addingTimeInterval(2 * 3_600))
        #expect(list[0].majorPath)
        #expect(list[0].reason.contains(trigger.citation))
    }

    /// Ungraded with no trigger: the 4 h path.
    @Test func ungradedWithoutTrigger() {
        #expect(obligations(nil)[0].dueBy == discovery.addingTimeInterval(4 * 3_600))
    }

    /// A graded level III cadmium spill follows its level: 4 h, although cadmium is an Art. 4 heavy metal.
    @Test func gradedLevelIIIHeavyMetalIsFourHours() {
        let list = obligations(.III, [.heavyMetals])
        #expect(list.count == 1)
        #expect(list[0].dueBy == discovery.addingTimeInterval(4 * 3_600))
    }

    /// Until a person sets a level, a grading hint of II or I counts as the determination (issue 17; 2014 national
    /// plan §1.5 with MEP Order No. 17 Art. 3): 30 deaths reported ungraded hint I, so the 2 h path applies, the
    /// province owes MEE its 1 h report, and the reason says why.
    @Test func anUngradedHintOfIOrIIPutsTheIncidentOnTheTwoHourPath() throws {
        let hint = Grading.grade(GradingFacts(deaths: 30))
        let list = ReportingRules.initialObligations(
            level: nil, triggers: [], hint: hint, anchorAt: discovery, anchor: .discovery, spillUnit: "451203",
            units: units)
        #expect(list.count == 2)
        #expect(list[0].majorPath)
        #expect(list[0].dueBy == discovery.addingTimeInterval(2 * 3_600))
        #expect(list[1].fromUnit == "450000")
        #expect(
            list[0].reason
                == "not yet graded; grading hint level I (30 deaths → I) counts as the determination until a level "
                + "is set (2014 national plan §1.5): the II/I path applies")
    }

    /// A hint of III or IV never takes an incident off the II/I path an Art. 4 trigger put it on (an ungraded
    /// heavy-metal spill with 3 deaths stays on 2 h), nor puts one on it (ungraded, no trigger, hint IV: 4 h); a
    /// level set stands against a higher hint (III set, hint I: 4 h).
    @Test(
        arguments: [
            (nil, [Art4Trigger.heavyMetals], 3, 2.0, "grading hint level III does not change the path"),
            (nil, [], 1, 4.0, "not yet graded; no Art. 4 trigger; grading hint level IV does not change the path"),
            (SeverityLevel.III, [], 30, 4.0, "level III"),
        ] as [(SeverityLevel?, Set<Art4Trigger>, Int, Double, String)])
    func aLowHintOrASetLevelLeavesThePath(
        level: SeverityLevel?, triggers: Set<Art4Trigger>, deaths: Int, hours: Double, reason: String
    ) {
        let list = ReportingRules.initialObligations(
            level: level, triggers: triggers, hint: Grading.grade(GradingFacts(deaths: deaths)), anchorAt: discovery,
            anchor: .discovery, spillUnit: "451203", units: units)
        #expect(list[0].dueBy == discovery.addingTimeInterval(hours * 3_600))
        #expect(list[0].reason.hasSuffix(reason), "\(list[0].reason)")
    }

    /// A change from IV to II at 10:00 re-runs the rule from the change: due 12:00, province → MEE by 13:00.
    @Test func levelChangeCountsFromTheChange() {
        let change = discovery.addingTimeInterval(2 * 3_600)
        let list = obligations(.II, at: change, anchor: .levelChange)
        #expect(list[0].anchor == .levelChange)
        #expect(list[0].dueBy == discovery.addingTimeInterval(4 * 3_600))
        #expect(list[1].latestDueBy == discovery.addingTimeInterval(5 * 3_600))
    }
}

/// The 2014 grading table: "以上" includes the number, "以下" excludes it; the highest level wins.
@Suite struct GradingTests {
    @Test(arguments: [(30, SeverityLevel.I), (29, .II), (10, .II), (9, .III), (3, .III), (2, .IV), (1, .IV)])
    func deaths(count: Int, level: SeverityLevel) {
        #expect(Grading.grade(GradingFacts(deaths: count)).level == level)
    }

    @Test(arguments: [
        (50_000, SeverityLevel.I), (49_999, .II), (10_000, .II), (9_999, .III), (5_000, .III), (4_999, .IV),
    ])
    func evacuated(count: Int, level: SeverityLevel) {
        #expect(Grading.grade(GradingFacts(evacuated: count)).level == level)
    }

    @Test(arguments: [(100, SeverityLevel.I), (99, .II), (50, .II), (10, .III), (9, .IV)])
    func poisoned(count: Int, level: SeverityLevel) {
        #expect(Grading.grade(GradingFacts(poisonedOrInjured: count)).level == level)
    }

    @Test(arguments: [
        (SupplyLevel.districtedCity, SeverityLevel.I), (.countyLevelCity, .II), (.township, .III),
    ])
    func intakeCutOff(supply: SupplyLevel, level: SeverityLevel) {
        #expect(Grading.grade(GradingFacts(intakeCutOff: supply)).level == level)
    }

    /// 2 deaths (IV) but cross-provincial (II): the highest applies.
    @Test func highestLevelWins() {
        let hint = Grading.grade(GradingFacts(deaths: 2, reach: .crossProvincial))
        #expect(hint.level == .II)
        #expect(hint.reasons.count == 2)
    }

    @Test func noFactsNoLevel() {
        #expect(Grading.grade(GradingFacts()).level == nil)
    }

    /// A count of zero is no grading evidence (issue 17): "no deaths" does not make an incident level IV, and a
    /// zero beside a real figure leaves that figure's level (5,000 evacuated → III) with its reason alone.
    @Test func aCountOfZeroGradesNothing() {
        let none = Grading.grade(GradingFacts(deaths: 0, poisonedOrInjured: 0, evacuated: 0, directLossCNY: 0))
        #expect(none.level == nil)
        #expect(none.reasons == [])
        let evacuated = Grading.grade(GradingFacts(deaths: 0, evacuated: 5_000))
        #expect(evacuated.level == .III)
        #expect(evacuated.reasons == ["5000 evacuated → III"])
    }
}
