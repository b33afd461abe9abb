import Foundation
import Hummingbird
import WatershedWire

/// The context of every API route that needs a token: its ``identity`` is there, never optional. A request without
/// a valid bearer token (or stream ticket) never reaches such a route's handler: making this context from
/// ``AppRequestContext`` answers 401 `unauthenticated` first. What the identity may do (a role, an exercise, a
/// drill) is checked by the handler, since it depends on what the request is about.
struct AuthenticatedContext: ChildRequestContext {
    var coreContext: CoreRequestContextStorage
    /// Who is asking (``TokenAuthenticator``).
    let identity: Identity

    /// - Throws: ``APIError`` 401 when the request carries no valid token.
    init(context: AppRequestContext) throws {
        self.coreContext = context.coreContext
        self.identity = try context.requireIdentity()
    }

    /// Bodies larger than 1 MiB are refused with 413.
    var maxUploadSize: Int { 1 << 20 }

    /// The identity if it has `role`, else 403 (naming `field` when a field of the request asks for the role).
    func require(_ role: Role, field: String? = nil) throws -> Identity {
        try identity.require(role, field: field)
    }

    /// The identity if it may act as `role` on an incident that is (or is not) an exercise, else 403.
    func require(_ role: Role, exercise: Bool, field: String? = nil) throws -> Identity {
        try identity.require(role, exercise: exercise, field: field)
    }

    /// The identity if it may read the log (a viewer, or a drill-only token), else 403.
    func requireReader() throws -> Identity { try identity.requireReader() }
}

extension Identity {
    /// Itself if it has `role`, else 403 `forbidden` (naming `field` when a field of the request asks for the role,
    /// e.g. `levelChange`).
    func require(_ role: Role, field: String? = nil) throws -> Identity {
        guard has(role) else {
            throw APIError(
                .forbidden, code: "forbidden",
                message: "token \(tokenID) has roles \(roles.map(\.rawValue).sorted()); this needs \(role.rawValue)",
                field: field)
        }
        return self
    }

    /// Itself if it may act as `role` on an incident that is (or is not) an exercise (``may(_:exercise:)``), else
    /// 403 — a `drill` token on a real incident gets 403 `drill_only`.
    func require(_ role: Role, exercise: Bool, field: String? = nil) throws -> Identity {
        guard may(role, exercise: exercise) else {
            if !exercise, roles.contains(.drill) {
                throw APIError(
                    .forbidden, code: "drill_only",
                    message: "token \(tokenID) has the drill role: it reaches exercise incidents only", field: field)
            }
            return try require(role, field: field)
        }
        return self
    }

    /// Itself if it may read the log: a viewer, or a drill-only token (which then sees exercise events only).
    func requireReader() throws -> Identity {
        isDrillOnly ? self : try require(.viewer)
    }
}
