import Crypto
import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// Production tokens through the API (issue 20, "`watershed tokens add|list|revoke`"), commanders only:
///
/// - `POST /v1/tokens`: body ``TokenIssueRequest``; `201` ``TokenMade`` with the secret, shown this once. The log
///   gets `TokenIssued` with the secret's SHA-256. 422 naming `id` (taken, or not 3–40 of a-z 0-9 -), `unit` /
///   `dutyPosition` (not of the organisation) or `roles` (none, or `drill`).
/// - `GET /v1/tokens`: ``TokenSummary`` of every token, the seeded file's and the issued ones.
/// - `POST /v1/tokens/{id}/revoke`: `TokenRevoked`; the token stops at once on every node and its open streams close
///   with 4003. 404 for an id not issued here; 409 for a token of the tokens file (remove it there) or one revoked.
struct TokenRoutes: Sendable {
    let incidents: IncidentService
    let registry: TokenRegistry
    let clock: any WallClock

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.post("/v1/tokens") { request, context in
            let identity = try context.require(.commander)
            let body: TokenIssueRequest = try await Routes.decodeBody(request, context: context)
            let made = try await incidents.issueToken(body, seeded: registry, by: identity, now: clock.now)
            return try JSONResponse.make(made, status: .created)
        }
        router.get("/v1/tokens") { _, context in
            _ = try context.require(.commander)
            let seeded = registry.identities.map { identity in
                TokenSummary(
                    id: identity.tokenID, unit: identity.unit, dutyPosition: identity.dutyPosition,
                    roles: Role.allCases.filter { identity.roles.contains($0) }, note: nil, source: "seeds",
                    revoked: false)
            }
            let issued = incidents.issuedTokens.all().map { token, revoked in
                TokenSummary(
                    id: token.id, unit: token.unit, dutyPosition: token.dutyPosition,
                    roles: token.roles.compactMap(Role.init(rawValue:)), note: token.note, source: "issued",
                    revoked: revoked)
            }
            return try JSONResponse.make((seeded + issued).sorted { $0.id < $1.id })
        }
        router.post("/v1/tokens/:id/revoke") { _, context in
            let identity = try context.require(.commander)
            let id = context.parameters.get("id") ?? ""
            let seq = try await incidents.revokeToken(id, seeded: registry, by: identity, now: clock.now)
            return try JSONResponse.make(["id": id, "seq": String(seq)])
        }
    }
}

extension IncidentService {
    /// Makes a token (see ``TokenRoutes``): a 128-bit random secret `wsd-<32 hex>`, `TokenIssued` with its SHA-256.
    ///
    /// - Throws: ``DomainError`` invalid naming `id`, `unit`, `dutyPosition` or `roles`; the log's errors.
    func issueToken(_ request: TokenIssueRequest, seeded: TokenRegistry, by identity: Identity, now: Date)
        async throws -> TokenMade
    {
        let id =
            request.id ?? "\(request.unit)-\(request.dutyPosition.rawValue)-\(UUID().uuidString.prefix(4))".lowercased()
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789-")
        guard (3...40).contains(id.count), id.allSatisfy({ allowed.contains($0) }) else {
            throw DomainError(.invalid, code: "bad_id", message: "a token id is 3–40 of a-z, 0-9 and -", field: "id")
        }
        guard !seeded.identities.contains(where: { $0.tokenID == id }), !issuedTokens.contains(id) else {
            throw DomainError(.invalid, code: "id_taken", message: "a token \"\(id)\" exists already", field: "id")
        }
        guard let unit = organisation.units[request.unit] else {
            throw DomainError(
                .invalid, code: "unknown_unit", message: "unit \(request.unit) is not in the organisation",
                field: "unit")
        }
        guard unit.dutyPositions.contains(request.dutyPosition) else {
            throw DomainError(
                .invalid, code: "unknown_position",
                message: "\(request.unit) has no duty position \(request.dutyPosition)", field: "dutyPosition")
        }
        guard !request.roles.isEmpty, !request.roles.contains(.drill) else {
            throw DomainError(
                .invalid, code: "bad_roles",
                message: "give one or more of viewer, officer, commander (drill tokens come with their drill)",
                field: "roles")
        }
        let secret = "wsd-" + (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let issued = TokenIssuedPayload(
            id: id, sha256: TokenRegistry.hash(secret), unit: request.unit, dutyPosition: request.dutyPosition,
            roles: request.roles.map(\.rawValue), note: request.note)
        let stored = try await append([
            try NewEvent(
                at: now, incident: nil,
                actor: identity.holder.actor,
                event: .tokenIssued(issued))
        ])
        return TokenMade(id: id, token: secret, seq: stored.last?.seq ?? 0)
    }

    /// Revokes an issued token (`TokenRevoked`).
    ///
    /// - Throws: ``DomainError`` not found for an id not issued here; conflict for a seeded token or one revoked
    ///   already; the log's errors.
    func revokeToken(_ id: String, seeded: TokenRegistry, by identity: Identity, now: Date) async throws -> Int64 {
        if seeded.identities.contains(where: { $0.tokenID == id }) {
            throw DomainError(
                .conflict, code: "seeded_token",
                message: "token \(id) is in the tokens file: remove it there and restart", field: "id")
        }
        guard issuedTokens.contains(id) else {
            throw DomainError(.notFound, code: "unknown_token", message: "no issued token \"\(id)\"", field: "id")
        }
        guard !issuedTokens.isRevoked(id) else {
            throw DomainError(.conflict, code: "revoked", message: "token \(id) is revoked already", field: "id")
        }
        let stored = try await append([
            try NewEvent(
                at: now, incident: nil,
                actor: identity.holder.actor,
                event: .tokenRevoked(TokenRevokedPayload(id: id)))
        ])
        return stored.last?.seq ?? 0
    }
}
