import Foundation
import Testing
import WatershedCore

/// Park containment (三级防控) and continuous releases, with values worked out by hand.
@Suite struct PlannerParkAndReleaseTests {
    /// A park on trib km 2 with level 1 = 30 m³ (plant "A"), level 2 = 30 m³, level 3 = 20 m³.
    static func park(runoffM3: Double, massKg: Double = 10, durationH: Double = 10) -> ParkPlaybook {
        func site(_ id: String, _ level: Int, _ capacity: Double, plant: String? = nil) -> ParkSite {
            ParkSite(
                id: id, name: id, level: level, kind: level == 1 ? .accidentPool : .pond, plant: plant,
                capacityM3: capacity, leadTimeH: 0.5, lng: 108.01, lat: 24.01, source: "hand-made")
        }
        return ParkPlaybook(
            schemaVersion: 1, kind: "park", id: "test-park", name: "Test park", version: "test", owner: "451203",
            lng: 108.01, lat: 24.01,
            sites: [site("pool-a", 1, 30, plant: "A"), site("shared", 2, 30), site("boundary", 3, 20)],
            outfalls: [
                Outfall(
                    id: "park-outfall", name: "Park outfall", lng: 108.01, lat: 24.01, river: "trib", km: 2,
                    source: "hand-made")
            ],
            scenarios: [
                ParkScenario(
                    id: "fire", name: "Fire", description: "fire-fighting runoff", plant: "A", pollutant: "benzene",
                    runoffM3: runoffM3, massKg: massKg, durationH: durationH, outfall: "park-outfall",
                    source: "hand-made")
            ],
            source: "hand-made")
    }

    static func planner(_ park: ParkPlaybook) -> Planner {
        Planner(
            basin: Basin(
                units: HandBasin.units, pollutants: [HandBasin.cadmium, HandBasin.benzene],
                rivers: [HandBasin.trib, HandBasin.main], parks: [park]))
    }

    static func input() -> SpillInput {
        SpillInput(
            location: .park(id: "test-park", scenario: "fire"), at: HandBasin.spillTime, pollutant: "benzene",
            release: .instantaneous(massKg: nil))
    }

    /// 50 m³ fits in levels 1 + 2 (30 + 30 = 60 ≥ 50): contained at level 2; nothing reaches the river.
    @Test func containedAtLevelTwo() throws {
        let plan = try Self.planner(Self.park(runoffM3: 50)).plan(Self.input())
        let containment = try #require(plan.containment)
        #expect(containment.capacityM3 == [30, 30, 20])
        #expect(containment.containedAtLevel == 2)
        #expect(containment.escapedM3 == 0)
        #expect(plan.arrivals.isEmpty)
        // Level 2 is needed once level 1 is full: 30/50 of the 10 h → 6 h, minus 0.5 h lead time.
        let level2 = try #require(plan.tasks.first { $0.action == "activateLevel2" })
        #expect(level2.latestStart == HandBasin.spillTime.addingTimeInterval(5.5 * 3_600))
        #expect(!plan.tasks.contains { $0.action == "activateLevel3" })
    }

    /// 100 m³ against 80 m³ of space: 20 m³ escape with 10 kg × 20/100 = 2 kg, from 10 h × 80/100 = 8 h,
    /// as a continuous release of 2 kg over the remaining 2 h = 1 kg/h into trib km 2.
    /// At the intake (reach B2, Q = 100 m³/s): C = 1 / (3.6 · 100) = 0.0027778 mg/L; C/S = 0.27778 (S = 0.01).
    @Test func escapesIntoTheRiver() throws {
        let plan = try Self.planner(Self.park(runoffM3: 100)).plan(Self.input())
        let containment = try #require(plan.containment)
        #expect(containment.containedAtLevel == nil)
        #expect(containment.escapedM3 == 20)
        #expect(abs(containment.escapedMassKg - 2) < 1e-12)
        #expect(containment.escapeAt == HandBasin.spillTime.addingTimeInterval(8 * 3_600))
        let intake = try #require(plan.arrivals.first { $0.node == "main-intake" })
        let without = try #require(intake.withoutMeasures)
        #expect(abs(without.peakMgL - 0.0027778) < 1e-7)
        #expect(abs(without.ratioToStandard - 0.27778) < 1e-5)
        #expect(intake.earliestArrival > HandBasin.spillTime.addingTimeInterval(8 * 3_600))
    }

    /// A continuous release of 360 kg/h for 5 h at trib km 0: at the intake C = 360 / (3.6 · 100) = 1.0 mg/L,
    /// and the passage lasts the 5 h of release plus T_d10 (12.339 h, see JobsonTests) = 17.339 h.
    @Test func continuousReleasePlateau() throws {
        let input = SpillInput(
            location: .river(id: "trib", km: 0), at: HandBasin.spillTime, pollutant: "cadmium",
            release: .continuous(rateKgH: 360, durationH: 5))
        let plan = try Planner(basin: HandBasin.basin()).plan(input)
        let intake = try #require(plan.arrivals.first { $0.node == "main-intake" })
        #expect(abs((intake.withoutMeasures?.peakMgL ?? 0) - 1.0) < 1e-12)
        #expect(abs((intake.passageH ?? 0) - 17.339) < 1e-3)
    }
}
