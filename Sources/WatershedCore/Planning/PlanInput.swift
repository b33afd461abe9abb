import Foundation

/// Where a spill is.
public enum SpillLocation: Codable, Sendable, Hashable {
    /// On a river, at a chainage (km).
    case river(id: String, km: Double)
    /// In a chemical park, under one of its scenarios.
    case park(id: String, scenario: String)
    /// At sea, at a point in a sea area.
    case sea(id: String, lng: Double, lat: Double)
}

/// How the pollutant is released.
public enum Release: Codable, Sendable, Hashable {
    /// All at once; `massKg` is `nil` when the mass is not known yet.
    case instantaneous(massKg: Double?)
    /// At a steady rate (kg/h) for a duration (h).
    case continuous(rateKgH: Double, durationH: Double)

    /// The total mass, kg, when known.
    public var totalMassKg: Double? {
        switch self {
        case .instantaneous(let mass): mass
        case .continuous(let rate, let duration): rate * duration
        }
    }
}

/// Wind and surface current for a sea spill.
public struct SeaConditions: Codable, Sendable, Hashable {
    /// Wind speed, m/s.
    public var windMs: Double
    /// Direction the wind blows from, degrees clockwise from north.
    public var windFromDeg: Double
    /// Surface current speed, m/s.
    public var currentMs: Double
    /// Direction the current flows towards, degrees clockwise from north.
    public var currentToDeg: Double
    /// Creates conditions.
    public init(windMs: Double, windFromDeg: Double, currentMs: Double, currentToDeg: Double) {
        self.windMs = windMs
        self.windFromDeg = windFromDeg
        self.currentMs = currentMs
        self.currentToDeg = currentToDeg
    }
}

/// A monitoring observation used to re-estimate arrivals (DOMAIN.md §3 "Re-estimating from an observation").
public struct Observation: Codable, Sendable, Hashable {
    /// What was seen.
    public enum Feature: String, Codable, Sendable {
        /// The leading edge (first detection above background).
        case leadingEdge
        /// The peak.
        case peak
        /// The trailing edge: the last detection above background, once the plume has passed.
        case trailingEdge
    }
    /// The node (monitoring section, receptor or site id) on the plume's path.
    public var node: String
    /// What was seen.
    public var feature: Feature
    /// When it was seen.
    public var at: Date
    /// Creates an observation.
    public init(node: String, feature: Feature, at: Date) {
        self.node = node
        self.feature = feature
        self.at = at
    }
}

/// How an observation corrects the arrivals below the node it was made at (issue 17; `docs/travel-time.md`).
public enum BelowObserved: String, Codable, Sendable, CaseIterable {
    /// Calibrated (the default): the observed speed carries to each stretch below by the share w of the observed
    /// travel spent in the same kind of water (free river or a dam's pool) — prior^(1 − w) · known^w — and the
    /// band's slow end widens again with the distance below (``Planner`` `timings`; `docs/travel-time.md`).
    case calibrate
    /// The first rule (DOMAIN.md §3): reaches below keep their own speeds and shift by the same quantity's
    /// correction at the observed node.
    case shift
    /// The factor f applied below the observed node too, in full (`--apply-below`).
    case scale
}

/// A dam (or sluice, gate, reservoir) held until released: the slug waits there until `releasedAt`; with no
/// release yet, arrivals below it are planned as if it were released when the plan is made, and say so.
///
/// JSON: `{"site": "he-river-hemianshi-dam", "releasedAt": "2013-07-07T08:00:00+08:00"}` (`releasedAt` absent: still
/// held).
public struct HeldDam: Codable, Sendable, Hashable {
    /// The emergency site's id.
    public var site: String
    /// When it was (or will be) released; `nil` while still held.
    public var releasedAt: Date?
    /// Creates a hold.
    public init(site: String, releasedAt: Date? = nil) {
        self.site = site
        self.releasedAt = releasedAt
    }
}

