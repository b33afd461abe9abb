/// The class of a pollutant, which selects the playbook measures that apply.
public enum PollutantClass: String, Codable, Sendable, CaseIterable {
    /// Cd, Tl, Pb, Hg, Cr … (an MEP Order No. 17 Art. 4 trigger).
    case heavyMetal
    /// As, Sb … (an Art. 4 trigger, with heavy metals).
    case metalloid
    /// Benzene, nitrobenzene, phenols …
    case organic
    /// Crude and refined oil.
    case oil
    /// Acids and alkalis.
    case acidAlkali
    /// Anything else.
    case other

    /// Heavy metals and metalloids trigger the II/I reporting path while ungraded (MEP Order No. 17, Art. 4(3)).
    public var isHeavyMetalOrMetalloid: Bool { self == .heavyMetal || self == .metalloid }
}

/// A pollutant with the water-quality limit used to judge exceedance.
///
/// Listed in `playbooks/pollutants.yaml`. Limits come from GB 3838-2002
/// (Environmental quality standards for surface water); the entry names the
/// table and class it uses.
public struct Pollutant: Codable, Sendable, Hashable {
    /// Identifier used on the command line, e.g. `"cadmium"`.
    public var id: String
    /// English name.
    public var name: String
    /// Chinese name, e.g. `"镉"`.
    public var nameZh: String?
    /// CAS registry number where one applies, e.g. `"7440-43-9"`.
    public var cas: String?
    /// The class.
    public var pollutantClass: PollutantClass
    /// The limit S in mg/L.
    public var limitMgL: Double
    /// The standard, e.g. `"GB 3838-2002"`.
    public var standard: String
    /// The table of the standard, e.g. `"Table 1"` or `"Table 3"`.
    public var table: String
    /// The water class the limit belongs to, e.g. `"III"`; `nil` for Table 3 items.
    public var waterClass: String?
    /// Where the figures come from.
    public var source: String
    /// Caveats, e.g. an estimated figure.
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case id, name, nameZh, cas
        case pollutantClass = "class"
        case limitMgL, standard, table, waterClass, source, note
    }

    /// Creates a pollutant.
    public init(
        id: String, name: String, nameZh: String? = nil, cas: String? = nil, pollutantClass: PollutantClass,
        limitMgL: Double, standard: String = "GB 3838-2002", table: String, waterClass: String? = nil,
        source: String, note: String? = nil
    ) {
        self.id = id
        self.name = name
        self.nameZh = nameZh
        self.cas = cas
        self.pollutantClass = pollutantClass
        self.limitMgL = limitMgL
        self.standard = standard
        self.table = table
        self.waterClass = waterClass
        self.source = source
        self.note = note
    }
}
