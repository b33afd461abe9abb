import Foundation

/// A field a report got wrong, with a sentence saying what is allowed. The server answers
/// 400/422 with `{"error": {"code": "invalid_field", "field": …, "message": …}}`.
public struct FieldError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The field in the request body, dotted (`place.km`, `contact.phone`).
    public var field: String
    /// What is wrong and what is allowed.
    public var message: String
    /// Creates an error.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
    /// `field: message`.
    public var description: String { "\(field): \(message)" }
}

/// Who is behind a written report (MEP Order No. 17, Art. 14): the reporting unit, the
/// signing officer (签发人) and a contact person with phone.
public struct ReportSignature: Codable, Sendable, Hashable {
    /// The reporting unit (GB/T 2260).
    public var reportingUnit: UnitCode
    /// The signing officer's name and post.
    public var signingOfficer: String
    /// The contact person.
    public var contactName: String
    /// The contact's phone.
    public var contactPhone: String

    /// Creates a signature.
    public init(reportingUnit: UnitCode, signingOfficer: String, contactName: String, contactPhone: String) {
        self.reportingUnit = reportingUnit
        self.signingOfficer = signingOfficer
        self.contactName = contactName
        self.contactPhone = contactPhone
    }
}

/// A measured concentration at a monitoring section or point.
public struct MonitoringResult: Codable, Sendable, Hashable {
    /// The section, receptor or site id, when sampled at one.
    public var node: String?
    /// When sampled.
    public var sampledAt: Date
    /// The pollutant's id.
    public var pollutant: String
    /// Concentration, mg/L.
    public var concentrationMgL: Double
    /// What the sample shows of the slug, when known (used to re-estimate arrivals).
    public var feature: Observation.Feature?

    /// Creates a result.
    public init(
        node: String?, sampledAt: Date, pollutant: String, concentrationMgL: Double,
        feature: Observation.Feature? = nil
    ) {
        self.node = node
        self.sampledAt = sampledAt
        self.pollutant = pollutant
        self.concentrationMgL = concentrationMgL
        self.feature = feature
    }
}

/// People affected so far.
public struct Casualties: Codable, Sendable, Hashable {
    /// Deaths.
    public var deaths: Int
    /// Poisoned or seriously injured.
    public var poisonedOrInjured: Int
    /// Evacuated or relocated.
    public var evacuated: Int
    /// Creates counts.
    public init(deaths: Int = 0, poisonedOrInjured: Int = 0, evacuated: Int = 0) {
        self.deaths = deaths
        self.poisonedOrInjured = poisonedOrInjured
        self.evacuated = evacuated
    }
}

/// The initial report (初报) of a sudden environmental incident, with the content
/// MEP Order No. 17 Art. 13 requires (time, place, source of the information, cause and
/// nature, main pollutants and quantity, monitoring data, casualties, effect on drinking-water
/// sources and sensitive points, measures taken) and the Art. 14 signature.
public struct InitialReport: Codable, Sendable, Hashable {
    /// When the incident was discovered (deadlines count from here).
    public var discoveredAt: Date
    /// Where: a river and chainage, a park and scenario, or a sea point.
    public var place: SpillLocation
    /// Where the information came from (12369 hotline, routine monitoring, enterprise…).
    public var informationSource: String
    /// Cause and nature, as far as known.
    public var cause: String
    /// The main pollutant's id (`playbooks/pollutants.yaml`).
    public var pollutant: String
    /// Quantity released: all at once or at a rate; mass `nil` when unknown.
    public var release: Release
    /// Monitoring data so far.
    public var monitoring: [MonitoringResult]
    /// People affected.
    public var casualties: Casualties
    /// Impacts beyond casualties the reporter states (loss, intakes cut off, cross-provincial or transnational
    /// reach, a mass incident), graded per the 2014 plan (``ReportedImpacts``); `nil` when none is stated.
    public var impacts: ReportedImpacts?
    /// Drinking-water sources and other sensitive points affected or threatened, as the reporter sees them.
    public var sensitivePointsAffected: [String]
    /// Measures taken so far.
    public var measuresTaken: [String]
    /// The level judged at first, or `nil` when not yet graded.
    public var level: SeverityLevel?
    /// Art. 4 triggers the bureau declares (sensitive places, mass incident, own judgement).
    public var triggers: Set<Art4Trigger>
    /// Flow condition Q/Qa, when known (1 = mean flow).
    public var flowRatio: Double?
    /// Wind and current, for a sea spill.
    public var sea: SeaConditions?
    /// The signature (Art. 14).
    public var signature: ReportSignature
    /// `true` for a drill (exercise) incident — CAP 1.2 `status` `Exercise`: every event of the incident is marked
    /// as an exercise and never triggers a real notification (DESIGN.md "Rules that hold everywhere"). Absent or
    /// `false`: a real incident. A token with only the `drill` role may file exercise incidents only.
    public var exercise: Bool?

