/// A sea-area playbook: zones, sensitive marine receptors and the maritime
/// boundaries with neighbouring provinces.
public struct SeaPlaybook: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"sea"`.
    public var kind: String
    /// Identifier, e.g. `"beibu-gulf-guangxi"`.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// Version of this playbook's content.
    public var version: String
    /// The province responsible (GB/T 2260).
    public var owner: UnitCode
    /// Fraction of the wind speed a surface slick moves with (0.03 by the rule of thumb; GNOME uses 0.01–0.04).
    public var windageFraction: Double
    /// Zones (bays), each with a polygon.
    public var zones: [SeaZone]
    /// Sensitive receptors.
    public var receptors: [MarineReceptor]
    /// Maritime boundaries with the provinces beyond.
    public var boundaries: [MaritimeBoundary]
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, id: String, name: String, nameZh: String? = nil, version: String,
        owner: UnitCode, windageFraction: Double, zones: [SeaZone], receptors: [MarineReceptor],
        boundaries: [MaritimeBoundary], source: String, note: String? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.version = version
        self.owner = owner
        self.windageFraction = windageFraction
        self.zones = zones
        self.receptors = receptors
        self.boundaries = boundaries
        self.source = source
        self.note = note
    }
}

/// A zone of a sea area (a bay), owned by a city.
public struct SeaZone: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// The city responsible (GB/T 2260).
    public var owner: UnitCode
    /// Polygon, lng/lat pairs (closed or not).
    public var polygon: [[Double]]
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, nameZh: String? = nil, owner: UnitCode, polygon: [[Double]], source: String,
        note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.owner = owner
        self.polygon = polygon
        self.source = source
        self.note = note
    }
}

/// The kind of a marine receptor.
public enum MarineReceptorKind: String, Codable, Sendable, CaseIterable {
    case mangrove, aquaculture, beach, reserve, intake, port
}

/// A sensitive marine receptor, reached when a slick's track passes within ``radiusKm``.
public struct MarineReceptor: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// The kind.
    public var kind: MarineReceptorKind
    /// Longitude, degrees.
    public var lng: Double
    /// Latitude, degrees.
    public var lat: Double
    /// Radius of the receptor around its point, km.
    public var radiusKm: Double
    /// The unit responsible (GB/T 2260).
    public var owner: UnitCode
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, nameZh: String? = nil, kind: MarineReceptorKind, lng: Double, lat: Double,
        radiusKm: Double, owner: UnitCode, source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.kind = kind
        self.lng = lng
        self.lat = lat
        self.radiusKm = radiusKm
        self.owner = owner
        self.source = source
        self.note = note
    }
}

/// A maritime boundary: a polyline with the province beyond it.
public struct MaritimeBoundary: Codable, Sendable, Hashable {
    /// Identifier, unique within the basin.
    public var id: String
    /// English name.
    public var name: String
    /// The province beyond (GB/T 2260).
    public var beyond: UnitCode
    /// The line, lng/lat pairs.
    public var line: [[Double]]
    /// Where the figures come from.
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        id: String, name: String, beyond: UnitCode, line: [[Double]], source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.beyond = beyond
        self.line = line
        self.source = source
        self.note = note
    }
}
