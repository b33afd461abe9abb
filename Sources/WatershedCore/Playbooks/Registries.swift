/// `playbooks/units.yaml`: the administrative units that own reaches, sites and receptors.
public struct UnitRegistry: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"units"`.
    public var kind: String
    /// The units.
    public var units: [AdministrativeUnit]
    /// Where the codes come from (GB/T 2260).
    public var source: String
    /// Caveats.
    public var note: String?

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, units: [AdministrativeUnit], source: String, note: String? = nil
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.units = units
        self.source = source
        self.note = note
    }
}

/// `playbooks/pollutants.yaml`: pollutants with their limits.
public struct PollutantTable: Codable, Sendable, Hashable {
    /// Format version of the file; 1.
    public var schemaVersion: Int
    /// `"pollutants"`.
    public var kind: String
    /// The pollutants.
    public var pollutants: [Pollutant]

    /// Creates a value with every field.
    public init(
        schemaVersion: Int, kind: String, pollutants: [Pollutant]
    ) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.pollutants = pollutants
    }
}

/// One neighbour's notification agreement: how soon it must hear of an incident
/// that may reach it (MEP Order No. 17 Art. 8 sets no hour limit; each bilateral agreement does).
public struct NotificationAgreement: Codable, Sendable, Hashable {
    /// The neighbour (GB/T 2260 province code, or a country code).
    public var province: UnitCode
    /// Its name.
    public var name: String
    /// Hours from discovery within which it must be notified.
    public var notifyWithinH: Double
    /// Safety margin before the predicted crossing, hours.
    public var marginH: Double
    /// The agreement this comes from.
    public var agreement: String
    /// Caveats.
    public var note: String?

    /// Creates an agreement.
    public init(
        province: UnitCode, name: String, notifyWithinH: Double, marginH: Double, agreement: String,
        note: String? = nil
    ) {
        self.province = province
        self.name = name
        self.notifyWithinH = notifyWithinH
        self.marginH = marginH
        self.agreement = agreement
        self.note = note
    }

    /// The agreement assumed for a neighbour with none on file: notify within 1 h, 2 h margin.
    public static func fallback(for province: UnitCode) -> NotificationAgreement {
        NotificationAgreement(
            province: province, name: province, notifyWithinH: 1, marginH: 2,
            agreement: "none on file: 1 h from discovery, 2 h before crossing assumed")
    }
}
