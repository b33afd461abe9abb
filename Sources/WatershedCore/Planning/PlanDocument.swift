import Foundation

/// The plan for one spill: what the plume reaches and when, at what concentration with and
/// without measures, the tasks, the legal report obligations and the peer notifications.
///
/// The same JSON is printed by `watershed plan --json` and carried by the `PlanComputed` event.
/// Times are absolute (`Date`, RFC 3339 on the wire); concentrations in mg/L; distances in km.
public struct PlanDocument: Codable, Sendable, Hashable {
    /// Format version; 1.
    public var schemaVersion: Int
    /// What was planned.
    public var input: SpillInput
    /// The pollutant and the limit S used for ``Prediction/ratioToStandard``.
    public var pollutant: Pollutant
    /// The unit where the spill is (from the reach, park or sea zone owner).
    public var spillUnit: UnitCode
    /// Its display name.
    public var spillUnitName: String
    /// The province the spill is in.
    public var spillProvince: UnitCode
    /// For a park: how far the runoff gets through the three levels of containment.
    public var containment: ParkContainment?
    /// Every node the plume reaches, ordered by earliest arrival.
    public var arrivals: [Arrival]
    /// Response tasks, numbered from 1, ordered by latest start.
    public var tasks: [PlannedTask]
    /// Legal report obligations (MEP Order No. 17).
    public var obligations: [ReportObligation]
    /// Neighbouring provinces to notify, required first.
    public var peerNotifications: [PeerNotification]
    /// Art. 4 triggers that hold (declared or found by the plan).
    public var triggers: [Art4Trigger]
    /// The level the 2014 grading table suggests from the known and predicted facts.
    public var gradingHint: GradingHint
    /// Observations used, with their factor f.
    public var reestimates: [Reestimate]
    /// Caveats for the reader (estimated figures, measures too late, no concentration without a mass).
    public var notes: [String]
}

/// What kind of node an arrival is at.
public enum NodeKind: String, Codable, Sendable, CaseIterable {
    case intake, boundary, reservoir, emergencySite, monitoringSection, marineReceptor, maritimeBoundary
}

/// A predicted peak concentration at a node, mg/L, and its ratio to the standard C/S.
public struct Prediction: Codable, Sendable, Hashable {
    /// Most probable peak, mg/L (Jobson eq. 7 with eq. 4).
    public var peakMgL: Double
    /// Upper-envelope peak, mg/L (C_up,max = 1025 · T_p^−0.887).
    public var upperPeakMgL: Double
    /// peakMgL / S.
    public var ratioToStandard: Double
    /// upperPeakMgL / S.
    public var upperRatioToStandard: Double
}

/// When and how strongly the plume reaches a node.
public struct Arrival: Codable, Sendable, Hashable {
    /// The node's id (site, receptor, section or boundary).
    public var node: String
    /// English name.
    public var name: String
    /// Chinese name.
    public var nameZh: String?
    /// The kind.
    public var kind: NodeKind
    /// The river, for river nodes.
    public var river: String?
    /// Chainage on that river, km.
    public var km: Double?
    /// Distance travelled from the spill, km (along the rivers, or along the drift track).
    public var distanceKm: Double
    /// The unit responsible.
    public var owner: UnitCode
    /// Its display name.
    public var ownerName: String
    /// Its province.
    public var province: UnitCode
    /// Earliest plausible arrival: leading edge at the maximum-probable velocity, plus holds.
    public var earliestArrival: Date
    /// Likely arrival of the peak: most-probable velocity, plus holds.
    public var likelyArrival: Date
    /// The slow end of the arrival band: the latest plausible arrival of the peak (``ArrivalBand``); `nil` in plans
    /// made before bands, and off the rivers.
    public var latestArrival: Date? = nil
    /// What the band earliest…latest rests on, and how wide it is; `nil` where ``latestArrival`` is.
    public var band: ArrivalBand? = nil
    /// A dam above still held with no release yet: the times below assume it is released when the plan is made.
    public var heldBehind: String? = nil
    /// Hours from the leading edge until the concentration falls to 10 % of the peak (T_d10),
    /// plus the release duration for a continuous release.
    public var passageH: Double?
    /// Without measures; `nil` when the mass is unknown or the node is at the spill point.
    public var withoutMeasures: Prediction?
    /// With the planned measures that can start in time.
    public var withMeasures: Prediction?
    /// For an emergency site: what it supports.
    public var actions: [SiteAction]
    /// For an intake: the level of supply.
    public var supplyLevel: SupplyLevel?
    /// For a boundary: the unit beyond.
    public var beyond: UnitCode?
    /// For a site with a storage volume (a dam's usable pool): how long it can hold the inflow, h — the
    /// playbook's `storageM3` over the planned discharge there, storage ÷ (Q · 3,600) (issue 17: what each dam
    /// can hold); `nil` without a storage figure.
    public var holdCapacityH: Double? = nil
}

