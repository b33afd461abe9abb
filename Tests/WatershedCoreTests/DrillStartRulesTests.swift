import Foundation
import Testing
import WatershedCore

/// A drill scenario checked before it starts (``IncidentRules/drillStart(_:clockFactor:)``): one row per rule, on
/// the hand basin with a scenario whose one inject files the trib spill of ``IncidentRulesTests`` (discovered at
/// 2012-01-15T00:00Z) as the drill starts.
@Suite struct DrillStartRulesTests {
    static func scenario(
        startsAt: String = "2012-01-15T08:00:00+08:00", position: DutyPosition = .countyDutyOfficer,
        report: JSONValue? = nil
    ) throws -> DrillScenario {
        DrillScenario(
            id: "trib", title: "Trib cadmium", startsAt: startsAt, clockFactor: 60,
            participants: [DrillParticipant(unit: "451203", dutyPosition: position)], peers: [],
            injects: [
                DrillInject(
                    atMin: 0, kind: .initialReport, summary: "the county reports",
                    report: try report ?? JSONValue(encoding: IncidentRulesTests.report()))
            ],
            expectations: [])
    }

    /// Started as written: 08:00 in Beijing is the discovery time, 00:00 UTC; the factor given replaces 60.
    @Test func aScenarioThatHoldsStartsWithTheFactorGiven() throws {
        let started = try IncidentRulesTests.rules.drillStart(try Self.scenario(), clockFactor: 120)
        #expect(started.clockFactor == 120)
        #expect(started.startDate == HandBasin.spillTime)
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var scenario: @Sendable () throws -> DrillScenario
        var clockFactor: Double? = nil
        var field: String
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(
            rule: "a clock factor outside 1…3600", scenario: { try scenario() }, clockFactor: 0.5,
            field: "clockFactor"),
        Row(
            rule: "a duty position the organisation seed does not have",
            scenario: { try scenario(position: DutyPosition(rawValue: "harbour-master")) },
            field: "scenario.participants[0].dutyPosition"),
        Row(
            rule: "an initial report discovered after its inject plays (07:59 Beijing is 23:59 UTC the day before)",
            scenario: { try scenario(startsAt: "2012-01-15T07:59:00+08:00") },
            field: "scenario.injects[0].report.discoveredAt"),
        Row(
            rule: "an initial report on a river the basin does not have cannot be planned",
            scenario: {
                var report = IncidentRulesTests.report()
                report.place = .river(id: "nowhere", km: 1)
                return try scenario(report: JSONValue(encoding: report))
            }, field: "scenario.injects[0].report.place.river.id"),
    ]

    @Test(arguments: rows) func refused(_ row: Row) throws {
        do {
            _ = try IncidentRulesTests.rules.drillStart(try row.scenario(), clockFactor: row.clockFactor)
            Issue.record("started")
        } catch let error as DomainError {
            #expect(error.kind == .invalid)
            #expect(error.code == "invalid_field")
            #expect(error.field == row.field, "\(error.message)")
        }
    }
}
