import Foundation

/// Replays a past spill (``HindcastCase``) through the planner: the prediction at every station with an observed
/// time before any observation and after each observation as it became known, against what was seen (issue 17,
/// "Hindcasts"; `docs/hindcasts.md`). Pure: the case and the basin in, the table out.
public enum Hindcast {
    /// One station's prediction at one step.
    public struct Step: Codable, Sendable, Hashable {
        /// How many observations the plan used (0: none).
        public var used: Int
        /// What errors are counted from: the time of the last observation used, or the spill.
        public var reference: Date
        /// The band and the prediction of the feature seen (the leading edge: ``Arrival/earliestArrival``; the peak:
        /// ``Arrival/likelyArrival``; the trailing edge: the peak plus the passage).
        public var earliest: Date
        public var predicted: Date
        public var latest: Date
        /// latest − earliest, h.
        public var widthH: Double
        /// Whether the observed time (± its `withinH`) falls in the band.
        public var inBand: Bool
        /// predicted − observed, h.
        public var errorH: Double
        /// The error in % of the observed travel time from ``reference``; `nil` when the station was seen at or before
        /// it (nothing left to predict).
        public var errorPercent: Double?
    }

    /// A station with an observed time and its predictions.
    public struct Row: Codable, Sendable, Hashable {
        public var node: String
        public var name: String
        public var feature: Observation.Feature
        public var distanceKm: Double
        public var observed: Date
        public var withinH: Double
        public var steps: [Step]
    }

    /// A replay.
    public struct Result: Codable, Sendable, Hashable {
        public var id: String
        public var spillAt: Date
        /// The observations used, in the order they became known (step k used the first k).
        public var used: [Observation]
        public var rows: [Row]

        /// Before any observation: the stations whose observed time is in the band, of all.
        public var inBandBefore: (inside: Int, of: Int) {
            (rows.filter { $0.steps.first?.inBand == true }.count, rows.count)
        }
        /// Before any observation: the widest band over the predicted travel time (likely − spill), as a ratio.
        public var widestBandRatio: Double {
            rows.compactMap { row -> Double? in
                guard let step = row.steps.first else { return nil }
                let travel = step.predicted.timeIntervalSince(spillAt) / 3_600
                return travel > 0 ? step.widthH / travel : nil
            }.max() ?? 0
        }
        /// After `k` observations: the largest |error| in % of the observed travel time over the stations seen later.
        public func largestErrorPercent(after k: Int) -> Double? {
            rows.compactMap { $0.steps.first { $0.used == k }?.errorPercent.map(abs) }.max()
        }
    }

    /// Replays a case.
    ///
    /// - Throws: ``PlanError`` when the case cannot be planned (a node off the path, an impossible observation…).
    /// - Parameter rule: how observations correct the arrivals below them (``BelowObserved``).
    public static func run(_ c: HindcastCase, basin: Basin, rule: BelowObserved = .calibrate) throws(PlanError)
        -> Result
    {
        var input = SpillInput(
            location: .river(id: c.spill.river, km: c.spill.km), at: c.spill.at, pollutant: c.spill.pollutant,
            release: .instantaneous(massKg: c.spill.massKg), flowRatio: c.spill.flowRatio)
        input.dischargeOverrides = c.spill.discharge ?? [:]
        input.belowObserved = rule
        for measure in c.measures ?? [] {
            if let hours = measure.holdH {
                input.holds[measure.site] = hours
            } else {
                input.heldDams = (input.heldDams ?? []) + [HeldDam(site: measure.site, releasedAt: measure.releasedAt)]
            }
        }
        let used = c.seen.filter { $0.used ?? true }.map { Observation(node: $0.node, feature: $0.feature, at: $0.at) }
        var plans: [PlanDocument] = []
        for k in 0...used.count {
            var step = input
            step.observations = Array(used.prefix(k))
            step.plannedAt = k == 0 ? c.spill.at : used[k - 1].at
            plans.append(try Planner(basin: basin).plan(step))
        }
        var rows: [Row] = []
        for seen in c.seen {
            guard let first = plans[0].arrivals.first(where: { $0.node == seen.node }) else {
                throw .unknownObservationNode(seen.node)
            }
            let within = seen.withinH ?? 0
            let steps = plans.enumerated().compactMap { k, plan -> Step? in
                guard let arrival = plan.arrivals.first(where: { $0.node == seen.node }) else { return nil }
                let predicted: Date =
                    switch seen.feature {
                    case .leadingEdge: arrival.earliestArrival
                    case .peak: arrival.likelyArrival
                    case .trailingEdge: arrival.likelyArrival.addingTimeInterval((arrival.passageH ?? 0) * 3_600)
                    }
                let latest = max(arrival.latestArrival ?? arrival.likelyArrival, predicted)
                let reference = k == 0 ? c.spill.at : used[k - 1].at
                let error = predicted.timeIntervalSince(seen.at) / 3_600
                let travel = seen.at.timeIntervalSince(reference) / 3_600
                return Step(
                    used: k, reference: reference, earliest: arrival.earliestArrival, predicted: predicted,
                    latest: latest, widthH: latest.timeIntervalSince(arrival.earliestArrival) / 3_600,
                    inBand: seen.at.addingTimeInterval(within * 3_600) >= arrival.earliestArrival
                        && seen.at.addingTimeInterval(-within * 3_600) <= latest,
                    errorH: error, errorPercent: travel > 0 ? 100 * error / travel : nil)
            }
            rows.append(
                Row(
                    node: seen.node, name: first.name + (first.nameZh.map { " \($0)" } ?? ""), feature: seen.feature,
                    distanceKm: first.distanceKm, observed: seen.at, withinH: within, steps: steps))
        }
        return Result(id: c.id, spillAt: c.spill.at, used: used, rows: rows)
    }

    /// Where a run is worse than the case's ``HindcastCase/recorded`` figures: a station recorded in the band that
    /// left it, or an error (in %) that grew by more than 0.1 percentage point. Empty: no worse.
    public static func regressions(_ result: Result, against recorded: [HindcastCase.Recorded]) -> [String] {
        var found: [String] = []
        for figure in recorded {
            guard let row = result.rows.first(where: { $0.node == figure.node && $0.feature == figure.feature }),
                let step = row.steps.first(where: { $0.used == figure.step })
            else {
                found.append("\(figure.node) \(figure.feature) after \(figure.step): no longer predicted")
                continue
            }
            if figure.inBand && !step.inBand {
                found.append(
                    "\(figure.node) \(figure.feature) after \(figure.step) observation(s): observed time left the band")
            }
            if let limit = figure.errorPercent, let now = step.errorPercent.map(abs), now > limit + 0.1 {
                found.append(
                    "\(figure.node) \(figure.feature) after \(figure.step) observation(s): error \(String(format: "%.1f", now)) % > "
                        + "recorded \(String(format: "%.1f", limit)) %")
            }
        }
        return found
    }
}
