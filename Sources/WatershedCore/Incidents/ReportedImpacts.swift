import Foundation

/// What a reporter states about an incident's impacts beyond casualties, for grading (issue 17): the 2014 national
/// plan's criteria (国办函〔2014〕119号, annex "突发环境事件分级标准") that a plan cannot predict by itself, and the
/// MEP Order No. 17 Art. 4 triggers they carry while the incident is ungraded.
///
/// | field | 2014 plan criterion | level | Art. 4 trigger |
/// | --- | --- | --- | --- |
/// | `directLossCNY` | direct economic loss ≥100 M / 20–100 M / 5–20 M / below | I / II / III / IV | — |
/// | `intakesCutOff[].serves` | supply cut off: districted city+ / county-level city / township | I/II/III | (1) |
/// | `transnational` | major transnational impact (I (6)) | I | (4) cross-border |
/// | `crossProvincial` | impact across a provincial boundary (II (6)) | II | (4) cross-provincial |
/// | `massIncident` | — (the 2014 plan grades no social impact) | — | (5) mass incident or large social impact |
///
/// JSON: `{"directLossCNY": 30000000, "intakesCutOff": [{"name": "Hechi No. 2 waterworks intake",
/// "serves": "districtedCity", "node": "longjiang-hechi-intake"}], "crossProvincial": true, "transnational": false,
/// "massIncident": false}`; every member may be left out.
public struct ReportedImpacts: Codable, Sendable, Hashable {
    /// Direct economic loss so far, CNY.
    public var directLossCNY: Double?
    /// Drinking-water intakes whose supply has been cut off, with the level of the town each serves.
    public var intakesCutOff: [IntakeCutOff]?
    /// The reporter states an impact across a provincial boundary.
    public var crossProvincial: Bool?
    /// The reporter states a major impact across the national border.
    public var transnational: Bool?
    /// A mass incident (群体性事件) or large social impact, possible or under way.
    public var massIncident: Bool?

    public init(
        directLossCNY: Double? = nil, intakesCutOff: [IntakeCutOff]? = nil, crossProvincial: Bool? = nil,
        transnational: Bool? = nil, massIncident: Bool? = nil
    ) {
        self.directLossCNY = directLossCNY
        self.intakesCutOff = intakesCutOff
        self.crossProvincial = crossProvincial
        self.transnational = transnational
        self.massIncident = massIncident
    }

    /// An intake whose supply was cut off.
    public struct IntakeCutOff: Codable, Sendable, Hashable {
        /// Its name, as the reporter gives it.
        public var name: String
        /// The administrative level of the town it serves: what the 2014 plan grades.
        public var serves: SupplyLevel
        /// Its node in the playbooks (a receptor of kind `intake`), when it has one.
        public var node: String?

        public init(name: String, serves: SupplyLevel, node: String? = nil) {
            self.name = name
            self.serves = serves
            self.node = node
        }
    }

    /// The grading facts these impacts state: the loss; the highest level of supply cut off; the widest reach
    /// stated (transnational before cross-provincial).
    public var gradingFacts: GradingFacts {
        GradingFacts(
            directLossCNY: directLossCNY,
            intakeCutOff: (intakesCutOff ?? []).map(\.serves).min {
                SupplyLevel.allCases.firstIndex(of: $0)! < SupplyLevel.allCases.firstIndex(of: $1)!
            },
            reach: transnational == true ? .transnational : crossProvincial == true ? .crossProvincial : nil)
    }

    /// The MEP Order No. 17 Art. 4 triggers these impacts carry (used while the incident is ungraded).
    public var triggers: Set<Art4Trigger> {
        var triggers: Set<Art4Trigger> = []
        if !(intakesCutOff ?? []).isEmpty { triggers.insert(.drinkingWaterSource) }
        if crossProvincial == true || transnational == true { triggers.insert(.crossBoundary) }
        if massIncident == true { triggers.insert(.massIncident) }
        return triggers
    }

    /// The problems with these impacts against the basin, each on its field under `impacts.`: a loss that is not a
    /// finite amount of zero or more, an intake without a name, an intake node that is not an intake of the basin.
    public func problems(in basin: Basin) -> [FieldError] {
        var errors: [FieldError] = []
        if let loss = directLossCNY, !loss.isFinite || loss < 0 {
            errors.append(
                FieldError(field: "impacts.directLossCNY", message: "must be an amount of zero or more CNY"))
        }
        let intakes = Set(
            basin.rivers.values.flatMap(\.receptors).filter { $0.kind == .intake }.map(\.id))
        for (index, intake) in (intakesCutOff ?? []).enumerated() {
            if intake.name.allSatisfy(\.isWhitespace) {
                errors.append(
                    FieldError(field: "impacts.intakesCutOff[\(index)].name", message: "must not be empty"))
            }
            if let node = intake.node, !intakes.contains(node) {
                errors.append(
                    FieldError(
                        field: "impacts.intakesCutOff[\(index)].node",
                        message: "\"\(node)\" is not a drinking-water intake of the playbooks"))
            }
        }
        return errors
    }
}

extension GradingFacts {
    /// These facts with `other`'s filled in where these have none.
    func merging(_ other: GradingFacts) -> GradingFacts {
        GradingFacts(
            deaths: deaths ?? other.deaths, poisonedOrInjured: poisonedOrInjured ?? other.poisonedOrInjured,
            evacuated: evacuated ?? other.evacuated, directLossCNY: directLossCNY ?? other.directLossCNY,
            intakeCutOff: intakeCutOff ?? other.intakeCutOff, reach: reach ?? other.reach)
    }
}
