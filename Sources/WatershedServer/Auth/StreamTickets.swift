import Crypto
import Foundation
import Synchronization
import WatershedWire

/// One-use tickets for browsers' WebSocket connections, which cannot set an `Authorization` header
/// (DESIGN.md "Live stream"): `POST /v1/stream-tickets` with a bearer token gives a ticket; the browser then opens
/// `/v1/stream?ticket=…` within ``lifetime``. A ticket is redeemed once; it carries the token's identity, so the
/// stream sees the same roles as the token.
///
/// Tickets are 32 random bytes (`SystemRandomNumberGenerator`, the OS's CSPRNG) in base64url, held in memory only
/// (a restart voids them — the browser asks again) and looked up by their SHA-256, so the table never holds a usable
/// ticket. Expired tickets are swept whenever one is issued.
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

    public init() {}

    /// Issues a ticket for `identity`, valid until `now + lifetime`.
    ///
    /// - Returns: the ticket (43 base64url characters) and its expiry.
    public func issue(for identity: Identity, now: Date) -> (ticket: String, expiresAt: Date) {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let ticket = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        let expiresAt = now.addingTimeInterval(Self.lifetime)
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
    public func redeem(_ ticket: String, now: Date) -> Identity? {
        let key = Self.digest(ticket)
        return tickets.withLock { table in
            guard let entry = table.removeValue(forKey: key), entry.expiresAt > now else { return nil }
            return entry.identity
        }
    }

    static func digest(_ ticket: String) -> String {
        SHA256.hash(data: Data(ticket.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
