import Foundation
import WatershedCore

/// `GET /v1/incidents/{id}` for an incident opened by a CAP 1.2 `Alert` a peer posted to `POST /v1/feeds/cap` on the
/// peer port, and made only of `CAPReceived` events (issue 5, "CAP 1.2 for peers that do not run Watershed"). Such an
/// incident has no initial report of ours — no reference, place, pollutant or plan — so it is not an
/// ``IncidentDetail``: `"origin": "cap"` tells the two apart. It is not listed by `GET /v1/incidents` (which lists
/// incidents with a report); its id is the `incident` of its `CAPReceived` events on the stream.
///
/// JSON: `{"id", "origin": "cap", "peer", "exercise", "state", "messages": [Message…], "timeline": [TimelineEntry…]}`.
public struct CAPIncidentDetail: Codable, Sendable, Hashable {
    /// One `info` block of a CAP message, as sent (CAP 1.2 §3.2.2).
    public struct Info: Codable, Sendable, Hashable {
        /// `language` (RFC 3066), when given.
        public var language: String?
        /// `event`: the subject, e.g. "Thallium in the He River".
        public var event: String
        /// `urgency`, `severity`, `certainty` (CAP 1.2 code values, e.g. `Immediate`, `Severe`, `Observed`).
        public var urgency: String
        public var severity: String
        public var certainty: String
        /// `headline`, `description`, `instruction`, when given.
        public var headline: String?
        public var description: String?
        public var instruction: String?
        /// The `areaDesc` of each `area`.
        public var areas: [String]
        /// `parameter` pairs, `valueName` → `value`, in order.
        public var parameters: [[String]]

        public init(
            language: String?, event: String, urgency: String, severity: String, certainty: String,
            headline: String?, description: String?, instruction: String?, areas: [String], parameters: [[String]]
        ) {
            self.language = language
            self.event = event
            self.urgency = urgency
            self.severity = severity
            self.certainty = certainty
            self.headline = headline
            self.description = description
            self.instruction = instruction
            self.areas = areas
            self.parameters = parameters
        }
    }

    /// One CAP message of the thread (a `CAPReceived` event).
    public struct Message: Codable, Sendable, Hashable {
        /// The event's seq and when it was stored.
        public var seq: Int64
        public var at: Date
        /// CAP `sender`, `identifier` and `sent` (as written, `±hh:mm`): the message's identity.
        public var sender: String
        public var identifier: String
        public var sent: String
        /// `Actual` or `Exercise`.
        public var status: String
        /// `Alert`, `Update` or `Cancel`.
        public var msgType: String
        /// The messages it references.
        public var references: [CAPReceivedPayload.Reference]
        /// Whether it waited in the store for a referenced message.
        public var wasHeld: Bool
        /// Its `info` blocks (empty when the stored document cannot be read again).
        public var info: [Info]

        public init(
            seq: Int64, at: Date, sender: String, identifier: String, sent: String, status: String, msgType: String,
            references: [CAPReceivedPayload.Reference], wasHeld: Bool, info: [Info]
        ) {
            self.seq = seq
            self.at = at
            self.sender = sender
            self.identifier = identifier
            self.sent = sent
            self.status = status
            self.msgType = msgType
            self.references = references
            self.wasHeld = wasHeld
            self.info = info
        }
    }

    /// The incident's UUID (the thread's).
    public var id: UUID
    /// Always `"cap"`.
    public var origin: String
    /// The peer province whose certificate posted the thread's first message (GB/T 2260).
    public var peer: UnitCode
    /// Our reference for the incident (`GX-2026-0012`), handed out when its Alert was applied; `nil` for a thread
    /// stored before references were recorded (it is then listed as `CAP-` and the start of its UUID).
    public var reference: String?
    /// Whether the messages are CAP `Exercise`.
    public var exercise: Bool
    /// `open`, or `cancelled` once a `Cancel` of the thread was applied.
    public var state: String
    /// The messages, in the order applied.
    public var messages: [Message]
    /// Every event of the incident, in seq order.
    public var timeline: [IncidentDetail.TimelineEntry]

    public init(
        id: UUID, peer: UnitCode, exercise: Bool, state: String, messages: [Message],
        timeline: [IncidentDetail.TimelineEntry]
    ) {
        self.id = id
        self.origin = "cap"
        self.peer = peer
        self.exercise = exercise
        self.state = state
        self.messages = messages
        self.timeline = timeline
    }
}
