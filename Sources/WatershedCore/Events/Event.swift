import Foundation

/// An event to append to the log, before it has a `seq` and a hash.
///
/// Times are wall-clock `Date`s chosen by the caller (Core reads no clock); the log stores them rounded to the
/// nearest millisecond (``CanonicalJSON/roundedToMilliseconds(_:)``).
public struct NewEvent: Sendable, Hashable {
    /// The event's own identifier, unique in the log.
    public var id: UUID
    /// Wall-clock time of the event.
    public var at: Date
    /// The incident it belongs to; `nil` for events outside any incident (e.g. `DrillStarted`).
    public var incident: UUID?
    /// What happened.
    public var type: EventType
    /// Who caused it.
    public var actor: EventActor
    /// `true` for drill (exercise) events, which never trigger a real notification.
    public var exercise: Bool
    /// The drill clock's time of a drill event; `nil` for real events (DESIGN.md "Clocks").
    public var drillAt: Date?
    /// The type-specific body; an empty object when there is none.
    public var payload: JSONValue
    /// The payload as the typed event it was made from (``init(id:at:incident:actor:exercise:drillAt:event:)``), so
    /// that the fold after the commit need not read back what was just written (a plan is tens of KB); `nil` for an
    /// event made from JSON. Not stored: the log keeps `payload`.
    public var typed: IncidentEvent?

    /// Creates an event; `id` defaults to a random UUID.
    public init(
        id: UUID = UUID(), at: Date, incident: UUID? = nil, type: EventType, actor: EventActor,
        exercise: Bool = false, drillAt: Date? = nil, payload: JSONValue = .object([:])
    ) {
        self.id = id
        self.at = at
        self.incident = incident
        self.type = type
        self.actor = actor
        self.exercise = exercise
        self.drillAt = drillAt
        self.payload = payload
    }

    /// The exact bytes this event is stored and hashed as under `seq`.
    ///
    /// The canonical JSON (``CanonicalJSON``) of the object
    /// `{"actor":{…},"at":"…","drillAt":"…","exercise":false,"id":"…","incident":"…","payload":…,"seq":N,"type":"…"}`.
    /// `incident` and `drillAt` are left out when `nil` (never written as `null`), so an event outside any incident
    /// and a real (non-drill) event carry no such key. UUIDs are written as `UUID.uuidString` (upper case), times
    /// with three fractional digits in UTC.
    ///
    /// - Throws: ``CanonicalJSONError/nonFiniteNumber(path:)`` when the payload holds a NaN or infinity.
    public func canonicalBytes(seq: Int64) throws -> Data {
        var object: [String: JSONValue] = [
            "seq": .number(Double(seq)),
            "id": .string(id.uuidString),
            "at": .string(CanonicalJSON.timestamp(at)),
            "type": .string(type.rawValue),
            "actor": actor.jsonValue,
            "exercise": .bool(exercise),
            "payload": payload,
        ]
        if let incident { object["incident"] = .string(incident.uuidString) }
        if let drillAt { object["drillAt"] = .string(CanonicalJSON.timestamp(drillAt)) }
        return try CanonicalJSON.data(.object(object))
    }
}

extension EventActor {
    /// The actor as the JSON object described on ``EventActor``.
    var jsonValue: JSONValue {
        switch self {
        case .person(let unit, let position, let token):
            return ["kind": "person", "unit": .string(unit), "position": .string(position), "token": .string(token)]
        case .peer(let province):
            return ["kind": "peer", "province": .string(province)]
        case .system(let component):
            return ["kind": "system", "component": .string(component)]
        }
    }
}

