import Foundation

/// Plans the response to a spill from the basin's playbooks. Pure: no I/O, no clock.
///
/// River spills follow the water down the network reach by reach with Jobson (1996)
/// (see ``Jobson``); sea spills drift with current plus windage (see ``MarineDrift``);
/// park spills go through the three levels of containment and, if they escape, continue
/// as a river or sea spill from the outfall.
public struct Planner: Sendable {
    /// The basin; assumed free of ``Basin/problems()``.
    public let basin: Basin

    /// Planning policy: a measure or intake closure is called for where the upper-envelope
    /// peak without measures reaches the standard (C/S ≥ 1).
    public static let actionRatio = 1.0
    /// Planning policy: intakes are warned and sections sampled where the upper-envelope
    /// peak reaches a tenth of the standard.
    public static let watchRatio = 0.1
    /// Default hours an intake needs to close or switch supply when the playbook gives none.
    public static let defaultIntakeLeadTimeH = 2.0
    /// Hours before the earliest arrival that sampling must start at a monitoring section
    /// (HJ 589-2021 practice: be on station before the front).
    public static let samplingLeadTimeH = 1.0
    /// Hours to deploy booms at a marine receptor before the slick arrives.
    public static let marineProtectionLeadTimeH = 2.0

    /// Creates a planner over a basin.
    public init(basin: Basin) { self.basin = basin }

    /// Plans one spill.
    ///
    /// - Throws: ``PlanError`` naming the input at fault (unknown river, chainage outside the
    ///   river, unknown pollutant, negative mass, a hold at a site not on the path…).
    public func plan(_ input: SpillInput) throws(PlanError) -> PlanDocument {
        // The place first, so that a wrong park or river is named before anything else.
        switch input.location {
        case .river(let id, let km):
            guard let river = basin.rivers[id] else { throw .unknownRiver(id) }
            guard km.isFinite, km >= 0, km <= river.lengthKm else {
                throw .chainageOutsideRiver(river: id, km: km, lengthKm: river.lengthKm)
            }
        case .park(let id, let scenario):
            guard let park = basin.parks[id] else { throw .unknownPark(id) }
            guard park.scenarios.contains(where: { $0.id == scenario }) else {
                throw .unknownScenario(park: id, scenario: scenario, known: park.scenarios.map(\.id))
            }
        case .sea(let id, let lng, let lat):
            guard let sea = basin.seas[id] else { throw .unknownSea(id) }
            guard lng.isFinite, lat.isFinite,
                sea.zones.contains(where: { Self.contains(polygon: $0.polygon, point: LngLat(lng: lng, lat: lat)) })
            else { throw .pointOutsideSea(sea: id, lng: lng, lat: lat) }
            guard input.sea != nil else { throw .seaConditionsMissing }
        }
        guard let pollutant = basin.pollutants[input.pollutant] else { throw .unknownPollutant(input.pollutant) }
        try checkRanges(input)
        var work = Work(input: input, pollutant: pollutant)
        switch input.location {
        case .river(let id, let km):
            let river = basin.rivers[id]!
            work.spillUnit = basin.reach(of: river, at: km)?.owner ?? river.reaches.first?.owner ?? input.ownProvince
            try planRiver(river: river, km: km, start: input.at, release: input.release, into: &work)
        case .sea(let id, let lng, let lat):
            let sea = basin.seas[id]!
            let point = LngLat(lng: lng, lat: lat)
            work.spillUnit = zoneOwner(of: point, in: sea)
            planSea(sea: sea, point: point, conditions: input.sea!, start: input.at, into: &work)
            try checkPathReferences(input, onPath: Set(work.arrivals.map(\.node)))
        case .park(let id, let scenarioID):
            let park = basin.parks[id]!
            work.spillUnit = park.owner
            try planPark(park: park, scenario: park.scenarios.first { $0.id == scenarioID }!, into: &work)
        }
        return finish(work)
    }

