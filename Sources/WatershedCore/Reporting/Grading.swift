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
    /// One line per matching criterion, e.g. `"10 deaths → II"`.
    public var reasons: [String]
    /// The same lines in the words of the 2014 plan's annex (`"死亡10人 → II级"`), in the same order; empty in a
    /// plan stored before they existed (a surface then shows ``reasons``).
    public var reasonsZh: [String]

    public init(level: SeverityLevel?, reasons: [String], reasonsZh: [String] = []) {
        self.level = level
        self.reasons = reasons
        self.reasonsZh = reasonsZh
    }

    private enum CodingKeys: String, CodingKey { case level, reasons, reasonsZh }

    /// Decodes a hint; `reasonsZh` may be absent (plans stored before issue 17's Chinese text).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        level = try container.decodeIfPresent(SeverityLevel.self, forKey: .level)
        reasons = try container.decode([String].self, forKey: .reasons)
        reasonsZh = try container.decodeIfPresent([String].self, forKey: .reasonsZh) ?? []
    }

    /// The reasons a Chinese screen shows: ``reasonsZh`` when there is one per reason, ``reasons`` otherwise.
    public var reasonsForChinese: [String] { reasonsZh.count == reasons.count ? reasonsZh : reasons }
}

/// The grading criteria of the national plan for sudden environmental incidents
/// (国办函〔2014〕119号, §1.5 and annex). "以上" includes the number and "以下" excludes it,
/// so 30 deaths is level I, 29 is II, 10 is II, 3 is III, 2 is IV; 10,000 evacuated is II,
/// 5,000 is III, 4,999 is IV. Where criteria give different levels, the highest applies. A count of zero (no
/// deaths, nobody evacuated, no loss) is no grading evidence: it grades nothing (issue 17).
public enum Grading {
    /// The level the facts suggest, with the reasons.
    public static func grade(_ facts: GradingFacts) -> GradingHint {
        var matches: [(level: SeverityLevel, en: String, zh: String)] = []
        if let deaths = facts.deaths, deaths > 0 {
            let level: SeverityLevel =
                deaths >= 30 ? .I : deaths >= 10 ? .II : deaths >= 3 ? .III : .IV
            matches.append((level, "\(deaths) deaths → \(level)", "死亡\(deaths)人 → \(level)级"))
        }
        if let poisoned = facts.poisonedOrInjured, poisoned > 0 {
            let level: SeverityLevel =
                poisoned >= 100 ? .I : poisoned >= 50 ? .II : poisoned >= 10 ? .III : .IV
            matches.append(
                (level, "\(poisoned) poisoned or seriously injured → \(level)", "中毒或重伤\(poisoned)人 → \(level)级"))
        }
        if let evacuated = facts.evacuated, evacuated > 0 {
            let level: SeverityLevel =
                evacuated >= 50_000 ? .I : evacuated >= 10_000 ? .II : evacuated >= 5_000 ? .III : .IV
            matches.append((level, "\(evacuated) evacuated → \(level)", "疏散、转移\(evacuated)人 → \(level)级"))
        }
        if let loss = facts.directLossCNY, loss > 0 {
            let level: SeverityLevel =
                loss >= 100_000_000 ? .I : loss >= 20_000_000 ? .II : loss >= 5_000_000 ? .III : .IV
            matches.append(
                (level, "direct loss CNY \(Int(loss)) → \(level)", "直接经济损失\(Self.wan(loss))万元 → \(level)级"))
        }
        if let intake = facts.intakeCutOff {
            let level: SeverityLevel =
                switch intake {
                case .districtedCity: .I
                case .countyLevelCity: .II
                case .township: .III
                }
            matches.append(
                (
                    level, "\(intake.rawValue) drinking-water intake cut off → \(level)",
                    "\(Self.intakeZh(intake)) → \(level)级"
                ))
        }
        if let reach = facts.reach {
            let level: SeverityLevel =
                switch reach {
                case .transnational: .I
                case .crossProvincial: .II
                case .crossCity: .III
                case .local: .IV
                }
            matches.append((level, "\(reach.rawValue) impact → \(level)", "\(Self.reachZh(reach)) → \(level)级"))
        }
        let level = matches.map(\.level).max()
        return GradingHint(level: level, reasons: matches.map(\.en), reasonsZh: matches.map(\.zh))
    }

    /// The annex's words for a cut-off intake (国办函〔2014〕119号 附件: "因环境污染造成…集中式饮用水水源地取水中断").
    static func intakeZh(_ level: SupplyLevel) -> String {
        switch level {
        case .districtedCity: "设区的市级以上城市集中式饮用水水源地取水中断"
        case .countyLevelCity: "县级城市集中式饮用水水源地取水中断"
        case .township: "乡镇集中式饮用水水源地取水中断"
        }
    }

    /// The annex's words for the spatial row ("造成跨省级行政区域影响" and its siblings).
    static func reachZh(_ reach: SpatialReach) -> String {
        switch reach {
        case .transnational: "造成重大跨国境影响"
        case .crossProvincial: "造成跨省级行政区域影响"
        case .crossCity: "造成跨设区的市级行政区域影响"
        case .local: "影响限于设区的市级行政区域内"
        }
    }

    /// CNY in 万元 (10⁴ CNY), the unit the annex counts losses in: 20,000,000 → "2000", 1,234,567 → "123.5".
    static func wan(_ cny: Double) -> String {
        let wan = cny / 10_000
        return wan == wan.rounded() ? String(Int(wan)) : String(format: "%.1f", wan)
    }
}