/// An event as committed to the log: its fields, its place `seq`, and its link in the hash chain.
///
/// `canonicalBytes` are the exact stored bytes (``NewEvent/canonicalBytes(seq:)``) and
/// `hash = SHA-256(prevHash ‖ canonicalBytes)` as 64 lowercase hex characters, where `prevHash` is the previous
/// event's hash as its 64 lowercase hex characters (64 zeros for seq 1). The fields are those the bytes say.
///
/// As JSON (``Codable``, e.g. in stream frames) it is the object of the canonical bytes plus `prevHash` and
/// `hash`; decoding re-derives `canonicalBytes` from the fields, which gives back the stored bytes for every event
/// the log wrote, so a receiver can check `hash` against them.
public struct StoredEvent: Sendable, Hashable {
    /// Position in the log: 1, 2, 3, … without gaps.
    public let seq: Int64
    /// The event's identifier.
    public let id: UUID
    /// Wall-clock time, at millisecond precision.
    public let at: Date
    /// The incident, if any.
    public let incident: UUID?
    /// What happened.
    public let type: EventType
    /// Who caused it.
    public let actor: EventActor
    /// `true` for drill events.
    public let exercise: Bool
    /// Drill-clock time of a drill event, at millisecond precision.
    public let drillAt: Date?
    /// The type-specific body.
    public let payload: JSONValue
    /// The previous event's hash, 64 lowercase hex characters; 64 zeros for seq 1.
    public let prevHash: String
    /// SHA-256 of `prevHash` (as its 64 ASCII characters) followed by `canonicalBytes`, 64 lowercase hex characters.
    public let hash: String
    /// The exact stored bytes, canonical JSON.
    public let canonicalBytes: Data

    /// The hash of nothing: the `prevHash` of the first event, 64 zeros.
    public static let genesisHash = String(repeating: "0", count: 64)

    /// Stores `event` at `seq`: encodes its canonical bytes once and asks `chain` for the hash of
    /// `prevHash ‖ bytes` (Core has no SHA-256; the store passes it in). Times are rounded to milliseconds.
    ///
    /// - Throws: ``CanonicalJSONError`` when the payload has no canonical form.
    public init(
        seq: Int64, event: NewEvent, prevHash: String, chain: (_ prevHash: String, _ canonicalBytes: Data) -> String
    ) throws {
        let bytes = try event.canonicalBytes(seq: seq)
        self.seq = seq
        self.id = event.id
        self.at = CanonicalJSON.roundedToMilliseconds(event.at)
        self.incident = event.incident
        self.type = event.type
        self.actor = event.actor
        self.exercise = event.exercise
        self.drillAt = event.drillAt.map(CanonicalJSON.roundedToMilliseconds)
        self.payload = event.payload
        self.prevHash = prevHash
        self.hash = chain(prevHash, bytes)
        self.canonicalBytes = bytes
    }

    /// Reads an event back from its stored bytes; the fields are whatever the bytes say.
    ///
    /// - Throws: `DecodingError` when the bytes are not an event object (missing or mistyped field, unknown
    ///   `type`, a time that is not RFC 3339).
    public init(canonicalBytes: Data, prevHash: String, hash: String) throws {
        // Read with the direct parser, not `JSONDecoder`: finding the payload's JSON types through a `Decoder` means
        // a thrown error per failed guess, which dominates reading a long log.
        let object: [String: JSONValue]
        do {
            guard case .object(let members) = try JSONValue.parse(canonicalBytes) else {
                throw Self.corrupted([], "an event is a JSON object")
            }
            object = members
        } catch let error as JSONParseError {
            throw Self.corrupted([], error.description)
        }
        func field(_ key: Field) throws -> JSONValue {
            guard let value = object[key.stringValue] else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: [], debugDescription: "an event needs \"\(key)\""))
            }
            return value
        }
        func string(_ key: Field) throws -> String {
            guard case .string(let text) = try field(key) else { throw Self.corrupted([key], "expected a string") }
            return text
        }
        func uuid(_ key: Field) throws -> UUID {
            guard let id = UUID(uuidString: try string(key)) else { throw Self.corrupted([key], "expected a UUID") }
            return id
        }
        func time(_ key: Field) throws -> Date {
            let text = try string(key)
            guard let date = CanonicalJSON.date(fromTimestamp: text) else {
                throw Self.corrupted([key], "\"\(text)\" is not an RFC 3339 time")
            }
            return date
        }
        guard case .number(let seq) = try field(.seq), let seq = Int64(exactly: seq) else {
            throw Self.corrupted([Field.seq], "expected a whole number")
        }
        guard let type = EventType(rawValue: try string(.type)) else {
            throw Self.corrupted([Field.type], "unknown event type")
        }
        guard case .bool(let exercise) = try field(.exercise) else {
            throw Self.corrupted([Field.exercise], "expected true or false")
        }
        self.seq = seq
        self.id = try uuid(.id)
        self.at = try time(.at)
        self.incident = object["incident"] == nil ? nil : try uuid(.incident)
        self.type = type
        self.actor = try field(.actor).decode(EventActor.self)
        self.exercise = exercise
        self.drillAt = object["drillAt"] == nil ? nil : try time(.drillAt)
        self.payload = try field(.payload)
        self.prevHash = prevHash
        self.hash = hash
        self.canonicalBytes = canonicalBytes
    }

    private static func corrupted(_ path: [any CodingKey], _ message: String) -> DecodingError {
        .dataCorrupted(.init(codingPath: path, debugDescription: message))
    }

    /// The event without its place in the log (e.g. to append it to another log).
    public var newEvent: NewEvent {
        NewEvent(
            id: id, at: at, incident: incident, type: type, actor: actor, exercise: exercise, drillAt: drillAt,
            payload: payload)
    }

    /// The fields of the canonical bytes.
    private enum Field: String, CodingKey {
        case seq, id, at, incident, type, actor, exercise, drillAt, payload
    }
}