    /// Every number within its physical range (``PlanError/Range``), and overrides naming real reaches.
    private func checkRanges(_ input: SpillInput) throws(PlanError) {
        func check(_ value: Double, _ range: ClosedRange<Double>, _ field: String, _ unit: String) throws(PlanError) {
            guard value.isFinite, range.contains(value) else {
                throw .outOfRange(field: field, value: value, range: range, unit: unit)
            }
        }
        switch input.release {
        case .instantaneous(let mass?): try check(mass, PlanError.Range.massKg, "mass-kg", "kg")
        case .instantaneous(nil): break
        case .continuous(let rate, let duration):
            try check(rate, PlanError.Range.rateKgH, "rate-kg-h", "kg/h")
            try check(duration, PlanError.Range.durationH, "duration-h", "h")
        }
        try check(input.flowRatio, PlanError.Range.flowRatio, "flow-ratio", "(Q/Qa)")
        for (_, hours) in input.holds.sorted(by: { $0.key < $1.key }) {
            try check(hours, PlanError.Range.holdH, "hold", "h")
        }
        if let sea = input.sea {
            try check(sea.windMs, PlanError.Range.windMs, "wind-ms", "m/s")
            try check(sea.windFromDeg, PlanError.Range.degrees, "wind-from-deg", "°")
            try check(sea.currentMs, PlanError.Range.currentMs, "current-ms", "m/s")
            try check(sea.currentToDeg, PlanError.Range.degrees, "current-to-deg", "°")
        }
        if input.velocityOverrides.isEmpty && input.dischargeOverrides.isEmpty { return }
        let reaches = Set(basin.rivers.values.flatMap { $0.reaches.map(\.id) })
        for (reach, value) in input.velocityOverrides.sorted(by: { $0.key < $1.key }) {
            guard reaches.contains(reach) else { throw .unknownReach(field: "velocity", reach: reach) }
            try check(value, PlanError.Range.velocityMs, "velocity", "m/s")
        }
        for (reach, value) in input.dischargeOverrides.sorted(by: { $0.key < $1.key }) {
            guard reaches.contains(reach) else { throw .unknownReach(field: "discharge", reach: reach) }
            try check(value, PlanError.Range.dischargeM3s, "discharge", "m³/s")
        }
    }

    /// Holds and observations must name nodes on the plume's path.
    private func checkPathReferences(_ input: SpillInput, onPath: Set<String>, sites: Set<String> = [])
        throws(PlanError)
    {
        for site in input.holds.keys.sorted() where !sites.contains(site) { throw .unknownHoldSite(site) }
        for dam in input.heldDams ?? [] where !sites.contains(dam.site) { throw .unknownHoldSite(dam.site) }
        for observation in input.observations where !onPath.contains(observation.node) {
            throw .unknownObservationNode(observation.node)
        }
    }

    // MARK: - Accumulated output

    struct Work {
        let input: SpillInput
        let pollutant: Pollutant
        var spillUnit: UnitCode = ""
        var arrivals: [Arrival] = []
        var tasks: [PlannedTask] = []
        var containment: ParkContainment?
        var reestimates: [Reestimate] = []
        var notes: [String] = []
        var massUnknown: Bool { input.release.totalMassKg == nil }
        var plannedAt: Date { input.plannedAt ?? input.at }

        init(input: SpillInput, pollutant: Pollutant) {
            self.input = input
            self.pollutant = pollutant
        }
    }

    /// Peak concentration at a node for a mass (kg) and discharge (m³/s).
    func prediction(
        timing: Timing, node: PathNode, release: Release, massFactor: Double, addedDischargeM3s: Double,
        limit: Double
    ) -> Prediction? {
        guard timing.concentrationH > 0.01, timing.upperConcentrationH > 0.01 else { return nil }
        let q = node.dischargeM3s + addedDischargeM3s
        let relative = node.dischargeM3s / node.reach.meanDischargeM3s
        let peak: Double
        let upper: Double
        switch release {
        case .instantaneous(let mass?):
            let unit = Jobson.unitPeakConcentration(peakTimeH: timing.concentrationH, relativeDischarge: relative)
            let unitUpper = Jobson.unitPeakConcentrationUpper(peakTimeH: timing.upperConcentrationH)
            peak = Jobson.peakConcentrationMgL(unitPeak: unit, massKg: mass * massFactor, dischargeM3s: q)
            upper = Jobson.peakConcentrationMgL(unitPeak: unitUpper, massKg: mass * massFactor, dischargeM3s: q)
        case .continuous(let rate, _):
            peak = Jobson.continuousConcentrationMgL(rateKgH: rate * massFactor, dischargeM3s: q)
            upper = peak
        case .instantaneous(nil):
            return nil
        }
        guard peak.isFinite, upper.isFinite else { return nil }
        return Prediction(
            peakMgL: peak, upperPeakMgL: upper, ratioToStandard: peak / limit, upperRatioToStandard: upper / limit)
    }

