import Crypto
import Foundation
import Logging
import WatershedCAP
import WatershedCore
import WatershedStore
import WatershedWire

/// Takes CAP 1.2 messages from a known peer (`POST /v1/feeds/cap` on the peer port,
/// ``mountCAPIngest(on:ingest:clock:peer:)``) and applies them to the event log as `CAPReceived` events.
///
/// Rules (issue 5):
/// - A message is identified by sender + identifier + sent (the instant); one already applied, or already held,
///   is a no-op (answered with an Ack saying so).
/// - An `Alert` starts a CAP thread: a new incident UUID that its event and every later message of the thread
///   carry. An `Update` or `Cancel` joins the incident of the messages its `references` name, whichever peer
///   delivered them (a message relayed by one peer and updated by its originator through another must not wait
///   for ever; peers are known by certificate and trusted alike).
/// - An `Update` or `Cancel` whose referenced messages have not all arrived is **held**: a `CAPHeld` event with its
///   `cap_held` row (so it survives a restart, and the hash chain covers it), and applied, in order of receipt, as
///   soon as its last referent is applied (its `CAPReceived` removes the row in the same transaction).
/// - Refused, with a CAP `Error` message whose `note` names why: a document that is not CAP 1.2; an `Update` or
///   `Cancel` with no `references` ("references nothing"); a `Cancel` whose referenced messages belong to
///   several incidents; `msgType` Ack or Error (answers, not feed messages). A held Cancel whose referents turn
///   out to span several incidents is refused when they arrive (a `CAPHeldRefused` event, by the peer, setting the
///   row's refusal) and never applied.
/// - An `Update` whose referents span several incidents joins the incident of its first listed reference.
/// - `status` Test, Draft or System: acknowledged, not applied. Exercise messages become exercise events.
/// - The document is stored exactly as received in the event's payload (``CAPReceivedPayload/xml``): a
///   `<Signature>` is kept, never stripped.
///
/// Held messages (issue 15, item 6):
/// - An `Update` or `Cancel` whose `references` name itself is refused at once (400), never held: it would wait
///   for itself for ever.
/// - They are indexed in memory by the identity each still waits for (rebuilt from `cap_held` on first use, so
///   after a restart too): applying a message looks up the held messages waiting for it alone, and a message
///   nothing waits for costs no parse of the held ones.
/// - Each peer may have at most ``Limits/maxHeldPerPeer`` messages and ``Limits/maxHeldBytesPerPeer`` bytes
///   waiting; a message over either bound is answered with a CAP Error (HTTP 429, retry once referents arrive)
///   and not stored.
/// - A message held longer than ``Limits/heldLifetime`` expires: it is refused (a `CAPHeldRefused`, "expired …", by
///   the system component `cap-ingest`),
///   so that sending it again is answered with a CAP Error saying so, and a warning is logged. Expiry is checked
///   whenever a message is ingested and whenever the held messages are listed.
/// - A commander lists them (`GET /v1/cap/held`) and drops one (`DELETE /v1/cap/held/{id}`, ``drop(id:by:now:)``: a
///   `CAPHeldDropped` event by the commander).
///
/// Messages are taken by an actor. It is re-entered while a store write is awaited, so a message about to be held
/// is put in the index before its `CAPHeld` is appended (a referent applied meanwhile then finds it); should its
/// release commit first, the `CAPHeld` writes no row (``HeldCAPLedger``: a message applied holds nothing).
public actor CAPIngest {
    /// Bounds on held messages, per peer; the defaults are local choices (no regulation sets them).
    public struct Limits: Sendable, Hashable {
        /// Most messages one peer may have waiting. 100: a local choice, well above the updates one missing Alert
        /// should hold back, and a list a commander can still read.
        public var maxHeldPerPeer: Int
        /// Most bytes (documents as received) one peer may have waiting: 8 MiB, eight documents of the 1 MiB
        /// maximum.
        public var maxHeldBytesPerPeer: Int
        /// How long a message may wait for its referents before it expires, in seconds: 72 h, a long weekend of a
        /// neighbour's link being down.
        public var heldLifetime: TimeInterval

        /// Creates limits (defaults as documented on each property).
        public init(
            maxHeldPerPeer: Int = 100, maxHeldBytesPerPeer: Int = 8 << 20, heldLifetime: TimeInterval = 72 * 3_600
        ) {
            self.maxHeldPerPeer = maxHeldPerPeer
            self.maxHeldBytesPerPeer = maxHeldBytesPerPeer
            self.heldLifetime = heldLifetime
        }
    }

    /// What happened to a message.
    public enum Outcome: Sendable, Hashable {
        /// Applied: the seqs of its `CAPReceived` event and of held messages it released, in order.
        case applied([Int64])
        /// Held until the listed messages (`sender,identifier,sent`) arrive.
        case held(waitingFor: [String])
        /// Already applied or held: nothing done.
        case duplicate
        /// `status` Test, Draft or System: acknowledged, not applied.
        case acknowledged
        /// Refused: why.
        case refused(String)
    }

    /// The answer to the peer: the outcome, an HTTP status and a CAP document — an `Ack` (applied, held,
    /// duplicate, acknowledged) or an `Error` (refused), each referencing the message when it could be read.
    public struct Answer: Sendable {
        /// What happened.
        public var outcome: Outcome
        /// 200 applied, duplicate or acknowledged; 202 held; 400 not CAP 1.2 or referencing itself; 422 refused by
        /// a rule; 429 over the peer's bound on held messages.
        public var httpStatus: Int
        /// The CAP Ack or Error document.
        public var document: String
    }

    package let log: any CAPStore
    package let province: UnitCode
    /// The bounds on held messages.
    public let limits: Limits
    package let logger: Logger

    /// A held message waiting for its referents, parsed once.
    package struct Waiting {
        var message: HeldCAPMessage
        var alert: CAPAlert
        /// The referenced identities not yet applied.
        var missing: Set<CAPMessageKey>
    }

    /// Held messages still waiting, by their own identity.
    package var waiting: [CAPMessageKey: Waiting] = [:]
    /// The index: for each identity not yet applied, the held messages waiting for it.
    package var dependents: [CAPMessageKey: Set<CAPMessageKey>] = [:]
    /// Whether ``waiting`` has been read from `cap_held`.
    package var loaded = false

    /// Where applied messages are appended: the incident service (the same path as every other event, so that an
    /// incident a CAP alert opens is listed, shown and pushed like any other, with a reference of ours), or — with
    /// `nil`, for tests of this actor alone — the log directly.
    package let incidents: (any FederatedIncidents)?

    /// A service appending to `log` (through `incidents` when given) for this server's `province` (the sender of its
    /// answers), holding messages within `limits`, logging expiries and drops to `logger`.
    public init(
        log: any CAPStore, province: UnitCode, limits: Limits = Limits(),
        logger: Logger = Logger(label: "watershed.cap"), incidents: (any FederatedIncidents)? = nil
    ) {
        self.incidents = incidents
        self.log = log
        self.province = province
        self.limits = limits
        self.logger = logger
    }

    /// Ingests one document from `peer`, received at `now`.
    ///
    /// - Parameters:
    ///   - xml: the request body as received.
    ///   - peer: the authenticated peer's province code (from its client certificate).
    /// - Throws: the log's errors (nothing is applied then; the peer may retry).
    public func ingest(_ xml: Data, from peer: UnitCode, now: Date) async throws -> Answer {
        guard String(validating: xml, as: UTF8.self) != nil else {
            return refusal("the document is not UTF-8; CAP is accepted in UTF-8", alert: nil, now: now, status: 400)
        }
        let alert: CAPAlert
        do {
            alert = try CAPAlert(xml: xml)
        } catch let error as CAPParseError {
            return refusal("not a CAP 1.2 message: \(error)", alert: nil, now: now, status: 400)
        }
        switch alert.status {
        case .test, .draft, .system:
            return answer(
                .acknowledged, alert: alert, now: now,
                note: "status \(alert.status.rawValue): received, not applied")
        case .actual, .exercise:
            break
        }
        if alert.msgType == .ack || alert.msgType == .error {
            return refusal(
                "msgType \(alert.msgType.rawValue) is an answer; this feed takes Alert, Update and Cancel",
                alert: alert, now: now)
        }
        let key = alert.key
        if alert.msgType != .alert, alert.references.contains(where: { $0.key == key }) {
            return refusal(
                "the \(alert.msgType.rawValue) references itself (\(key)); a message can only reference earlier ones "
                    + "(CAP 1.2 §3.2.1 references)", alert: alert, now: now, status: 400)
        }
        try await loadHeld(now: now)
        try await expire(now: now)
        if try log.capMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) != nil {
            return answer(.duplicate, alert: alert, now: now, note: "already received and applied")
        }
        if let held = try log.heldCAPMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) {
            if let reason = held.refusal { return refusal(reason, alert: alert, now: now) }
            return answer(.duplicate, alert: alert, now: now, note: "already received; held for its references")
        }
        if waiting[key] != nil {
            // Being held by a request still writing it (the actor is re-entered at each await): the same message.
            return answer(.duplicate, alert: alert, now: now, note: "already received; held for its references")
        }
        switch try resolve(alert) {
        case .refused(let reason):
            return refusal(reason, alert: alert, now: now)
        case .waiting(let missing):
            let mine = waiting.values.filter { $0.message.peer == peer }
            let bytes = mine.reduce(0) { $0 + $1.message.xml.count }
            if mine.count + 1 > limits.maxHeldPerPeer || bytes + xml.count > limits.maxHeldBytesPerPeer {
                return refusal(
                    "not held: peer \(peer) has \(mine.count) message(s) of \(bytes) bytes waiting for their "
                        + "references, and the limit is \(limits.maxHeldPerPeer) messages or "
                        + "\(limits.maxHeldBytesPerPeer) bytes; send it again once its references have been sent",
                    alert: alert, now: now, status: 429)
            }
            let message = HeldCAPMessage(
                sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC, peer: peer, receivedAt: now,
                xml: xml)
            // Indexed before the write is awaited, so that a referent applied meanwhile (the actor is re-entered at
            // each await) finds it. Should its release commit before this `CAPHeld`, the event writes no row: a message
            // applied already holds nothing (``HeldCAPLedger``).
            index(Waiting(message: message, alert: alert, missing: Set(missing.map(\.key))))
            do {
                _ = try await log.holdCAPMessage(
                    message, waitingFor: missing.map(\.key.description), exercise: alert.status == .exercise)
            } catch {
                unindex(key)
                // The same message, sent again at once, was held by the other request meanwhile (the actor is
                // re-entered at each await): a duplicate, not a failure (found by the live fuzzer).
                if try log.heldCAPMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) != nil {
                    return answer(.duplicate, alert: alert, now: now, note: "already received; held for its references")
                }
                throw error
            }
            let names = missing.map(\.description)
            return answer(
                .held(waitingFor: names), alert: alert, now: now,
                note: "held until the referenced message(s) arrive: " + names.joined(separator: " "))
        case .ready(let incident):
            let seq: Int64
            do {
                seq = try await apply(alert, xml: xml, incident: incident, peer: peer, now: now, wasHeld: false)
            } catch {
                // The same message, sent again at once, was applied by the other request meanwhile (the actor is
                // re-entered at each await, so both passed the duplicate check): its row now exists and this append
                // was refused whole. A duplicate, not a 500 (found by the live fuzzer: 8 copies at once, 2 × 500).
                if try log.capMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) != nil {
                    return answer(.duplicate, alert: alert, now: now, note: "already received and applied")
                }
                throw error
            }
            var seqs = [seq]
            seqs += try await release(after: key, now: now)
            return answer(
                .applied(seqs), alert: alert, now: now,
                note: seqs.count > 1 ? "applied; released \(seqs.count - 1) held message(s)" : "applied")
        }
    }

    /// Where a message belongs.
    package enum Resolution {
        case ready(UUID)
        case waiting([CAPReference])
        case refused(String)
    }

    /// The incident an Alert starts or an Update/Cancel joins, the referents still missing, or why it is refused.
    package func resolve(_ alert: CAPAlert) throws -> Resolution {
        if alert.msgType == .alert { return .ready(UUID()) }
        guard !alert.references.isEmpty else {
            let verb = alert.msgType == .cancel ? "cancel" : "update"
            return .refused("a \(alert.msgType.rawValue) that references nothing cannot \(verb) anything")
        }
        var incidents: [UUID] = []
        var missing: [CAPReference] = []
        for reference in alert.references {
            let key = reference.key
            if let record = try log.capMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) {
                if !incidents.contains(record.incident) { incidents.append(record.incident) }
            } else {
                missing.append(reference)
            }
        }
        if alert.msgType == .cancel, incidents.count > 1 {
            return .refused(
                "the Cancel references messages of \(incidents.count) different incidents; a Cancel withdraws "
                    + "messages of one incident")
        }
        if !missing.isEmpty { return .waiting(missing) }
        return .ready(incidents[0])
    }

    /// Appends the message's `CAPReceived` event and its `cap_message` row (releasing it from `cap_held`) in one
    /// transaction; returns the event's seq.
    package func apply(_ alert: CAPAlert, xml: Data, incident: UUID, peer: UnitCode, now: Date, wasHeld: Bool)
        async throws
        -> Int64
    {
        let payload = CAPReceivedPayload(
            peer: peer, sender: alert.sender, identifier: alert.identifier, sent: alert.sent.text,
            status: alert.status.rawValue, msgType: alert.msgType.rawValue,
            references: alert.references.map {
                CAPReceivedPayload.Reference(sender: $0.sender, identifier: $0.identifier, sent: $0.sent.text)
            }, headline: alert.info.first.map { $0.headline ?? $0.event }, wasHeld: wasHeld,
            xml: String(decoding: xml, as: UTF8.self))
        let key = alert.key
        let record = CAPMessageRecord(
            sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC, peer: peer,
            msgType: alert.msgType.rawValue, incident: incident, seq: 0)
        if let incidents {
            return try await incidents.appendCAP(
                payload, incident: incident, opens: alert.msgType == .alert, exercise: alert.status == .exercise,
                sent: alert.sent.date, wall: now, recording: record)
        }
        let event = try NewEvent(
            at: now, incident: incident, actor: .peer(province: peer), exercise: alert.status == .exercise,
            event: .capReceived(payload))
        return try await log.append([event], recordingCAP: record)[0].seq
    }

    /// Applies the held messages that were waiting for `key` (just applied) and now have every referent, oldest
    /// first, then those waiting for them in turn; marks refused a held Cancel whose referents span several
    /// incidents. Each is applied as from the peer that sent it. Only the messages the index lists for an applied
    /// identity are looked at. Returns the seqs applied.
    package func release(after key: CAPMessageKey, now: Date) async throws -> [Int64] {
        var seqs: [Int64] = []
        var applied = [key]
        var next = 0
        // Each pass removes the applied identity's entry from the index, and each held message is applied at most
        // once, so this ends after at most one pass per held message (plus the first).
        while next < applied.count {
            let found = applied[next]
            next += 1
            guard let keys = dependents.removeValue(forKey: found) else { continue }
            let ready = keys.compactMap { waiting[$0] }.sorted { $0.message.receivedAt < $1.message.receivedAt }
            for var entry in ready {
                entry.missing.remove(found)
                waiting[entry.alert.key] = entry
                guard entry.missing.isEmpty else { continue }
                let heldKey = entry.alert.key
                switch try resolve(entry.alert) {
                case .waiting(let missing):
                    // Not expected (the index says all arrived); index it again rather than lose it.
                    entry.missing = Set(missing.map(\.key))
                    index(entry)
                case .refused(let reason):
                    unindex(heldKey)
                    _ = try await log.refuseHeldCAPMessage(
                        entry.message.identity, reason: reason, at: now, actor: .peer(province: entry.message.peer),
                        exercise: entry.alert.status == .exercise)
                case .ready(let incident):
                    seqs.append(
                        try await apply(
                            entry.alert, xml: entry.message.xml, incident: incident, peer: entry.message.peer,
                            now: now, wasHeld: true))
                    unindex(heldKey)
                    applied.append(heldKey)
                }
            }
        }
        return seqs
    }

    // MARK: Answers

    private func refusal(_ reason: String, alert: CAPAlert?, now: Date, status: Int = 422) -> Answer {
        var result = answer(.refused(reason), alert: alert, now: now, note: reason)
        result.httpStatus = status
        return result
    }

    private func answer(_ outcome: Outcome, alert: CAPAlert?, now: Date, note: String) -> Answer {
        let (status, type): (Int, CAPAlert.MessageType) =
            switch outcome {
            case .applied, .duplicate, .acknowledged: (200, .ack)
            case .held: (202, .ack)
            case .refused: (422, .error)
            }
        let document = Self.answerDocument(type, to: alert, note: note, province: province, now: now)
        return Answer(outcome: outcome, httpStatus: status, document: document.xmlDocument())
    }

    /// A CAP `Ack` or `Error` to a peer's message: from this province's sender, `status` mirroring the message's
    /// (Actual when it could not be read), scope Restricted to the sending peer, `references` naming the message
    /// when it could be read, the explanation in `note` (CAP 1.2 §3.2.1: Error — "explanation SHOULD appear in
    /// note").
    package static func answerDocument(
        _ type: CAPAlert.MessageType, to alert: CAPAlert?, note: String, province: UnitCode, now: Date
    ) -> CAPAlert {
        CAPAlert(
            identifier: "urn:watershed:\(province):answer:\(UUID().uuidString.lowercased())",
            sender: CAPDocument.sender(province: province), sent: CAPTime(date: now), status: alert?.status ?? .actual,
            msgType: type, scope: .restricted, restriction: "The peer that sent the referenced message.",
            note: note, references: alert.map { [$0.reference] } ?? [])
    }
}
