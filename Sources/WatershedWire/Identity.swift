import Foundation
import WatershedCore

/// A role of a person's token on the API (DESIGN.md "Terms used in names").
public enum Role: String, Codable, Sendable, CaseIterable {
    /// Reads incidents, plans and the stream.
    case viewer
    /// Works tasks and files follow-up reports.
    case officer
    /// Sets the level, re-plans, links and closes incidents; works any task.
    case commander
    /// Sees and acts on exercise incidents only.
    case drill
}

/// Who a bearer token belongs to: one unit, one duty position, a set of roles.
public struct Identity: Codable, Sendable, Hashable {
    /// The token's id (not its secret).
    public var tokenID: String
    /// The unit (GB/T 2260).
    public var unit: UnitCode
    /// The duty position.
    public var dutyPosition: DutyPosition
    /// The roles.
    public var roles: Set<Role>
    /// The drill a drill participant's token belongs to (made at `POST /v1/drills`): it works that drill's incidents
    /// only, and its open streams close with 4003 when the drill ends. `nil` for every other token.
    public var drill: UUID?

    /// Creates an identity.
    public init(tokenID: String, unit: UnitCode, dutyPosition: DutyPosition, roles: Set<Role>, drill: UUID? = nil) {
        self.tokenID = tokenID
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.roles = roles
        self.drill = drill
    }

    /// Whether the token has `role`, directly or implied: a commander may do what an officer or a
    /// viewer may, an officer what a viewer may; `drill` implies nothing and nothing implies it
    /// (a drill token reaches exercise incidents only, DESIGN.md "Terms used in names").
    public func has(_ role: Role) -> Bool {
        if roles.contains(role) { return true }
        switch role {
        case .viewer: return roles.contains(.officer) || roles.contains(.commander)
        case .officer: return roles.contains(.commander)
        case .commander, .drill: return false
        }
    }

    /// Whether the token may act as `role` on an incident that is (`exercise`) or is not a drill: as ``has(_:)``,
    /// and on an exercise a `drill` token also counts as a viewer and an officer (it sees the drill, works its
    /// tasks and files its follow-ups; setting the level and closing stay with commanders).
    public func may(_ role: Role, exercise: Bool) -> Bool {
        if has(role) { return true }
        return exercise && roles.contains(.drill) && (role == .viewer || role == .officer)
    }

    /// A token that reaches exercise incidents only: `drill` without `viewer` (DESIGN.md "Terms used in names").
    public var isDrillOnly: Bool { !has(.viewer) && roles.contains(.drill) }

    /// What this identity may do with `task` of an incident that is (or is not) an exercise: nothing without the
    /// officer's role there (``may(_:exercise:)``: `POST /v1/tasks/{id}/{action}` answers 403 `forbidden` or
    /// `drill_only`), else the task's own rule for its unit and position, commander or not
    /// (``WatershedCore/ResponseTask/actions(for:isCommander:)``, which `not_assignee` enforces).
    public func taskActions(_ task: ResponseTask, exercise: Bool) -> [TaskAction] {
        guard may(.officer, exercise: exercise) else { return [] }
        return task.actions(for: Assignee(unit: unit, position: dutyPosition), isCommander: has(.commander))
    }
}
