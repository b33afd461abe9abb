/// A problem found in the basin's playbooks.
///
/// ``document`` names the file's content (a playbook id, or `"units"` /
/// `"pollutants"` / `"agreements"`), ``path`` the field inside it in the
/// form the loader uses for positions: `reaches[2].toKm`.
public struct PlaybookProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The playbook id, or `"units"`, `"pollutants"`, `"agreements"`.
    public var document: String
    /// The field, e.g. `"reaches[2].toKm"`; empty for the whole document.
    public var path: String
    /// What is wrong, in a sentence.
    public var message: String

    /// Creates a problem.
    public init(document: String, path: String, message: String) {
        self.document = document
        self.path = path
        self.message = message
    }

    /// `document: path: message`.
    public var description: String { "\(document): \(path): \(message)" }
}

extension Basin {
    /// Every problem in the basin, in document order: unique ids, chainage
    /// increasing and within each river's length, reaches covering the river
    /// without gaps, confluences to rivers and chainages that exist, no cycles,
    /// values in physical ranges, every emergency site with an action, every
    /// boundary naming the unit beyond, every figure-bearing object with a `source`.
    public func problems() -> [PlaybookProblem] {
        var check = Checker(basin: self)
        check.units()
        check.pollutantsTable()
        for river in riverList { check.river(river) }
        check.network()
        for park in parkList { check.park(park) }
        for sea in seaList { check.sea(sea) }
        check.agreements()
        return check.problems
    }
}

/// Physical ranges used by validation.
enum Limits {
    static let riverLengthKm = 0.0...6_500
    static let drainageAreaKm2 = 0.1...4_000_000
    static let dischargeM3s = 0.01...250_000
    static let slope = 0.000_001...0.2
    static let velocityMs = 0.001...10
    static let leadTimeH = 0.0...720
    static let storageM3 = 0.0...50_000_000_000
    static let releaseM3s = 0.0...50_000
}

private struct Checker {
    let basin: Basin
    var problems: [PlaybookProblem] = []
    var seenIDs: [String: String] = [:]

    init(basin: Basin) { self.basin = basin }

    mutating func add(_ document: String, _ path: String, _ message: String) {
        problems.append(PlaybookProblem(document: document, path: path, message: message))
    }

