import Foundation
import Testing
import WatershedCore

/// Observations that correct the plan (issue 17, "Observations"), on the hand-made basin with trib-dam held 10 h
/// (PlannerTests.reestimateFromAnObservation): each observed quantity corrects its own quantity, and no predicted
/// time is earlier than the spill (plus the holds above) or than the same quantity upstream.
///
/// Hand figures (PlannerTests): to main-50 (66 km) the max-probable moving time is 12.83072 + 7.10446 =
/// 19.93518 h, so the leading edge is predicted at 0.89 · 19.93518 + 10 = 27.74231 h; a factor of 2 puts it at
/// 45.48462 h, a correction of 0.89 · 19.93518 = 17.74231 h.
@Suite struct ObservationRulesTests {
    let planner = Planner(basin: HandBasin.basin())

    func hours(_ date: Date) -> Double { date.timeIntervalSince(HandBasin.spillTime) / 3_600 }
    func at(_ hours: Double) -> Date { HandBasin.spillTime.addingTimeInterval(hours * 3_600) }

    /// Planned with the first rule below the observed node (`shift`), which these rules were stated for, unless
    /// another is asked for.
    func plan(_ observations: [Observation], rule: BelowObserved = .shift) throws -> PlanDocument {
        var input = HandBasin.input(holds: ["trib-dam": 10])
        input.observations = observations
        input.belowObserved = rule
        return try planner.plan(input)
    }

    func arrival(_ plan: PlanDocument, _ node: String) throws -> Arrival {
        try #require(plan.arrivals.first { $0.node == node }, "no arrival at \(node)")
    }

    /// A peak seen at main-50 at twice its predicted moving time (f = 2 on T_p(main-50) = 36,000/0.472506/3600 +
    /// 30,000/0.553565/3600 = 36.21769 h) lands the peak there on the observation; with no leading edge seen, the
    /// leading edge moves at the peak's observed speed, 0.89 of its moving time (Jobson eq. 18): 10 + 0.89 · 72.43538
    /// = 74.46749 h at main-50, and below it (the first rule) by the leading edge's own correction there,
    /// 74.46749 − 27.74231 = 46.72519 h.
    @Test func aPeakAloneCalibratesTheLeadingEdgeByItsOwnCorrection() throws {
        let before = try plan([])
        let likely50 = hours(try arrival(before, "main-50").likelyArrival)
        let seen = 10 + 2 * (likely50 - 10)
        let after = try plan([Observation(node: "main-50", feature: .peak, at: at(seen))])
        #expect(abs(hours(try arrival(after, "main-50").likelyArrival) - seen) < 1e-6)
        #expect(abs(hours(try arrival(after, "main-50").earliestArrival) - 74.46749) < 1e-3)
        let shift =
            hours(try arrival(after, "main-intake").earliestArrival)
            - hours(try arrival(before, "main-intake").earliestArrival)
        #expect(abs(shift - 46.72519) < 1e-3)
    }

    /// A leading edge seen at 45.48462 h (f = 2 on T_max(main-50) = 19.93517 h) puts the peak there at the same
    /// speed, 10 + 2 · 19.93517 = 49.87034 h (the leading edge is 0.89 of it), and moves the peaks below by the
    /// peak's own correction there, 49.87034 − (10 + 36.21769) = 3.65265 h — not by the leading edge's 17.74231 h.
    @Test func aLeadingEdgeMovesThePeaksBelowByThePeaksOwnCorrection() throws {
        let before = try plan([])
        let after = try plan([Observation(node: "main-50", feature: .leadingEdge, at: at(45.48462))])
        #expect(abs(hours(try arrival(after, "main-50").likelyArrival) - 49.87034) < 1e-3)
        let shift =
            hours(try arrival(after, "main-intake").likelyArrival)
            - hours(try arrival(before, "main-intake").likelyArrival)
        #expect(abs(shift - 3.65265) < 1e-3)
        #expect(abs(shift - 17.74231) > 1, "the leading edge's error does not move the peak")
    }

    /// Both seen at main-50: each lands on its own observation.
    @Test func eachQuantityLandsOnItsOwnObservation() throws {
        let after = try plan([
            Observation(node: "main-50", feature: .leadingEdge, at: at(40)),
            Observation(node: "main-50", feature: .peak, at: at(48)),
        ])
        #expect(abs(hours(try arrival(after, "main-50").earliestArrival) - 40) < 1e-6)
        #expect(abs(hours(try arrival(after, "main-50").likelyArrival) - 48) < 1e-6)
    }

