/// An administrative division code: a six-digit GB/T 2260 code (`"450000"` Guangxi,
/// `"450200"` Liuzhou, `"451203"` Yizhou District) or, for a country beyond the
/// national border, its ISO 3166-1 alpha-2 code (`"VN"`).
public typealias UnitCode = String

/// The tier of an administrative unit, as the reporting rules use it.
public enum UnitKind: String, Codable, Sendable, CaseIterable {
    /// A foreign country (a transnational boundary lies beyond it).
    case country
    /// A province or autonomous region (GB/T 2260 code ending in `0000`).
    case province
    /// A districted city (设区的市), e.g. Liuzhou; code ending in `00`.
    case districtedCity
    /// A county, county-level city or city district.
    case county
}

/// An administrative unit (province, districted city or county) with its parent.
///
/// Units are listed in `playbooks/units.yaml`. Each river reach, site and
/// receptor names its owner by ``UnitCode``.
public struct AdministrativeUnit: Codable, Sendable, Hashable {
    /// GB/T 2260 code, or ISO 3166-1 alpha-2 for a country.
    public var code: UnitCode
    /// English name, e.g. `"Liuzhou"`.
    public var name: String
    /// Chinese name, e.g. `"柳州市"`.
    public var nameZh: String?
    /// The tier.
    public var kind: UnitKind
    /// The unit above this one; `nil` for a province or a country.
    public var parent: UnitCode?

    /// Creates a unit.
    public init(code: UnitCode, name: String, nameZh: String? = nil, kind: UnitKind, parent: UnitCode? = nil) {
        self.code = code
        self.name = name
        self.nameZh = nameZh
        self.kind = kind
        self.parent = parent
    }
}

extension UnitCode {
    /// The province a GB/T 2260 code lies in (`"451203"` → `"450000"`); a country code is returned unchanged.
    public var provinceCode: UnitCode {
        guard count == 6, allSatisfy(\.isNumber) else { return self }
        return String(prefix(2)) + "0000"
    }
}

/// A duty position: a place in an escalation chain. Tasks go to a unit and a
/// duty position, never to a named person (DESIGN.md "Terms used in names").
public struct DutyPosition: RawRepresentable, Codable, Sendable, Hashable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    /// The position's identifier, e.g. `"county-duty-officer"`.
    public var rawValue: String
    /// Creates a position from its identifier.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// Creates a position from a string literal.
    public init(stringLiteral value: String) { self.rawValue = value }
    /// The identifier.
    public var description: String { rawValue }

    /// The county environment bureau's duty officer (first in the chain).
    public static let countyDutyOfficer: DutyPosition = "county-duty-officer"
    /// The districted city's duty chief.
    public static let cityDutyChief: DutyPosition = "city-duty-chief"
    /// The provincial department's duty chief.
    public static let provincialDutyChief: DutyPosition = "provincial-duty-chief"

    /// The position in Chinese, as duty offices say it (`县级值班员`, `市级值班长`, `自治区值班长`); `nil` for a
    /// position these words do not know.
    public var nameZh: String? {
        switch self {
        case .countyDutyOfficer: "县级值班员"
        case .cityDutyChief: "市级值班长"
        case .provincialDutyChief: "自治区值班长"
        default: nil
        }
    }

    /// The usual position for a unit of the given tier.
    public static func standard(for kind: UnitKind) -> DutyPosition {
        switch kind {
        case .county: .countyDutyOfficer
        case .districtedCity: .cityDutyChief
        case .province, .country: .provincialDutyChief
        }
    }
}
