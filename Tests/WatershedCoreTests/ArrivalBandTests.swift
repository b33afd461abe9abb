import Foundation
import Testing
import WatershedCore

/// Arrival bands, the calibrated rule below an observation, dams held until released and dams' pools (issue 17), on
/// the hand-made basin. Hand figures (HandBasin, PlannerTests): reach A (trib, 36 km) V_p = 0.472506,
/// V_mp = 0.779380 m/s; reach B2 (main km 20 on) V_p = 0.553565, V_mp = 1.172972 m/s. Path: trib-5 (5 km),
/// trib-dam (10 km), main-50 (66 km), main-intake (90 km), main-border (106 km).
@Suite struct ArrivalBandTests {
    let planner = Planner(basin: HandBasin.basin())

    func hours(_ date: Date?) -> Double { (date ?? .distantPast).timeIntervalSince(HandBasin.spillTime) / 3_600 }
    func at(_ hours: Double) -> Date { HandBasin.spillTime.addingTimeInterval(hours * 3_600) }
    /// The hand basin with trib-dam impounding 1,440,000 m³ from trib km 0 to the dam.
    static func pooledBasin() -> Basin {
        var trib = HandBasin.trib
        trib.sites[0].poolVolumeM3 = 1_440_000
        return Basin(
            units: HandBasin.units, pollutants: [HandBasin.cadmium, HandBasin.benzene], rivers: [trib, HandBasin.main],
            agreements: [])
    }

    func arrival(_ plan: PlanDocument, _ node: String) throws -> Arrival {
        try #require(plan.arrivals.first { $0.node == node }, "no arrival at \(node)")
    }

    /// Before any observation the band at main-intake runs from the leading edge at V_mp,
    /// 0.89 · (36,000/0.779380 + 54,000/1.172972)/3600 = 22.80068 h, to the peak at the mirrored slow speed V_p²/V_mp,
    /// T_p · r per reach: 21.16373 · 1.649460 + 27.09709 · 2.118977 = 92.32593 h; the peak is 48.26084 h, and the
    /// band 69.52525 h wide rests on Jobson's spread.
    @Test func theBandBeforeAnyObservationIsJobsonsSpread() throws {
        let plan = try planner.plan(HandBasin.input())
        let intake = try arrival(plan, "main-intake")
        #expect(abs(hours(intake.earliestArrival) - 22.80068) < 1e-3)
        #expect(abs(hours(intake.likelyArrival) - 48.26084) < 1e-3)
        #expect(abs(hours(intake.latestArrival) - 92.32593) < 1e-3)
        let band = try #require(intake.band)
        #expect(band.basis == .prior)
        #expect(abs(band.widthH - 69.52525) < 1e-3)
    }

    /// A leading edge seen at main-50 at 45.48462 h (trib-dam held 10 h) gives f = 2 on T_max(main-50) = 19.93517 h.
    /// Below it, calibrated: the path to main-50 is all free-flowing, as is the stretch to main-intake, so the
    /// observed speed carries in full (w = 1): the stretch's 24 km take 2 · 24,000/1.172972/3600 = 11.36545 h for the
    /// peak, 0.89 of that for the leading edge — leading edge 45.48462 + 10.11525 = 55.60137 h, peak
    /// 10 + 2 · 19.93517 + 11.36545 = 61.23748 h. The confidence there, c = exp(−12/66) = 0.833753 (the stretch's
    /// middle 12 km below main-50, 66 km from the spill), leaves the slow end 2.118942^(1 − c) of the stretch's
    /// peak time: 49.87034 + 11.36545 · 1.133103 = 62.74891 h. The border, 16 km further: leading edge 62.34587 h.
    @Test func belowAnObservationTheObservedSpeedCarriesInLikeWater() throws {
        var input = HandBasin.input(holds: ["trib-dam": 10])
        input.observations = [Observation(node: "main-50", feature: .leadingEdge, at: at(45.48462))]
        let plan = try planner.plan(input)
        #expect(input.belowObservedRule == .calibrate)
        let intake = try arrival(plan, "main-intake")
        #expect(abs(hours(intake.earliestArrival) - 55.60137) < 1e-3)
        #expect(abs(hours(intake.likelyArrival) - 61.23748) < 1e-3)
        #expect(abs(hours(intake.latestArrival) - 62.74891) < 1e-3)
        let band = try #require(intake.band)
        #expect(band.basis == .calibrated && band.observedAt == "main-50")
        #expect(abs((band.weight ?? 0) - 1) < 1e-9)
        #expect(abs((band.factor ?? 0) - 2) < 1e-4)
        #expect(abs(hours(try arrival(plan, "main-border").earliestArrival) - 62.34587) < 1e-3)
        // At the observed node the band closes to [leading edge, peak].
        let seen = try arrival(plan, "main-50")
        #expect(abs(hours(seen.earliestArrival) - 45.48462) < 1e-6)
        #expect(seen.latestArrival == seen.likelyArrival)
        #expect(seen.band?.weight == 1)
    }