/// Everything the planner needs to plan one spill. Time is a parameter: the planner reads no clock.
public struct SpillInput: Codable, Sendable, Hashable {
    /// Where.
    public var location: SpillLocation
    /// When the spill happened / was discovered (the anchor of every deadline).
    public var at: Date
    /// When the plan is made (measures whose latest start is before it are too late); `at` when `nil`.
    public var plannedAt: Date?
    /// The pollutant's id.
    public var pollutant: String
    /// The release; for a park scenario the scenario's own release is used.
    public var release: Release
    /// The flow condition Q/Q_a applied to every reach (low 0.3, mean 1, flood 3).
    public var flowRatio: Double
    /// Dams held, by site id, hours: the slug stops there for that time.
    public var holds: [String: Double]
    /// Per-reach current discharge overrides, m³/s.
    public var dischargeOverrides: [String: Double]
    /// Per-reach velocity overrides (observed or operator-set), m/s.
    public var velocityOverrides: [String: Double]
    /// The level set, or `nil` while not yet graded.
    public var level: SeverityLevel?
    /// Art. 4 triggers the bureau declares (sensitive places, mass incident, own judgement); the
    /// planner adds those it can see (heavy metals, intakes, boundaries).
    public var declaredTriggers: Set<Art4Trigger>
    /// Known facts for the grading hint (casualties, evacuated, loss).
    public var gradingFacts: GradingFacts
    /// Wind and current, for a sea spill (or a park outfall on the coast).
    public var sea: SeaConditions?
    /// Monitoring observations to re-estimate from.
    public var observations: [Observation]
    /// Apply the re-estimate factor f below the observed section too (the same as ``belowObserved`` `.scale`).
    public var applyFactorBelow: Bool
    /// How observations correct arrivals below the observed node; `nil`: ``BelowObserved/calibrate``, or
    /// ``BelowObserved/scale`` when ``applyFactorBelow`` is set.
    public var belowObserved: BelowObserved?
    /// Dams held until released (an open hold, or one with its release time); `nil` or empty: none.
    public var heldDams: [HeldDam]?
    /// The province this server serves: peers are the others.
    public var ownProvince: UnitCode

    /// Creates an input with defaults: mean flow, no holds, ungraded, Guangxi.
    public init(
        location: SpillLocation, at: Date, pollutant: String, release: Release, plannedAt: Date? = nil,
        flowRatio: Double = 1, holds: [String: Double] = [:], dischargeOverrides: [String: Double] = [:],
        velocityOverrides: [String: Double] = [:], level: SeverityLevel? = nil,
        declaredTriggers: Set<Art4Trigger> = [], gradingFacts: GradingFacts = GradingFacts(),
        sea: SeaConditions? = nil, observations: [Observation] = [], applyFactorBelow: Bool = false,
        ownProvince: UnitCode = "450000"
    ) {
        self.location = location
        self.at = at
        self.plannedAt = plannedAt
        self.pollutant = pollutant
        self.release = release
        self.flowRatio = flowRatio
        self.holds = holds
        self.dischargeOverrides = dischargeOverrides
        self.velocityOverrides = velocityOverrides
        self.level = level
        self.declaredTriggers = declaredTriggers
        self.gradingFacts = gradingFacts
        self.sea = sea
        self.observations = observations
        self.applyFactorBelow = applyFactorBelow
        self.ownProvince = ownProvince
    }

    /// The rule in force for arrivals below an observed node.
    public var belowObservedRule: BelowObserved {
        belowObserved ?? (applyFactorBelow ? .scale : .calibrate)
    }
}

