import Crypto
import Foundation
import Synchronization
import WatershedPostgres
import WatershedWire

/// One-use tickets for browsers' WebSocket connections, which cannot set an `Authorization` header
/// (DESIGN.md "Live stream"): `POST /v1/stream-tickets` with a bearer token gives a ticket; the browser then opens
/// `/v1/stream?ticket=…` within ``lifetime``. A ticket is redeemed once; it carries the token's identity, so the
/// stream sees the same roles as the token.
///
/// Tickets are 32 random bytes (`SystemRandomNumberGenerator`, the OS's CSPRNG) in base64url, looked up by their
/// SHA-256, so no table ever holds a usable ticket. On one node they are held in memory only (a restart voids them —
/// the browser asks again), expired ones swept whenever one is issued. When several nodes serve one database they
/// are kept there (``SharedTickets``, issue 18), so that a ticket issued by one node opens the stream on any, once.
public final class StreamTickets: Sendable {
    /// How long a ticket may wait to be used (DESIGN.md: 30 s).
    public static let lifetime: TimeInterval = 30
    /// Most live tickets at once; beyond it the oldest are dropped (a client asking in a loop cannot grow memory).
    static let capacity = 10_000

    private struct Ticket {
        var identity: Identity
        var expiresAt: Date
    }
    private let tickets = Mutex<[String: Ticket]>([:])
    /// Where tickets are kept when nodes share a database; `nil`: in memory.
    let shared: (any SharedTickets)?

    public init(shared: (any SharedTickets)? = nil) {
        self.shared = shared
    }

    /// Issues a ticket for `identity`, valid until `now + lifetime`.
    ///
    /// - Returns: the ticket (43 base64url characters) and its expiry.
    /// - Throws: the shared store's errors (never in memory).
    public func issue(for identity: Identity, now: Date) async throws -> (ticket: String, expiresAt: Date) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let ticket = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let expiresAt = now.addingTimeInterval(Self.lifetime)
        if let shared {
            try await shared.keepTicket(
                digest: Self.digest(ticket), identity: try JSONEncoder().encode(identity), until: expiresAt)
            return (ticket, expiresAt)
        }
        tickets.withLock { table in
            table = table.filter { $0.value.expiresAt > now }
            if table.count >= Self.capacity {
                for key in table.sorted(by: { $0.value.expiresAt < $1.value.expiresAt })
                    .prefix(table.count - Self.capacity + 1).map(\.key)
                {
                    table[key] = nil
                }
            }
            table[Self.digest(ticket)] = Ticket(identity: identity, expiresAt: expiresAt)
        }
        return (ticket, expiresAt)
    }

    /// Redeems a ticket: its identity if it is known and not expired at `now`; the ticket is gone afterwards
    /// either way.
    ///
    /// - Throws: the shared store's errors (never in memory).
    public func redeem(_ ticket: String, now: Date) async throws -> Identity? {
        let key = Self.digest(ticket)
        if let shared {
            return try await shared.takeTicket(digest: key, now: now).flatMap {
                try? JSONDecoder().decode(Identity.self, from: $0)
            }
        }
        return tickets.withLock { table in
            guard let entry = table.removeValue(forKey: key), entry.expiresAt > now else { return nil }
            return entry.identity
        }
    }

    static func digest(_ ticket: String) -> String {
        SHA256.hash(data: Data(ticket.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// A store of stream tickets that every node reads (the PostgreSQL log: `watershed_stream_ticket`).
public protocol SharedTickets: Sendable {
    /// Keeps a ticket by its SHA-256, with the identity it carries (JSON) and its expiry.
    func keepTicket(digest: String, identity: Data, until: Date) async throws
    /// Deletes a ticket and returns its identity, if it was there and expires after `now`.
    func takeTicket(digest: String, now: Date) async throws -> Data?
}

extension PostgresEventLog: SharedTickets {}
