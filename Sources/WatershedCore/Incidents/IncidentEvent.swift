import Foundation

/// What an event of the log says, with its payload decoded once into its type (DESIGN.md "Identifiers and events").
///
/// The log stores every event as canonical JSON (``StoredEvent``); ``RecordedEvent/init(_:)`` reads the payload
/// into one of these cases, and everything that folds or decides works on the cases, never on JSON. A case may be
/// added with its ``EventType``, never renamed (stored events name their type).
public enum IncidentEvent: Sendable, Hashable {
    /// `IncidentReported`: an initial report opened the incident (MEP Order No. 17 Art. 13–14).
    case reported(IncidentReportedPayload)
    /// `LevelSet`: the severity level was set or changed.
    case levelSet(LevelSetPayload)
    /// `ReportFiled`: a follow-up or final report.
    case reportFiled(ReportFiledPayload)
    /// `PlanComputed`: the planner's plan, replacing any earlier one.
    case planComputed(PlanRecord)
    /// One of the ten task events (``TaskChange``).
    case task(TaskChange)
    /// `ObligationDue`: a legal report obligation.
    case obligationDue(ReportObligation)
    /// `ObligationMet`.
    case obligationMet(ObligationMetPayload)
    /// `ReportForwarded`: the province forwarded a lower unit's report (to MEE).
    case reportForwarded(ReportForwardedPayload)
    /// `PeerNotified`: a neighbouring province to notify.
    case peerNotified(PeerNotifiedPayload)
    /// `PeerReceived`: the neighbour's server stored our events.
    case peerReceived(PeerAcknowledgementPayload)
    /// `PeerAccepted`: the neighbour's duty officer accepted the notification.
    case peerAccepted(PeerAcknowledgementPayload)
    /// `IncidentLinked`.
    case linked(IncidentLinkedPayload)
    /// `IncidentClosed`.
    case closed(IncidentClosedPayload)
    /// `PeerEventReceived`: an event of the neighbour's incident this one mirrors.
    case peerEventReceived(PeerEventReceivedPayload)
    /// `CAPReceived`: a CAP 1.2 message from a peer, applied to this incident.
    case capReceived(CAPReceivedPayload)
    /// `CAPHeld`: a peer's CAP message held for its referents (no incident).
    case capHeld(CAPHeldPayload)
    /// `CAPHeldRefused`: a held CAP message refused for good (no incident).
    case capHeldRefused(CAPHeldRefusedPayload)
    /// `CAPHeldDropped`: a held CAP message dropped (no incident).
    case capHeldDropped(CAPHeldDroppedPayload)
    /// `TaskTextSent`: a task's text message taken by the SMS gateway.
    case textSent(TaskTextSent)
    /// `TaskTextDelivered`.
    case textDelivered(TaskTextDelivered)
    /// `TaskTextFailed`.
    case textFailed(TaskTextFailed)
    /// `RotaOverridden`: a swap on the duty rota (no incident).
    case rotaOverridden(RotaOverriddenPayload)
    /// `TokenIssued`: a production token made (no incident).
    case tokenIssued(TokenIssuedPayload)
    /// `TokenRevoked` (no incident).
    case tokenRevoked(TokenRevokedPayload)
    /// `DrillStarted`.
    case drillStarted(DrillStartedPayload)
    /// `DrillInjected`.
    case drillInjected(DrillInjectedPayload)
    /// `DrillEnded`.
    case drillEnded(DrillEndedPayload)

    /// The type the event is stored as.
    public var type: EventType {
        switch self {
        case .reported: .incidentReported
        case .levelSet: .levelSet
        case .reportFiled: .reportFiled
        case .planComputed: .planComputed
        case .task(let change): change.eventType
        case .obligationDue: .obligationDue
        case .obligationMet: .obligationMet
        case .reportForwarded: .reportForwarded
        case .peerNotified: .peerNotified
        case .peerReceived: .peerReceived
        case .peerAccepted: .peerAccepted
        case .linked: .incidentLinked
        case .closed: .incidentClosed
        case .peerEventReceived: .peerEventReceived
        case .capReceived: .capReceived
        case .capHeld: .capHeld
        case .capHeldRefused: .capHeldRefused
        case .capHeldDropped: .capHeldDropped
        case .textSent: .taskTextSent
        case .textDelivered: .taskTextDelivered
        case .textFailed: .taskTextFailed
        case .rotaOverridden: .rotaOverridden
        case .tokenIssued: .tokenIssued
        case .tokenRevoked: .tokenRevoked
        case .drillStarted: .drillStarted
        case .drillInjected: .drillInjected
        case .drillEnded: .drillEnded
        }
    }

