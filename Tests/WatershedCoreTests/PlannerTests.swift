import Foundation
import Testing
import WatershedCore

/// The planner on ``HandBasin``; expected values worked out by hand from Jobson (1996).
///
/// Spill at trib km 0. Reach A (36 km): V_p = 0.472506, V_mp = 0.779380 m/s (see JobsonTests).
/// Reach B2 from main km 20 to the intake at km 74 (54 km): V_p = 0.553565, V_mp = 1.172972 m/s.
/// Peak time: 36,000 / 0.472506 / 3600 = 21.16373 h, plus 54,000 / 0.553565 / 3600 = 27.09709 h → 48.26082 h.
/// Max-probable peak time: 36,000 / 0.779380 / 3600 = 12.83072 h, plus 54,000 / 1.172972 / 3600 = 12.78803 h
/// → 25.61875 h; leading edge = 0.890 · 25.61875 = 22.80069 h.
@Suite struct PlannerTests {
    let planner = Planner(basin: HandBasin.basin())

    func arrival(_ plan: PlanDocument, _ node: String) throws -> Arrival {
        try #require(plan.arrivals.first { $0.node == node })
    }

    func hours(_ date: Date) -> Double { date.timeIntervalSince(HandBasin.spillTime) / 3_600 }

    @Test func arrivalAcrossConfluence() throws {
        let plan = try planner.plan(HandBasin.input())
        let intake = try arrival(plan, "main-intake")
        #expect(abs(hours(intake.likelyArrival) - 48.26082) < 1e-3)
        #expect(abs(hours(intake.earliestArrival) - 22.80069) < 1e-3)
        #expect(abs(intake.distanceKm - 90) < 1e-9)
        // Leading edge is 0.89 of the max-probable peak time.
        #expect(abs(hours(intake.earliestArrival) - 0.890 * 25.61875) < 1e-3)
    }

    /// C_up uses the cumulative time since the spill across the confluence and Q of the intake's reach:
    /// 857 · 48.26082^−0.76 = 45.0245; C_p = 45.0245 · 1,000 kg / (1,000 · 100 m³/s) = 0.450245 mg/L; C/S = 90.05.
    /// Upper: 1025 · 25.61875^−0.887 = 57.7209 → 0.577209 mg/L.
    @Test func cumulativePeakConcentrationAcrossConfluence() throws {
        let plan = try planner.plan(HandBasin.input())
        let intake = try arrival(plan, "main-intake")
        let without = try #require(intake.withoutMeasures)
        #expect(abs(without.peakMgL - 0.450245) < 1e-5)
        #expect(abs(without.ratioToStandard - 90.049) < 1e-2)
        #expect(abs(without.upperPeakMgL - 0.577209) < 1e-5)
    }

    /// Dosing at trib-dam (km 10) removes 50 %: the earliest arrival there is
    /// 0.89 · 10,000 / 0.779380 / 3600 = 3.1721 h, later than its 2 h lead time, so the measure counts
    /// and the intake's peak with measures is half the peak without.
    @Test func dosingHalvesThePeakBelow() throws {
        let plan = try planner.plan(HandBasin.input())
        let intake = try arrival(plan, "main-intake")
        let without = try #require(intake.withoutMeasures)
        let with = try #require(intake.withMeasures)
        #expect(abs(with.peakMgL - 0.5 * without.peakMgL) < 1e-9)
        let dose = try #require(plan.tasks.first { $0.source.measure == "dose-trib-dam" })
        #expect(dose.feasible)
        #expect(abs(hours(dose.latestStart) - (3.17211 - 2)) < 1e-3)
        #expect(dose.owner == "451203")
        #expect(dose.dutyPosition == .countyDutyOfficer)
        // The dam itself sees the plume before dosing.
        let dam = try arrival(plan, "trib-dam")
        #expect(dam.withMeasures == dam.withoutMeasures)
    }

    /// A measure whose latest start is before the plan time is listed as too late and not counted.
    @Test func lateMeasureIsNotCounted() throws {
        var input = HandBasin.input()
        input.plannedAt = HandBasin.spillTime.addingTimeInterval(2 * 3_600)
        let plan = try planner.plan(input)
        let dose = try #require(plan.tasks.first { $0.source.measure == "dose-trib-dam" })
        #expect(!dose.feasible)
        let intake = try arrival(plan, "main-intake")
        #expect(intake.withMeasures == intake.withoutMeasures)
    }

    /// Holding trib-dam 24 h moves everything below it out by exactly 24 h and leaves the section above alone.
    @Test func heldDamDelaysEverythingBelow() throws {
        let free = try planner.plan(HandBasin.input())
        let held = try planner.plan(HandBasin.input(holds: ["trib-dam": 24]))
        for node in ["main-intake", "main-50", "main-border"] {
            let a = try arrival(free, node)
            let b = try arrival(held, node)
            #expect(abs(b.earliestArrival.timeIntervalSince(a.earliestArrival) - 24 * 3_600) < 1e-6)
            #expect(abs(b.likelyArrival.timeIntervalSince(a.likelyArrival) - 24 * 3_600) < 1e-6)
        }
        #expect(try arrival(free, "trib-5").earliestArrival == arrival(held, "trib-5").earliestArrival)
        #expect(try arrival(free, "trib-dam").earliestArrival == arrival(held, "trib-dam").earliestArrival)
    }