/// What an arrival's band (``Arrival/earliestArrival`` … ``Arrival/latestArrival``) rests on.
///
/// JSON: `{"widthH": 21.4, "basis": "prior", "factor": null, "weight": null, "observedAt": null, "poolH": 0}` — `basis`
/// `prior` (Jobson's spread, no observation governs it) or `calibrated` (an observation at `observedAt` gave the speed
/// factor `factor`, applied here with `weight`, 1 at or above the observed node).
public struct ArrivalBand: Codable, Sendable, Hashable {
    /// What the band rests on.
    public enum Basis: String, Codable, Sendable {
        /// Jobson (1996): from the leading edge at the maximum-probable speed to the peak at the mirrored slow speed.
        case prior
        /// Calibrated on an observation (``Planner`` `timings`: f^w below the observed node).
        case calibrated
    }
    /// latest − earliest, h.
    public var widthH: Double
    public var basis: Basis
    /// The observed node whose factor governs it.
    public var observedAt: String?
    /// The speed factor f of that observation.
    public var factor: Double?
    /// The weight w it has here (0…1).
    public var weight: Double?
    /// Hours of the peak's moving time spent crossing dams' pools (``EmergencySite/poolVolumeM3``).
    public var poolH: Double

    /// Creates a band description.
    public init(
        widthH: Double, basis: Basis, observedAt: String? = nil, factor: Double? = nil, weight: Double? = nil,
        poolH: Double = 0
    ) {
        self.widthH = widthH
        self.basis = basis
        self.observedAt = observedAt
        self.factor = factor
        self.weight = weight
        self.poolH = poolH
    }
}

/// The kind of a planned task.
public enum PlannedTaskKind: String, Codable, Sendable {
    /// A playbook measure at an emergency site.
    case measure
    /// Protect a drinking-water intake.
    case intake
    /// Sample at a monitoring section.
    case monitoring
    /// Protect a marine receptor.
    case marine
    /// Put a park containment level in service.
    case containment
}

/// Where a task comes from in the playbooks.
public struct TaskSource: Codable, Sendable, Hashable {
    /// Playbook id.
    public var playbook: String
    /// Playbook version.
    public var version: String
    /// Site, receptor or section id.
    public var node: String
    /// Measure id, for a measure.
    public var measure: String?
}

/// A response task the plan calls for.
public struct PlannedTask: Codable, Sendable, Hashable {
    /// Number within the plan, from 1.
    public var number: Int
    /// The kind.
    public var kind: PlannedTaskKind
    /// The site action for a measure (`dose`, `intercept`…), or `closeIntake`, `watchIntake`, `sample`, `protect`, `activateLevel1`….
    public var action: String
    /// What to do, in a sentence.
    public var title: String
    /// The same in Chinese, for a Chinese duty office (place names from the playbooks' `nameZh`, actions from a
    /// fixed vocabulary); `nil` in plans made before it existed.
    public var titleZh: String? = nil
    /// The unit that must act.
    public var owner: UnitCode
    /// Its display name.
    public var ownerName: String
    /// The province of that unit.
    public var province: UnitCode
    /// The duty position it is assigned to.
    public var dutyPosition: DutyPosition
    /// Latest start: earliest arrival at the node minus the lead time.
    public var latestStart: Date
    /// Lead time, h.
    public var leadTimeH: Double
    /// Whether it can still start in time (latest start not before the plan time).
    public var feasible: Bool
    /// Where it comes from.
    public var source: TaskSource
}

