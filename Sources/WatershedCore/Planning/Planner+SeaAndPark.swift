import Foundation

/// The sea and park parts of the planner (``Planner``): a slick drifting with current plus windage
/// (``MarineDrift``), and a park spill through its three levels of containment, escaping into the river or sea at
/// the park's outfall.
extension Planner {
    // MARK: - Sea

    func zoneOwner(of point: LngLat, in sea: SeaPlaybook) -> UnitCode {
        for zone in sea.zones where Self.contains(polygon: zone.polygon, point: point) { return zone.owner }
        return sea.owner
    }

    /// Ray casting point-in-polygon on lng/lat pairs.
    static func contains(polygon: [[Double]], point: LngLat) -> Bool {
        var inside = false
        var j = polygon.count - 1
        for i in polygon.indices {
            let (xi, yi, xj, yj) = (polygon[i][0], polygon[i][1], polygon[j][0], polygon[j][1])
            if (yi > point.lat) != (yj > point.lat), point.lng < (xj - xi) * (point.lat - yi) / (yj - yi) + xi {
                inside.toggle()
            }
            j = i
        }
        return inside
    }

    func planSea(sea: SeaPlaybook, point: LngLat, conditions: SeaConditions, start: Date, into work: inout Work) {
        let velocity = MarineDrift.velocity(
            currentMs: conditions.currentMs, currentToDeg: conditions.currentToDeg, windMs: conditions.windMs,
            windFromDeg: conditions.windFromDeg, windage: sea.windageFraction)
        if velocity.speed == 0 { work.notes.append("No current and no wind: the slick does not drift.") }
        let source = { (node: String) in TaskSource(playbook: sea.id, version: sea.version, node: node, measure: nil) }
        for receptor in sea.receptors {
            guard
                let passage = MarineDrift.passage(
                    of: LngLat(lng: receptor.lng, lat: receptor.lat), radiusKm: receptor.radiusKm, from: point,
                    velocity: velocity)
            else { continue }
            let earliest = start.addingTimeInterval(passage.entryH * 3_600)
            work.arrivals.append(
                Arrival(
                    node: receptor.id, name: receptor.name, nameZh: receptor.nameZh, kind: .marineReceptor, river: nil,
                    km: nil, distanceKm: passage.distanceKm, owner: receptor.owner,
                    ownerName: basin.displayName(receptor.owner), province: receptor.owner.provinceCode,
                    earliestArrival: earliest, likelyArrival: start.addingTimeInterval(passage.closestH * 3_600),
                    passageH: nil, withoutMeasures: nil, withMeasures: nil, actions: [], supplyLevel: nil,
                    beyond: nil))
            let latest = earliest.addingTimeInterval(-Self.marineProtectionLeadTimeH * 3_600)
            addTask(
                &work, kind: .marine, action: "protect",
                title:
                    "Deploy booms and sample at \(receptor.name) (\(receptor.kind.rawValue)) before the slick arrives",
                owner: receptor.owner, position: nil, latestStart: latest,
                leadTimeH: Self.marineProtectionLeadTimeH, feasible: latest >= work.plannedAt,
                source: source(receptor.id))
        }
        for boundary in sea.boundaries {
            let line = boundary.line.map { LngLat(lng: $0[0], lat: $0[1]) }
            guard let crossing = MarineDrift.crossing(of: line, from: point, velocity: velocity) else { continue }
            let at = start.addingTimeInterval(crossing.hours * 3_600)
            work.arrivals.append(
                Arrival(
                    node: boundary.id, name: boundary.name, nameZh: nil, kind: .maritimeBoundary, river: nil, km: nil,
                    distanceKm: crossing.distanceKm, owner: sea.owner, ownerName: basin.displayName(sea.owner),
                    province: sea.owner.provinceCode, earliestArrival: at, likelyArrival: at, passageH: nil,
                    withoutMeasures: nil, withMeasures: nil, actions: [], supplyLevel: nil, beyond: boundary.beyond))
        }
        work.notes.append(
            String(
                format: "Slick drifts %.2f m/s toward %.0f° (current + %.0f %% of wind).", velocity.speed,
                velocity.towardDeg, sea.windageFraction * 100))
    }

    // MARK: - Park

    func planPark(park: ParkPlaybook, scenario: ParkScenario, into work: inout Work) throws(PlanError) {
        let start = work.input.at
        let runoff = scenario.runoffM3
        let levels = [
            park.sites.filter { $0.level == 1 && $0.plant == scenario.plant },
            park.sites.filter { $0.level == 2 },
            park.sites.filter { $0.level == 3 },
        ]
        let capacity = levels.map { $0.reduce(0) { $0 + $1.capacityM3 } }
        var cumulative = 0.0
        var containedAt: Int?
        let source = { (node: String) in TaskSource(playbook: park.id, version: park.version, node: node, measure: nil)
        }
        for (index, sites) in levels.enumerated() {
            // Runoff reaches this level once the levels before it are full, at a steady rate over the duration.
            let reachedAfterH = scenario.durationH * min(1, cumulative / runoff)
            let needed = containedAt == nil
            if needed {
                for site in sites {
                    let latest = start.addingTimeInterval((reachedAfterH - site.leadTimeH) * 3_600)
                    addTask(
                        &work, kind: .containment, action: "activateLevel\(index + 1)",
                        title: "Level \(index + 1): put \(site.name) in service (\(Int(site.capacityM3)) m³)",
                        owner: park.owner, position: nil, latestStart: latest, leadTimeH: site.leadTimeH,
                        feasible: latest >= work.plannedAt, source: source(site.id))
                }
            }
            cumulative += capacity[index]
            if needed && cumulative >= runoff { containedAt = index + 1 }
        }
        let escaped = max(0, runoff - cumulative)
        let escapedMass = scenario.massKg * escaped / runoff
        let escapeAfterH = scenario.durationH * min(1, cumulative / runoff)
        let escapeAt: Date? = escaped > 0 ? start.addingTimeInterval(escapeAfterH * 3_600) : nil
        work.containment = ParkContainment(
            park: park.id, scenario: scenario.id, runoffM3: runoff, capacityM3: capacity, containedAtLevel: containedAt,
            escapedM3: escaped, escapedMassKg: escapedMass, escapeAt: escapeAt, outfall: scenario.outfall)
        guard let escapeAt, let outfall = park.outfalls.first(where: { $0.id == scenario.outfall }) else { return }
        let remainingH = scenario.durationH - escapeAfterH
        let release: Release =
            remainingH > 0
            ? .continuous(rateKgH: escapedMass / remainingH, durationH: remainingH)
            : .instantaneous(massKg: escapedMass)
        work.notes.append(
            String(
                format: "%.0f m³ of runoff (%.0f kg) escapes the park by %@ once all three levels are full.",
                escaped, escapedMass, outfall.name))
        if let riverID = outfall.river, let river = basin.rivers[riverID], let km = outfall.km {
            try planRiver(river: river, km: km, start: escapeAt, release: release, into: &work)
        } else if let seaID = outfall.sea, let sea = basin.seas[seaID] {
            guard let conditions = work.input.sea else {
                work.notes.append("No wind and current given: drift from the outfall is not planned.")
                return
            }
            planSea(
                sea: sea, point: LngLat(lng: outfall.lng, lat: outfall.lat), conditions: conditions, start: escapeAt,
                into: &work)
        }
    }
}
