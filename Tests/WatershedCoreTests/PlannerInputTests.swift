import Foundation
import Testing
import WatershedCore

/// Inputs the planner refuses, each naming its field, and never a NaN or an infinity in a plan.
@Suite struct PlannerInputTests {
    let planner = Planner(basin: HandBasin.basin())

    @Test(arguments: [
        ("velocity", 0.0), ("velocity", 11.0), ("discharge", 0.0), ("discharge", 1e300),
    ])
    func overridesOutsideTheirRange(field: String, value: Double) throws {
        var input = HandBasin.input()
        if field == "velocity" {
            input.velocityOverrides = ["A": value]
        } else {
            input.dischargeOverrides = ["A": value]
        }
        #expect {
            try planner.plan(input)
        } throws: { error in
            guard case .outOfRange(let name, let got, _, _) = error as? PlanError else { return false }
            return name == field && got == value
        }
    }

    @Test func overrideOfAnUnknownReachNamesItsFlag() {
        var input = HandBasin.input()
        input.dischargeOverrides = ["nowhere": 10]
        #expect(throws: PlanError.unknownReach(field: "discharge", reach: "nowhere")) { try planner.plan(input) }
    }

    @Test(arguments: [0.0, -1.0, 25.0, Double.nan])
    func flowRatioOutsideItsRange(ratio: Double) {
        var input = HandBasin.input()
        input.flowRatio = ratio
        #expect(throws: PlanError.self) { try planner.plan(input) }
    }

    @Test func massTooLargeIsRefused() {
        #expect(throws: PlanError.outOfRange(field: "mass-kg", value: 1e300, range: 0...1e9, unit: "kg")) {
            try planner.plan(HandBasin.input(massKg: 1e300))
        }
    }

    /// The largest mass allowed still gives finite figures everywhere.
    @Test func largestMassGivesFiniteFigures() throws {
        let plan = try planner.plan(HandBasin.input(massKg: 1e9))
        for arrival in plan.arrivals {
            if let p = arrival.withoutMeasures { #expect(p.peakMgL.isFinite && p.upperPeakMgL.isFinite) }
        }
    }

    /// A hold must name a dam or sluice on the path: a monitoring section is not one.
    @Test func holdAtASectionIsRefused() {
        #expect(throws: PlanError.unknownHoldSite("trib-5")) {
            try planner.plan(HandBasin.input(holds: ["trib-5": 5]))
        }
    }

    /// A bridge dosing point cannot hold the slug.
    @Test func holdAtABridgeIsRefused() {
        var trib = HandBasin.trib
        trib.sites[0].kind = .bridge
        trib.sites[0].actions = [.dose]
        let basin = Basin(units: HandBasin.units, pollutants: [HandBasin.cadmium], rivers: [trib, HandBasin.main])
        #expect(throws: PlanError.notAHoldSite(site: "trib-dam", kind: .bridge)) {
            try Planner(basin: basin).plan(HandBasin.input(holds: ["trib-dam": 5]))
        }
    }

    /// An observation at or before the spill (plus holds above) is impossible.
    @Test(arguments: [-1.0, 0.0, 9.5])
    func observationTooEarly(hoursAfterSpill: Double) {
        var input = HandBasin.input(holds: ["trib-dam": 10])
        input.observations = [
            Observation(
                node: "main-50", feature: .leadingEdge,
                at: HandBasin.spillTime.addingTimeInterval(hoursAfterSpill * 3_600))
        ]
        #expect {
            try planner.plan(input)
        } throws: { error in
            if case .impossibleObservation(let node, _) = error as? PlanError { return node == "main-50" }
            return false
        }
    }

    @Test func observationAtTheSpillPointIsRefused() {
        var input = HandBasin.input()
        input.location = .river(id: "trib", km: 5)
        input.observations = [
            Observation(node: "trib-5", feature: .peak, at: HandBasin.spillTime.addingTimeInterval(3_600))
        ]
        #expect(throws: PlanError.self) { try planner.plan(input) }
    }
}

/// Neighbours' agreements: a province each, once, hours in range.
@Suite struct AgreementValidationTests {
    @Test func badAgreementsAreReported() {
        let agreements = [
            NotificationAgreement(province: "440000", name: "Guangdong", notifyWithinH: -3, marginH: 2, agreement: "x"),
            NotificationAgreement(
                province: "440000", name: "Guangdong", notifyWithinH: 1, marginH: 1e9, agreement: "x"),
            NotificationAgreement(province: "450200", name: "Liuzhou", notifyWithinH: 1, marginH: 1, agreement: "x"),
        ]
        let problems = HandBasin.basin(agreements: agreements).problems()
        #expect(problems.allSatisfy { $0.document == "agreements" })
        #expect(problems.map(\.path) == ["notifyWithinH", "province", "marginH", "province"])
        #expect(problems[1].message.contains("listed twice"))
        #expect(problems[3].message.hasPrefix("\"450200\" is a districtedCity"))
    }
}
