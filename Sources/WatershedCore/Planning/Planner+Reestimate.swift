import Foundation

extension Planner {
    /// Effective times of a node after re-estimation, h from the spill.
    struct Timing {
        var earliestH: Double
        var likelyH: Double
        /// The latest plausible arrival: the peak at the slow end of the band (``Arrival/latestArrival``).
        var latestH: Double
        /// Moving time for the most-probable concentration, h.
        var concentrationH: Double
        /// Moving time for the upper envelope, h.
        var upperConcentrationH: Double
        /// The trailing edge, h from the spill, when a trailing edge seen corrected it; `nil`: the peak plus the
        /// passage time (Jobson).
        var trailingH: Double? = nil
        /// What the band rests on.
        var basis: BandBasis
    }

    /// What a node's band rests on: the prior spread, or the observation that calibrated it and with what weight.
    struct BandBasis {
        /// The observation governing the peak (and so the band's slow end), with its factor and the weight it has
        /// here (1 at or above the observed node).
        var observation: (node: String, feature: Observation.Feature, factor: Double, weight: Double)?
        /// Hours of the peak's moving time spent in dams' pools.
        var poolH: Double
        /// A dam above still held, with no release yet.
        var heldBehind: String?
    }

    /// The three quantities the band is made of: the leading edge, the peak and the slow end of the band.
    enum Quantity { case edge, peak, late }

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
        /// The speed factor f: the moving time to the node, multiplied by f, gives the observed time.
        var factor: Double
    }

    /// The moving times of each stretch of the path, from the node above (or the spill) to node `i`, h.
    struct Stretches {
        let nodes: [PathNode]
        /// Per node: the stretch's peak time (most probable), its maximum-probable time, its slow-end time, its hours
        /// in pools.
        let peak: [Double]
        let maximum: [Double]
        let slow: [Double]
        let pool: [Double]

        init(_ nodes: [PathNode]) {
            self.nodes = nodes
            var peak: [Double] = []
            var maximum: [Double] = []
            var pool: [Double] = []
            var slow: [Double] = []
            for i in nodes.indices {
                let above = i == 0 ? nil : nodes[i - 1]
                peak.append(nodes[i].mostProbableH - (above?.mostProbableH ?? 0))
                maximum.append(nodes[i].maximumProbableH - (above?.maximumProbableH ?? 0))
                pool.append(nodes[i].poolH - (above?.poolH ?? 0))
                slow.append(nodes[i].slowH - (above?.slowH ?? 0))
            }
            self.peak = peak
            self.maximum = maximum
            self.pool = pool
            self.slow = slow
        }

        /// The spread of stretch `i`: its slow-end time over its peak time (r = V_mp / V_p on a single reach; 1 for a
        /// stretch of no length).
        func spread(_ i: Int) -> Double { peak[i] > 0 ? max(1, slow[i] / peak[i]) : 1 }

        /// Stretch `i`'s moving time for a quantity, at the speed factor `f` an observation of `seen` gave, applied here
        /// with weight `w` (0: the prior, 1: the speed known) and known to hold here with confidence `c` (0…1).
        ///
        /// The prior: the leading edge 0.89 · T_max, the peak T_p, the slow end T_slow (``spread(_:)``). The speed known:
        /// the stretch takes T_seen · f, where T_seen is the time the observation was compared with (T_max for a
        /// leading edge, since its prediction is 0.89 · T_max; T_p for a peak), the peak at that, the leading edge at
        /// 0.89 of it (Jobson 1996, eq. 18). The leading edge and the peak take the geometric mean
        /// prior^(1 − w) · known^w; the slow end is that peak times the stretch's spread^(1 − c · w).
        func time(
            _ q: Quantity, _ i: Int, factor f: Double, weight: (w: Double, c: Double), seen: Observation.Feature
        ) -> Double {
            let (w, c) = weight
            func blend(_ prior: Double, _ known: Double) -> Double {
                if w <= 0 { return prior }
                if w >= 1 { return known }
                guard prior > 0, known > 0 else { return prior * (1 - w) + known * w }
                return pow(prior, 1 - w) * pow(known, w)
            }
            let speed = (seen == .leadingEdge ? maximum[i] : peak[i]) * f
            switch q {
            case .edge: return blend(Jobson.leadingEdgeRatio * maximum[i], Jobson.leadingEdgeRatio * speed)
            case .peak: return blend(peak[i], speed)
            case .late: return blend(peak[i], speed) * pow(spread(i), 1 - c * max(0, min(1, w)))
            }
        }

        /// A quantity's time at node `to` (h from the spill, and its moving part), carried from node `from` (`nil`:
        /// the spill) where it is `start`: each stretch's moving time by `weight`, and at each site passed, its
        /// hold in hours added and a held dam's release awaited (nothing leaves before it).
        func carry(
            _ q: Quantity, from: Int?, start: Double, to: Int, factor: Double,
            weight: (Int) -> (w: Double, c: Double), seen: Observation.Feature = .peak
        ) -> (time: Double, moving: Double) {
            var t = start
            var moving = 0.0
            let first = (from ?? -1) + 1
            guard first <= to else { return (t, moving) }
            for j in first...to {
                if j > 0 {
                    let above = nodes[j - 1]
                    t += above.holdsForH
                    if let release = above.releaseH { t = max(t, release) }
                }
                let dt = time(q, j, factor: factor, weight: weight(j), seen: seen)
                t += dt
                moving += dt
            }
            return (t, moving)
        }
    }

    /// Applies monitoring observations and gives every node its band (issue 17; `docs/travel-time.md`).
    ///
    /// Before any observation a node's band runs from the leading edge at the maximum-probable speed,
    /// 0.89 · T_max (Jobson 1996, eq. 13 and 18: the earliest plausible arrival), to the peak at the speed as far
    /// below the most-probable one as the maximum-probable one is above it, T_p · r with r = V_mp / V_p (the slow
    /// end; Jobson's equations bound only the fast side, so the slow side mirrors it — our assumption, checked by the
    /// shipped hindcasts); the peak itself is T_p. Holds in hours are added at their sites; a dam held until released
    /// lets nothing past before its release.
    ///
    /// An observation at node X gives the speed factor f that makes the predicted time of what was seen equal the
    /// observed one: a leading edge is compared with 0.89 · T_max, a peak with T_p (T from the spill, holds apart).
    /// Each quantity is corrected by its **own** observations when it has any — the leading edge by leading-edge
    /// ones, the peak and the band's slow end by peak ones — and otherwise by the other's, as a measure of the speed.
    /// The governing observation of a node is the most downstream one at or above it, else the nearest one below it.
    /// At or above X the speed is known: each stretch takes T_seen · f (T_seen: T_max for a leading edge, T_p for a
    /// peak), the peak and the slow end arrive at that, the leading edge at 0.89 of it (Jobson's eq. 18), so the band
    /// closes to [leading edge, peak]. Below X, by ``SpillInput/belowObservedRule``:
    /// - ``BelowObserved/calibrate``: each stretch j below takes prior^(1 − w) · known^w, with w the share of the
    ///   observed travel to X spent in the same kind of water as the stretch (a dam's pool or free-flowing): the
    ///   observed speed carries to water like the water it was measured in. The band's slow end keeps
    ///   spread^(1 − c · w) of the stretch's spread, c = exp(−d / D) the confidence — d the distance of the stretch's
    ///   middle below X, D the distance from the spill to X — so the band widens again with distance.
    ///   This is parameter updating as flood forecasting practises it (WMO Manual on Flood Forecasting and Warning,
    ///   WMO-No. 1072, 2011: a model's parameters corrected from observations as they come in); the weights are
    ///   ours, checked by the shipped hindcasts (`docs/hindcasts.md`);
    /// - ``BelowObserved/shift``: stretches keep their own speeds, starting from X's corrected times (DOMAIN.md §3's
    ///   first rule);
    /// - ``BelowObserved/scale``: the speed known below X too (w = 1).
    ///
    /// The trailing edge (the peak plus the passage time) is corrected by trailing-edge observations only; it sets
    /// the passage time (trailing edge − peak) where one is seen. Then, for every quantity: none before the spill
    /// plus the holds above, none earlier than the same quantity upstream, no leading edge after the peak, no slow
    /// end or trailing edge before it.
    ///
    /// - Parameter releaseDurationH: a continuous release's duration (0 for an instantaneous one), for passages.
    /// - Throws: ``PlanError/impossibleObservation(node:reason:)`` for an observation at the spill point, or at or
    ///   before the earliest time the slug could be there (the spill time plus holds above, a held dam's release).
    func timings(
        _ nodes: [PathNode], input: SpillInput, releaseDurationH: Double, reestimates: inout [Reestimate]
    ) throws(PlanError) -> [Timing] {
        let path = Stretches(nodes)
        func prior(_ q: Quantity, _ i: Int) -> (time: Double, moving: Double) {
            path.carry(q, from: nil, start: 0, to: i, factor: 1, weight: { _ in (0, 0) })
        }
        let base = nodes.indices.map { i in (edge: prior(.edge, i), peak: prior(.peak, i), late: prior(.late, i)) }
        // The trailing edge before any correction: the peak plus the passage (nil at the spill point).
        let baseTrailing = nodes.indices.map { i in
            Self.passageH(
                concentrationH: base[i].peak.moving,
                relativeDischarge: nodes[i].dischargeM3s / nodes[i].reach.meanDischargeM3s,
                releaseDurationH: releaseDurationH
            ).map { base[i].peak.time + $0 }
        }
        var applied: [Applied] = []
        for observation in input.observations {
            guard let index = nodes.firstIndex(where: { $0.id == observation.node }) else { continue }
            let node = nodes[index]
            let observed = observation.at.timeIntervalSince(input.at) / 3_600
            let atSpill = "it is at the spill point, so it says nothing about the travel time"
            let predicted: Double
            let factor: Double
            let holdH: Double
            switch observation.feature {
            case .leadingEdge, .peak:
                let q: Quantity = observation.feature == .peak ? .peak : .edge
                let (time, moving) = q == .peak ? base[index].peak : base[index].edge
                guard moving > 0 else { throw .impossibleObservation(node: node.id, reason: atSpill) }
                predicted = time
                holdH = time - moving
                // The slug cannot be there before its holds and releases above let it: f → 0 gives that floor.
                let floor = path.carry(q, from: nil, start: 0, to: index, factor: 0, weight: { _ in (1, 1) }).time
                let feature = observation.feature
                guard observed > floor + 1e-9 else {
                    throw .impossibleObservation(
                        node: node.id, reason: "it is at or before the spill time plus \(floor) h of holds above it")
                }
                factor = Self.solve { f in
                    path.carry(q, from: nil, start: 0, to: index, factor: f, weight: { _ in (1, 1) }, seen: feature)
                        .time
                        - observed
                }
            case .trailingEdge:
                guard let trailing = baseTrailing[index] else {
                    throw .impossibleObservation(node: node.id, reason: atSpill)
                }
                predicted = trailing
                holdH = base[index].peak.time - base[index].peak.moving
                guard observed - holdH > 0 else {
                    throw .impossibleObservation(
                        node: node.id, reason: "it is at or before the spill time plus \(holdH) h of holds above it")
                }
                factor = (observed - holdH) / (trailing - holdH)
            }
            applied.append(Applied(index: index, feature: observation.feature, factor: factor))
            reestimates.append(
                Reestimate(
                    observation: observation, predicted: input.at.addingTimeInterval(predicted * 3_600),
                    factor: factor, holdH: holdH))
        }
        let leading = applied.filter { $0.feature == .leadingEdge }
        let peaks = applied.filter { $0.feature == .peak }
        let trailing = applied.filter { $0.feature == .trailingEdge }
        // A trailing edge seen says how long the plume takes to pass, not how fast its front moves: it corrects
        // only the trailing edge.
        let forEdge = leading.isEmpty ? peaks : leading
        let forPeak = peaks.isEmpty ? leading : peaks
        let rule = input.belowObservedRule
        /// The weight w and confidence c of an observation at `x` on stretch `j` below it (``BelowObserved``).
        func weight(_ j: Int, below x: Int) -> (w: Double, c: Double) {
            switch rule {
            case .shift: return (0, 0)
            case .scale: return (1, 1)
            case .calibrate:
                let span = nodes[x].distanceKm
                guard span > 0 else { return (0, 0) }
                let middle = j == 0 ? nodes[j].distanceKm / 2 : (nodes[j - 1].distanceKm + nodes[j].distanceKm) / 2
                let poolShare = nodes[x].mostProbableH > 0 ? nodes[x].poolH / nodes[x].mostProbableH : 0
                let inPool = path.pool[j] > path.peak[j] / 2
                return (inPool ? poolShare : 1 - poolShare, exp(-max(0, middle - nodes[x].distanceKm) / span))
            }
        }
        func corrected(_ q: Quantity, _ i: Int, _ governing: Applied?) -> (time: Double, moving: Double, w: Double) {
            guard let g = governing else {
                let b = q == .edge ? base[i].edge : q == .peak ? base[i].peak : base[i].late
                return (b.time, b.moving, 0)
            }
            let x = g.index
            if i <= x || nodes[i].distanceKm <= nodes[x].distanceKm {
                let r = path.carry(
                    q, from: nil, start: 0, to: i, factor: g.factor, weight: { _ in (1, 1) }, seen: g.feature)
                return (r.time, r.moving, 1)
            }
            let atX = path.carry(
                q, from: nil, start: 0, to: x, factor: g.factor, weight: { _ in (1, 1) }, seen: g.feature)
            let below = path.carry(
                q, from: x, start: atX.time, to: i, factor: g.factor, weight: { weight($0, below: x) }, seen: g.feature)
            return (below.time, atX.moving + below.moving, weight(i, below: x).w)
        }
        var times = nodes.indices.map { i -> Timing in
            let node = nodes[i]
            let edgeBy = Self.governing(i, nodes, forEdge)
            let peakBy = Self.governing(i, nodes, forPeak)
            let edge = corrected(.edge, i, edgeBy)
            let peak = corrected(.peak, i, peakBy)
            let late = corrected(.late, i, peakBy)
            let observation = peakBy.map { g in
                (node: nodes[g.index].id, feature: g.feature, factor: g.factor, weight: peak.w)
            }
            let held = nodes[..<i].last(where: \.heldOpen).map(\.id)
            var timing = Timing(
                earliestH: edge.time, likelyH: peak.time, latestH: late.time, concentrationH: peak.moving,
                upperConcentrationH: edge.moving / Jobson.leadingEdgeRatio,
                basis: BandBasis(observation: observation, poolH: node.poolH, heldBehind: held))
            if let g = Self.governing(i, nodes, trailing), let predicted = baseTrailing[i],
                let atX = baseTrailing[g.index]
            {
                let x = g.index
                let holdI = base[i].peak.time - base[i].peak.moving
                let holdX = base[x].peak.time - base[x].peak.moving
                let scaled = nodes[i].distanceKm <= nodes[x].distanceKm || rule == .scale
                timing.trailingH =
                    scaled
                    ? (predicted - holdI) * g.factor + holdI : predicted + (atX - holdX) * (g.factor - 1)
            }
            return timing
        }
        // No time before the spill plus holds, none earlier than upstream, no leading edge after the peak.
        var upstream = (earliest: 0.0, likely: 0.0, latest: 0.0, trailing: 0.0)
        for i in times.indices {
            let floor = path.carry(.peak, from: nil, start: 0, to: i, factor: 0, weight: { _ in (1, 1) }).time
            times[i].likelyH = max(times[i].likelyH, floor, upstream.likely)
            times[i].earliestH = min(max(times[i].earliestH, floor, upstream.earliest), times[i].likelyH)
            times[i].latestH = max(times[i].latestH, times[i].likelyH, upstream.latest)
            if let trailingH = times[i].trailingH {
                times[i].trailingH = max(trailingH, times[i].likelyH, upstream.trailing)
            }
            upstream = (
                times[i].earliestH, times[i].likelyH, times[i].latestH, times[i].trailingH ?? upstream.trailing
            )
        }
        return times
    }

    /// The factor f > 0 at which `excess(f)` (non-decreasing in f) crosses zero, by bisection on log f.
    static func solve(_ excess: (Double) -> Double) -> Double {
        var lo = 1e-4
        var hi = 1e4
        for _ in 0..<80 {
            let mid = (lo * hi).squareRoot()
            if excess(mid) < 0 { lo = mid } else { hi = mid }
        }
        return (lo * hi).squareRoot()
    }

    /// The observation among `applied` that governs node `i` — the most downstream one at or above it, else the
    /// nearest one below it; `nil` when `applied` is empty.
    static func governing(_ i: Int, _ nodes: [PathNode], _ applied: [Applied]) -> Applied? {
        applied.filter { nodes[$0.index].distanceKm <= nodes[i].distanceKm }
            .max { nodes[$0.index].distanceKm < nodes[$1.index].distanceKm }
            ?? applied.min { nodes[$0.index].distanceKm < nodes[$1.index].distanceKm }
    }
}