    /// A trailing edge seen at main-50 at twice its predicted moving time (the peak plus the passage, less the 10 h
    /// held) ends the passage there on the observation and moves the trailing edges below by its own correction
    /// there (its moving time, once more); the leading edges and peaks are not moved.
    @Test func aTrailingEdgeCorrectsThePassageOnly() throws {
        let before = try plan([])
        let at50 = try arrival(before, "main-50")
        let trailing50 = hours(at50.likelyArrival) + (try #require(at50.passageH))
        let seen = 10 + 2 * (trailing50 - 10)
        let after = try plan([Observation(node: "main-50", feature: .trailingEdge, at: at(seen))])
        let corrected50 = try arrival(after, "main-50")
        #expect(abs(hours(corrected50.likelyArrival) + (try #require(corrected50.passageH)) - seen) < 1e-6)
        let intakeBefore = try arrival(before, "main-intake")
        let intakeAfter = try arrival(after, "main-intake")
        let trailingShift =
            hours(intakeAfter.likelyArrival) + (try #require(intakeAfter.passageH))
            - (hours(intakeBefore.likelyArrival) + (try #require(intakeBefore.passageH)))
        #expect(abs(trailingShift - (trailing50 - 10)) < 1e-6)
        for node in ["trib-5", "main-50", "main-intake", "main-border"] {
            #expect(try arrival(after, node).earliestArrival == arrival(before, node).earliestArrival, "\(node)")
            #expect(try arrival(after, node).likelyArrival == arrival(before, node).likelyArrival, "\(node)")
        }
    }

    /// What a dam can hold (issue 17): trib-dam given a usable pool of 720,000 m³ holds reach A's mean inflow,
    /// 20 m³/s, for 720,000 / (20 · 3,600) = 10 h; at low flow (Q/Qa 0.5) for 20 h; a site without a storage figure
    /// says nothing.
    @Test(arguments: [(1.0, 10.0), (0.5, 20.0)])
    func aDamSaysHowLongItCanHoldTheInflow(flowRatio: Double, hours: Double) throws {
        var trib = HandBasin.trib
        trib.sites[0].storageM3 = 720_000
        let basin = Basin(
            units: HandBasin.units, pollutants: [HandBasin.cadmium, HandBasin.benzene], rivers: [trib, HandBasin.main],
            agreements: [])
        var input = HandBasin.input()
        input.flowRatio = flowRatio
        let plan = try Planner(basin: basin).plan(input)
        #expect(abs((try arrival(plan, "trib-dam").holdCapacityH ?? 0) - hours) < 1e-9)
        #expect(try arrival(plan, "main-intake").holdCapacityH == nil)
        #expect(try arrival(try self.plan([]), "trib-dam").holdCapacityH == nil, "no storage figure, nothing said")
    }

    /// Whatever is seen — a peak far earlier than predicted (the He River 2013 case: a peak's error shifted
    /// every leading edge below, some before the spill), far later, a leading edge just after the hold, a peak
    /// downstream seen before the leading edge upstream — every arrival keeps the order of time: no leading edge
    /// before the spill plus the holds above it (10 h below trib-dam), none after its peak, none earlier than the
    /// same quantity upstream on the path.
    @Test(arguments: [
        [Observation(node: "main-50", feature: .peak, at: HandBasin.spillTime.addingTimeInterval(10.5 * 3_600))],
        [Observation(node: "main-50", feature: .peak, at: HandBasin.spillTime.addingTimeInterval(200 * 3_600))],
        [Observation(node: "main-50", feature: .leadingEdge, at: HandBasin.spillTime.addingTimeInterval(10.2 * 3_600))],
        [
            Observation(
                node: "main-50", feature: .trailingEdge, at: HandBasin.spillTime.addingTimeInterval(10.1 * 3_600))
        ],
        [
            Observation(node: "main-50", feature: .leadingEdge, at: HandBasin.spillTime.addingTimeInterval(40 * 3_600)),
            Observation(node: "main-intake", feature: .peak, at: HandBasin.spillTime.addingTimeInterval(30 * 3_600)),
        ],
    ])
    func noPredictedTimeBreaksTheOrderOfTime(observations: [Observation]) throws {
        for rule in BelowObserved.allCases { try checkOrder(try plan(observations, rule: rule)) }
    }

    func checkOrder(_ plan: PlanDocument) throws {
        let path = plan.arrivals.sorted { $0.distanceKm < $1.distanceKm }
        #expect(path.count >= 5)
        var upstream: Arrival?
        for arrival in path {
            let below = arrival.distanceKm > 10  // trib-dam is at trib km 10, 10 km below the spill at km 0
            #expect(hours(arrival.earliestArrival) >= (below ? 10 : 0) - 1e-9, "\(arrival.node)")
            #expect(arrival.earliestArrival <= arrival.likelyArrival, "\(arrival.node)")
            #expect(arrival.likelyArrival <= (arrival.latestArrival ?? .distantPast), "\(arrival.node)")
            #expect((arrival.passageH ?? 0) >= 0, "no trailing edge before the peak at \(arrival.node)")
            if let upstream {
                #expect(arrival.earliestArrival >= upstream.earliestArrival, "\(upstream.node) → \(arrival.node)")
                #expect(arrival.likelyArrival >= upstream.likelyArrival, "\(upstream.node) → \(arrival.node)")
                #expect(
                    (arrival.latestArrival ?? .distantPast) >= (upstream.latestArrival ?? .distantFuture),
                    "\(upstream.node) → \(arrival.node)")
            }
            upstream = arrival
        }
    }
}
