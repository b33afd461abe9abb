import Crypto
import Foundation
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedWire

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
///
/// A presented secret is hashed and its digest compared with **every** stored digest, each
/// comparison touching all 32 bytes and the scan never stopping early, so the time taken does not
/// depend on how much of a stored hash a guess matches nor on which entry matched. (A dictionary
/// keyed by the hex hash would leak only through the hash of a guess, which an attacker cannot
/// steer; the scan removes even that, and costs microseconds for the few dozen tokens a province
/// has.)
public struct TokenRegistry: Sendable {
    private let entries: [(digest: [UInt8], identity: Identity)]

    /// Creates a registry from identities keyed by the hex SHA-256 of their secrets (either case).
    /// A key that is not 64 hexadecimal digits never matches.
    public init(hashes: [String: Identity]) {
        self.entries = hashes.sorted { $0.key < $1.key }.compactMap { hash, identity in
            Self.digest(hex: hash).map { ($0, identity) }
        }
    }

    /// The number of tokens.
    public var count: Int { entries.count }

    /// The tokens' identities, in the order of their hashes.
    public var identities: [Identity] { entries.map(\.identity) }

    /// Reads `tokens.yaml`: `schemaVersion: 1`, `kind: tokens`, and `tokens`, each with `id`,
    /// `sha256` (64 hex digits, either case), `unit`, `dutyPosition`, `roles` (at least one of
    /// ``Role``) and an optional `note`.
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` with one `file:line:column: field: message`
    ///   line per problem: an unreadable file, YAML errors, unknown keys, wrong types, unknown roles,
    ///   a hash that is not 64 hex digits, a repeated id or hash, no roles.
    public static func load(file: String) throws -> TokenRegistry {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ServerStartupError.invalidFiles(["\(file):1:1: cannot read the tokens file"])
        }
        let result = StrictYAMLDecoder().decodeCollectingProblems(TokenFile.self, from: text, file: file)
        var problems = result.diagnostics
        func problem(_ path: String, _ message: String) {
            let (line, column) = result.sourceMap.position(of: path)
            problems.append(PlaybookDiagnostic(file: file, line: line, column: column, field: path, message: message))
        }
        // Checks of meaning run on a file that decoded cleanly (placeholders would give false alarms).
        guard let decoded = result.value, problems.isEmpty else {
            throw ServerStartupError.invalidFiles(problems.map(\.description))
        }
        if decoded.schemaVersion != 1 {
            problem("schemaVersion", "schema version \(decoded.schemaVersion) is not supported; expected 1")
        }
        if decoded.kind != "tokens" { problem("kind", "\"\(decoded.kind)\" is not \"tokens\"") }
        var hashes: [String: Identity] = [:]
        var firstID: [String: Int] = [:]
        var firstHash: [String: Int] = [:]
        for (index, entry) in decoded.tokens.enumerated() {
            let path = "tokens[\(index)]"
            let hash = entry.sha256.lowercased()
            if let earlier = firstID[entry.id] {
                problem("\(path).id", "duplicate id \"\(entry.id)\" (first at tokens[\(earlier)])")
            } else {
                firstID[entry.id] = index
            }
            if digest(hex: hash) == nil {
                problem(
                    "\(path).sha256",
                    "expected 64 hexadecimal digits, as `printf %s SECRET | sha256sum` prints them; this value has "
                        + "\(hash.count) characters or a character that is not a hex digit (it is not shown: it might be a secret)"
                )
            } else if let earlier = firstHash[hash] {
                problem("\(path).sha256", "the same secret as tokens[\(earlier)]; every token needs its own")
            } else {
                firstHash[hash] = index
            }
            if entry.roles.isEmpty { problem("\(path).roles", "a token needs at least one role") }
            hashes[hash] = Identity(
                tokenID: entry.id, unit: entry.unit, dutyPosition: entry.dutyPosition, roles: Set(entry.roles))
        }
        guard problems.isEmpty else {
            throw ServerStartupError.invalidFiles(
                PlaybookLoadError(diagnostics: problems).diagnostics.map(\.description))
        }
        return TokenRegistry(hashes: hashes)
    }

    /// Hex SHA-256 of a secret, lowercase: what `printf %s SECRET | sha256sum` prints.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The identity of a secret, or `nil`; compares in constant time (see the type's note).
    public func identity(for secret: String) -> Identity? {
        let presented = Array(SHA256.hash(data: Data(secret.utf8)))
        var found: Identity?
        for entry in entries where Self.constantTimeEqual(entry.digest, presented) {
            found = entry.identity
        }
        return found
    }

    /// Whether two 32-byte digests are equal, looking at every byte whatever the first difference.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    /// The 32 bytes of a 64-digit hex string (either case), or `nil`.
    static func digest(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for pair in stride(from: 0, to: 64, by: 2) {
            guard let high = nibble(digits[pair]), let low = nibble(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
