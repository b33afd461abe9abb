import Foundation
import Synchronization
import WatershedCore
import WatershedWire

/// The production tokens commanders made through the API (`TokenIssued`, `TokenRevoked`; issue 20), by the SHA-256
/// of their secrets — folded from the log on every node, so a token made on one node works on all, and a revoked one
/// stops everywhere (its open streams close with 4003).
public final class IssuedTokens: Sendable {
    struct Entry: Sendable {
        var identity: Identity
        var issued: TokenIssuedPayload
        var revoked: Bool
    }
    private struct State {
        var byHash: [String: Entry] = [:]
        var hashByID: [String: String] = [:]
    }
    private let state = Mutex(State())

    public init() {}

    /// Folds a `TokenIssued` or a `TokenRevoked`; other events change nothing.
    func apply(_ event: IncidentEvent) {
        switch event {
        case .tokenIssued(let issued):
            let roles = Set(issued.roles.compactMap(Role.init(rawValue:)).filter { $0 != .drill })
            let identity = Identity(
                tokenID: issued.id, unit: issued.unit, dutyPosition: issued.dutyPosition, roles: roles)
            state.withLock { state in
                state.byHash[issued.sha256.lowercased()] = Entry(identity: identity, issued: issued, revoked: false)
                state.hashByID[issued.id] = issued.sha256.lowercased()
            }
        case .tokenRevoked(let revoked):
            state.withLock { state in
                if let hash = state.hashByID[revoked.id] { state.byHash[hash]?.revoked = true }
            }
        default: return
        }
    }

    /// The identity of a secret, when it is an issued token not revoked. (Keyed by the SHA-256 of a 128-bit random
    /// secret: a guess cannot steer the hash it looks up.)
    func identity(for secret: String) -> Identity? {
        guard secret.hasPrefix("wsd-") else { return nil }
        let hash = TokenRegistry.hash(secret)
        return state.withLock { state in state.byHash[hash].flatMap { $0.revoked ? nil : $0.identity } }
    }

    /// Whether the token `id` was issued here and has been revoked.
    func isRevoked(_ id: String) -> Bool {
        state.withLock { state in state.hashByID[id].flatMap { state.byHash[$0]?.revoked } ?? false }
    }

    /// Whether `id` names an issued token (revoked or not).
    func contains(_ id: String) -> Bool { state.withLock { $0.hashByID[id] != nil } }

    /// Every issued token, in id order, with whether it is revoked.
    func all() -> [(issued: TokenIssuedPayload, revoked: Bool)] {
        state.withLock { state in
            state.byHash.values.map { ($0.issued, $0.revoked) }.sorted { $0.issued.id < $1.issued.id }
        }
    }
}
