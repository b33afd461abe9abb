/// Severity level of a sudden environmental incident (突发环境事件分级), national
/// plan of 2014 (国办函〔2014〕119号) §1.5. Coded as Roman numerals in JSON and YAML.
public enum SeverityLevel: Int, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    /// I 特别重大, especially major.
    case I = 1
    /// II 重大, major.
    case II = 2
    /// III 较大, large.
    case III = 3
    /// IV 一般, ordinary.
    case IV = 4

    /// `"I"` … `"IV"`.
    public var description: String {
        switch self {
        case .I: "I"
        case .II: "II"
        case .III: "III"
        case .IV: "IV"
        }
    }

    /// Parses `"I"` … `"IV"` (also `"1"` … `"4"`); `nil` otherwise.
    public init?(text: String) {
        switch text.uppercased() {
        case "I", "1": self = .I
        case "II", "2": self = .II
        case "III", "3": self = .III
        case "IV", "4": self = .IV
        default: return nil
        }
    }

    /// The level in Chinese, as the console writes it (`{level} 级` with `levelSuffix` of `Console/i18n.js`):
    /// `IV 级`. The after-action report writes a level in full instead (`一般（Ⅳ级）`).
    public var nameZh: String { "\(self) 级" }

    /// An incident without a level, in Chinese as the console says it (`ungraded` of `Console/i18n.js`): `未分级`.
    public static let ungradedZh = "未分级"

    /// More severe levels compare *greater*: `.I > .IV`.
    public static func < (lhs: SeverityLevel, rhs: SeverityLevel) -> Bool { lhs.rawValue > rhs.rawValue }

    /// Whether reports go on the II/I path (2 h, MEE at once) — MEP Order No. 17, Art. 3.
    public var isMajorPath: Bool { self == .I || self == .II }

    /// Who leads the response: province for I and II, districted city for III, county for IV (2014 plan §3.2).
    public var leadTier: UnitKind {
        switch self {
        case .I, .II: .province
        case .III: .districtedCity
        case .IV: .county
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let level = SeverityLevel(text: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a level I, II, III or IV, got \"\(text)\"")
        }
        self = level
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
