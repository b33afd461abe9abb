import Foundation
import WatershedCore

/// An entry of `GET /v1/cap/held` (and the answer to `DELETE /v1/cap/held/{id}`): a CAP `Update` or `Cancel` from a
/// peer held until the messages it references arrive, or refused or expired while held (docs/cap.md "Ingest";
/// issue 15, item 6).
///
/// JSON: `{"id": "3f2a…", "peer": "440000", "sender": "…", "identifier": "…", "sent": "2003-06-12T03:56:00-00:00",
/// "msgType": "Update", "receivedAt": "2026-01-15T08:00:00.000Z", "expiresAt": "…", "bytes": 2345,
/// "waitingFor": ["sender,identifier,sent", …], "refusal": null}`.
public struct CAPHeldMessage: Codable, Sendable, Hashable {
    /// The id to drop it by: 16 hexadecimal digits derived from its identity (stable across restarts).
    public var id: String
    /// The peer province that sent it (GB/T 2260).
    public var peer: UnitCode
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time (`…-00:00`).
    public var sent: String
    /// CAP `msgType` (`Update` or `Cancel`).
    public var msgType: String
    /// When it was received (wall clock).
    public var receivedAt: Date
    /// When it expires if its references have not all arrived by then; `nil` once refused or expired.
    public var expiresAt: Date?
    /// The document's size as received, in bytes.
    public var bytes: Int
    /// The referenced messages not yet received (`sender,identifier,sent`, sent in UTC); empty once refused.
    public var waitingFor: [String]
    /// Why it was refused (a Cancel spanning several incidents, or `expired: …`); `nil` while it waits.
    public var refusal: String?

    /// Creates an entry.
    public init(
        id: String, peer: UnitCode, sender: String, identifier: String, sent: String, msgType: String,
        receivedAt: Date, expiresAt: Date?, bytes: Int, waitingFor: [String], refusal: String?
    ) {
        self.id = id
        self.peer = peer
        self.sender = sender
        self.identifier = identifier
        self.sent = sent
        self.msgType = msgType
        self.receivedAt = receivedAt
        self.expiresAt = expiresAt
        self.bytes = bytes
        self.waitingFor = waitingFor
        self.refusal = refusal
    }
}