    mutating func unique(_ id: String, _ document: String, _ path: String) {
        if id.isEmpty || id.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            add(document, path, "id \"\(id)\" must be letters, digits, '-' or '_'")
        }
        if let other = seenIDs[id] {
            add(document, path, "duplicate id \"\(id)\" (also used in \(other))")
        } else {
            seenIDs[id] = document
        }
    }

    mutating func source(_ text: String, _ document: String, _ path: String) {
        if text.allSatisfy(\.isWhitespace) {
            add(document, path.isEmpty ? "source" : path + ".source", "a figure-bearing object needs a source")
        }
    }

    mutating func range(
        _ value: Double, _ range: ClosedRange<Double>, _ document: String, _ path: String, _ unit: String
    ) {
        if !value.isFinite || !range.contains(value) {
            add(document, path, "\(value) is outside \(range.lowerBound)…\(range.upperBound) \(unit)")
        }
    }

    mutating func owner(_ code: UnitCode, _ document: String, _ path: String) {
        if basin.units[code] == nil { add(document, path, "unknown unit \"\(code)\" (not in units.yaml)") }
    }

    mutating func point(_ lng: Double, _ lat: Double, _ document: String, _ path: String) {
        let prefix = path.isEmpty ? "" : path + "."
        if !(-180...180).contains(lng) { add(document, prefix + "lng", "longitude \(lng) is outside −180…180") }
        if !(-90...90).contains(lat) { add(document, prefix + "lat", "latitude \(lat) is outside −90…90") }
    }

    mutating func line(_ points: [[Double]], minimum: Int, _ document: String, _ path: String) {
        if points.count < minimum { add(document, path, "needs at least \(minimum) [lng, lat] points") }
        for (i, p) in points.enumerated() {
            if p.count != 2 {
                add(document, "\(path)[\(i)]", "a point is [lng, lat]")
            } else {
                point(p[0], p[1], document, "\(path)[\(i)]")
            }
        }
    }

    mutating func version(_ schemaVersion: Int, _ document: String) {
        if schemaVersion != 1 {
            add(document, "schemaVersion", "unsupported schemaVersion \(schemaVersion); this build reads 1")
        }
    }

    mutating func units() {
        for (i, unit) in basin.unitList.enumerated() {
            let path = "units[\(i)]"
            if seenIDs["unit:" + unit.code] != nil {
                add("units", path + ".code", "duplicate unit code \"\(unit.code)\"")
            }
            seenIDs["unit:" + unit.code] = "units"
            if unit.kind != .country && !(unit.code.count == 6 && unit.code.allSatisfy(\.isNumber)) {
                add("units", path + ".code", "a GB/T 2260 code has six digits, got \"\(unit.code)\"")
            }
            if let parent = unit.parent {
                if basin.units[parent] == nil { add("units", path + ".parent", "unknown parent unit \"\(parent)\"") }
            } else if unit.kind == .county || unit.kind == .districtedCity {
                add("units", path + ".parent", "a \(unit.kind.rawValue) needs a parent unit")
            }
        }
    }

    mutating func pollutantsTable() {
        var seen: Set<String> = []
        for (i, pollutant) in basin.pollutantList.enumerated() {
            let path = "pollutants[\(i)]"
            if !seen.insert(pollutant.id).inserted {
                add("pollutants", path + ".id", "duplicate pollutant \"\(pollutant.id)\"")
            }
            range(pollutant.limitMgL, 0.000_000_1...10_000, "pollutants", path + ".limitMgL", "mg/L")
            source(pollutant.source, "pollutants", path)
        }
    }

    /// Agreements: a known province (or country) each, listed once, hours in range, shared `rivers`/`seas` that are playbooks, a well-formed `certSHA256`, a link silence of 1 min to a day. The message
    /// starts with the quoted province code so the loader can place it at its entry.
    mutating func agreements() {
        var seen: Set<UnitCode> = []
        for agreement in basin.agreementList {
            let code = agreement.province
            let quoted = "\"\(code)\""
            if !seen.insert(code).inserted {
                add("agreements", "province", "\(quoted) is listed twice; list each neighbour once")
            }
            if let unit = basin.units[code] {
                if unit.kind != .province && unit.kind != .country {
                    add("agreements", "province", "\(quoted) is a \(unit.kind.rawValue), not a province or country")
                }
            } else {
                add("agreements", "province", "\(quoted) is an unknown unit")
            }
            if !agreement.notifyWithinH.isFinite || !Limits.leadTimeH.contains(agreement.notifyWithinH) {
                add("agreements", "notifyWithinH", "\(quoted): \(agreement.notifyWithinH) h is outside 0…720 h")
            }
            if !agreement.marginH.isFinite || !Limits.leadTimeH.contains(agreement.marginH) {
                add("agreements", "marginH", "\(quoted): \(agreement.marginH) h is outside 0…720 h")
            }
            for river in agreement.rivers ?? [] where basin.rivers[river] == nil {
                add("agreements", "rivers", "\(quoted): unknown river \"\(river)\"")
            }
            for sea in agreement.seas ?? [] where basin.seas[sea] == nil {
                add("agreements", "seas", "\(quoted): unknown sea area \"\(sea)\"")
            }
            if let minutes = agreement.silentAfterMin, !minutes.isFinite || !(1...1_440).contains(minutes) {
                add("agreements", "silentAfterMin", "\(quoted): \(minutes) min is outside 1…1440 min")
            }
            if let pin = agreement.certSHA256, NotificationAgreement.fingerprintBytes(pin) == nil {
                add(
                    "agreements", "certSHA256",
                    "\(quoted): \"\(pin)\" is not a SHA-256 fingerprint (64 hex digits, colons between pairs allowed)")
            }
        }
    }

    mutating func river(_ river: RiverPlaybook) {
        let doc = river.id
        version(river.schemaVersion, doc)
        unique(river.id, doc, "id")
        source(river.source, doc, "")
        range(river.lengthKm, Limits.riverLengthKm, doc, "lengthKm", "km")
        if river.joins != nil && river.mouth != nil {
            add(doc, "mouth", "a river either joins another or has a mouth, not both")
        }

        // Reaches: contiguous from 0 to lengthKm.
        if river.reaches.isEmpty { add(doc, "reaches", "a river needs at least one reach") }
        var expectedFrom = 0.0
        for (i, reach) in river.reaches.enumerated() {
            let path = "reaches[\(i)]"
            unique(reach.id, doc, path + ".id")
            if abs(reach.fromKm - expectedFrom) > 1e-9 {
                add(
                    doc, path + ".fromKm",
                    i == 0
                        ? "the first reach must start at km 0, got km \(reach.fromKm)"
                        : "reach starts at km \(reach.fromKm) but the one above ends at km \(expectedFrom)")
            }
            if reach.toKm <= reach.fromKm {
                add(
                    doc, path + ".toKm",
                    "km \(reach.toKm) is not above fromKm \(reach.fromKm): chainage increases downstream")
            } else if reach.toKm > river.lengthKm + 1e-9 {
                add(doc, path + ".toKm", "km \(reach.toKm) is beyond the river's length \(river.lengthKm) km")
            }
            expectedFrom = reach.toKm
            owner(reach.owner, doc, path + ".owner")
            range(reach.drainageAreaKm2, Limits.drainageAreaKm2, doc, path + ".drainageAreaKm2", "km²")
            range(reach.meanDischargeM3s, Limits.dischargeM3s, doc, path + ".meanDischargeM3s", "m³/s")
            if let slope = reach.slope { range(slope, Limits.slope, doc, path + ".slope", "m/m") }
            if let v = reach.velocityMs { range(v, Limits.velocityMs, doc, path + ".velocityMs", "m/s") }
            line(reach.line, minimum: 2, doc, path + ".line")
            source(reach.source, doc, path)
        }
        if let last = river.reaches.last, abs(last.toKm - river.lengthKm) > 1e-9, last.toKm < river.lengthKm {
            add(
                doc, "reaches[\(river.reaches.count - 1)].toKm",
                "reaches end at km \(last.toKm) but the river is \(river.lengthKm) km long")
        }

        func chainage(_ km: Double, _ previous: inout Double, _ path: String) {
            if !km.isFinite || km < 0 || km > river.lengthKm {
                add(doc, path + ".km", "km \(km) is outside the river's 0…\(river.lengthKm) km")
            } else if km < previous {
                add(doc, path + ".km", "km \(km) comes after km \(previous): list in increasing chainage")
            }
            previous = max(previous, km)
        }

        var previous = 0.0
        for (i, site) in river.sites.enumerated() {
            let path = "sites[\(i)]"
            unique(site.id, doc, path + ".id")
            chainage(site.km, &previous, path)
            point(site.lng, site.lat, doc, path)
            owner(site.owner, doc, path + ".owner")
            if site.actions.isEmpty { add(doc, path + ".actions", "an emergency site needs at least one action") }
            if let storage = site.storageM3 { range(storage, Limits.storageM3, doc, path + ".storageM3", "m³") }
            if let pool = site.poolVolumeM3 {
                range(pool, 1...Limits.storageM3.upperBound, doc, path + ".poolVolumeM3", "m³")
                if !DamRelease.releasingKinds.contains(site.kind) {
                    add(doc, path + ".poolVolumeM3", "only a dam, sluice, gate or reservoir impounds a pool")
                }
            }
            if let length = site.poolLengthKm {
                range(length, 0.1...1_000, doc, path + ".poolLengthKm", "km")
                if site.poolVolumeM3 == nil { add(doc, path + ".poolLengthKm", "a pool length needs poolVolumeM3") }
            }
            if let r = site.removalFraction { range(r, 0...1, doc, path + ".removalFraction", "(a fraction)") }
            if site.actions.contains(.dose) && site.removalFraction == nil {
                add(doc, path + ".removalFraction", "a dosing site needs removalFraction (0…1)")
            }
            if let release = site.releaseM3s { range(release, Limits.releaseM3s, doc, path + ".releaseM3s", "m³/s") }
            if site.actions.contains(.dilute) && site.releaseM3s == nil {
                add(doc, path + ".releaseM3s", "a dilution site needs releaseM3s")
            }
            if site.actions.contains(.divert) && site.storageM3 == nil {
                add(doc, path + ".storageM3", "a diversion site needs storageM3")
            }
            source(site.source, doc, path)
        }
        previous = 0
        for (i, receptor) in river.receptors.enumerated() {
            let path = "receptors[\(i)]"
            unique(receptor.id, doc, path + ".id")
            chainage(receptor.km, &previous, path)
            point(receptor.lng, receptor.lat, doc, path)
            owner(receptor.owner, doc, path + ".owner")
            switch receptor.kind {
            case .intake:
                if receptor.supplyLevel == nil {
                    add(doc, path + ".supplyLevel", "an intake needs the level of the supply it serves")
                }
                if let people = receptor.populationServed, people < 0 {
                    add(doc, path + ".populationServed", "population served cannot be negative")
                }
            case .boundary:
                if let beyond = receptor.beyond {
                    if basin.units[beyond] == nil {
                        add(doc, path + ".beyond", "unknown unit \"\(beyond)\" beyond the boundary")
                    }
                } else {
                    add(doc, path + ".beyond", "a boundary section must name the province or city beyond it")
                }
            case .reservoir: break
            }
            if let lead = receptor.closeLeadTimeH { range(lead, Limits.leadTimeH, doc, path + ".closeLeadTimeH", "h") }
            source(receptor.source, doc, path)
        }
        previous = 0
        for (i, section) in river.monitoringSections.enumerated() {
            let path = "monitoringSections[\(i)]"
            unique(section.id, doc, path + ".id")
            chainage(section.km, &previous, path)
            point(section.lng, section.lat, doc, path)
            owner(section.owner, doc, path + ".owner")
            source(section.source, doc, path)
        }
        var measureIDs: Set<String> = []
        for (i, measure) in river.measures.enumerated() {
            let path = "measures[\(i)]"
            if !measureIDs.insert(measure.id).inserted {
                add(doc, path + ".id", "duplicate measure id \"\(measure.id)\"")
            }
            if let site = river.sites.first(where: { $0.id == measure.site }) {
                if !site.actions.contains(measure.action) {
                    add(doc, path + ".action", "site \"\(site.id)\" does not support \(measure.action.rawValue)")
                }
            } else {
                add(doc, path + ".site", "unknown site \"\(measure.site)\" on this river")
            }
            if measure.pollutantClasses.isEmpty {
                add(doc, path + ".pollutantClasses", "name at least one pollutant class")
            }
            range(measure.leadTimeH, Limits.leadTimeH, doc, path + ".leadTimeH", "h")
            source(measure.source, doc, path)
        }
    }

    mutating func network() {
        for river in basin.riverList {
            guard let joins = river.joins else { continue }
            guard let target = basin.rivers[joins.river] else {
                add(river.id, "joins.river", "joins unknown river \"\(joins.river)\"")
                continue
            }
            if !joins.km.isFinite || joins.km < 0 || joins.km > target.lengthKm {
                add(river.id, "joins.km", "km \(joins.km) is outside \(target.id)'s 0…\(target.lengthKm) km")
            }
            // Follow the chain: a river that comes back to itself is a cycle.
            var seen: Set<String> = [river.id]
            var next = target.joins?.river
            var chain = [river.id, target.id]
            if target.id == river.id { next = river.id }
            while let id = next {
                if seen.contains(id) {
                    add(river.id, "joins.river", "the network has a cycle: \(chain.joined(separator: " → "))")
                    break
                }
                seen.insert(id)
                chain.append(id)
                next = basin.rivers[id]?.joins?.river
            }
        }
    }

    mutating func park(_ park: ParkPlaybook) {
        let doc = park.id
        version(park.schemaVersion, doc)
        unique(park.id, doc, "id")
        source(park.source, doc, "")
        owner(park.owner, doc, "owner")
        point(park.lng, park.lat, doc, "")
        for (i, site) in park.sites.enumerated() {
            let path = "sites[\(i)]"
            unique(site.id, doc, path + ".id")
            if !(1...3).contains(site.level) { add(doc, path + ".level", "level \(site.level) is not 1, 2 or 3") }
            if site.level == 1 && site.plant == nil { add(doc, path + ".plant", "a level 1 site names its plant") }
            range(site.capacityM3, Limits.storageM3, doc, path + ".capacityM3", "m³")
            range(site.leadTimeH, Limits.leadTimeH, doc, path + ".leadTimeH", "h")
            point(site.lng, site.lat, doc, path)
            source(site.source, doc, path)
        }
        for level in 1...3 where !park.sites.contains(where: { $0.level == level }) {
            add(doc, "sites", "no level \(level) site: a park playbook maps all three levels")
        }
        for (i, outfall) in park.outfalls.enumerated() {
            let path = "outfalls[\(i)]"
            unique(outfall.id, doc, path + ".id")
            point(outfall.lng, outfall.lat, doc, path)
            source(outfall.source, doc, path)
            switch (outfall.river, outfall.sea) {
            case (let river?, nil):
                if let target = basin.rivers[river] {
                    if let km = outfall.km {
                        if km < 0 || km > target.lengthKm {
                            add(doc, path + ".km", "km \(km) is outside \(river)'s 0…\(target.lengthKm) km")
                        }
                    } else {
                        add(doc, path + ".km", "an outfall on a river needs its chainage")
                    }
                } else {
                    add(doc, path + ".river", "unknown river \"\(river)\"")
                }
            case (nil, let sea?):
                if basin.seas[sea] == nil { add(doc, path + ".sea", "unknown sea area \"\(sea)\"") }
            default:
                add(doc, path, "an outfall names either a river (with km) or a sea area")
            }
        }
        var scenarioIDs: Set<String> = []
        for (i, scenario) in park.scenarios.enumerated() {
            let path = "scenarios[\(i)]"
            if !scenarioIDs.insert(scenario.id).inserted {
                add(doc, path + ".id", "duplicate scenario \"\(scenario.id)\"")
            }
            if basin.pollutants[scenario.pollutant] == nil {
                add(doc, path + ".pollutant", "unknown pollutant \"\(scenario.pollutant)\"")
            }
            if !park.sites.contains(where: { $0.level == 1 && $0.plant == scenario.plant }) {
                add(doc, path + ".plant", "no level 1 site belongs to plant \"\(scenario.plant)\"")
            }
            if !park.outfalls.contains(where: { $0.id == scenario.outfall }) {
                add(doc, path + ".outfall", "unknown outfall \"\(scenario.outfall)\"")
            }
            range(scenario.runoffM3, 0.001...Limits.storageM3.upperBound, doc, path + ".runoffM3", "m³")
            range(scenario.massKg, 0...1e9, doc, path + ".massKg", "kg")
            range(scenario.durationH, 0...720, doc, path + ".durationH", "h")
            source(scenario.source, doc, path)
        }
    }

    mutating func sea(_ sea: SeaPlaybook) {
        let doc = sea.id
        version(sea.schemaVersion, doc)
        unique(sea.id, doc, "id")
        source(sea.source, doc, "")
        owner(sea.owner, doc, "owner")
        range(sea.windageFraction, 0...0.1, doc, "windageFraction", "(a fraction)")
        for (i, zone) in sea.zones.enumerated() {
            let path = "zones[\(i)]"
            unique(zone.id, doc, path + ".id")
            owner(zone.owner, doc, path + ".owner")
            line(zone.polygon, minimum: 3, doc, path + ".polygon")
            source(zone.source, doc, path)
        }
        for (i, receptor) in sea.receptors.enumerated() {
            let path = "receptors[\(i)]"
            unique(receptor.id, doc, path + ".id")
            point(receptor.lng, receptor.lat, doc, path)
            range(receptor.radiusKm, 0.01...100, doc, path + ".radiusKm", "km")
            owner(receptor.owner, doc, path + ".owner")
            source(receptor.source, doc, path)
        }
        for (i, boundary) in sea.boundaries.enumerated() {
            let path = "boundaries[\(i)]"
            unique(boundary.id, doc, path + ".id")
            if basin.units[boundary.beyond] == nil {
                add(doc, path + ".beyond", "unknown unit \"\(boundary.beyond)\" beyond the boundary")
            }
            line(boundary.line, minimum: 2, doc, path + ".line")
            source(boundary.source, doc, path)
        }
    }
}
