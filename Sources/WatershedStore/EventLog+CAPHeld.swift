import Foundation
import GRDB
import WatershedCore

/// Held CAP messages as events (DESIGN.md "Held CAP messages"): holding, refusing and dropping one appends a
/// `CAPHeld`, `CAPHeldRefused` or `CAPHeldDropped` event, and `cap_held` is their projection, written in the same
/// transaction — so that the hash chain covers it and `watershed audit verify` compares it with the fold of the
/// events (``HeldCAPLedger``, ``verifyHeldCAPMessages()``).
extension EventLog {
    /// Holds a CAP message until its referents arrive: appends its `CAPHeld` event (at `message.receivedAt`, by the
    /// peer, no incident) and, in the same transaction, its `cap_held` row (the row's XML is the event's, as UTF-8:
    /// ingest takes UTF-8 only). A message already applied (a `cap_message` row: its release committed first) gets
    /// its event and no row, as the fold says.
    ///
    /// - Parameters:
    ///   - waitingFor: the identities it waits for, `sender,identifier,sentUTC`.
    ///   - exercise: CAP `status` Exercise (the event's `exercise` flag, as on `CAPReceived`).
    /// - Returns: the stored event.
    /// - Throws: `DatabaseError` (`SQLITE_CONSTRAINT` when a message with its identity is held already: nothing is
    ///   appended); ``EventLogError/readOnly(path:)``; the errors of ``append(_:projecting:)``.
    @discardableResult
    public func holdCAPMessage(_ message: HeldCAPMessage, waitingFor: [String], exercise: Bool) async throws
        -> StoredEvent
    {
        let (payload, event) = try message.heldEvent(waitingFor: waitingFor, exercise: exercise)
        return try await append([event]) { db, _ in try Self.projectHold(payload, in: db) }[0]
    }

    /// Marks a held message refused for good (it stays in `cap_held` with `reason` and is never applied): appends its
    /// `CAPHeldRefused` event and sets the row's `refusal` in the same transaction.
    ///
    /// - Parameters:
    ///   - at: when (wall clock).
    ///   - actor: the peer that sent it, or the component that expired it (`.system(component: "cap-ingest")`).
    ///   - exercise: as on its `CAPHeld`.
    /// - Returns: the stored event; `nil` when no message with this identity is held (nothing is appended).
    /// - Throws: `DatabaseError`; ``EventLogError/readOnly(path:)``.
    @discardableResult
    public func refuseHeldCAPMessage(
        _ identity: CAPIdentity, reason: String, at: Date, actor: EventActor, exercise: Bool
    ) async throws -> StoredEvent? {
        let payload = CAPHeldRefusedPayload(identity: identity, reason: reason)
        let event = try NewEvent(
            at: at, incident: nil, actor: actor, exercise: exercise, event: .capHeldRefused(payload))
        return try await appendUnlessNotHeld(event) { db in
            try db.execute(
                sql: "UPDATE cap_held SET refusal = ? WHERE sender = ? AND identifier = ? AND sentUTC = ?",
                arguments: [reason, identity.sender, identity.identifier, identity.sentUTC])
        }
    }

    /// Removes a held message (waiting or refused) for good: appends its `CAPHeldDropped` event and deletes its
    /// `cap_held` row in the same transaction.
    ///
    /// - Parameters:
    ///   - by: the commander's unit and position (`nil` when the server drops it).
    ///   - reason: why, as a sentence.
    ///   - actor: the commander (`.person`, with the token), or `.system(component: "cap-ingest")`.
    ///   - exercise: as on its `CAPHeld`.
    /// - Returns: the stored event; `nil` when no message with this identity is held (nothing is appended).
    /// - Throws: `DatabaseError`; ``EventLogError/readOnly(path:)``.
    @discardableResult
    public func dropHeldCAPMessage(
        _ identity: CAPIdentity, by: Assignee?, reason: String, at: Date, actor: EventActor, exercise: Bool
    ) async throws -> StoredEvent? {
        let payload = CAPHeldDroppedPayload(identity: identity, by: by, reason: reason)
        let event = try NewEvent(
            at: at, incident: nil, actor: actor, exercise: exercise, event: .capHeldDropped(payload))
        return try await appendUnlessNotHeld(event) { db in
            try db.execute(
                sql: "DELETE FROM cap_held WHERE sender = ? AND identifier = ? AND sentUTC = ?",
                arguments: [identity.sender, identity.identifier, identity.sentUTC])
        }
    }

