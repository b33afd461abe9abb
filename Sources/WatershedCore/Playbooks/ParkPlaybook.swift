/// A chemical park playbook (一园一策一图) with its three levels of prevention and
/// control (三级防控): level 1 inside the plant, level 2 in the park's public
/// emergency space, level 3 inside the park boundary (MEE pilot notice, January 2024).
public struct ParkPlaybook: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"park"`.
    public var kind: String
    /// Identifier, e.g. `"qinzhou-petrochemical"`.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// Version of this playbook's content.
    public var version: String
    /// The county or city the park lies in (GB/T 2260).
    public var owner: UnitCode
    /// Longitude of the park centre, degrees.
    public var lng: Double
    /// Latitude of the park centre, degrees.
    public var lat: Double
    /// Containment sites at levels 1–3.
    public var sites: [ParkSite]
    /// Where runoff leaves the park if level 3 fails.
    public var outfalls: [Outfall]
    /// Planned-for accident scenarios.
    public var scenarios: [ParkScenario]
    /// Where the park-level figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, id: String, name: String, nameZh: String? = nil, version: String,
        owner: UnitCode, lng: Double, lat: Double, sites: [ParkSite], outfalls: [Outfall], scenarios: [ParkScenario],
        source: String, note: String? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.version = version
        self.owner = owner
        self.lng = lng
        self.lat = lat
        self.sites = sites
        self.outfalls = outfalls
        self.scenarios = scenarios
        self.source = source
        self.note = note
    }
}

/// A containment site in a park.
public struct ParkSite: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// Prevention-and-control level, 1 (plant), 2 (park public space) or 3 (park boundary).
    public var level: Int
    /// The kind (accident pool, first-flush pool, gate, pond…).
    public var kind: SiteKind
    /// For a level 1 site: the plant it belongs to.
    public var plant: String?
    /// Usable capacity, m³ (0 for a gate that only closes).
    public var capacityM3: Double
    /// Hours to put it in service (open the pool valve, close the gate).
    public var leadTimeH: Double
    /// Longitude, degrees.
    public var lng: Double
    /// Latitude, degrees.
    public var lat: Double
    /// Who operates it.
    public var `operator`: String?
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, nameZh: String? = nil, level: Int, kind: SiteKind, plant: String? = nil,
        capacityM3: Double, leadTimeH: Double, lng: Double, lat: Double, `operator`: String? = nil, source: String,
        note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.level = level
        self.kind = kind
        self.plant = plant
        self.capacityM3 = capacityM3
        self.leadTimeH = leadTimeH
        self.lng = lng
        self.lat = lat
        self.operator = `operator`
        self.source = source
        self.note = note
    }
}

/// Where a park's water leaves it: into a river at a chainage or into a sea area.
public struct Outfall: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Longitude, degrees.
    public var lng: Double
    /// Latitude, degrees.
    public var lat: Double
    /// The receiving river's id, when the outfall is on a river.
    public var river: String?
    /// Chainage on the receiving river, km.
    public var km: Double?
    /// The receiving sea area's id, when the outfall is on the coast.
    public var sea: String?
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, lng: Double, lat: Double, river: String? = nil, km: Double? = nil, sea: String? = nil,
        source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.lng = lng
        self.lat = lat
        self.river = river
        self.km = km
        self.sea = sea
        self.source = source
        self.note = note
    }
}

/// An accident scenario a park plans for: how much polluted water, from which plant, out of which outfall.
public struct ParkScenario: Codable, Sendable, Hashable {
    /// Identifier, unique within the park, e.g. `"tank-fire"`.
    public var id: String
    /// English name.
    public var name: String
    /// What happens.
    public var description: String
    /// The plant where it starts (its level 1 sites are the first containment).
    public var plant: String
    /// The pollutant's id.
    public var pollutant: String
    /// Polluted water (fire-fighting runoff, leak), m³.
    public var runoffM3: Double
    /// Pollutant mass in that water, kg.
    public var massKg: Double
    /// Hours over which the runoff is produced.
    public var durationH: Double
    /// The outfall it would leave by.
    public var outfall: String
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, description: String, plant: String, pollutant: String, runoffM3: Double,
        massKg: Double, durationH: Double, outfall: String, source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.plant = plant
        self.pollutant = pollutant
        self.runoffM3 = runoffM3
        self.massKg = massKg
        self.durationH = durationH
        self.outfall = outfall
        self.source = source
        self.note = note
    }
}
