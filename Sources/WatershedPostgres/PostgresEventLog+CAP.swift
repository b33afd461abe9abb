import Foundation
import WatershedCore
import WatershedStore

/// CAP ingest's writes on PostgreSQL (``WatershedStore/CAPStore``): the same events as on SQLite, checked against
/// the ``federation`` book instead of the `cap_message` and `cap_held` tables. An applied message's identity is the
/// `CAPReceived` event's claim (``WatershedStore/EventClaim``), unique across nodes.
///
/// CAP ingest is one actor per node, so one node never races itself; two nodes holding, refusing or dropping the
/// same held message at the same moment (the same document posted to both) can each append their event, which the
/// fold (``WatershedCore/HeldCAPLedger``) reads as one: a second hold replaces the first, a second refusal or drop
/// changes nothing.
extension PostgresEventLog: CAPStore {
    /// Appends `CAPHeld` (``WatershedStore/CAPStore/holdCAPMessage(_:waitingFor:exercise:)``); a message applied
    /// already gets its event and is held by nothing, as on SQLite.
    ///
    /// - Throws: ``WatershedStore/EventLogError/claimed(_:)`` when a message with its identity is held already
    ///   (nothing is appended); the errors of ``append(_:fence:)``.
    public func holdCAPMessage(_ message: HeldCAPMessage, waitingFor: [String], exercise: Bool) async throws
        -> StoredEvent
    {
        if federation.heldCAPMessage(message.identity) != nil {
            throw EventLogError.claimed("held CAP message \(message.identity)")
        }
        let (_, event) = try message.heldEvent(waitingFor: waitingFor, exercise: exercise)
        return try await append([event])[0]
    }

    public func refuseHeldCAPMessage(
        _ identity: CAPIdentity, reason: String, at: Date, actor: EventActor, exercise: Bool
    ) async throws -> StoredEvent? {
        guard federation.heldCAPMessage(identity) != nil else { return nil }
        let payload = CAPHeldRefusedPayload(identity: identity, reason: reason)
        return try await append([
            try NewEvent(at: at, incident: nil, actor: actor, exercise: exercise, event: .capHeldRefused(payload))
        ])[0]
    }

    public func dropHeldCAPMessage(
        _ identity: CAPIdentity, by: Assignee?, reason: String, at: Date, actor: EventActor, exercise: Bool
    ) async throws -> StoredEvent? {
        guard federation.heldCAPMessage(identity) != nil else { return nil }
        let payload = CAPHeldDroppedPayload(identity: identity, by: by, reason: reason)
        return try await append([
            try NewEvent(at: at, incident: nil, actor: actor, exercise: exercise, event: .capHeldDropped(payload))
        ])[0]
    }

    /// Appends `events`; the first, a `CAPReceived`, claims the message's identity, so `record` needs no table.
    ///
    /// - Throws: ``WatershedStore/EventLogError/claimed(_:)`` when a message with this identity is applied already
    ///   (nothing is appended); the errors of ``append(_:fence:)``.
    public func append(_ events: [NewEvent], recordingCAP record: CAPMessageRecord) async throws -> [StoredEvent] {
        try await append(events, fence: nil, condition: nil)
    }
}
