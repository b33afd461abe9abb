/// How far an incident's effects reach, the 2014 grading table's spatial row.
public enum SpatialReach: String, Codable, Sendable, CaseIterable {
    /// Major transnational impact → level I.
    case transnational
    /// Cross-provincial impact → level II.
    case crossProvincial
    /// Cross-districted-city impact → level III.
    case crossCity
    /// Within one city.
    case local
}

/// The facts the 2014 grading table reads. Any field may be unknown (`nil`).
public struct GradingFacts: Codable, Sendable, Hashable {
    /// Deaths.
    public var deaths: Int?
    /// People poisoned or seriously injured.
    public var poisonedOrInjured: Int?
    /// People evacuated or relocated.
    public var evacuated: Int?
    /// Direct economic loss, CNY.
    public var directLossCNY: Double?
    /// The highest level of supply whose drinking-water intake is (or is predicted to be) cut off.
    public var intakeCutOff: SupplyLevel?
    /// How far the effects reach.
    public var reach: SpatialReach?

    /// Creates facts.
    public init(
        deaths: Int? = nil, poisonedOrInjured: Int? = nil, evacuated: Int? = nil, directLossCNY: Double? = nil,
        intakeCutOff: SupplyLevel? = nil, reach: SpatialReach? = nil
    ) {
        self.deaths = deaths
        self.poisonedOrInjured = poisonedOrInjured
        self.evacuated = evacuated
        self.directLossCNY = directLossCNY
        self.intakeCutOff = intakeCutOff
        self.reach = reach
    }
}

/// A level suggested by the grading table with the criteria that gave it.
public struct GradingHint: Codable, Sendable, Hashable {
    /// The suggested level; `nil` when no fact is known.
    public var level: SeverityLevel?
    /// One line per matching criterion, e.g. `"10 deaths → II (10–30)"`.
    public var reasons: [String]

    public init(level: SeverityLevel?, reasons: [String]) {
        self.level = level
        self.reasons = reasons
    }
}

/// The grading criteria of the national plan for sudden environmental incidents
/// (国办函〔2014〕119号, §1.5 and annex). "以上" includes the number and "以下" excludes it,
/// so 30 deaths is level I, 29 is II, 10 is II, 3 is III, 2 is IV; 10,000 evacuated is II,
/// 5,000 is III, 4,999 is IV. Where criteria give different levels, the highest applies. A count of zero (no
/// deaths, nobody evacuated, no loss) is no grading evidence: it grades nothing (issue 17).
public enum Grading {
    /// The level the facts suggest, with the reasons.
    public static func grade(_ facts: GradingFacts) -> GradingHint {
        var matches: [(SeverityLevel, String)] = []
        if let deaths = facts.deaths, deaths > 0 {
            let level: SeverityLevel =
                deaths >= 30 ? .I : deaths >= 10 ? .II : deaths >= 3 ? .III : .IV
            matches.append((level, "\(deaths) deaths → \(level)"))
        }
        if let poisoned = facts.poisonedOrInjured, poisoned > 0 {
            let level: SeverityLevel =
                poisoned >= 100 ? .I : poisoned >= 50 ? .II : poisoned >= 10 ? .III : .IV
            matches.append((level, "\(poisoned) poisoned or seriously injured → \(level)"))
        }
        if let evacuated = facts.evacuated, evacuated > 0 {
            let level: SeverityLevel =
                evacuated >= 50_000 ? .I : evacuated >= 10_000 ? .II : evacuated >= 5_000 ? .III : .IV
            matches.append((level, "\(evacuated) evacuated → \(level)"))
        }
        if let loss = facts.directLossCNY, loss > 0 {
            let level: SeverityLevel =
                loss >= 100_000_000 ? .I : loss >= 20_000_000 ? .II : loss >= 5_000_000 ? .III : .IV
            matches.append((level, "direct loss CNY \(Int(loss)) → \(level)"))
        }
        if let intake = facts.intakeCutOff {
            let level: SeverityLevel =
                switch intake {
                case .districtedCity: .I
                case .countyLevelCity: .II
                case .township: .III
                }
            matches.append((level, "\(intake.rawValue) drinking-water intake cut off → \(level)"))
        }
        if let reach = facts.reach {
            let level: SeverityLevel =
                switch reach {
                case .transnational: .I
                case .crossProvincial: .II
                case .crossCity: .III
                case .local: .IV
                }
            matches.append((level, "\(reach.rawValue) impact → \(level)"))
        }
        let level = matches.map(\.0).max()
        return GradingHint(level: level, reasons: matches.map(\.1))
    }
}