    /// Creates a report.
    public init(
        discoveredAt: Date, place: SpillLocation, informationSource: String, cause: String, pollutant: String,
        release: Release, monitoring: [MonitoringResult] = [], casualties: Casualties = Casualties(),
        sensitivePointsAffected: [String] = [], measuresTaken: [String] = [], level: SeverityLevel? = nil,
        triggers: Set<Art4Trigger> = [], flowRatio: Double? = nil, sea: SeaConditions? = nil,
        signature: ReportSignature, exercise: Bool? = nil, impacts: ReportedImpacts? = nil
    ) {
        self.exercise = exercise
        self.impacts = impacts
        self.discoveredAt = discoveredAt
        self.place = place
        self.informationSource = informationSource
        self.cause = cause
        self.pollutant = pollutant
        self.release = release
        self.monitoring = monitoring
        self.casualties = casualties
        self.sensitivePointsAffected = sensitivePointsAffected
        self.measuresTaken = measuresTaken
        self.level = level
        self.triggers = triggers
        self.flowRatio = flowRatio
        self.sea = sea
        self.signature = signature
    }

    /// The earliest discovery time an initial report may give: 2000-01-01T00:00:00+08:00 (1999-12-31T16:00:00Z).
    ///
    /// The rules Watershed applies are younger — MEP Order No. 17 (2011) for report obligations, the 2014 national
    /// plan for levels (DOMAIN.md §2) — so this leaves a decade of margin for replaying history (the shipped drills
    /// are of 2012 and 2013), while refusing the typing slips that used to be stored: a year 0001 or 0000 (which
    /// came back two days off), 0202 for 2026. Issue 15, item 10.
    public static let earliestDiscovery = Date(timeIntervalSince1970: 946_656_000)

    /// Why ``discoveredAt`` cannot be the discovery of an incident reported at `now`, or `nil` when it can.
    ///
    /// Bounds (issue 15, item 10): no later than `now` plus ``FollowUpReport/clockSkew`` (300 s, the skew already
    /// allowed for the times in follow-up reports), no earlier than ``earliestDiscovery``. `now` is the time the
    /// report is received on the clock the incident runs on: the wall clock, or a drill's clock for a drill's
    /// report (so the historical drills, 2012 and 2013, file). The offline planner (`watershed plan`) does not
    /// call this.
    ///
    /// - Returns: a ``FieldError`` on `discoveredAt`.
    public func discoveryProblem(now: Date) -> FieldError? {
        let latest = now.addingTimeInterval(FollowUpReport.clockSkew)
        if discoveredAt > latest {
            return FieldError(
                field: "discoveredAt",
                message: "is in the future: received at \(CanonicalJSON.timestamp(now)), and a discovery may be at "
                    + "most \(Int(FollowUpReport.clockSkew)) s later (clock skew)")
        }
        if discoveredAt < Self.earliestDiscovery {
            return FieldError(
                field: "discoveredAt",
                message: "is before \(CanonicalJSON.timestamp(Self.earliestDiscovery)), the earliest discovery "
                    + "accepted (a slip in the year?)")
        }
        return nil
    }

    /// The planner's input for this report.
    public func spillInput(ownProvince: UnitCode) -> SpillInput {
        SpillInput(
            location: place, at: discoveredAt, pollutant: pollutant, release: release, flowRatio: flowRatio ?? 1,
            level: level, declaredTriggers: triggers.union(impacts?.triggers ?? []),
            gradingFacts: GradingFacts(
                deaths: casualties.deaths, poisonedOrInjured: casualties.poisonedOrInjured,
                evacuated: casualties.evacuated
            ).merging(impacts?.gradingFacts ?? GradingFacts()),
            sea: sea,
            observations: monitoring.compactMap { result in
                guard let node = result.node, let feature = result.feature else { return nil }
                return Observation(node: node, feature: feature, at: result.sampledAt)
            }, ownProvince: ownProvince)
    }

