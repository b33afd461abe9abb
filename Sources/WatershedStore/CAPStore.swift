import Foundation
import WatershedCore

/// What CAP ingest reads and writes (issue 16: the federation works on Core's decisions and a narrow store
/// interface): the applied messages by identity, the held ones, and the events that hold, refuse and drop a held
/// message with `cap_held` projected in the same transaction. A message applied to an incident is appended through
/// the incident service (``CAPMessageRecord`` is recorded in that append's transaction:
/// ``EventLog/recording(_:)``).
///
/// ``EventLog`` (SQLite) implements it; another log (PostgreSQL, issue 18) implements the same calls with the same
/// meaning and the same events.
public protocol CAPStore: Sendable {
    /// The applied CAP message with this identity (`sentUTC` as ``CAPIdentity`` writes it), or `nil`.
    ///
    /// - Throws: the store's errors.
    func capMessage(sender: String, identifier: String, sentUTC: String) throws -> CAPMessageRecord?

    /// The held CAP message with this identity (waiting or refused), or `nil`.
    ///
    /// - Throws: the store's errors.
    func heldCAPMessage(sender: String, identifier: String, sentUTC: String) throws -> HeldCAPMessage?

    /// Held messages still waiting (not refused), oldest first; only those from `peer` when given; with
    /// `includingRefused`, the refused and expired ones too.
    ///
    /// - Throws: the store's errors.
    func heldCAPMessages(peer: UnitCode?, includingRefused: Bool) throws -> [HeldCAPMessage]

    /// Holds a message until its referents arrive: appends `CAPHeld` and its `cap_held` row together.
    ///
    /// - Throws: the store's errors (a constraint error when a message with its identity is held already: nothing
    ///   is appended).
    func holdCAPMessage(_ message: HeldCAPMessage, waitingFor: [String], exercise: Bool) async throws -> StoredEvent

    /// Refuses a held message for good: appends `CAPHeldRefused` and sets the row's refusal together; `nil` when
    /// no message with this identity is held (nothing is appended).
    ///
    /// - Throws: the store's errors.
    func refuseHeldCAPMessage(
        _ identity: CAPIdentity, reason: String, at: Date, actor: EventActor, exercise: Bool
    ) async throws -> StoredEvent?

    /// Drops a held message: appends `CAPHeldDropped` and deletes its row together; `nil` when no message with this
    /// identity is held (nothing is appended).
    ///
    /// - Throws: the store's errors.
    func dropHeldCAPMessage(
        _ identity: CAPIdentity, by: Assignee?, reason: String, at: Date, actor: EventActor, exercise: Bool
    ) async throws -> StoredEvent?

    /// Appends `events` (the first a `CAPReceived`) with `record` — its seq that of the first event — in the same
    /// transaction: what CAP ingest uses when no incident service is attached (its own tests).
    ///
    /// - Throws: the store's errors (a constraint error when a message with this identity is recorded already:
    ///   nothing is appended).
    func append(_ events: [NewEvent], recordingCAP record: CAPMessageRecord) async throws -> [StoredEvent]
}

extension HeldCAPMessage {
    /// Its `CAPHeld` event, as both logs append it: at ``receivedAt``, by the peer, no incident, the XML as UTF-8
    /// (ingest takes UTF-8 only), `waitingFor` sorted.
    ///
    /// - Parameters:
    ///   - waitingFor: the identities it waits for, `sender,identifier,sentUTC`.
    ///   - exercise: CAP `status` Exercise.
    /// - Throws: ``WatershedCore/CanonicalJSONError`` (a payload with no canonical form).
    public func heldEvent(waitingFor: [String], exercise: Bool) throws -> (payload: CAPHeldPayload, event: NewEvent) {
        let payload = CAPHeldPayload(
            peer: peer, sender: sender, identifier: identifier, sentUTC: sentUTC, receivedAt: receivedAt,
            xml: String(decoding: xml, as: UTF8.self), waitingFor: waitingFor.sorted())
        let event = try NewEvent(
            at: receivedAt, incident: nil, actor: .peer(province: peer), exercise: exercise, event: .capHeld(payload))
        return (payload, event)
    }
}

extension CAPStore {
    /// Held messages still waiting, oldest first.
    ///
    /// - Throws: the store's errors.
    public func heldCAPMessages() throws -> [HeldCAPMessage] {
        try heldCAPMessages(peer: nil, includingRefused: false)
    }
}

extension EventLog: CAPStore {
    /// The projection that records an applied CAP message in its `CAPReceived`'s transaction, with the seq of the
    /// first event appended.
    public static func recording(_ record: CAPMessageRecord) -> Projection {
        { db, stored in
            var applied = record
            applied.seq = stored[0].seq
            try recordCAPMessage(applied, in: db)
        }
    }

    public func append(_ events: [NewEvent], recordingCAP record: CAPMessageRecord) async throws -> [StoredEvent] {
        try await append(events, projecting: Self.recording(record))
    }
}