    /// The payload as stored: the case's value as JSON.
    ///
    /// - Throws: ``CanonicalJSONError`` for a value with no JSON form (a NaN).
    public func payload() throws -> JSONValue { try payload(encoding: { try JSONValue(encoding: $0) }) }

    /// The payload as `encode` turns the case's value into JSON (tests compare ``JSONValue/init(encoding:)`` with
    /// ``JSONValue/init(encodingThroughText:)`` on every case).
    package func payload(encoding encode: (any Encodable) throws -> JSONValue) throws -> JSONValue {
        switch self {
        case .reported(let value): try encode(value)
        case .levelSet(let value): try encode(value)
        case .reportFiled(let value): try encode(value)
        case .planComputed(let value): try encode(value.document())
        case .task(let change): try change.payload(encoding: encode)
        case .obligationDue(let value): try encode(value)
        case .obligationMet(let value): try encode(value)
        case .reportForwarded(let value): try encode(value)
        case .peerNotified(let value): try encode(value)
        case .peerReceived(let value): try encode(value)
        case .peerAccepted(let value): try encode(value)
        case .linked(let value): try encode(value)
        case .closed(let value): try encode(value)
        case .peerEventReceived(let value): try encode(value)
        case .capReceived(let value): try encode(value)
        case .capHeld(let value): try encode(value)
        case .capHeldRefused(let value): try encode(value)
        case .capHeldDropped(let value): try encode(value)
        case .textSent(let value): try encode(value)
        case .textDelivered(let value): try encode(value)
        case .textFailed(let value): try encode(value)
        case .rotaOverridden(let value): try encode(value)
        case .tokenIssued(let value): try encode(value)
        case .tokenRevoked(let value): try encode(value)
        case .drillStarted(let value): try encode(value)
        case .drillInjected(let value): try encode(value)
        case .drillEnded(let value): try encode(value)
        }
    }

    /// Reads the payload of an event of type `type`.
    ///
    /// - Throws: `DecodingError` when the payload does not have the shape of the type's payload.
    public init(type: EventType, payload: JSONValue) throws {
        try self.init(type: type, reading: payload)
    }

    /// Reads the payload of an event of type `type` from `payload` (a ``JSONValue``, or the `payload` member of
    /// the event being decoded from its stored bytes).
    ///
    /// - Throws: `DecodingError` when the payload does not have the shape of the type's payload.
    init(type: EventType, reading payload: some PayloadReader) throws {
        switch type {
        case .incidentReported: self = .reported(try payload.read())
        case .levelSet: self = .levelSet(try payload.read())
        case .reportFiled: self = .reportFiled(try payload.read())
        case .planComputed: self = .planComputed(try payload.readPlan())
        case .obligationDue: self = .obligationDue(try payload.read())
        case .obligationMet: self = .obligationMet(try payload.read())
        case .reportForwarded: self = .reportForwarded(try payload.read())
        case .peerNotified: self = .peerNotified(try payload.read())
        case .peerReceived: self = .peerReceived(try payload.read())
        case .peerAccepted: self = .peerAccepted(try payload.read())
        case .incidentLinked: self = .linked(try payload.read())
        case .incidentClosed: self = .closed(try payload.read())
        case .peerEventReceived: self = .peerEventReceived(try payload.read())
        case .capReceived: self = .capReceived(try payload.read())
        case .capHeld: self = .capHeld(try payload.read())
        case .capHeldRefused: self = .capHeldRefused(try payload.read())
        case .capHeldDropped: self = .capHeldDropped(try payload.read())
        case .taskTextSent: self = .textSent(try payload.read())
        case .taskTextDelivered: self = .textDelivered(try payload.read())
        case .taskTextFailed: self = .textFailed(try payload.read())
        case .rotaOverridden: self = .rotaOverridden(try payload.read())
        case .tokenIssued: self = .tokenIssued(try payload.read())
        case .tokenRevoked: self = .tokenRevoked(try payload.read())
        case .drillStarted: self = .drillStarted(try payload.read())
        case .drillInjected: self = .drillInjected(try payload.read())
        case .drillEnded: self = .drillEnded(try payload.read())
        case .taskDispatched, .taskAcknowledged, .taskStarted, .taskDone, .taskDeclined, .taskCancelled, .taskOverdue,
            .taskEscalated, .taskUnowned, .taskRescheduled:
            // `TaskChange` reads every task type; `nil` is impossible for these.
            guard let change = try TaskChange(eventType: type, payload: payload) else {
                throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not a task event: \(type)"))
            }
            self = .task(change)
        }
    }
}