    @Test func holdAtAnUnknownSiteIsRefused() {
        #expect(throws: PlanError.unknownHoldSite("nowhere")) {
            try planner.plan(HandBasin.input(holds: ["nowhere": 5]))
        }
    }

    /// Re-estimate (DOMAIN.md §3). With trib-dam held 10 h, the leading edge at main-50 (66 km from the spill)
    /// is predicted at 0.89 · (36,000/0.779380 + 30,000/1.172972)/3600 + 10 h = 0.89 · (12.83072 + 7.10446) + 10
    /// = 27.74231 h. Observed at 10 + 2 · 17.74231 = 45.48462 h: f = (45.48462 − 10) / (27.74231 − 10) = 2.
    /// Above main-50 moving times double (trib-5: 0.89 · 5,000/0.779380/3600 = 1.58606 h → 3.17211 h);
    /// below it everything shifts by t_obs − t_pred = 17.74231 h.
    @Test func reestimateFromAnObservation() throws {
        var input = HandBasin.input(holds: ["trib-dam": 10])
        input.belowObserved = .shift
        let before = try planner.plan(input)
        input.observations = [
            Observation(
                node: "main-50", feature: .leadingEdge, at: HandBasin.spillTime.addingTimeInterval(45.48462 * 3_600))
        ]
        let after = try planner.plan(input)
        let reestimate = try #require(after.reestimates.first)
        #expect(abs(reestimate.factor - 2) < 1e-4)
        #expect(abs(hours(reestimate.predicted) - 27.74231) < 1e-3)
        #expect(abs(hours(try arrival(after, "trib-5").earliestArrival) - 3.17211) < 1e-3)
        let shift =
            try arrival(after, "main-intake").earliestArrival.timeIntervalSince(
                arrival(before, "main-intake").earliestArrival) / 3_600
        #expect(abs(shift - 17.74231) < 1e-3)
        // The observed node itself lands on the observation.
        #expect(abs(hours(try arrival(after, "main-50").earliestArrival) - 45.48462) < 1e-3)
    }

    /// Crossing into Guangdong: the boundary at main km 90 is 106 km from the spill.
    /// Max-probable time: 12.83072 + 70,000/1.172972/3600 = 12.83072 + 16.57707 = 29.40779 h; leading edge
    /// 0.89 · 29.40779 = 26.17293 h. With the agreement (notify within 1 h, margin 2 h) the deadline is the
    /// earlier of 09:00 and 26.17 − 2 h: 1 h after the spill. 1,000 kg of Cd is far above S there: required.
    @Test func peerNotificationToGuangdong() throws {
        let basin = HandBasin.basin(agreements: [
            NotificationAgreement(
                province: "440000", name: "Guangdong", notifyWithinH: 1, marginH: 2, agreement: "test")
        ])
        let plan = try Planner(basin: basin).plan(HandBasin.input())
        let notification = try #require(plan.peerNotifications.first)
        #expect(plan.peerNotifications.count == 1)
        #expect(notification.province == "440000")
        #expect(notification.requirement == .required)
        #expect(abs(hours(notification.crossingAt) - 26.17293) < 1e-3)
        #expect(abs(hours(notification.deadline) - 1) < 1e-9)
        #expect(plan.triggers.contains(.crossBoundary))
    }

    /// A tiny mass stays below the standard at the boundary: the notification is advisory.
    /// 0.001 kg: upper peak at the border = 1025 · 29.40779^−0.887 · 1e-3 / (1,000 · 100) < 1e-6 mg/L ≪ 0.005.
    @Test func advisoryWhenBelowStandard() throws {
        let plan = try planner.plan(HandBasin.input(massKg: 0.001))
        #expect(plan.peerNotifications.first?.requirement == .advisory)
    }

    /// Unknown mass: no concentrations, notification required, every intake threatened (Art. 4(1)).
    @Test func unknownMassIsTreatedAsThreatening() throws {
        let plan = try planner.plan(HandBasin.input(massKg: nil))
        #expect(plan.arrivals.allSatisfy { $0.withoutMeasures == nil })
        #expect(plan.peerNotifications.first?.requirement == .required)
        #expect(plan.triggers.contains(.drinkingWaterSource))
        #expect(plan.tasks.contains { $0.action == "closeIntake" })
    }

    @Test(arguments: [
        (HandBasin.input(massKg: -1), PlanError.outOfRange(field: "mass-kg", value: -1, range: 0...1e9, unit: "kg")),
        (
            SpillInput(
                location: .river(id: "nope", km: 0), at: HandBasin.spillTime, pollutant: "cadmium",
                release: .instantaneous(massKg: 1)), PlanError.unknownRiver("nope")
        ),
        (
            SpillInput(
                location: .river(id: "trib", km: 37), at: HandBasin.spillTime, pollutant: "cadmium",
                release: .instantaneous(massKg: 1)), PlanError.chainageOutsideRiver(river: "trib", km: 37, lengthKm: 36)
        ),
        (
            SpillInput(
                location: .river(id: "trib", km: 0), at: HandBasin.spillTime, pollutant: "mercury",
                release: .instantaneous(massKg: 1)), PlanError.unknownPollutant("mercury")
        ),
    ])
    func badInputIsRefused(input: SpillInput, error: PlanError) {
        #expect(throws: error) { try planner.plan(input) }
    }

    /// The spill unit comes from the reach's owner; the initial report is due 2 h after discovery
    /// (ungraded, heavy metal → Art. 4(3), II/I path).
    @Test func obligationsFromTheSpillUnit() throws {
        let plan = try planner.plan(HandBasin.input())
        #expect(plan.spillUnit == "451203")
        let first = try #require(plan.obligations.first)
        #expect(first.fromUnit == "451203")
        #expect(first.majorPath)
        #expect(first.dueBy == HandBasin.spillTime.addingTimeInterval(2 * 3_600))
    }

    /// The plan document round-trips through JSON unchanged.
    @Test func planDocumentIsCodable() throws {
        let plan = try planner.plan(HandBasin.input())
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let data = try encoder.encode(plan)
        let back = try decoder.decode(PlanDocument.self, from: data)
        #expect(try encoder.encode(back) == data)
    }
}
