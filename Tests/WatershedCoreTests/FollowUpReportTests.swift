import Foundation
import Testing
import WatershedCore

/// Follow-up and final reports (MEP Order No. 17 Art. 12–13) against the hand-made basin: field-named checks, the
/// re-estimate input and the obligations a level change starts.
@Suite struct FollowUpReportTests {
    let basin = HandBasin.basin()
    let discovery = HandBasin.spillTime
    /// Received a day after discovery.
    var now: Date { discovery.addingTimeInterval(24 * 3_600) }
    var context: FollowUpContext {
        FollowUpContext(discoveredAt: discovery, level: .IV, pathNodes: ["trib-5", "main-50", "main-intake"], now: now)
    }
    let signature = ReportSignature(
        reportingUnit: "451203", signingOfficer: "Director Wei", contactName: "Li Ming", contactPhone: "0778-1234567")

    func hours(_ h: Double) -> Date { discovery.addingTimeInterval(h * 3_600) }

    @Test func validFollowUpHasNoProblems() {
        let report = FollowUpReport(
            kind: .followUp, summary: "front seen at km 5",
            monitoring: [
                MonitoringResult(
                    node: "trib-5", sampledAt: hours(2), pollutant: "cadmium", concentrationMgL: 0.02,
                    feature: .leadingEdge)
            ],
            levelChange: LevelChange(from: .IV, to: .II, at: hours(3)), signature: signature)
        #expect(report.problems(in: basin, context: context) == [])
    }

