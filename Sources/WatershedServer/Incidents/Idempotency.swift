import Crypto
import Foundation
import WatershedCore

/// `Idempotency-Key` on the report routes (issue 3, "HTTP API"): scoped to the token's unit, kept 24 h; the same
/// key with a JSON-equal body gets the same response and appends nothing; the same key with a different body is
/// refused with 409.
///
/// **Where the keys live.** The key's record is written *into the first event of the append it produced*
/// (`IdempotencyRecord`, in the `IncidentReported` or `ReportFiled` payload), and the table of live keys is
/// rebuilt from the log when the server starts, with the incident list. Why not a table of its own (a GRDB
/// migration `v1-idempotency`)? (1) `EventLog.init` refuses a file that has migrations it does not know
/// (`EventLogError.newerSchema`), so a migration registered outside `WatershedStore` would stop the next start;
/// (2) a record inside the event is atomic with the events by construction, with no projection to keep in step,
/// and it is covered by the hash chain; (3) the start-up fold already reads every event. The cost: the key (an
/// opaque client value, not a secret) and the request's SHA-256 are in the log for good; expiry (24 h) is applied
/// when the table is rebuilt and when a key is looked up.
///
/// The live keys and the rules for them.
enum Idempotency {
    /// How long a key is kept (issue 3).
    static let lifetime: TimeInterval = 24 * 3_600
    /// The header's name, also the `field` of its errors.
    static let header = "Idempotency-Key"
    /// Longest key accepted, characters.
    static let maximumLength = 255

    /// What a key answered with: enough to rebuild the same response from the log.
    struct Entry: Sendable, Hashable {
        var requestSHA256: String
        var incident: UUID
        var firstSeq: Int64
        var lastSeq: Int64
        var at: Date
    }

    /// The key of the table: the scope and the key.
    static func scoped(unit: UnitCode, key: String) -> String { unit + "\u{0}" + key }

    /// Checks a header value: 1–255 visible ASCII characters.
    ///
    /// - Throws: ``APIError`` 400 with field `Idempotency-Key`.
    static func validate(_ value: String) throws -> String {
        guard !value.isEmpty, value.count <= maximumLength,
            value.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) })
        else {
            throw APIError(
                .badRequest, code: "invalid_header",
                message: "\(header) must be 1 to \(maximumLength) visible ASCII characters (a UUID is usual)",
                field: header)
        }
        return value
    }

    /// SHA-256 (hex) of `route`, a newline and the canonical JSON of the decoded body (keys sorted, no
    /// whitespace, times in UTC with milliseconds): two bodies that decode to the same report match, whatever
    /// their key order, spacing or time-zone spelling.
    static func fingerprint(route: String, body: some Encodable) throws -> String {
        var hasher = SHA256()
        hasher.update(data: Data(route.utf8))
        hasher.update(data: Data("\n".utf8))
        hasher.update(data: try CanonicalJSON.encode(body))
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// 409 for a key already used with another request.
    static func conflict(_ key: String) -> DomainError {
        DomainError(
            .conflict, code: "idempotency_key_reused",
            message: "\(header) \"\(key)\" was used in the last 24 h with a different request; use a new key",
            field: header)
    }
}