extension StoredEvent: Codable {
    private enum CodingKeys: String, CodingKey {
        case seq, id, at, incident, type, actor, exercise, drillAt, payload, prevHash, hash
    }

    /// Decodes the JSON described on the type (times as RFC 3339 strings, whatever the decoder's date strategy)
    /// and re-derives `canonicalBytes` from the fields.
    ///
    /// - Throws: `DecodingError` for a missing or mistyped field or a time that is not RFC 3339.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func time(_ key: CodingKeys) throws -> Date? {
            guard let text = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
            guard let date = CanonicalJSON.date(fromTimestamp: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "\"\(text)\" is not an RFC 3339 time")
            }
            return date
        }
        guard let at = try time(.at) else {
            throw DecodingError.keyNotFound(
                CodingKeys.at, .init(codingPath: container.codingPath, debugDescription: "an event needs \"at\""))
        }
        let event = NewEvent(
            id: try container.decode(UUID.self, forKey: .id), at: at,
            incident: try container.decodeIfPresent(UUID.self, forKey: .incident),
            type: try container.decode(EventType.self, forKey: .type),
            actor: try container.decode(EventActor.self, forKey: .actor),
            exercise: try container.decode(Bool.self, forKey: .exercise), drillAt: try time(.drillAt),
            payload: try container.decode(JSONValue.self, forKey: .payload))
        let hash = try container.decode(String.self, forKey: .hash)
        do {
            try self.init(
                seq: try container.decode(Int64.self, forKey: .seq), event: event,
                prevHash: try container.decode(String.self, forKey: .prevHash), chain: { _, _ in hash })
        } catch let error as CanonicalJSONError {
            throw DecodingError.dataCorruptedError(
                forKey: .payload, in: container, debugDescription: "payload has no canonical form: \(error)")
        }
    }

    /// Encodes the fields, `prevHash` and `hash` (times as RFC 3339 strings whatever the encoder's date strategy;
    /// `incident` and `drillAt` left out when `nil`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(id, forKey: .id)
        try container.encode(CanonicalJSON.timestamp(at), forKey: .at)
        try container.encodeIfPresent(incident, forKey: .incident)
        try container.encode(type, forKey: .type)
        try container.encode(actor, forKey: .actor)
        try container.encode(exercise, forKey: .exercise)
        try container.encodeIfPresent(drillAt.map(CanonicalJSON.timestamp), forKey: .drillAt)
        try container.encode(payload, forKey: .payload)
        try container.encode(prevHash, forKey: .prevHash)
        try container.encode(hash, forKey: .hash)
    }
}
