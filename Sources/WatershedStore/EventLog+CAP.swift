import Foundation
import GRDB
import WatershedCore

/// A CAP message applied to the log (a `CAPReceived` event), by its identity sender + identifier + sent.
public struct CAPMessageRecord: Sendable, Hashable {
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time (`…-00:00`), so that one instant has one key.
    public var sentUTC: String
    /// The peer province it came from.
    public var peer: UnitCode
    /// CAP `msgType`.
    public var msgType: String
    /// The incident (CAP thread) its event belongs to.
    public var incident: UUID
    /// The seq of its `CAPReceived` event.
    public var seq: Int64

    public init(
        sender: String, identifier: String, sentUTC: String, peer: UnitCode, msgType: String, incident: UUID,
        seq: Int64
    ) {
        self.sender = sender
        self.identifier = identifier
        self.sentUTC = sentUTC
        self.peer = peer
        self.msgType = msgType
        self.incident = incident
        self.seq = seq
    }
}

/// A CAP `Update` or `Cancel` held until the messages it references arrive: a `cap_held` row, the projection of its
/// `CAPHeld` (and `CAPHeldRefused`) events (``EventLog/holdCAPMessage(_:waitingFor:exercise:)``), so it survives a
/// restart.
public struct HeldCAPMessage: Sendable, Hashable {
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time.
    public var sentUTC: String
    /// The peer province it came from.
    public var peer: UnitCode
    /// When it was received.
    public var receivedAt: Date
    /// The document exactly as received.
    public var xml: Data
    /// Why it was refused when its referents arrived (it then stays, for the operator, and is never applied);
    /// `nil` while it waits.
    public var refusal: String?

    public init(
        sender: String, identifier: String, sentUTC: String, peer: UnitCode, receivedAt: Date, xml: Data,
        refusal: String? = nil
    ) {
        self.sender = sender
        self.identifier = identifier
        self.sentUTC = sentUTC
        self.peer = peer
        self.receivedAt = receivedAt
        self.xml = xml
        self.refusal = refusal
    }

    /// Its identity.
    public var identity: CAPIdentity { CAPIdentity(sender: sender, identifier: identifier, sentUTC: sentUTC) }
}

extension EventLog {
    /// The `v4-cap` migration's tables: `cap_message` (every applied CAP message, written in the same transaction
    /// as its `CAPReceived` event) and `cap_held` (messages waiting for their referents).
    static func createCAPTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE cap_message (
                    sender TEXT NOT NULL,
                    identifier TEXT NOT NULL,
                    sentUTC TEXT NOT NULL,
                    peer TEXT NOT NULL,
                    msgType TEXT NOT NULL,
                    incident TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (sender, identifier, sentUTC)
                );
                CREATE TABLE cap_held (
                    sender TEXT NOT NULL,
                    identifier TEXT NOT NULL,
                    sentUTC TEXT NOT NULL,
                    peer TEXT NOT NULL,
                    receivedAt TEXT NOT NULL,
                    xml BLOB NOT NULL,
                    refusal TEXT,
                    PRIMARY KEY (sender, identifier, sentUTC)
                );
                """)
    }

    /// Records an applied CAP message, and removes it from `cap_held` if it was held (a `CAPReceived` releases a
    /// held message: ``HeldCAPLedger``) — inside the transaction of its `CAPReceived` event (call it from the
    /// append's projection), so the event, the record and the release commit together or not at all.
    ///
    /// - Throws: `DatabaseError` (a constraint error when a message with this identity is recorded already).
    public static func recordCAPMessage(_ record: CAPMessageRecord, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO cap_message (sender, identifier, sentUTC, peer, msgType, incident, seq)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.sender, record.identifier, record.sentUTC, record.peer, record.msgType,
                record.incident.uuidString, record.seq,
            ])
        try db.execute(
            sql: "DELETE FROM cap_held WHERE sender = ? AND identifier = ? AND sentUTC = ?",
            arguments: [record.sender, record.identifier, record.sentUTC])
    }

    /// A `cap_held` row (a `receivedAt` that is not a time reads as 1970-01-01).
    static func heldMessage(_ row: Row) -> HeldCAPMessage {
        let received: String = row["receivedAt"]
        return HeldCAPMessage(
            sender: row["sender"], identifier: row["identifier"], sentUTC: row["sentUTC"], peer: row["peer"],
            receivedAt: CanonicalJSON.date(fromTimestamp: received) ?? Date(timeIntervalSince1970: 0),
            xml: row["xml"], refusal: row["refusal"])
    }
}
