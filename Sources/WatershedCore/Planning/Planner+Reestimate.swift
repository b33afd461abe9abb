import Foundation

extension Planner {
    /// Effective times of a node after re-estimation, h from the spill.
    struct Timing {
        var earliestH: Double
        var likelyH: Double
        /// Moving time for the most-probable concentration, h.
        var concentrationH: Double
        /// Moving time for the upper envelope, h.
        var upperConcentrationH: Double
        /// The trailing edge, h from the spill, when a trailing edge seen corrected it; `nil`: the peak plus the
        /// passage time (Jobson).
        var trailingH: Double? = nil
    }

    /// The passage time of the plume at a node (h): Jobson's, from the peak's moving time and the relative discharge,
    /// plus the duration of a continuous release; `nil` at the spill point.
    static func passageH(concentrationH: Double, relativeDischarge: Double, releaseDurationH: Double) -> Double? {
        guard concentrationH > 0.01 else { return nil }
        return Jobson.passageTimeH(
            unitPeak: Jobson.unitPeakConcentration(peakTimeH: concentrationH, relativeDischarge: relativeDischarge))
            + releaseDurationH
    }

    /// One observation applied: the node it was made at, the quantity it saw, its factor.
    struct Applied {
        var index: Int
        var feature: Observation.Feature
        /// f = (t_obs − t_spill − H) / (t_pred − t_spill − H) for the quantity observed.
        var factor: Double
    }

