import Crypto
import Foundation
import WatershedCore
import WatershedPlaybooks

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

    /// Whether the token has `role` (a commander may do what an officer or viewer may).
    public func has(_ role: Role) -> Bool {
        if roles.contains(role) { return true }
        switch role {
        case .viewer: return roles.contains(.officer) || roles.contains(.commander)
        case .officer: return roles.contains(.commander)
        case .commander, .drill: return false
        }
    }
}

/// `seeds/<province>/tokens.yaml`: tokens stored as SHA-256 hashes of their secrets.
struct TokenFile: Codable, Sendable {
    struct Entry: Codable, Sendable {
        var id: String
        var sha256: String
        var unit: UnitCode
        var dutyPosition: DutyPosition
        var roles: [Role]
        var note: String?
    }
    var schemaVersion: Int
    var kind: String
    var tokens: [Entry]
    var note: String?
}

/// Looks bearer tokens up by the SHA-256 of their secret; secrets are never stored.
public struct TokenRegistry: Sendable {
    private let byHash: [String: Identity]

    /// Creates a registry from identities keyed by the hex SHA-256 of their secrets.
    public init(hashes: [String: Identity]) { self.byHash = hashes }

    /// Reads `tokens.yaml`.
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` with `file:line:column` lines for a bad file.
    public static func load(file: String) throws -> TokenRegistry {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ServerStartupError.invalidFiles(["\(file):1:1: cannot read the tokens file"])
        }
        let decoded: TokenFile
        do {
            decoded = try StrictYAMLDecoder().decode(TokenFile.self, from: text, file: file)
        } catch {
            throw ServerStartupError.invalidFiles(error.diagnostics.map(\.description))
        }
        var hashes: [String: Identity] = [:]
        for entry in decoded.tokens {
            hashes[entry.sha256.lowercased()] = Identity(
                tokenID: entry.id, unit: entry.unit, dutyPosition: entry.dutyPosition, roles: Set(entry.roles))
        }
        return TokenRegistry(hashes: hashes)
    }

    /// Hex SHA-256 of a secret.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The identity of a secret, or `nil`.
    public func identity(for secret: String) -> Identity? { byHash[Self.hash(secret)] }
}
