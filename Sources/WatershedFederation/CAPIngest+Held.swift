import Crypto
import Foundation
import Logging
import WatershedCAP
import WatershedCore
import WatershedStore
import WatershedWire

/// Held messages (issue 15, item 6): the in-memory index of what each held message waits for, read from `cap_held`
/// on first use; expiry; the commander's list and drop.
extension CAPIngest {
    /// Reads the waiting messages from `cap_held` into the index, once (parsing each); one whose referents have all
    /// arrived meanwhile is released now.
    package func loadHeld(now: Date) async throws {
        guard !loaded else { return }
        loaded = true
        do {
            try await readHeld(now: now)
        } catch {
            // Read again, whole, by the next ingest.
            (waiting, dependents, loaded) = ([:], [:], false)
            throw error
        }
    }

    package func readHeld(now: Date) async throws {
        var arrived: [CAPMessageKey] = []
        for message in try log.heldCAPMessages() {
            // Never one applied already: the fold of the events holds nothing once its `CAPReceived` is in.
            let alert = try? CAPAlert(xml: message.xml)
            guard let alert else { continue }
            switch try resolve(alert) {
            case .waiting(let missing):
                index(Waiting(message: message, alert: alert, missing: Set(missing.map(\.key))))
            case .ready, .refused:
                // Everything it references is applied: index it under its first reference, released below.
                guard let first = alert.references.first?.key else { continue }
                index(Waiting(message: message, alert: alert, missing: [first]))
                arrived.append(first)
            }
        }
        for key in arrived { _ = try await release(after: key, now: now) }
    }

    package func index(_ entry: Waiting) {
        let key = entry.alert.key
        waiting[key] = entry
        for missing in entry.missing { dependents[missing, default: []].insert(key) }
    }

    package func unindex(_ key: CAPMessageKey) {
        guard let entry = waiting.removeValue(forKey: key) else { return }
        for missing in entry.missing {
            dependents[missing]?.remove(key)
            if dependents[missing]?.isEmpty == true { dependents[missing] = nil }
        }
    }

    /// The actor of what the server does to held messages on its own (expiry, removing the row of a message applied
    /// already): `{"kind":"system","component":"cap-ingest"}`.
    package static let component = EventActor.system(component: "cap-ingest")

    /// Refuses ("expired …", a `CAPHeldRefused` by ``component``) every waiting message received
    /// ``Limits/heldLifetime`` or longer before `now`, logging a warning for each.
    package func expire(now: Date) async throws {
        let cutoff = now.addingTimeInterval(-limits.heldLifetime)
        for entry in waiting.values where entry.message.receivedAt <= cutoff {
            let reason =
                "expired: held since \(CanonicalJSON.timestamp(entry.message.receivedAt)) for its references ("
                + entry.missing.map(\.description).sorted().joined(separator: " ")
                + "), longer than the \(Int(limits.heldLifetime)) s a message may wait"
            _ = try await log.refuseHeldCAPMessage(
                entry.message.identity, reason: reason, at: now, actor: Self.component,
                exercise: entry.alert.status == .exercise)
            unindex(entry.alert.key)
            logger.warning(
                "held CAP message expired",
                metadata: [
                    "peer": "\(entry.message.peer)", "cap": "\(entry.alert.key)", "reason": "\(reason)",
                ])
        }
    }

    /// The id of a held message in the API: the first 16 hexadecimal digits of SHA-256 of
    /// `sender,identifier,sent` (sent in UTC), stable across restarts and safe in a path.
    package static func heldID(sender: String, identifier: String, sentUTC: String) -> String {
        SHA256.hash(data: Data("\(sender),\(identifier),\(sentUTC)".utf8)).prefix(8)
            .map { String(format: "%02x", $0) }.joined()
    }

    /// Every message in `cap_held` — waiting, refused or expired — oldest first, after expiring those due at `now`.
    ///
    /// - Throws: the log's errors.
    public func heldMessages(now: Date) async throws -> [CAPHeldMessage] {
        try await loadHeld(now: now)
        try await expire(now: now)
        return try log.heldCAPMessages(peer: nil, includingRefused: true).map { message in
            let alert = try? CAPAlert(xml: message.xml)
            let key = alert?.key
            return CAPHeldMessage(
                id: Self.heldID(sender: message.sender, identifier: message.identifier, sentUTC: message.sentUTC),
                peer: message.peer, sender: message.sender, identifier: message.identifier, sent: message.sentUTC,
                msgType: alert?.msgType.rawValue ?? "", receivedAt: message.receivedAt,
                expiresAt: message.refusal == nil ? message.receivedAt.addingTimeInterval(limits.heldLifetime) : nil,
                bytes: message.xml.count,
                waitingFor: key.flatMap { waiting[$0] }?.missing.map(\.description).sorted() ?? [],
                refusal: message.refusal)
        }
    }

    /// Drops the held message with this id (``heldID(sender:identifier:sentUTC:)``): appends its `CAPHeldDropped`
    /// event (actor: the commander's token; `by`: their unit and position), which removes it from `cap_held`, removes
    /// it from the index and logs it; it will never be applied (sent again, it is taken as new).
    ///
    /// - Parameter commander: who drops it.
    /// - Returns: the message as it was listed, or `nil` when no held message has this id (nothing is appended).
    /// - Throws: the log's errors.
    public func drop(id: String, by commander: Identity, now: Date) async throws -> CAPHeldMessage? {
        guard let found = try await heldMessages(now: now).first(where: { $0.id == id }) else { return nil }
        let held = try log.heldCAPMessage(sender: found.sender, identifier: found.identifier, sentUTC: found.sent)
        let exercise = held.flatMap { try? CAPAlert(xml: $0.xml) }?.status == .exercise
        let dropped = try await log.dropHeldCAPMessage(
            CAPIdentity(sender: found.sender, identifier: found.identifier, sentUTC: found.sent),
            by: Assignee(unit: commander.unit, position: commander.dutyPosition), reason: "dropped by a commander",
            at: now,
            actor: .person(
                unit: commander.unit, position: commander.dutyPosition.rawValue, token: commander.tokenID),
            exercise: exercise)
        // Dropped meanwhile by another request (the actor is re-entered at each await): not this one's to report.
        guard dropped != nil else { return nil }
        if let entry = waiting.values.first(where: {
            $0.message.sender == found.sender && $0.message.identifier == found.identifier
                && $0.message.sentUTC == found.sent
        }) {
            unindex(entry.alert.key)
        }
        logger.notice(
            "held CAP message dropped",
            metadata: ["peer": "\(found.peer)", "cap": "\(found.sender),\(found.identifier),\(found.sent)"])
        return found
    }
}
