import Foundation

/// The `CAPReceived` payload: a CAP 1.2 message a peer sent, as applied to the log.
///
/// The event's `incident` is the thread the message belongs to: a new UUID for an `Alert`, the incident of the
/// messages it references for an `Update` or `Cancel`. The event's actor is the peer (`{"kind":"peer",…}`) and its
/// `exercise` flag is set for CAP `status` Exercise.
public struct CAPReceivedPayload: Codable, Sendable, Hashable {
    /// One `references` entry.
    public struct Reference: Codable, Sendable, Hashable {
        /// The referenced message's sender.
        public var sender: String
        /// Its identifier.
        public var identifier: String
        /// Its `sent`, as written in `references`.
        public var sent: String

        public init(sender: String, identifier: String, sent: String) {
            self.sender = sender
            self.identifier = identifier
            self.sent = sent
        }
    }

    /// The peer province that sent it (GB/T 2260), from its client certificate.
    public var peer: UnitCode
    /// CAP `sender`.
    public var sender: String
    /// CAP `identifier`.
    public var identifier: String
    /// CAP `sent`, as written.
    public var sent: String
    /// CAP `status`: `Actual` or `Exercise`.
    public var status: String
    /// CAP `msgType`: `Alert`, `Update` or `Cancel`.
    public var msgType: String
    /// The messages it references.
    public var references: [Reference]
    /// The first `info` block's `headline` (or `event`), for timelines.
    public var headline: String?
    /// Whether it was held until the messages it references arrived.
    public var wasHeld: Bool
    /// For the message that opened the incident (an Alert starting a thread): our reference for it
    /// (`GX-2026-0012`), so that it is listed, shown and worked like any other incident (issue 16); `nil` on the
    /// messages that join a thread, and on messages stored before it was recorded.
    public var reference: String?
    /// The document exactly as received (any `<Signature>` included).
    public var xml: String

    public init(
        peer: UnitCode, sender: String, identifier: String, sent: String, status: String, msgType: String,
        references: [Reference], headline: String?, wasHeld: Bool, xml: String, reference: String? = nil
    ) {
        self.reference = reference
        self.peer = peer
        self.sender = sender
        self.identifier = identifier
        self.sent = sent
        self.status = status
        self.msgType = msgType
        self.references = references
        self.headline = headline
        self.wasHeld = wasHeld
        self.xml = xml
    }
}