    /// Applies monitoring observations (DOMAIN.md §3, as corrected by issue 17).
    ///
    /// An observation at node X of a quantity (the leading edge, the peak or the trailing edge) gives the factor
    /// f = (t_obs − t_spill − H) / (t_pred − t_spill − H) of that quantity's moving time to X (H: hours held above X).
    /// Each quantity is corrected by its **own** observations when it has any — the leading edge (`earliestH`) by
    /// leading-edge observations, the peak (`likelyH` and the concentration times) by peak observations — and,
    /// when it has none, by the other quantity's as a calibration of the speed. For each node the governing
    /// observation is the most downstream one at or above it, else the nearest one below it:
    /// - at or above X the quantity's moving time is scaled by f (every reach between the spill and X);
    /// - below X it moves by the correction the **same quantity** got at X, q′(X) − q(X) (so a peak's error never
    ///   shifts a leading edge: issue 17, the He River 2013 set-up), or is scaled by f with `applyFactorBelow`.
    ///
    /// The trailing edge (the peak plus the passage time) is corrected by trailing-edge observations only, the same
    /// way; it sets the passage time (trailing edge − peak) where one is seen.
    ///
    /// Then, for every quantity: no time before the spill plus the holds above the node, none earlier than the
    /// same quantity at a node upstream on the path, no leading edge after the peak and no trailing edge before it.
    ///
    /// - Parameter releaseDurationH: a continuous release's duration (0 for an instantaneous one), for passages.
    ///
    /// - Throws: ``PlanError/impossibleObservation(node:reason:)`` for an observation at the spill point, or at or
    ///   before the time the slug could start moving there (spill time plus holds above).
    func timings(
        _ nodes: [PathNode], input: SpillInput, releaseDurationH: Double, reestimates: inout [Reestimate]
    ) throws(PlanError) -> [Timing] {
        let ratio = Jobson.leadingEdgeRatio
        let base = nodes.map {
            Timing(
                earliestH: ratio * $0.maximumProbableH + $0.holdH, likelyH: $0.mostProbableH + $0.holdH,
                concentrationH: $0.mostProbableH, upperConcentrationH: $0.maximumProbableH)
        }
        // The trailing edge before any correction: the peak plus the passage (nil at the spill point).
        let baseTrailing = nodes.indices.map { i in
            Self.passageH(
                concentrationH: base[i].concentrationH,
                relativeDischarge: nodes[i].dischargeM3s / nodes[i].reach.meanDischargeM3s,
                releaseDurationH: releaseDurationH
            ).map { base[i].likelyH + $0 }
        }
        var applied: [Applied] = []
        for observation in input.observations {
            guard let index = nodes.firstIndex(where: { $0.id == observation.node }) else { continue }
            let node = nodes[index]
            let predicted: Double
            switch observation.feature {
            case .leadingEdge: predicted = base[index].earliestH
            case .peak: predicted = base[index].likelyH
            case .trailingEdge:
                guard let trailing = baseTrailing[index] else {
                    throw .impossibleObservation(
                        node: node.id, reason: "it is at the spill point, so it says nothing about the travel time")
                }
                predicted = trailing
            }
            let observed = observation.at.timeIntervalSince(input.at) / 3_600
            let moving = predicted - node.holdH
            guard moving > 0 else {
                throw .impossibleObservation(
                    node: node.id, reason: "it is at the spill point, so it says nothing about the travel time")
            }
            guard observed - node.holdH > 0 else {
                throw .impossibleObservation(
                    node: node.id,
                    reason: "it is at or before the spill time plus \(node.holdH) h of holds above it")
            }
            let factor = (observed - node.holdH) / moving
            applied.append(Applied(index: index, feature: observation.feature, factor: factor))
            reestimates.append(
                Reestimate(
                    observation: observation, predicted: input.at.addingTimeInterval(predicted * 3_600),
                    factor: factor, holdH: node.holdH))
        }
        guard !applied.isEmpty else { return base }
        let leading = applied.filter { $0.feature == .leadingEdge }
        let peaks = applied.filter { $0.feature == .peak }
        let trailing = applied.filter { $0.feature == .trailingEdge }
        // A trailing edge seen says how long the plume takes to pass, not how fast its front moves: it corrects
        // only the trailing edge.
        let forEdge = leading.isEmpty ? peaks : leading
        let forPeak = peaks.isEmpty ? leading : peaks
        var times = nodes.indices.map { i -> Timing in
            let node = nodes[i]
            var timing = base[i]
            if let (x, f, scaled) = governing(i, nodes, forEdge, input: input) {
                // Below X: the leading edge's own correction at X, 0.89 · T_max(X) · (f − 1).
                timing.earliestH =
                    scaled
                    ? ratio * node.maximumProbableH * f + node.holdH
                    : base[i].earliestH + ratio * nodes[x].maximumProbableH * (f - 1)
            }
            if let (x, f, scaled) = governing(i, nodes, forPeak, input: input) {
                if scaled {
                    timing.likelyH = node.mostProbableH * f + node.holdH
                    timing.concentrationH = node.mostProbableH * f
                    timing.upperConcentrationH = node.maximumProbableH * f
                } else {
                    // Below X: the peak's own correction at X, T_mp(X) · (f − 1) (the upper envelope's likewise).
                    timing.likelyH = base[i].likelyH + nodes[x].mostProbableH * (f - 1)
                    timing.concentrationH = node.mostProbableH + nodes[x].mostProbableH * (f - 1)
                    timing.upperConcentrationH = node.maximumProbableH + nodes[x].maximumProbableH * (f - 1)
                }
            }
            if let (x, f, scaled) = governing(i, nodes, trailing, input: input), let predicted = baseTrailing[i],
                let atX = baseTrailing[x]
            {
                timing.trailingH =
                    scaled
                    ? (predicted - node.holdH) * f + node.holdH : predicted + (atX - nodes[x].holdH) * (f - 1)
            }
            return timing
        }
        // No time before the spill plus holds, none earlier than upstream, no leading edge after the peak.
        var upstream = (earliest: 0.0, likely: 0.0, trailing: 0.0)
        for i in times.indices {
            let floor = nodes[i].holdH
            times[i].likelyH = max(times[i].likelyH, floor, upstream.likely)
            times[i].earliestH = min(max(times[i].earliestH, floor, upstream.earliest), times[i].likelyH)
            if let trailingH = times[i].trailingH {
                times[i].trailingH = max(trailingH, times[i].likelyH, upstream.trailing)
            }
            upstream = (times[i].earliestH, times[i].likelyH, times[i].trailingH ?? upstream.trailing)
        }
        return times
    }

    /// The observation among `applied` that governs node `i` — the most downstream one at or above it, else the
    /// nearest one below it — as its node's index and factor, and whether `i`'s moving time is scaled by the factor
    /// (at or above the observed node, or below it with `applyFactorBelow`) rather than moved by the correction the
    /// same quantity got there; `nil` when `applied` is empty.
    private func governing(_ i: Int, _ nodes: [PathNode], _ applied: [Applied], input: SpillInput)
        -> (index: Int, factor: Double, scaled: Bool)?
    {
        let found =
            applied.filter { nodes[$0.index].distanceKm <= nodes[i].distanceKm }
            .max { nodes[$0.index].distanceKm < nodes[$1.index].distanceKm }
            ?? applied.min { nodes[$0.index].distanceKm < nodes[$1.index].distanceKm }
        guard let found else { return nil }
        let scaled = nodes[i].distanceKm <= nodes[found.index].distanceKm || input.applyFactorBelow
        return (found.index, found.factor, scaled)
    }
}
