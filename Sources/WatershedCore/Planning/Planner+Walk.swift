import Foundation

extension Planner {
    /// One node on the plume's path with its cumulative moving times.
    struct PathNode {
        enum Payload {
            case site(EmergencySite)
            case receptor(Receptor)
            case section(MonitoringSection)
        }
        var payload: Payload
        var river: RiverPlaybook
        var km: Double
        var distanceKm: Double
        /// Cumulative moving peak time at the most-probable velocity (or through a pool, V / Q), h.
        var mostProbableH: Double
        /// Cumulative moving peak time at the maximum-probable velocity (through a pool, V / Q shortened by the
        /// reach's V_mp / V_p), h.
        var maximumProbableH: Double
        /// Cumulative moving peak time at the slow end of the band, each reach's peak time by its own
        /// r = V_mp / V_p (the speed as far below V_p as V_mp is above it), h.
        var slowH: Double
        /// Of ``mostProbableH``, the hours spent crossing dams' pools.
        var poolH: Double
        /// Hours this site holds the slug for (a hold given in hours), once the slug has passed it.
        var holdsForH: Double = 0
        /// For a dam held until released: the release, h from the spill (a hold still open: when the plan is made).
        var releaseH: Double?
        /// Whether this is a dam held until released with no release yet.
        var heldOpen: Bool = false
        var reach: Reach
        var dischargeM3s: Double

        var id: String {
            switch payload {
            case .site(let s): s.id
            case .receptor(let r): r.id
            case .section(let m): m.id
            }
        }
    }

    func discharge(of reach: Reach, _ input: SpillInput) -> Double {
        input.dischargeOverrides[reach.id] ?? input.flowRatio * reach.meanDischargeM3s
    }

    func velocities(of reach: Reach, _ input: SpillInput) -> Jobson.PeakVelocities {
        if let v = input.velocityOverrides[reach.id] ?? reach.velocityMs {
            return Jobson.PeakVelocities(mostProbable: v, maximumProbable: v)
        }
        return Jobson.peakVelocities(
            drainageAreaKm2: reach.drainageAreaKm2, meanDischargeM3s: reach.meanDischargeM3s,
            dischargeM3s: discharge(of: reach, input), slope: reach.slope)
    }

    /// A dam's pool on a river: from its upstream end to the dam, km, and its volume, m³.
    struct Pool {
        var fromKm: Double
        var toKm: Double
        var volumeM3: Double
    }

    /// The pools of a river's dams with a ``EmergencySite/poolVolumeM3``: each backs up ``EmergencySite/poolLengthKm``
    /// (when given) but never past the dam above it on the same river, nor past the river's start.
    static func pools(of river: RiverPlaybook) -> [Pool] {
        var pools: [Pool] = []
        var above = 0.0
        for site in river.sites.sorted(by: { $0.km < $1.km }) where DamRelease.releasingKinds.contains(site.kind) {
            if let volume = site.poolVolumeM3 {
                let from = max(above, site.km - (site.poolLengthKm ?? .infinity))
                if site.km > from { pools.append(Pool(fromKm: from, toKm: site.km, volumeM3: volume)) }
            }
            above = site.km
        }
        return pools
    }

    /// Walks the course from the spill, accumulating moving time reach by reach (times add reach by reach, Jobson
    /// 1996): a free-flowing stretch of length L takes L / V_p (most probable) and L / V_mp (maximum probable); a
    /// stretch of a dam's pool takes its share of the pool's residence time V / Q when that is longer (the volume
    /// impounded over the discharge through it: plug flow through the whole pool, so dead water would make it
    /// shorter), and that divided by V_mp / V_p at the maximum-probable speed; a reach whose velocity the operator or
    /// the playbook sets keeps it.
    func walk(river: RiverPlaybook, km: Double, input: SpillInput) -> [PathNode] {
        var nodes: [PathNode] = []
        var mostProbable = 0.0
        var maximumProbable = 0.0
        var pooled = 0.0
        var slow = 0.0
        var distance = 0.0
        let held = Dictionary((input.heldDams ?? []).map { ($0.site, $0) }, uniquingKeysWith: { _, last in last })
        for (leg, step) in basin.downstreamCourse(from: river.id, km: km).enumerated() {
            let playbook = step.river
            let entry = leg == 0 ? km : step.entryKm
            var here: [PathNode.Payload] = []
            here += playbook.receptors.filter { $0.km >= entry }.map { .receptor($0) }
            here += playbook.monitoringSections.filter { $0.km >= entry }.map { .section($0) }
            here += playbook.sites.filter { $0.km >= entry }.map { .site($0) }
            var position = entry
            // Velocities once per reach, not once per segment between nodes.
            let speeds = playbook.reaches.map { velocities(of: $0, input) }
            let pools = Self.pools(of: playbook)
            func advance(to target: Double) {
                for (index, reach) in playbook.reaches.enumerated() where reach.toKm > position && reach.fromKm < target
                {
                    let lo = max(reach.fromKm, position)
                    let hi = min(reach.toKm, target)
                    guard hi > lo else { continue }
                    let v = speeds[index]
                    let set = input.velocityOverrides[reach.id] != nil || reach.velocityMs != nil
                    let q = discharge(of: reach, input)
                    var free = hi - lo
                    for pool in pools where !set && q > 0 && pool.toKm > lo && pool.fromKm < hi {
                        let inPool = min(pool.toKm, hi) - max(pool.fromKm, lo)
                        let jobson = inPool * 1_000 / v.mostProbable / 3_600
                        let through = pool.volumeM3 * inPool / (pool.toKm - pool.fromKm) / q / 3_600
                        guard through > jobson else { continue }
                        free -= inPool
                        mostProbable += through
                        maximumProbable += through * v.mostProbable / v.maximumProbable
                        slow += through * v.maximumProbable / v.mostProbable
                        pooled += through
                    }
                    mostProbable += free * 1_000 / v.mostProbable / 3_600
                    maximumProbable += free * 1_000 / v.maximumProbable / 3_600
                    slow += free * 1_000 * v.maximumProbable / (v.mostProbable * v.mostProbable) / 3_600
                    distance += hi - lo
                }
                position = max(position, target)
            }
            let ordered = here.map { (Self.chainage($0), $0) }.sorted { a, b in
                a.0 != b.0 ? a.0 < b.0 : Self.order(a.1) < Self.order(b.1)
            }
            for (nodeKm, payload) in ordered {
                advance(to: nodeKm)
                guard let reach = basin.reach(of: playbook, at: nodeKm) else { continue }
                var node = PathNode(
                    payload: payload, river: playbook, km: nodeKm, distanceKm: distance,
                    mostProbableH: mostProbable, maximumProbableH: maximumProbable, slowH: slow, poolH: pooled,
                    reach: reach, dischargeM3s: discharge(of: reach, input))
                if case .site(let site) = payload {
                    if let h = input.holds[site.id] { node.holdsForH = h }
                    if let dam = held[site.id] {
                        let release = dam.releasedAt ?? max(input.plannedAt ?? input.at, input.at)
                        node.releaseH = release.timeIntervalSince(input.at) / 3_600
                        node.heldOpen = dam.releasedAt == nil
                    }
                }
                nodes.append(node)
            }
            advance(to: playbook.lengthKm)
        }
        return nodes
    }

    private static func chainage(_ payload: PathNode.Payload) -> Double {
        switch payload {
        case .site(let s): s.km
        case .receptor(let r): r.km
        case .section(let m): m.km
        }
    }

    private static func order(_ payload: PathNode.Payload) -> Int {
        switch payload {
        case .receptor: 0
        case .section: 1
        case .site: 2
        }
    }
}