    func planRiver(river: RiverPlaybook, km: Double, start: Date, release: Release, into work: inout Work)
        throws(PlanError)
    {
        let input = work.input
        let nodes = walk(river: river, km: km, input: input)
        let sites = nodes.compactMap { node -> String? in
            if case .site(let site) = node.payload { return site.id } else { return nil }
        }
        try checkPathReferences(input, onPath: Set(nodes.map(\.id)), sites: Set(sites))
        let heldSites = Set((input.heldDams ?? []).map(\.site))
        for node in nodes {
            guard case .site(let site) = node.payload, input.holds[site.id] != nil || heldSites.contains(site.id)
            else { continue }
            let holding: Set<SiteKind> = [.dam, .sluice, .gate, .reservoir]
            guard holding.contains(site.kind) || site.actions.contains(.intercept) else {
                throw .notAHoldSite(site: site.id, kind: site.kind)
            }
        }
        let pollutantClass = work.pollutant.pollutantClass
        let limit = work.pollutant.limitMgL
        var massFactor = 1.0
        var addedDischarge = 0.0
        let releaseDurationH: Double =
            if case .continuous(_, let duration) = release { duration } else { 0 }
        let times = try timings(
            nodes, input: input, releaseDurationH: releaseDurationH, reestimates: &work.reestimates)
        for (node, timing) in zip(nodes, times) {
            let earliest = start.addingTimeInterval(timing.earliestH * 3_600)
            let likely = start.addingTimeInterval(timing.likelyH * 3_600)
            let band = ArrivalBand(
                widthH: timing.latestH - timing.earliestH,
                basis: timing.basis.observation == nil ? .prior : .calibrated,
                observedAt: timing.basis.observation?.node, factor: timing.basis.observation?.factor,
                weight: timing.basis.observation?.weight, poolH: timing.basis.poolH)
            func banded(_ arrival: Arrival) -> Arrival {
                var arrival = arrival
                arrival.latestArrival = start.addingTimeInterval(timing.latestH * 3_600)
                arrival.band = band
                arrival.heldBehind = timing.basis.heldBehind
                return arrival
            }
            let without = prediction(
                timing: timing, node: node, release: release, massFactor: 1, addedDischargeM3s: 0, limit: limit)
            let with = prediction(
                timing: timing, node: node, release: release, massFactor: massFactor,
                addedDischargeM3s: addedDischarge, limit: limit)
            let relative = node.dischargeM3s / node.reach.meanDischargeM3s
            // A trailing edge seen corrects the passage: it ends at the corrected trailing edge.
            let passage: Double? =
                timing.trailingH.map { $0 - timing.likelyH }
                ?? Self.passageH(
                    concentrationH: timing.concentrationH, relativeDischarge: relative,
                    releaseDurationH: releaseDurationH)
            // Whether action is called for here: the upper envelope reaches the standard, or the mass is unknown.
            let upperRatio = without?.upperRatioToStandard
            let actionNeeded = upperRatio.map { $0 >= Self.actionRatio } ?? true
            let watchNeeded = upperRatio.map { $0 >= Self.watchRatio } ?? true
            let source = { (measure: String?) in
                TaskSource(playbook: node.river.id, version: node.river.version, node: node.id, measure: measure)
            }
            switch node.payload {
            case .site(let site):
                var entry = arrival(
                    node: node, name: site.name, nameZh: site.nameZh, kind: .emergencySite, owner: site.owner,
                    earliest: earliest, likely: likely, passage: passage, without: without, with: with,
                    actions: site.actions)
                if let storage = site.storageM3, node.dischargeM3s > 0 {
                    entry.holdCapacityH = storage / (node.dischargeM3s * 3_600)
                }
                work.arrivals.append(banded(entry))
                guard actionNeeded else { break }
                for measure in node.river.measures
                where measure.site == site.id && measure.pollutantClasses.contains(pollutantClass) {
                    let latest = earliest.addingTimeInterval(-measure.leadTimeH * 3_600)
                    let feasible = latest >= work.plannedAt
                    addTask(
                        &work, kind: .measure, action: measure.action.rawValue,
                        title: "\(measure.action.rawValue.capitalized) at \(site.name): \(measure.description)",
                        titleZh: TaskWordsZh.measure(measure.action, at: site.nameZh ?? site.name),
                        owner: site.owner, position: measure.dutyPosition, latestStart: latest,
                        leadTimeH: measure.leadTimeH, feasible: feasible, source: source(measure.id))
                    guard feasible else { continue }
                    switch measure.action {
                    case .dose:
                        massFactor *= 1 - (site.removalFraction ?? 0)
                    case .divert:
                        if let storage = site.storageM3, let passage, passage > 0 {
                            let slugVolume = (node.dischargeM3s + addedDischarge) * passage * 3_600
                            massFactor *= 1 - min(1, storage / slugVolume)
                        }
                    case .dilute:
                        addedDischarge += site.releaseM3s ?? 0
                    case .intercept:
                        break
                    }
                }
            case .receptor(let receptor):
                let kind: NodeKind =
                    switch receptor.kind {
                    case .intake: .intake
                    case .boundary: .boundary
                    case .reservoir: .reservoir
                    }
                var entry = arrival(
                    node: node, name: receptor.name, nameZh: receptor.nameZh, kind: kind, owner: receptor.owner,
                    earliest: earliest, likely: likely, passage: passage, without: without, with: with, actions: [])
                entry.supplyLevel = receptor.supplyLevel
                entry.beyond = receptor.beyond
                work.arrivals.append(banded(entry))
                if receptor.kind == .intake && watchNeeded {
                    let lead = receptor.closeLeadTimeH ?? Self.defaultIntakeLeadTimeH
                    let latest = earliest.addingTimeInterval(-lead * 3_600)
                    let withRatio = with?.upperRatioToStandard
                    let close = withRatio.map { $0 >= Self.actionRatio } ?? true
                    addTask(
                        &work, kind: .intake, action: close ? "closeIntake" : "watchIntake",
                        title: close
                            ? "Close \(receptor.name) or switch to a backup supply before the leading edge; sample raw water hourly"
                            : "Warn \(receptor.name); sample raw water hourly while the plume passes",
                        titleZh: TaskWordsZh.intake(receptor.nameZh ?? receptor.name, close: close),
                        owner: receptor.owner, position: nil, latestStart: latest, leadTimeH: lead,
                        feasible: latest >= work.plannedAt, source: source(nil))
                }
            case .section(let section):
                work.arrivals.append(
                    banded(
                        arrival(
                            node: node, name: section.name, nameZh: section.nameZh, kind: .monitoringSection,
                            owner: section.owner, earliest: earliest, likely: likely, passage: passage,
                            without: without, with: with, actions: [])))
                if watchNeeded {
                    let latest = earliest.addingTimeInterval(-Self.samplingLeadTimeH * 3_600)
                    addTask(
                        &work, kind: .monitoring, action: "sample",
                        title:
                            "Sample \(work.pollutant.name.lowercased()) hourly at section “\(section.name)”, "
                            + "starting before the leading edge",
                        titleZh: TaskWordsZh.sample(
                            work.pollutant.nameZh ?? work.pollutant.name, at: section.nameZh ?? section.name),
                        owner: section.owner, position: nil, latestStart: latest, leadTimeH: Self.samplingLeadTimeH,
                        feasible: latest >= work.plannedAt, source: source(nil))
                }
            }
        }
    }