    /// Every problem with the report against the basin, all at once; empty when valid.
    ///
    /// Checks: texts present, the place exists (river and chainage within it, park and scenario,
    /// sea area and a valid point), the pollutant is known, quantities finite and not negative,
    /// casualties not negative, flow ratio in (0, 20], monitoring results finite and not negative,
    /// the reporting unit known. Planner errors are also reported against their field.
    public func problems(in basin: Basin, ownProvince: UnitCode) -> [FieldError] {
        checked(in: basin, ownProvince: ownProvince).problems
    }

    /// The report's plan when it has no problem, else its problems — the checks of ``problems(in:ownProvince:)``
    /// with the plan they compute kept, so a server that files the report plans it once.
    ///
    /// - Returns: `plan` non-`nil` exactly when `problems` is empty.
    public func checked(in basin: Basin, ownProvince: UnitCode) -> (plan: PlanDocument?, problems: [FieldError]) {
        var errors: [FieldError] = []
        func text(_ value: String, _ field: String) {
            if value.allSatisfy(\.isWhitespace) {
                errors.append(FieldError(field: field, message: "must not be empty"))
            }
        }
        text(informationSource, "informationSource")
        text(cause, "cause")
        text(signature.signingOfficer, "signature.signingOfficer")
        text(signature.contactName, "signature.contactName")
        text(signature.contactPhone, "signature.contactPhone")
        if basin.unit(signature.reportingUnit) == nil {
            errors.append(
                FieldError(field: "signature.reportingUnit", message: "unknown unit \"\(signature.reportingUnit)\""))
        }
        for (name, value) in [
            ("casualties.deaths", casualties.deaths), ("casualties.poisonedOrInjured", casualties.poisonedOrInjured),
            ("casualties.evacuated", casualties.evacuated),
        ] where value < 0 {
            errors.append(FieldError(field: name, message: "must be zero or more, got \(value)"))
        }
        errors += impacts?.problems(in: basin) ?? []
        for (index, result) in monitoring.enumerated() {
            if !result.concentrationMgL.isFinite || result.concentrationMgL < 0 {
                errors.append(
                    FieldError(
                        field: "monitoring[\(index)].concentrationMgL",
                        message: "must be a concentration of zero or more mg/L"))
            }
            if basin.pollutants[result.pollutant] == nil {
                errors.append(
                    FieldError(
                        field: "monitoring[\(index)].pollutant", message: "unknown pollutant \"\(result.pollutant)\""))
            }
        }
        guard errors.isEmpty else { return (nil, errors) }
        do {
            return (try Planner(basin: basin).plan(spillInput(ownProvince: ownProvince)), [])
        } catch {
            return (nil, [FieldError(field: Self.reportField(for: error), message: error.description)])
        }
    }

    /// The report field a planner error points at.
    static func reportField(for error: PlanError) -> String {
        switch error {
        case .unknownRiver: "place.river.id"
        case .chainageOutsideRiver: "place.river.km"
        case .unknownPark: "place.park.id"
        case .unknownScenario: "place.park.scenario"
        case .unknownSea: "place.sea.id"
        case .pointOutsideSea: "place.sea.lng"
        case .unknownPollutant: "pollutant"
        case .outOfRange(let field, _, _, _):
            switch field {
            case "mass-kg", "rate-kg-h", "duration-h": "release"
            case "flow-ratio": "flowRatio"
            case "wind-ms": "sea.windMs"
            case "wind-from-deg": "sea.windFromDeg"
            case "current-ms": "sea.currentMs"
            case "current-to-deg": "sea.currentToDeg"
            default: field
            }
        case .seaConditionsMissing: "sea"
        case .unknownObservationNode, .impossibleObservation: "monitoring"
        case .unknownHoldSite, .notAHoldSite, .unknownReach: error.field
        }
    }
}
