import Foundation

/// `TokenIssued` (no incident): a commander made a production token (issue 20, "`watershed tokens add|list|revoke`
/// for production tokens (the secret shown once, only its hash stored)"). Every node folds it into the tokens it
/// accepts; the secret itself is never stored anywhere, the log holds its SHA-256.
public struct TokenIssuedPayload: Codable, Sendable, Hashable {
    /// The token's id (what events' actors name), unique among the seeded and issued tokens.
    public var id: String
    /// The SHA-256 of the secret, 64 lowercase hex digits.
    public var sha256: String
    public var unit: UnitCode
    public var dutyPosition: DutyPosition
    /// `viewer`, `officer`, `commander` (the roles of `WatershedWire.Role`, but `drill`: drill tokens come with their
    /// drill).
    public var roles: [String]
    /// Whose it is, free text.
    public var note: String?

    public init(
        id: String, sha256: String, unit: UnitCode, dutyPosition: DutyPosition, roles: [String], note: String? = nil
    ) {
        self.id = id
        self.sha256 = sha256
        self.unit = unit
        self.dutyPosition = dutyPosition
        self.roles = roles
        self.note = note
    }
}

/// `TokenRevoked` (no incident): an issued token no longer works; its open streams close with 4003.
public struct TokenRevokedPayload: Codable, Sendable, Hashable {
    public var id: String
    /// Why, free text.
    public var reason: String?

    public init(id: String, reason: String? = nil) {
        self.id = id
        self.reason = reason
    }
}
