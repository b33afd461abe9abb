import Foundation
import Testing
import WatershedCore

/// Impacts a reporter states beyond casualties (issue 17), graded per the 2014 national plan (国办函〔2014〕119号
/// annex) and carrying their MEP Order No. 17 Art. 4 triggers, on the hand-made basin. A milligram of benzene at
/// trib km 3 reaches no intake or boundary above its standard, so the plan predicts nothing: the hint is the
/// report's alone.
@Suite struct ReportedImpactsTests {
    static func report(
        _ impacts: ReportedImpacts?, pollutant: String = "benzene", massKg: Double = 0.000_001, km: Double = 3
    ) -> InitialReport {
        var report = IncidentRulesTests.report()
        report.pollutant = pollutant
        report.release = .instantaneous(massKg: massKg)
        report.place = .river(id: "trib", km: km)
        report.impacts = impacts
        return report
    }

    static func plan(_ report: InitialReport) throws -> PlanDocument {
        let checked = report.checked(in: HandBasin.basin(), ownProvince: "450000")
        #expect(checked.problems == [])
        return try #require(checked.plan)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var impacts: ReportedImpacts
        var level: SeverityLevel?
        var reasons: [String]
        var triggers: Set<Art4Trigger>
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(
            rule: "a direct loss of CNY 30 M is II (20–100 M)", impacts: ReportedImpacts(directLossCNY: 30_000_000),
            level: .II, reasons: ["direct loss CNY 30000000 → II"], triggers: []),
        Row(
            rule: "CNY 100 M is I (以上 includes the number)", impacts: ReportedImpacts(directLossCNY: 100_000_000),
            level: .I, reasons: ["direct loss CNY 100000000 → I"], triggers: []),
        Row(
            rule: "below CNY 5 M is IV", impacts: ReportedImpacts(directLossCNY: 4_999_999), level: .IV,
            reasons: ["direct loss CNY 4999999 → IV"], triggers: []),
        Row(
            rule: "the highest supply cut off grades: a county-level city's intake is II, with Art. 4 (1)",
            impacts: ReportedImpacts(intakesCutOff: [
                .init(name: "Xiashan township intake", serves: .township),
                .init(name: "Yizhou city waterworks", serves: .countyLevelCity),
            ]), level: .II, reasons: ["countyLevelCity drinking-water intake cut off → II"],
            triggers: [.drinkingWaterSource]),
        Row(
            rule: "a cross-provincial impact stated by the reporter is II, with Art. 4 (4)",
            impacts: ReportedImpacts(crossProvincial: true), level: .II, reasons: ["crossProvincial impact → II"],
            triggers: [.crossBoundary]),
        Row(
            rule: "a transnational impact is I, and outranks cross-provincial",
            impacts: ReportedImpacts(crossProvincial: true, transnational: true), level: .I,
            reasons: ["transnational impact → I"], triggers: [.crossBoundary]),
        Row(
            rule: "a mass incident grades nothing in the 2014 plan but is Art. 4 (5)",
            impacts: ReportedImpacts(massIncident: true), level: nil, reasons: [], triggers: [.massIncident]),
        Row(
            rule: "a loss of zero is no grading evidence", impacts: ReportedImpacts(directLossCNY: 0), level: nil,
            reasons: [], triggers: []),
    ]

    @Test(arguments: rows) func graded(_ row: Row) throws {
        let plan = try Self.plan(Self.report(row.impacts))
        #expect(plan.gradingHint.level == row.level)
        #expect(plan.gradingHint.reasons == row.reasons)
        #expect(Set(plan.triggers) == row.triggers)
    }

    /// Ungraded, a mass incident alone puts the report on the II/I path (Art. 4 (5)): 2 h from discovery.
    @Test func aMassIncidentPutsAnUngradedReportOnTheTwoHourPath() throws {
        let plan = try Self.plan(Self.report(ReportedImpacts(massIncident: true)))
        let county = try #require(plan.obligations.first)
        #expect(county.majorPath)
        #expect(county.dueBy == HandBasin.spillTime.addingTimeInterval(2 * 3_600))
        #expect(county.reason == "not yet graded; MEP Order No. 17, Art. 4(5)")
    }

    /// What the plan predicts adds to what is reported, and the more severe grades: 1,000 kg of cadmium at trib
    /// km 0 is 45 times the standard at Main intake with dosing (PlannerTests: 90.05 without, halved), so the plan
    /// predicts a districted city's supply cut off (I) over the township the reporter names (III).
    @Test func thePlansPredictionAndTheReportAreGradedTogether() throws {
        let plan = try Self.plan(
            Self.report(
                ReportedImpacts(intakesCutOff: [.init(name: "Xiashan township intake", serves: .township)]),
                pollutant: "cadmium", massKg: 1_000, km: 0))
        #expect(plan.gradingHint.level == .I)
        #expect(plan.gradingHint.reasons.contains("districtedCity drinking-water intake cut off → I"))
    }

    /// Each problem is on its field under `impacts.`.
    @Test func badImpactsAreRefusedOnTheirField() {
        let report = Self.report(
            ReportedImpacts(
                directLossCNY: -1,
                intakesCutOff: [
                    .init(name: " ", serves: .township), .init(name: "Trib dam", serves: .township, node: "trib-dam"),
                    .init(name: "Main intake", serves: .districtedCity, node: "main-intake"),
                ]))
        let fields = report.problems(in: HandBasin.basin(), ownProvince: "450000").map(\.field)
        #expect(fields == ["impacts.directLossCNY", "impacts.intakesCutOff[0].name", "impacts.intakesCutOff[1].node"])
    }

    /// A report file written before impacts existed (the Longjiang 2012 fixture) reads as before: no `impacts`.
    @Test func aReportFileWithoutImpactsReads() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/longjiang-initial-report.json")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = CanonicalJSON.date(fromTimestamp: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text))
            }
            return date
        }
        let report = try decoder.decode(InitialReport.self, from: try Data(contentsOf: url))
        #expect(report.impacts == nil)
        #expect(report.pollutant == "cadmium")
    }
}