    @Test func everyProblemIsNamedByItsField() {
        let report = FollowUpReport(
            kind: .initial, summary: " ",
            monitoring: [
                MonitoringResult(
                    node: "nowhere", sampledAt: hours(-1), pollutant: "lead", concentrationMgL: -1,
                    feature: .peak),
                MonitoringResult(node: "trib-5", sampledAt: hours(48), pollutant: "cadmium", concentrationMgL: 0),
            ],
            levelChange: LevelChange(from: .III, to: .IV, at: hours(-2)),
            casualties: Casualties(deaths: -1), signature: signature)
        let fields = report.problems(in: basin, context: context).map(\.field)
        #expect(
            fields == [
                "kind", "summary", "monitoring[0].node", "monitoring[0].pollutant", "monitoring[0].concentrationMgL",
                "monitoring[0].sampledAt", "monitoring[1].sampledAt", "levelChange.from", "levelChange.to",
                "levelChange.at", "casualties.deaths",
            ])
    }

    /// A node of the basin that is not on the plume's path can be sampled, but cannot see the slug.
    @Test func offPathNodes() {
        var report = FollowUpReport(
            kind: .followUp, summary: "background sample",
            monitoring: [
                MonitoringResult(node: "main-border", sampledAt: hours(1), pollutant: "cadmium", concentrationMgL: 0)
            ], signature: signature)
        #expect(report.problems(in: basin, context: context) == [])
        report.monitoring[0].feature = .leadingEdge
        #expect(report.problems(in: basin, context: context).map(\.field) == ["monitoring[0].node"])
    }

    @Test func finalReportCannotChangeTheLevel() {
        let report = FollowUpReport(
            kind: .final, summary: "handling ended", levelChange: LevelChange(to: .III, at: hours(20)),
            signature: signature)
        #expect(report.problems(in: basin, context: context).map(\.field) == ["levelChange"])
    }

    /// `monitoring` and `measuresTaken` may be left out; a level must be I–IV.
    @Test func decoding() throws {
        let json = #"""
            {"kind":"followUp","summary":"s","signature":{"reportingUnit":"451203","signingOfficer":"W",
             "contactName":"L","contactPhone":"1"}}
            """#
        let report = try JSONDecoder().decode(FollowUpReport.self, from: Data(json.utf8))
        #expect(report.monitoring == [] && report.measuresTaken == [] && report.levelChange == nil)
        let badLevel = #"{"to":"V","at":"2012-01-15T08:00:00Z"}"#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(throws: DecodingError.self) { try decoder.decode(LevelChange.self, from: Data(badLevel.utf8)) }
    }

    /// The re-estimate keeps earlier observations, adds the report's, plans at the latest sample and takes the new
    /// level and casualties; a report without an observation re-estimates nothing.
    @Test func replanInput() throws {
        var previous = HandBasin.input()
        previous.observations = [Observation(node: "trib-5", feature: .leadingEdge, at: hours(2))]
        let report = FollowUpReport(
            kind: .followUp, summary: "peak at km 50",
            monitoring: [
                MonitoringResult(
                    node: "main-50", sampledAt: hours(20), pollutant: "cadmium", concentrationMgL: 0.03,
                    feature: .peak),
                MonitoringResult(node: "main-intake", sampledAt: hours(21), pollutant: "cadmium", concentrationMgL: 0),
            ],
            casualties: Casualties(evacuated: 6_000), signature: signature)
        let input = try #require(report.replanInput(from: previous, level: .III, now: previous.at))
        #expect(
            input.observations == [
                Observation(node: "trib-5", feature: .leadingEdge, at: hours(2)),
                Observation(node: "main-50", feature: .peak, at: hours(20)),
            ])
        #expect(input.plannedAt == hours(20))
        #expect(input.level == .III)
        #expect(input.gradingFacts.evacuated == 6_000)
        let noObservation = FollowUpReport(kind: .followUp, summary: "booms laid", signature: signature)
        #expect(noObservation.replanInput(from: previous, level: .IV, now: previous.at) == nil)
    }

    /// Impacts established after the initial report (issue 17): a follow-up stating a loss of 25 million CNY and a
    /// county-level city's intake cut off re-plans with those facts — the 2014 plan grades both II — and adds the
    /// Art. 4 trigger of a drinking-water source; the loss given replaces the one before, a field left out is kept.
    /// Casualties that grade as before (zeros for none) re-plan nothing.
    @Test func impactsInAFollowUpRegrade() throws {
        var previous = HandBasin.input()
        previous.gradingFacts = GradingFacts(directLossCNY: 1_000_000, reach: .crossCity)
        var report = FollowUpReport(kind: .followUp, summary: "Town intake closed", signature: signature)
        report.impacts = ReportedImpacts(
            directLossCNY: 25_000_000,
            intakesCutOff: [ReportedImpacts.IntakeCutOff(name: "Town water works", serves: .countyLevelCity)])
        let input = try #require(report.replanInput(from: previous, level: .IV, now: hours(10)))
        #expect(input.gradingFacts.directLossCNY == 25_000_000)
        #expect(input.gradingFacts.intakeCutOff == .countyLevelCity)
        #expect(input.gradingFacts.reach == .crossCity, "left out: kept")
        #expect(input.declaredTriggers.contains(.drinkingWaterSource))
        #expect(input.plannedAt == hours(10))
        let hint = Grading.grade(input.gradingFacts)
        #expect(hint.level == .II)
        #expect(
            hint.reasons == [
                "direct loss CNY 25000000 → II", "countyLevelCity drinking-water intake cut off → II",
                "crossCity impact → III",
            ])
        let zeros = FollowUpReport(
            kind: .followUp, summary: "nobody hurt", casualties: Casualties(), signature: signature)
        #expect(zeros.replanInput(from: previous, level: .IV, now: hours(10)) == nil)
        var bad = FollowUpReport(kind: .followUp, summary: "loss", signature: signature)
        bad.impacts = ReportedImpacts(directLossCNY: -1)
        #expect(bad.problems(in: basin, context: context).map(\.field) == ["impacts.directLossCNY"])
    }

    /// A dam held until released (issue 17): a follow-up that holds trib-dam re-plans at its receipt with an open
    /// hold; a later one releasing it at 30 h closes the hold with that time; releasing a dam not held changes no
    /// plan; the rule below observations a report names is kept.
    @Test func aHoldThenItsReleaseReplan() throws {
        let previous = HandBasin.input()
        var holding = FollowUpReport(kind: .followUp, summary: "trib dam closed", signature: signature)
        holding.damHold = HeldDam(site: "trib-dam")
        holding.belowObserved = .shift
        let held = try #require(holding.replanInput(from: previous, level: nil, now: hours(6)))
        #expect(held.heldDams == [HeldDam(site: "trib-dam")])
        #expect(held.plannedAt == hours(6))
        #expect(held.belowObservedRule == .shift)
        var releasing = FollowUpReport(kind: .followUp, summary: "trib dam opens at 30 h", signature: signature)
        releasing.damRelease = DamRelease(site: "trib-dam", at: hours(30))
        let released = try #require(releasing.replanInput(from: held, level: nil, now: hours(8)))
        #expect(released.heldDams == [HeldDam(site: "trib-dam", releasedAt: hours(30))])
        #expect(released.belowObservedRule == .shift)
        #expect(releasing.replanInput(from: previous, level: nil, now: hours(8)) == nil, "trib-dam was not held")
    }

    /// IV → II at T: the rule re-runs on the II/I path counted from T — the county reports within 2 h (T + 2 h),
    /// the province to MEE within 1 h of receipt (at the latest T + 3 h) — MEP Order No. 17 Art. 3, DOMAIN.md §2.
    @Test func levelChangeObligations() throws {
        let change = LevelChange(from: .IV, to: .II, at: hours(30))
        let list = FollowUpReport.levelChangeObligations(
            change, number: 1, triggers: [], spillUnit: "451203",
            units: Dictionary(uniqueKeysWithValues: HandBasin.units.map { ($0.code, $0) }))
        #expect(list.map(\.id) == ["initial-451203/level-change-1", "initial-450000-mee/level-change-1"])
        #expect(list[0].anchor == .levelChange)
        #expect(list[0].dueBy == hours(32))
        #expect(list[0].majorPath)
        #expect(list[0].recipients.map(\.unit) == ["451203", "450000", "MEE"])
        #expect(list[1].latestDueBy == hours(33))
    }
}