/// Why a spill cannot be planned. Each case names the input at fault.
public enum PlanError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownRiver(String)
    case chainageOutsideRiver(river: String, km: Double, lengthKm: Double)
    case unknownPollutant(String)
    case unknownPark(String)
    case unknownScenario(park: String, scenario: String, known: [String])
    case unknownSea(String)
    case pointOutsideSea(sea: String, lng: Double, lat: Double)
    /// A number outside its physical range; `field` is the input's name as the CLI spells it.
    case outOfRange(field: String, value: Double, range: ClosedRange<Double>, unit: String)
    case unknownHoldSite(String)
    case notAHoldSite(site: String, kind: SiteKind)
    case seaConditionsMissing
    case unknownObservationNode(String)
    case impossibleObservation(node: String, reason: String)
    case unknownReach(field: String, reach: String)

    /// Allowed ranges of the planner's numeric inputs.
    public enum Range {
        /// Mass released at once, kg (up to a million tonnes).
        public static let massKg = 0.0...1e9
        /// Continuous release rate, kg/h.
        public static let rateKgH = 0.0...1e8
        /// Continuous release duration, h (up to a year).
        public static let durationH = 0.001...8_760
        /// Flow condition Q/Qa.
        public static let flowRatio = 0.01...20
        /// Hold at a dam, h (up to 30 days).
        public static let holdH = 0.0...720
        /// Reach velocity override, m/s (as playbooks allow).
        public static let velocityMs = 0.001...10
        /// Reach discharge override, m³/s.
        public static let dischargeM3s = 0.01...250_000
        /// Wind speed, m/s (up to a super typhoon's).
        public static let windMs = 0.0...80
        /// Surface current, m/s.
        public static let currentMs = 0.0...5
        /// A compass direction, degrees.
        public static let degrees = 0.0...360
    }

    /// A stable code for the error: its case in snake case (`unknown_river`), as the API's error bodies carry it.
    public var code: String {
        switch self {
        case .unknownRiver: "unknown_river"
        case .chainageOutsideRiver: "chainage_outside_river"
        case .unknownPollutant: "unknown_pollutant"
        case .unknownPark: "unknown_park"
        case .unknownScenario: "unknown_scenario"
        case .unknownSea: "unknown_sea"
        case .pointOutsideSea: "point_outside_sea"
        case .outOfRange: "out_of_range"
        case .unknownHoldSite: "unknown_hold_site"
        case .notAHoldSite: "not_a_hold_site"
        case .seaConditionsMissing: "sea_conditions_missing"
        case .unknownObservationNode: "unknown_observation_node"
        case .impossibleObservation: "impossible_observation"
        case .unknownReach: "unknown_reach"
        }
    }

    /// The input field at fault, as the CLI names it.
    public var field: String {
        switch self {
        case .unknownRiver: "river"
        case .chainageOutsideRiver: "km"
        case .unknownPollutant: "pollutant"
        case .unknownPark: "park"
        case .unknownScenario: "scenario"
        case .unknownSea: "sea"
        case .pointOutsideSea: "lng"
        case .outOfRange(let field, _, _, _): field
        case .unknownHoldSite, .notAHoldSite: "hold"
        case .seaConditionsMissing: "wind-ms"
        case .unknownObservationNode, .impossibleObservation: "observe"
        case .unknownReach(let field, _): field
        }
    }

    public var description: String {
        switch self {
        case .unknownRiver(let id): "unknown river \"\(id)\""
        case .chainageOutsideRiver(let river, let km, let length):
            "km \(km) is outside \(river)'s 0…\(length) km"
        case .unknownPollutant(let id): "unknown pollutant \"\(id)\""
        case .unknownPark(let id): "unknown park \"\(id)\""
        case .unknownScenario(let park, let scenario, let known):
            "park \(park) has no scenario \"\(scenario)\"; known: \(known.joined(separator: ", "))"
        case .unknownSea(let id): "unknown sea area \"\(id)\""
        case .pointOutsideSea(let sea, let lng, let lat):
            "point (\(lng), \(lat)) is not in any zone of sea area \(sea)"
        case .outOfRange(_, let value, let range, let unit):
            "\(value) is outside the allowed \(range.lowerBound)…\(range.upperBound) \(unit)"
        case .unknownHoldSite(let id): "no dam or sluice \"\(id)\" on the plume's path"
        case .notAHoldSite(let site, let kind):
            "\(site) is a \(kind.rawValue); only dams, sluices, gates and reservoirs can hold the slug"
        case .seaConditionsMissing: "a sea spill needs wind and current"
        case .unknownObservationNode(let id): "observed node \"\(id)\" is not on the plume's path"
        case .impossibleObservation(let node, let reason): "observation at \(node): \(reason)"
        case .unknownReach(_, let id): "unknown reach \"\(id)\""
        }
    }
}
