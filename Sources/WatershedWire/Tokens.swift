import Foundation
import WatershedCore

/// `POST /v1/tokens` (commander): make a production token (issue 20). The secret is made by the server and shown
/// once, in the answer; only its SHA-256 is kept.
public struct TokenIssueRequest: Codable, Sendable, Hashable {
    /// The token's id (3–40 of `a-z`, `0-9`, `-`); made from the unit and position when left out.
    public var id: String?
    public var unit: UnitCode
    public var dutyPosition: DutyPosition
    /// At least one of viewer, officer, commander.
    public var roles: [Role]
    /// Whose it is.
    public var note: String?

    public init(id: String? = nil, unit: UnitCode, dutyPosition: DutyPosition, roles: [Role], note: String? = nil) {
        self.id = id
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.roles = roles
        self.note = note
    }
}

/// `201` of `POST /v1/tokens`: the token with its secret — the only time the secret is shown.
public struct TokenMade: Codable, Sendable, Hashable {
    public var id: String
    /// The secret to give as `Authorization: Bearer …`.
    public var token: String
    public var seq: Int64

    public init(id: String, token: String, seq: Int64) {
        self.id = id
        self.token = token
        self.seq = seq
    }
}

/// `GET /v1/tokens` (commander): a token the server accepts (or accepted), without its secret or hash.
public struct TokenSummary: Codable, Sendable, Hashable {
    public var id: String
    public var unit: UnitCode
    public var dutyPosition: DutyPosition
    public var roles: [Role]
    public var note: String?
    /// `seeds` (the tokens file; changed there) or `issued` (made through the API).
    public var source: String
    public var revoked: Bool

    public init(
        id: String, unit: UnitCode, dutyPosition: DutyPosition, roles: [Role], note: String?, source: String,
        revoked: Bool
    ) {
        self.id = id
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.roles = roles
        self.note = note
        self.source = source
        self.revoked = revoked
    }
}