    /// The observed speed carries by the share of like water: with trib-dam's pool (1,440,000 m³, 20 h at the mean
    /// flow) the peak's moving time to main-50 is the pool's 20 h and 26,000/0.472506/3600 + 30,000/0.553565/3600 =
    /// (free) h of free river, so a free stretch below takes the observed factor with w = free / (20 + free).
    @Test func theObservedSpeedCarriesByTheShareOfLikeWater() throws {
        let basin = Self.pooledBasin()
        var input = HandBasin.input()
        let before = try Planner(basin: basin).plan(input)
        let predicted50 = hours(try arrival(before, "main-50").earliestArrival)
        input.observations = [Observation(node: "main-50", feature: .leadingEdge, at: at(2 * predicted50))]
        let after = try Planner(basin: basin).plan(input)
        let band = try #require(try arrival(after, "main-intake").band)
        // Peak moving time to main-50: the pool's 20 h, then 26,000/0.472506/3600 + 30,000/0.553565/3600 h free.
        let free = 26_000 / 0.472506 / 3_600 + 30_000 / 0.553565 / 3_600
        #expect(abs((band.weight ?? 0) - free / (20 + free)) < 1e-4)
        #expect(abs(band.poolH - 20) < 1e-9, "the pool crossed on the way")
    }

    /// trib-dam held until released at 30 h: the leading edge (3.17204 h), the peak (5.87882 h) and the slow end
    /// (9.69688 h) all reach it before, so all leave at 30 h; main-50 then gets 30 + 0.89 · (26,000/0.779380 +
    /// 30,000/1.172972)/3600 = 44.57027 h, 30 + (26,000/0.472506 + 30,000/0.553565)/3600 = 60.33887 h and
    /// 30 + 26,000/0.472506/3600 · 1.649460 + 30,000/0.553565/3600 · 2.118977 = 87.11031 h. Above the dam nothing
    /// moves. Still held (no release) with the plan made at 12 h: the times below start at 12 h and say the dam holds.
    @Test func aDamHeldUntilReleasedLetsNothingPastBeforeItsRelease() throws {
        var input = HandBasin.input()
        input.heldDams = [HeldDam(site: "trib-dam", releasedAt: at(30))]
        let released = try planner.plan(input)
        let below = try arrival(released, "main-50")
        #expect(abs(hours(below.earliestArrival) - 44.57027) < 1e-3)
        #expect(abs(hours(below.likelyArrival) - 60.33887) < 1e-3)
        #expect(abs(hours(below.latestArrival) - 87.11031) < 1e-3)
        #expect(below.heldBehind == nil)
        let free = try planner.plan(HandBasin.input())
        #expect(try arrival(released, "trib-5").likelyArrival == arrival(free, "trib-5").likelyArrival)

        input.heldDams = [HeldDam(site: "trib-dam")]
        input.plannedAt = at(12)
        let open = try planner.plan(input)
        let waiting = try arrival(open, "main-50")
        #expect(abs(hours(waiting.earliestArrival) - (44.57027 - 18)) < 1e-3)
        #expect(waiting.heldBehind == "trib-dam")
        #expect(try arrival(open, "trib-5").heldBehind == nil)
    }

    /// A hold must be at a dam, sluice, gate or reservoir on the path.
    @Test func aHoldAtASiteOffThePathIsRefused() {
        var input = HandBasin.input()
        input.heldDams = [HeldDam(site: "nowhere")]
        #expect(throws: PlanError.unknownHoldSite("nowhere")) { try planner.plan(input) }
    }

    /// trib-dam's pool, 1,440,000 m³ from trib km 0 to the dam (no dam above it), at the mean 20 m³/s takes
    /// 1,440,000 / 20 / 3600 = 20 h to pass — longer than Jobson's 10,000/0.472506/3600 = 5.87882 h — so the peak
    /// reaches the dam at 20 h (trib-5, half-way, at 10 h); at V_mp the pool is crossed in 20 / 1.649460 = 12.12518 h,
    /// so the leading edge is at 0.89 · 12.12518 = 10.79141 h, the slow end at 20 · 1.649460 = 32.98921 h.
    @Test func aDamsPoolTakesItsResidenceTime() throws {
        let basin = Self.pooledBasin()
        #expect(basin.problems().isEmpty)
        let plan = try Planner(basin: basin).plan(HandBasin.input())
        let dam = try arrival(plan, "trib-dam")
        #expect(abs(hours(dam.likelyArrival) - 20) < 1e-6)
        #expect(abs(hours(dam.earliestArrival) - 10.79141) < 1e-4)
        #expect(abs(hours(dam.latestArrival) - 32.98921) < 1e-4)
        #expect(abs(hours(try arrival(plan, "trib-5").likelyArrival) - 10) < 1e-6)
        #expect(abs((dam.band?.poolH ?? 0) - 20) < 1e-6)
    }
}
