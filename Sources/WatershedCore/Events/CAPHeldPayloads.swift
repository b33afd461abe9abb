import Foundation

/// The identity of a CAP message: sender + identifier + the instant of `sent`, the instant written in UTC as a CAP
/// time (`2003-06-12T03:56:00-00:00`), so that one instant has one key whatever offset the sender wrote.
///
/// The form the store keys `cap_message` and `cap_held` by; `description` is `sender,identifier,sentUTC`, as CAP
/// `references` and the held list name a message.
public struct CAPIdentity: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time (`YYYY-MM-DDThh:mm:ss-00:00`).
    public var sentUTC: String

    /// An identity whose `sentUTC` is already in the key form.
    public init(sender: String, identifier: String, sentUTC: String) {
        self.sender = sender
        self.identifier = identifier
        self.sentUTC = sentUTC
    }

    /// The identity of a message whose `sent` is written as the sender wrote it (`2003-06-11T20:56:00-07:00`);
    /// `nil` when `sent` is not an RFC 3339 time with an offset.
    public init?(sender: String, identifier: String, sent: String) {
        guard let instant = CanonicalJSON.date(fromTimestamp: sent) else { return nil }
        self.init(sender: sender, identifier: identifier, sentUTC: Self.utc(instant))
    }

    /// `date`, to the whole second (a CAP time has no fraction; a fraction is truncated), as a CAP time in UTC:
    /// `YYYY-MM-DDThh:mm:ss-00:00` (CAP 1.2 §3.3.2 writes UTC as `-00:00`).
    public static func utc(_ date: Date) -> String {
        let whole = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
        // `2003-06-12T03:56:00.000Z`: the first 19 characters are the date and time of day in UTC.
        return String(CanonicalJSON.timestamp(whole).prefix(19)) + "-00:00"
    }

    /// `sender,identifier,sentUTC`.
    public var description: String { "\(sender),\(identifier),\(sentUTC)" }

    /// By sender, then identifier, then `sentUTC` (which sorts as the instant: one fixed-width UTC form).
    public static func < (lhs: CAPIdentity, rhs: CAPIdentity) -> Bool {
        (lhs.sender, lhs.identifier, lhs.sentUTC) < (rhs.sender, rhs.identifier, rhs.sentUTC)
    }
}

extension CAPReceivedPayload {
    /// The applied message's identity (`sent` read as the instant); `nil` when `sent` is not a time, which ingest
    /// never stores.
    public var identity: CAPIdentity? { CAPIdentity(sender: sender, identifier: identifier, sent: sent) }
}

/// The `CAPHeld` payload: a peer's CAP `Update` or `Cancel` held until the messages it references arrive (the store's
/// `cap_held` row is its projection, written in the same transaction).
///
/// The event has no incident (the message joins one only when applied, as a `CAPReceived`); its actor is the peer
/// that sent it (or the store, for a row recorded by the migration `v6-cap-held-events`); its `exercise` flag is
/// set for CAP `status` Exercise, as on `CAPReceived`.
public struct CAPHeldPayload: Codable, Sendable, Hashable {
    /// The peer province that sent it (GB/T 2260), from its client certificate.
    public var peer: UnitCode
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time (``CAPIdentity/sentUTC``).
    public var sentUTC: String
    /// When it was received (millisecond precision): when its `expiresAt` is counted from.
    public var receivedAt: Date
    /// The document exactly as received (UTF-8; any `<Signature>` included).
    public var xml: String
    /// The messages it waits for, each `sender,identifier,sentUTC`, sorted; `nil` for a message held before this
    /// event existed and recorded by the migration `v6-cap-held-events` (the store does not read CAP).
    public var waitingFor: [String]?

    public init(
        peer: UnitCode, sender: String, identifier: String, sentUTC: String, receivedAt: Date, xml: String,
        waitingFor: [String]?
    ) {
        self.peer = peer
        self.sender = sender
        self.identifier = identifier
        self.sentUTC = sentUTC
        self.receivedAt = receivedAt
        self.xml = xml
        self.waitingFor = waitingFor
    }

    /// The held message's identity.
    public var identity: CAPIdentity { CAPIdentity(sender: sender, identifier: identifier, sentUTC: sentUTC) }
}

/// The `CAPHeldRefused` payload: a held message that will never be applied, and why — its referents span several
/// incidents (a Cancel), or it waited too long (`expired: …`). It stays listed, with the reason, until dropped, and
/// sending it again is answered with the reason.
///
/// No incident; the actor is the peer that sent the message, or the system component that expired it
/// (`cap-ingest`); `exercise` as on its `CAPHeld`.
public struct CAPHeldRefusedPayload: Codable, Sendable, Hashable {
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time.
    public var sentUTC: String
    /// Why, as a sentence (what the peer is answered, and what `cap_held.refusal` holds).
    public var reason: String

    public init(identity: CAPIdentity, reason: String) {
        self.sender = identity.sender
        self.identifier = identity.identifier
        self.sentUTC = identity.sentUTC
        self.reason = reason
    }

    /// The held message's identity.
    public var identity: CAPIdentity { CAPIdentity(sender: sender, identifier: identifier, sentUTC: sentUTC) }
}

/// The `CAPHeldDropped` payload: a held message (waiting or refused) removed for good; it will never be applied, and
/// sent again it is taken as new.
///
/// No incident; the actor is the commander who dropped it (`DELETE /v1/cap/held/{id}`: their unit, position and
/// token), or the system component (`cap-ingest`) removing the row of a message found applied already;
/// `exercise` as on its `CAPHeld`.
public struct CAPHeldDroppedPayload: Codable, Sendable, Hashable {
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent` in UTC as a CAP time.
    public var sentUTC: String
    /// Who dropped it (the commander's unit and duty position; the token is the event's actor); `nil` when the
    /// server did.
    public var by: Assignee?
    /// Why, as a sentence (`dropped by a commander`, `applied already`).
    public var reason: String

    public init(identity: CAPIdentity, by: Assignee?, reason: String) {
        self.sender = identity.sender
        self.identifier = identity.identifier
        self.sentUTC = identity.sentUTC
        self.by = by
        self.reason = reason
    }

    /// The held message's identity.
    public var identity: CAPIdentity { CAPIdentity(sender: sender, identifier: identifier, sentUTC: sentUTC) }
}