    private func arrival(
        node: PathNode, name: String, nameZh: String?, kind: NodeKind, owner: UnitCode, earliest: Date, likely: Date,
        passage: Double?, without: Prediction?, with: Prediction?, actions: [SiteAction]
    ) -> Arrival {
        Arrival(
            node: node.id, name: name, nameZh: nameZh, kind: kind, river: node.river.id, km: node.km,
            distanceKm: node.distanceKm, owner: owner, ownerName: basin.displayName(owner),
            province: owner.provinceCode, earliestArrival: earliest, likelyArrival: likely, passageH: passage,
            withoutMeasures: without, withMeasures: with, actions: actions, supplyLevel: nil, beyond: nil)
    }

    func addTask(
        _ work: inout Work, kind: PlannedTaskKind, action: String, title: String, titleZh: String? = nil,
        owner: UnitCode, position: DutyPosition?, latestStart: Date, leadTimeH: Double, feasible: Bool,
        source: TaskSource
    ) {
        let tier = basin.unit(owner)?.kind ?? .county
        work.tasks.append(
            PlannedTask(
                number: 0, kind: kind, action: action, title: title, titleZh: titleZh, owner: owner,
                ownerName: basin.displayName(owner), province: owner.provinceCode,
                dutyPosition: position ?? .standard(for: tier), latestStart: latestStart, leadTimeH: leadTimeH,
                feasible: feasible, source: source))
    }
}