    /// No row changed: the message is not held, and the event is not appended.
    private struct NotHeld: Error {}

    /// Appends `event` with `change` as its projection, unless `change` changes no row of `cap_held`.
    private func appendUnlessNotHeld(_ event: NewEvent, change: @escaping @Sendable (Database) throws -> Void)
        async throws -> StoredEvent?
    {
        do {
            return try await append([event]) { db, _ in
                try change(db)
                if db.changesCount == 0 { throw NotHeld() }
            }[0]
        } catch is NotHeld {
            return nil
        }
    }

    /// The `cap_held` row of a `CAPHeld` event, unless its message is applied already (a plain `INSERT`: a message
    /// held already is a constraint error).
    static func projectHold(_ payload: CAPHeldPayload, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO cap_held (sender, identifier, sentUTC, peer, receivedAt, xml, refusal)
                SELECT ?, ?, ?, ?, ?, ?, NULL
                WHERE NOT EXISTS (SELECT 1 FROM cap_message WHERE sender = ? AND identifier = ? AND sentUTC = ?)
                """,
            arguments: [
                payload.sender, payload.identifier, payload.sentUTC, payload.peer,
                CanonicalJSON.timestamp(payload.receivedAt), Data(payload.xml.utf8), payload.sender,
                payload.identifier, payload.sentUTC,
            ])
    }

    // MARK: Migration v6

    /// The component named as the actor of the events the migration `v6-cap-held-events` appends.
    public static let heldMigrationComponent = "migration-v6-cap-held-events"

    /// The migration `v6-cap-held-events`: `cap_held` rows written before holding was an event get their events, so
    /// that the chain covers them from now on.
    ///
    /// A row whose message is applied already (a `cap_message` row: left over when its release committed first) is
    /// deleted, as the ingest did at its first read. Every other row, oldest first, gets a `CAPHeld` event (at the
    /// time the migration runs — the wall clock, read here — with the row's `receivedAt`, peer and XML, `waitingFor`
    /// `nil` since the store does not read CAP, actor ``heldMigrationComponent``, `exercise` false), and a refused
    /// row also a `CAPHeldRefused` with its refusal. The rows themselves are left as they are.
    static func recordHeldBeforeV6(_ db: Database) throws {
        try db.execute(
            sql: """
                DELETE FROM cap_held WHERE EXISTS (
                    SELECT 1 FROM cap_message m
                    WHERE m.sender = cap_held.sender AND m.identifier = cap_held.identifier
                        AND m.sentUTC = cap_held.sentUTC)
                """)
        let rows = try Row.fetchAll(db, sql: "SELECT * FROM cap_held ORDER BY receivedAt, rowid")
        guard !rows.isEmpty else { return }
        let now = CanonicalJSON.roundedToMilliseconds(Date())
        let actor = EventActor.system(component: heldMigrationComponent)
        var events: [NewEvent] = []
        for row in rows {
            let message = heldMessage(row)
            events.append(
                try NewEvent(
                    at: now, incident: nil, actor: actor,
                    event: .capHeld(
                        CAPHeldPayload(
                            peer: message.peer, sender: message.sender, identifier: message.identifier,
                            sentUTC: message.sentUTC, receivedAt: message.receivedAt,
                            xml: String(decoding: message.xml, as: UTF8.self), waitingFor: nil))))
            if let refusal = message.refusal {
                events.append(
                    try NewEvent(
                        at: now, incident: nil, actor: actor,
                        event: .capHeldRefused(CAPHeldRefusedPayload(identity: message.identity, reason: refusal))))
            }
        }
        for result in try insert([PendingAppend(events: events, projection: nil)], in: db) {
            _ = try result.get()
        }
    }
}
