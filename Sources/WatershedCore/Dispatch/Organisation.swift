import Foundation

/// One unit of a province's organisation: the duty positions it staffs and its own escalation policy, if any.
public struct OrganisationUnit: Codable, Sendable, Hashable {
    /// The unit (GB/T 2260).
    public var code: UnitCode
    /// The duty positions it staffs, e.g. `[county-duty-officer]`.
    public var dutyPositions: [DutyPosition]
    /// Its policy; `nil` uses the organisation's default.
    public var policy: EscalationPolicy?

    /// Creates a unit.
    public init(code: UnitCode, dutyPositions: [DutyPosition], policy: EscalationPolicy? = nil) {
        self.code = code
        self.dutyPositions = dutyPositions
        self.policy = policy
    }
}

/// A province's units that act in a response, their duty positions and escalation policies
/// (`seeds/<province>/organisation.yaml`, read by `OrganisationSeed` in WatershedPlaybooks).
public struct Organisation: Codable, Sendable, Hashable {
    /// The province this server serves, e.g. `"450000"`.
    public var province: UnitCode
    /// The policy of a unit with none of its own, or not listed.
    public var defaultPolicy: EscalationPolicy
    /// The units by code.
    public var units: [UnitCode: OrganisationUnit]

    /// Creates an organisation; a unit listed twice keeps its last entry.
    public init(province: UnitCode, defaultPolicy: EscalationPolicy, units: [OrganisationUnit]) {
        self.province = province
        self.defaultPolicy = defaultPolicy
        self.units = Dictionary(units.map { ($0.code, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The escalation policy for tasks first assigned to `unit`: its own, or ``defaultPolicy``.
    public func policy(for unit: UnitCode) -> EscalationPolicy {
        units[unit]?.policy ?? defaultPolicy
    }

    /// The duty positions `unit` staffs; empty for a unit not listed.
    public func positions(of unit: UnitCode) -> [DutyPosition] {
        units[unit]?.dutyPositions ?? []
    }
}
