import Foundation
import Testing
import WatershedCore

/// The initial report's checks (MEP Order No. 17 Art. 13–14) against the hand-made basin.
@Suite struct InitialReportTests {
    let basin = HandBasin.basin()

    func report(place: SpillLocation = .river(id: "trib", km: 3), massKg: Double? = 100) -> InitialReport {
        InitialReport(
            discoveredAt: HandBasin.spillTime, place: place, informationSource: "12369 hotline",
            cause: "tailings pond overflow", pollutant: "cadmium", release: .instantaneous(massKg: massKg),
            signature: ReportSignature(
                reportingUnit: "451203", signingOfficer: "Director Wei", contactName: "Li Ming",
                contactPhone: "0778-1234567"))
    }

    @Test func validReportHasNoProblems() {
        #expect(report().problems(in: basin, ownProvince: "450000") == [])
    }

    @Test func everyProblemIsNamedByItsField() {
        var bad = report()
        bad.cause = "  "
        bad.signature.reportingUnit = "999999"
        bad.casualties.deaths = -1
        bad.monitoring = [
            MonitoringResult(node: "trib-5", sampledAt: HandBasin.spillTime, pollutant: "lead", concentrationMgL: -2)
        ]
        let fields = bad.problems(in: basin, ownProvince: "450000").map(\.field)
        #expect(
            fields == [
                "cause", "signature.reportingUnit", "casualties.deaths", "monitoring[0].concentrationMgL",
                "monitoring[0].pollutant",
            ])
    }

    @Test(arguments: [
        (SpillLocation.river(id: "nile", km: 0), "place.river.id"),
        (SpillLocation.river(id: "trib", km: 99), "place.river.km"),
        (SpillLocation.park(id: "nowhere", scenario: "x"), "place.park.id"),
        (SpillLocation.sea(id: "nowhere", lng: 109, lat: 21), "place.sea.id"),
    ])
    func placeProblems(place: SpillLocation, field: String) {
        #expect(report(place: place).problems(in: basin, ownProvince: "450000").map(\.field) == [field])
    }

    @Test func negativeMassIsRefused() {
        #expect(report(massKg: -1).problems(in: basin, ownProvince: "450000").map(\.field) == ["release"])
    }

    /// The JSON shape clients send: the place and release as single-key objects, times in RFC 3339.
    @Test func decodesFromJSON() throws {
        let json = """
            {"discoveredAt":"2012-01-15T00:00:00Z","place":{"river":{"id":"trib","km":3}},
             "informationSource":"12369 hotline","cause":"tailings pond overflow","pollutant":"cadmium",
             "release":{"instantaneous":{"massKg":100}},"monitoring":[],"casualties":{"deaths":0,
             "poisonedOrInjured":0,"evacuated":0},"sensitivePointsAffected":[],"measuresTaken":[],
             "triggers":["heavyMetals"],"signature":{"reportingUnit":"451203","signingOfficer":"Director Wei",
             "contactName":"Li Ming","contactPhone":"0778-1234567"}}
            """
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let decoded = try decoder.decode(InitialReport.self, from: Data(json.utf8))
        var expected = report()
        expected.triggers = [.heavyMetals]
        #expect(decoded == expected)
    }

    /// Monitoring results with a feature become re-estimate observations in the plan input.
    @Test func monitoringWithAFeatureBecomesAnObservation() {
        var withData = report()
        withData.monitoring = [
            MonitoringResult(
                node: "main-50", sampledAt: HandBasin.spillTime.addingTimeInterval(3_600), pollutant: "cadmium",
                concentrationMgL: 0.02, feature: .leadingEdge),
            MonitoringResult(node: nil, sampledAt: HandBasin.spillTime, pollutant: "cadmium", concentrationMgL: 0.5),
        ]
        let input = withData.spillInput(ownProvince: "450000")
        #expect(
            input.observations == [
                Observation(node: "main-50", feature: .leadingEdge, at: HandBasin.spillTime.addingTimeInterval(3_600))
            ])
    }
}