extension NewEvent {
    /// An event to append saying `event`, which it keeps typed (``typed``) so that the fold after the commit reads
    /// nothing back.
    ///
    /// - Throws: ``CanonicalJSONError`` for a payload with no JSON form.
    public init(
        id: UUID = UUID(), at: Date, incident: UUID?, actor: EventActor, exercise: Bool = false, drillAt: Date? = nil,
        event: IncidentEvent
    ) throws {
        self.init(
            id: id, at: at, incident: incident, type: event.type, actor: actor, exercise: exercise, drillAt: drillAt,
            payload: try event.payload())
        self.typed = event
    }
}

/// A committed event with its payload read once (``IncidentEvent``): what the incident model folds.
public struct RecordedEvent: Sendable, Hashable {
    /// Position in the log.
    public let seq: Int64
    /// The event's identifier.
    public let id: UUID
    /// Wall-clock time, at millisecond precision.
    public let at: Date
    /// The incident, if any.
    public let incident: UUID?
    /// Who caused it.
    public let actor: EventActor
    /// `true` for drill events.
    public let exercise: Bool
    /// Drill-clock time of a drill event.
    public let drillAt: Date?
    /// What it says.
    public let event: IncidentEvent

    /// The type it is stored as.
    public var type: EventType { event.type }

    /// Reads `stored`'s payload.
    ///
    /// - Throws: ``RecordedEventError`` naming the seq, the type and what is wrong, when the payload does not have
    ///   its type's shape (a log written by other code, or damaged).
    public init(_ stored: StoredEvent) throws(RecordedEventError) {
        do {
            event = try IncidentEvent(type: stored.type, payload: stored.payload)
        } catch {
            throw RecordedEventError(seq: stored.seq, type: stored.type, reason: "\(error)")
        }
        seq = stored.seq
        id = stored.id
        at = stored.at
        incident = stored.incident
        actor = stored.actor
        exercise = stored.exercise
        drillAt = stored.drillAt
    }

    /// `stored`, appended from `appended`: its payload is taken from ``NewEvent/typed`` when the event was built
    /// typed (nothing is decoded), and read from the stored bytes otherwise.
    ///
    /// - Throws: ``RecordedEventError`` as ``init(_:)``.
    public init(_ stored: StoredEvent, appended: NewEvent) throws(RecordedEventError) {
        guard let event = appended.typed, appended.id == stored.id, event.type == stored.type else {
            try self.init(stored)
            return
        }
        self.init(
            seq: stored.seq, id: stored.id, at: stored.at, incident: stored.incident, actor: stored.actor,
            exercise: stored.exercise, drillAt: stored.drillAt, event: event)
    }

    /// An event from its parts (tests, and events about to be appended).
    public init(
        seq: Int64, id: UUID = UUID(), at: Date, incident: UUID?, actor: EventActor, exercise: Bool = false,
        drillAt: Date? = nil, event: IncidentEvent
    ) {
        self.seq = seq
        self.id = id
        self.at = at
        self.incident = incident
        self.actor = actor
        self.exercise = exercise
        self.drillAt = drillAt
        self.event = event
    }
}

/// A stored event whose payload does not have its type's shape.
public struct RecordedEventError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The event's seq.
    public let seq: Int64
    /// Its type.
    public let type: EventType
    /// What the decoder said.
    public let reason: String

    public var description: String {
        "event \(seq) (\(type.rawValue)): the payload is not a \(type.rawValue): \(reason)"
    }
}
