import Foundation

/// A command the incident model refuses: what kind of refusal, a stable code, a sentence, and the request field at
/// fault. The server maps ``Kind`` to an HTTP status in one place (422, 403, 404, 409); Core knows no HTTP.
public struct DomainError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why the command is refused.
    public enum Kind: String, Sendable, Hashable {
        /// The input breaks a rule (HTTP 422).
        case invalid
        /// The actor may not do this (HTTP 403).
        case forbidden
        /// What the command names does not exist (HTTP 404).
        case notFound
        /// The incident's or task's state does not allow it (HTTP 409).
        case conflict
    }

    public var kind: Kind
    /// A stable machine-readable code, e.g. `incident_closed`, `task_state`, `invalid_field`.
    public var code: String
    /// A sentence a duty officer can act on.
    public var message: String
    /// The request field at fault (`signature.reportingUnit`, `monitoring[0].node`), or `nil`.
    public var field: String?

    public init(_ kind: Kind, code: String, message: String, field: String? = nil) {
        self.kind = kind
        self.code = code
        self.message = message
        self.field = field
    }

    /// A 422 `invalid_field` naming `problem.field`.
    public static func invalid(_ problem: FieldError) -> DomainError {
        DomainError(.invalid, code: "invalid_field", message: problem.message, field: problem.field)
    }

    public var description: String { "\(code): \(message)" + (field.map { " (\($0))" } ?? "") }
}

/// Who gives a command: the token's unit and duty position, whether it acts as commander, and the token id the
/// events record (DESIGN.md "Terms used in names": role, duty position).
public struct TokenHolder: Sendable, Hashable {
    public var unit: UnitCode
    public var position: DutyPosition
    public var token: String
    public var isCommander: Bool

    public init(unit: UnitCode, position: DutyPosition, token: String, isCommander: Bool) {
        self.unit = unit
        self.position = position
        self.token = token
        self.isCommander = isCommander
    }

    /// As an assignee (unit and position).
    public var assignee: Assignee { Assignee(unit: unit, position: position) }
    /// As the actor of the events the command appends.
    public var actor: EventActor { .person(unit: unit, position: position.rawValue, token: token) }
}
