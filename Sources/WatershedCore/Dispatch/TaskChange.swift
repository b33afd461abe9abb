import Foundation

/// One change of a response task: the payload of one task event, tagged with its type.
///
/// The transitions of ``ResponseTask`` return changes (the events to append); ``ResponseTask/apply(_:)`` folds
/// them. In the log a change is an event whose `type` is ``eventType`` and whose `payload` is ``payload()``;
/// ``init(eventType:payload:)`` reads it back. As `Codable` (e.g. in ``ResponseTask/history``) a change is
/// `{"type":"TaskEscalated","payload":{…}}`.
public enum TaskChange: Sendable, Hashable {
    /// `TaskDispatched`.
    case dispatched(TaskDispatched)
    /// `TaskAcknowledged`.
    case acknowledged(TaskAcknowledged)
    /// `TaskStarted`.
    case started(TaskStarted)
    /// `TaskDone`.
    case done(TaskDone)
    /// `TaskDeclined`.
    case declined(TaskDeclined)
    /// `TaskCancelled`.
    case cancelled(TaskCancelled)
    /// `TaskOverdue`.
    case overdue(TaskOverdue)
    /// `TaskEscalated`.
    case escalated(TaskEscalated)
    /// `TaskUnowned`.
    case unowned(TaskUnowned)
    /// `TaskRescheduled`.
    case rescheduled(TaskRescheduled)

    /// The event types that carry task changes.
    public static let eventTypes: Set<EventType> = [
        .taskDispatched, .taskAcknowledged, .taskStarted, .taskDone, .taskDeclined, .taskCancelled, .taskOverdue,
        .taskEscalated, .taskUnowned, .taskRescheduled,
    ]

    /// The event type the change is stored as.
    public var eventType: EventType {
        switch self {
        case .dispatched: .taskDispatched
        case .acknowledged: .taskAcknowledged
        case .started: .taskStarted
        case .done: .taskDone
        case .declined: .taskDeclined
        case .cancelled: .taskCancelled
        case .overdue: .taskOverdue
        case .escalated: .taskEscalated
        case .unowned: .taskUnowned
        case .rescheduled: .taskRescheduled
        }
    }

    /// The task it changes.
    public var task: UUID {
        switch self {
        case .dispatched(let payload): payload.task
        case .acknowledged(let payload): payload.task
        case .started(let payload): payload.task
        case .done(let payload): payload.task
        case .declined(let payload): payload.task
        case .cancelled(let payload): payload.task
        case .overdue(let payload): payload.task
        case .escalated(let payload): payload.task
        case .unowned(let payload): payload.task
        case .rescheduled(let payload): payload.task
        }
    }

    /// When it happened (the payload's `at`).
    public var at: Date {
        switch self {
        case .dispatched(let payload): payload.at
        case .acknowledged(let payload): payload.at
        case .started(let payload): payload.at
        case .done(let payload): payload.at
        case .declined(let payload): payload.at
        case .cancelled(let payload): payload.at
        case .overdue(let payload): payload.at
        case .escalated(let payload): payload.at
        case .unowned(let payload): payload.at
        case .rescheduled(let payload): payload.at
        }
    }

    /// The payload as the event's JSON body (``JSONValue/init(encoding:)``: times RFC 3339 UTC with three
    /// fractional digits).
    ///
    /// - Throws: `EncodingError` when a value cannot be encoded (it cannot for these payloads, whose numbers
    ///   are all integers).
    public func payload() throws -> JSONValue { try payload(encoding: { try JSONValue(encoding: $0) }) }

    /// The payload as `encode` turns the case's value into JSON.
    package func payload(encoding encode: (any Encodable) throws -> JSONValue) throws -> JSONValue {
        switch self {
        case .dispatched(let payload): try encode(payload)
        case .acknowledged(let payload): try encode(payload)
        case .started(let payload): try encode(payload)
        case .done(let payload): try encode(payload)
        case .declined(let payload): try encode(payload)
        case .cancelled(let payload): try encode(payload)
        case .overdue(let payload): try encode(payload)
        case .escalated(let payload): try encode(payload)
        case .unowned(let payload): try encode(payload)
        case .rescheduled(let payload): try encode(payload)
        }
    }

    /// Reads a change from an event's type and payload; `nil` when the type is not a task event
    /// (not in ``eventTypes``).
    ///
    /// - Throws: `DecodingError` when the payload does not have the shape of the type's payload.
    public init?(eventType: EventType, payload: some PayloadReader) throws {
        switch eventType {
        case .taskDispatched: self = .dispatched(try payload.read())
        case .taskAcknowledged: self = .acknowledged(try payload.read())
        case .taskStarted: self = .started(try payload.read())
        case .taskDone: self = .done(try payload.read())
        case .taskDeclined: self = .declined(try payload.read())
        case .taskCancelled: self = .cancelled(try payload.read())
        case .taskOverdue: self = .overdue(try payload.read())
        case .taskEscalated: self = .escalated(try payload.read())
        case .taskUnowned: self = .unowned(try payload.read())
        case .taskRescheduled: self = .rescheduled(try payload.read())
        default: return nil
        }
    }
}

extension TaskChange: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, payload
    }

    /// Decodes `{"type":"TaskAcknowledged","payload":{…}}`.
    ///
    /// - Throws: `DecodingError` for a type that is not a task event or a payload of the wrong shape.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(EventType.self, forKey: .type)
        let payload = try container.decode(JSONValue.self, forKey: .payload)
        guard let change = try TaskChange(eventType: type, payload: payload) else {
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container, debugDescription: "\(type.rawValue) is not a task event")
        }
        self = change
    }

    /// Encodes `{"type":"TaskAcknowledged","payload":{…}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventType, forKey: .type)
        try container.encode(try payload(), forKey: .payload)
    }
}