/// Whether a neighbour must be notified or should be.
public enum NotificationRequirement: String, Codable, Sendable {
    /// The predicted peak at the crossing exceeds the standard, or the mass is unknown.
    case required
    /// The plume crosses, predicted below the standard; or no crossing is predicted (a ``PeerNotificationKind``
    /// other than a crossing).
    case advisory
}

/// Why a neighbour is notified (``PeerNotification/kind``; absent in events written before it existed: a crossing).
public enum PeerNotificationKind: String, Codable, Sendable, CaseIterable {
    /// The plume is predicted to cross into the neighbour's waters (MEP Order No. 17 Art. 8).
    case crossing
    /// The incident is on a river or sea the agreement with the neighbour lists as shared (`rivers`/`seas` of
    /// `peers.yaml`) and no crossing is predicted: an anomaly on shared water, which the neighbour may be the cause
    /// of or watch for (MEE–MWR 2020 guidance, 环应急〔2020〕5号: "a downstream anomaly may have an upstream cause",
    /// both sides notify each other promptly).
    case sharedWater
    /// An emergency release from a held dam above the neighbour, warned of before the release (MEE–MWR 2020
    /// guidance, task 3: upstream warns downstream in advance of emergency water releases).
    case damRelease
}

/// A notification due to a neighbouring province whose boundary the plume is predicted to cross
/// (MEP Order No. 17 Art. 8; Order No. 34 Art. 25; MEE/MWR 2020 guidance, task 4), or, with a ``kind``, about
/// shared water or a dam release (MEE/MWR 2020 guidance).
public struct PeerNotification: Codable, Sendable, Hashable {
    /// The neighbour (GB/T 2260 province code or a country code).
    public var province: UnitCode
    /// Its name.
    public var name: String
    /// Required or advisory.
    public var requirement: NotificationRequirement
    /// The boundary node crossed first.
    public var boundary: String
    /// Its name.
    public var boundaryName: String
    /// Predicted crossing: earliest arrival at the boundary.
    public var crossingAt: Date
    /// Predicted peak at the boundary without measures, upper envelope, mg/L (`nil` if unknown).
    public var peakMgL: Double?
    /// That peak over S.
    public var ratioToStandard: Double?
    /// The earlier of the agreed time and the crossing minus the margin, never before discovery.
    public var deadline: Date
    /// The agreement the hours come from.
    public var agreement: String
    /// Why it is sent; `nil` (older events) is a crossing. For ``PeerNotificationKind/sharedWater``, `boundary` is
    /// the shared playbook's boundary with the neighbour (or the playbook itself when it maps none), `crossingAt` the
    /// spill time (no crossing is predicted) and `deadline` the agreed hours after it; for
    /// ``PeerNotificationKind/damRelease``, `boundary` is the boundary the released water crosses first,
    /// `crossingAt` its predicted crossing after the release and `deadline` the release time.
    public var kind: PeerNotificationKind?
    /// For a dam release: the dam's site id.
    public var site: String?
}

/// How a park's three levels of containment hold a scenario's runoff.
public struct ParkContainment: Codable, Sendable, Hashable {
    /// Park id.
    public var park: String
    /// Scenario id.
    public var scenario: String
    /// Polluted runoff, m³.
    public var runoffM3: Double
    /// Usable capacity at level 1 (the plant's own), 2 and 3, m³.
    public var capacityM3: [Double]
    /// The level that holds it all, or `nil` when it escapes.
    public var containedAtLevel: Int?
    /// Runoff that leaves the park, m³.
    public var escapedM3: Double
    /// Pollutant mass that leaves the park, kg.
    public var escapedMassKg: Double
    /// When runoff starts to leave (`nil` if contained).
    public var escapeAt: Date?
    /// The outfall it leaves by.
    public var outfall: String
}

/// A re-estimate from a monitoring observation (DOMAIN.md §3).
public struct Reestimate: Codable, Sendable, Hashable {
    /// The observation.
    public var observation: Observation
    /// The predicted time of that feature before re-estimating.
    public var predicted: Date
    /// f = (t_obs − t_spill − H) / (t_pred − t_spill − H).
    public var factor: Double
    /// Total hold time above the node, h (H).
    public var holdH: Double
}
