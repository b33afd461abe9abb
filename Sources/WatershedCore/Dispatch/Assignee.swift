import Foundation

/// Who a response task is assigned to: a unit and a duty position, never a named person
/// (DESIGN.md "Terms used in names").
///
/// JSON: `{"unit":"451203","position":"county-duty-officer"}`.
public struct Assignee: Codable, Sendable, Hashable, CustomStringConvertible {
    /// The unit (GB/T 2260 code), e.g. `"451203"` Yizhou District.
    public var unit: UnitCode
    /// The duty position in that unit, e.g. `county-duty-officer`.
    public var position: DutyPosition

    /// Creates an assignee.
    public init(unit: UnitCode, position: DutyPosition) {
        self.unit = unit
        self.position = position
    }

    /// `county-duty-officer of 451203`.
    public var description: String { "\(position) of \(unit)" }
}

/// How long a task waits for an acknowledgement before it is escalated, and how many times.
///
/// A task dispatched at `t` must be acknowledged by `t + ackMinutes`; each deadline that passes
/// without an acknowledgement escalates it one step up its ``EscalationChain`` and sets the next
/// deadline `ackMinutes` after the one that passed. After ``repeats`` steps the next passed deadline
/// marks the task unowned. The minutes are a province's own choice (`seeds/<province>/organisation.yaml`),
/// not a regulation: MEP Order No. 17 and Order No. 34 Art. 18 require a duty system that handles
/// reports at once but set no minutes.
///
/// JSON: `{"ackMinutes":15,"repeats":2}`.
public struct EscalationPolicy: Codable, Sendable, Hashable {
    /// Minutes allowed for an acknowledgement, counted from the dispatch (or the previous deadline).
    public var ackMinutes: Int
    /// K: escalation steps before the task is marked unowned; 0 marks it unowned at the first passed deadline.
    public var repeats: Int

    /// Creates a policy. The values are not checked here; the seed loader keeps them in
    /// ``ackMinutesRange`` and ``repeatsRange``.
    public init(ackMinutes: Int, repeats: Int) {
        self.ackMinutes = ackMinutes
        self.repeats = repeats
    }

    /// `ackMinutes` in seconds.
    public var ackInterval: TimeInterval { TimeInterval(ackMinutes) * 60 }

    /// The acknowledgement times a seed file may set: 1 minute to 24 hours.
    public static let ackMinutesRange: ClosedRange<Int> = 1...1440
    /// The numbers of escalation steps a seed file may set: 0 to 10.
    public static let repeatsRange: ClosedRange<Int> = 0...10
}

/// The chain of duty positions a task climbs when it is not acknowledged.
///
/// County duty officer of county X → city duty chief of X's districted city → provincial duty chief of
/// the province (DESIGN.md "Terms used in names"; the reporting line of MEP Order No. 17 Art. 3, where a
/// county or city bureau reports to the next-higher bureau). The chain is computed once, at dispatch,
/// and stored in ``TaskDispatched/chain``, so a later change of the units or the seeds does not rewrite
/// the chain of a task already out.
public enum EscalationChain {
    /// The assignees above `first`, nearest first, each the standard position
    /// (``DutyPosition/standard(for:)``) of the next parent unit.
    ///
    /// A county's chain is `[city duty chief, provincial duty chief]`; a districted city's
    /// `[provincial duty chief]`; a province's (and a foreign country's) is empty. When a parent is
    /// missing from `units`, the walk stops there and the provincial duty chief of `first.unit`'s province
    /// (``UnitCode/provinceCode``) is put on top, so every chain in a province ends at the province.
    ///
    /// - Parameters:
    ///   - first: The task's first assignee.
    ///   - units: The units of `playbooks/units.yaml` by code.
    /// - Returns: The chain, without `first`.
    public static func above(_ first: Assignee, units: [UnitCode: AdministrativeUnit]) -> [Assignee] {
        var chain: [Assignee] = []
        var visited: Set<UnitCode> = [first.unit]
        var current = units[first.unit]
        if current?.kind == .country { return [] }
        while let parentCode = current?.parent, !visited.contains(parentCode), let parent = units[parentCode] {
            visited.insert(parentCode)
            chain.append(Assignee(unit: parent.code, position: .standard(for: parent.kind)))
            current = parent
        }
        let province = first.unit.provinceCode
        let reachedProvince = chain.last?.unit == province || first.unit == province
        if !reachedProvince, province != first.unit, province.count == 6, province.allSatisfy(\.isNumber) {
            chain.append(Assignee(unit: province, position: .provincialDutyChief))
        }
        return chain
    }
}
