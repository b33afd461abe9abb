/// A point on the map, WGS 84 longitude and latitude in degrees.
public struct LngLat: Codable, Sendable, Hashable {
    /// Longitude, degrees east (−180…180).
    public var lng: Double
    /// Latitude, degrees north (−90…90).
    public var lat: Double
    /// Creates a point.
    public init(lng: Double, lat: Double) {
        self.lng = lng
        self.lat = lat
    }
}

/// Where a tributary's lower end joins another river: the river's id and the chainage (km) on it.
public struct Confluence: Codable, Sendable, Hashable {
    /// The id of the receiving river playbook.
    public var river: String
    /// Chainage on the receiving river, km.
    public var km: Double
    /// Creates a confluence.
    public init(river: String, km: Double) {
        self.river = river
        self.km = km
    }
}

/// A river playbook (一河一策一图): one river's reaches, emergency sites,
/// sensitive receptors, monitoring sections and the measures of its response policy.
///
/// Chainage (km) runs from 0 at the upstream end of the mapped stretch
/// (``chainageOrigin`` says what is there) and increases downstream up to ``lengthKm``.
public struct RiverPlaybook: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"river"`.
    public var kind: String
    /// Identifier, e.g. `"longjiang"`.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// Version of this playbook's content, e.g. `"2026-11-29"`.
    public var version: String
    /// What lies at km 0.
    public var chainageOrigin: String
    /// Length of the mapped stretch, km.
    public var lengthKm: Double
    /// Where the lower end joins another river; `nil` for a river that ends in the sea or leaves the map.
    public var joins: Confluence?
    /// Where the river ends when it joins no mapped river (e.g. "Beibu Gulf at Hepu").
    public var mouth: String?
    /// Reaches, upstream first, covering 0…lengthKm without gaps.
    public var reaches: [Reach]
    /// Emergency sites (dams, sluices, ponds, channels…).
    public var sites: [EmergencySite]
    /// Sensitive receptors: intakes, boundary sections, reservoirs.
    public var receptors: [Receptor]
    /// Monitoring sections.
    public var monitoringSections: [MonitoringSection]
    /// The policy (一策): which site does what, for which pollutant classes, with what lead time.
    public var measures: [Measure]
    /// Where the river-level figures (length) come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, id: String, name: String, nameZh: String? = nil, version: String,
        chainageOrigin: String, lengthKm: Double, joins: Confluence? = nil, mouth: String? = nil, reaches: [Reach],
        sites: [EmergencySite], receptors: [Receptor], monitoringSections: [MonitoringSection], measures: [Measure],
        source: String, note: String? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.version = version
        self.chainageOrigin = chainageOrigin
        self.lengthKm = lengthKm
        self.joins = joins
        self.mouth = mouth
        self.reaches = reaches
        self.sites = sites
        self.receptors = receptors
        self.monitoringSections = monitoringSections
        self.measures = measures
        self.source = source
        self.note = note
    }
}

/// A reach: a stretch of river between two chainages with the hydrology Jobson (1996) needs.
public struct Reach: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin, e.g. `"longjiang-yizhou"`.
    public var id: String
    /// Upstream chainage, km.
    public var fromKm: Double
    /// Downstream chainage, km.
    public var toKm: Double
    /// The county or city that owns the reach (GB/T 2260).
    public var owner: UnitCode
    /// Drainage area at the reach's lower end, km².
    public var drainageAreaKm2: Double
    /// Mean annual discharge Q_a, m³/s.
    public var meanDischargeM3s: Double
    /// Water-surface slope S, m/m; `nil` when unknown (Jobson eq. 14–15 then apply).
    public var slope: Double?
    /// An observed or operator-set peak velocity (m/s) that overrides the formula (e.g. a cascade of held reservoirs).
    public var velocityMs: Double?
    /// Coarse line geometry for the map, lng/lat pairs from upstream to downstream.
    public var line: [[Double]]
    /// Where the figures come from.
    public var source: String
    /// Caveats, e.g. which figure is estimated.
    public var note: String?

    /// Length, km.
    public var lengthKm: Double { toKm - fromKm }

    /// Creates a value with every field.
    public init(
        id: String, fromKm: Double, toKm: Double, owner: UnitCode, drainageAreaKm2: Double, meanDischargeM3s: Double,
        slope: Double? = nil, velocityMs: Double? = nil, line: [[Double]], source: String, note: String? = nil
    ) {
        self.id = id
        self.fromKm = fromKm
        self.toKm = toKm
        self.owner = owner
        self.drainageAreaKm2 = drainageAreaKm2
        self.meanDischargeM3s = meanDischargeM3s
        self.slope = slope
        self.velocityMs = velocityMs
        self.line = line
        self.source = source
        self.note = note
    }
}

/// What an emergency site supports (一河一策: 截流, 引流, 投药, 稀释).
public enum SiteAction: String, Codable, Sendable, CaseIterable {
    /// Hold the water back (截流): a dam or sluice stops the slug while it is closed.
    case intercept
    /// Divert polluted water into storage (引流).
    case divert
    /// Dose chemicals to precipitate or degrade the pollutant (投药).
    case dose
    /// Release clean water to dilute (稀释).
    case dilute
}

/// The kind of an emergency site, from the types seen in real river and park data.
public enum SiteKind: String, Codable, Sendable, CaseIterable {
    case dam, sluice, reservoir, pond, channel, gate, wetland, pumpStation, lowLand, pipe, bridge
    case accidentPool, firstFlushPool, wastewaterPlant
}

/// An emergency site (应急空间/设施) on a river.
public struct EmergencySite: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// The kind.
    public var kind: SiteKind
    /// Chainage, km.
    public var km: Double
    /// Longitude, degrees.
    public var lng: Double
    /// Latitude, degrees.
    public var lat: Double
    /// The unit responsible (GB/T 2260).
    public var owner: UnitCode
    /// Who operates it (a hydropower company, a water-works…).
    public var `operator`: String?
    /// What it supports; at least one.
    public var actions: [SiteAction]
    /// Usable storage, m³ (for intercept/divert).
    public var storageM3: Double?
    /// For a dam: the volume impounded at its normal pool level (正常蓄水位库容), m³ — the water a slug must pass
    /// through, so travel through the pool takes at least its residence time V / Q.
    public var poolVolumeM3: Double?
    /// For a dam: how far its pool backs up the river (回水长度), km; `nil`: up to the dam above it on the same
    /// river, or the river's start.
    public var poolLengthKm: Double?
    /// Fraction (0…1) of the dissolved mass a dosing operation here removes.
    public var removalFraction: Double?
    /// Clean-water release for dilution, m³/s.
    public var releaseM3s: Double?
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, nameZh: String? = nil, kind: SiteKind, km: Double, lng: Double, lat: Double,
        owner: UnitCode, `operator`: String? = nil, actions: [SiteAction], storageM3: Double? = nil,
        removalFraction: Double? = nil, releaseM3s: Double? = nil, source: String, note: String? = nil,
        poolVolumeM3: Double? = nil, poolLengthKm: Double? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.kind = kind
        self.km = km
        self.lng = lng
        self.lat = lat
        self.owner = owner
        self.operator = `operator`
        self.actions = actions
        self.storageM3 = storageM3
        self.poolVolumeM3 = poolVolumeM3
        self.poolLengthKm = poolLengthKm
        self.removalFraction = removalFraction
        self.releaseM3s = releaseM3s
        self.source = source
        self.note = note
    }
}

/// The level of supply a drinking-water intake serves; the 2014 grading table's intake row.
public enum SupplyLevel: String, Codable, Sendable, CaseIterable {
    /// A districted city or above (设区的市): cut-off → level I.
    case districtedCity
    /// A county-level city: cut-off → level II.
    case countyLevelCity
    /// A township: cut-off → level III.
    case township
}

/// The kind of a sensitive receptor.
public enum ReceptorKind: String, Codable, Sendable, CaseIterable {
    /// A centralised drinking-water intake.
    case intake
    /// An administrative boundary section.
    case boundary
    /// A reservoir.
    case reservoir
}

/// A sensitive receptor on a river.
public struct Receptor: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// The kind.
    public var kind: ReceptorKind
    /// Chainage, km.
    public var km: Double
    /// Longitude, degrees.
    public var lng: Double
    /// Latitude, degrees.
    public var lat: Double
    /// The unit responsible (GB/T 2260).
    public var owner: UnitCode
    /// For an intake: the level of the supply it serves.
    public var supplyLevel: SupplyLevel?
    /// For an intake: people served.
    public var populationServed: Int?
    /// For an intake: hours the water-works needs to close the intake or switch supply.
    public var closeLeadTimeH: Double?
    /// For a boundary: the unit beyond it (a province, districted city, county or country).
    public var beyond: UnitCode?
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, nameZh: String? = nil, kind: ReceptorKind, km: Double, lng: Double, lat: Double,
        owner: UnitCode, supplyLevel: SupplyLevel? = nil, populationServed: Int? = nil, closeLeadTimeH: Double? = nil,
        beyond: UnitCode? = nil, source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.kind = kind
        self.km = km
        self.lng = lng
        self.lat = lat
        self.owner = owner
        self.supplyLevel = supplyLevel
        self.populationServed = populationServed
        self.closeLeadTimeH = closeLeadTimeH
        self.beyond = beyond
        self.source = source
        self.note = note
    }
}

/// A monitoring section (监测断面).
public struct MonitoringSection: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// Chainage, km.
    public var km: Double
    /// Longitude, degrees.
    public var lng: Double
    /// Latitude, degrees.
    public var lat: Double
    /// The unit that samples here (GB/T 2260).
    public var owner: UnitCode
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, nameZh: String? = nil, km: Double, lng: Double, lat: Double, owner: UnitCode,
        source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.km = km
        self.lng = lng
        self.lat = lat
        self.owner = owner
        self.source = source
        self.note = note
    }
}

/// One measure of a river's response policy (一策): a site, an action, the pollutant classes it is for.
public struct Measure: Codable, Sendable, Hashable {
    /// Identifier, unique within the playbook.
    public var id: String
    /// The emergency site's id.
    public var site: String
    /// The action (must be one the site supports).
    public var action: SiteAction
    /// The pollutant classes the measure applies to.
    public var pollutantClasses: [PollutantClass]
    /// Hours needed to get the measure working before the leading edge arrives.
    public var leadTimeH: Double
    /// Who does it; the site owner's standard position when absent.
    public var dutyPosition: DutyPosition?
    /// What to do, in a sentence.
    public var description: String
    /// Where the lead time and method come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, site: String, action: SiteAction, pollutantClasses: [PollutantClass], leadTimeH: Double,
        dutyPosition: DutyPosition? = nil, description: String, source: String, note: String? = nil
    ) {
        self.id = id
        self.site = site
        self.action = action
        self.pollutantClasses = pollutantClasses
        self.leadTimeH = leadTimeH
        self.dutyPosition = dutyPosition
        self.description = description
        self.source = source
        self.note = note
    }
}
