import Foundation
import WatershedCAP
import WatershedCore
import WatershedStore

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
/// - An `Update` or `Cancel` whose referenced messages have not all arrived is **held in the store** (`cap_held`,
///   so it survives a restart) and applied, in order of receipt, as soon as its last referent is applied.
/// - Refused, with a CAP `Error` message whose `note` names why: a document that is not CAP 1.2; an `Update` or
///   `Cancel` with no `references` ("references nothing"); a `Cancel` whose referenced messages belong to
///   several incidents; `msgType` Ack or Error (answers, not feed messages). A held Cancel whose referents turn
///   out to span several incidents is marked refused in `cap_held` when they arrive and never applied.
/// - An `Update` whose referents span several incidents joins the incident of its first listed reference.
/// - `status` Test, Draft or System: acknowledged, not applied. Exercise messages become exercise events.
/// - The document is stored exactly as received in the event's payload (``CAPReceivedPayload/xml``): a
///   `<Signature>` is kept, never stripped.
///
/// Messages are taken one at a time (an actor), so the duplicate and reference checks and the append do not
/// interleave.
public actor CAPIngest {
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
        /// 200 applied, duplicate or acknowledged; 202 held; 400 not CAP 1.2; 422 refused by a rule.
        public var httpStatus: Int
        /// The CAP Ack or Error document.
        public var document: String
    }

    let log: EventLog
    let province: UnitCode

    /// A service appending to `log` for this server's `province` (the sender of its answers).
    public init(log: EventLog, province: UnitCode) {
        self.log = log
        self.province = province
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
        if try log.capMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) != nil {
            return answer(.duplicate, alert: alert, now: now, note: "already received and applied")
        }
        if let held = try log.heldCAPMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) {
            if let reason = held.refusal { return refusal(reason, alert: alert, now: now) }
            return answer(.duplicate, alert: alert, now: now, note: "already received; held for its references")
        }
        switch try resolve(alert) {
        case .refused(let reason):
            return refusal(reason, alert: alert, now: now)
        case .waiting(let missing):
            try await log.holdCAPMessage(
                HeldCAPMessage(
                    sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC, peer: peer, receivedAt: now,
                    xml: xml))
            return answer(
                .held(waitingFor: missing), alert: alert, now: now,
                note: "held until the referenced message(s) arrive: " + missing.joined(separator: " "))
        case .ready(let incident):
            var seqs = [try await apply(alert, xml: xml, incident: incident, peer: peer, now: now, wasHeld: false)]
            seqs += try await release(now: now)
            return answer(
                .applied(seqs), alert: alert, now: now,
                note: seqs.count > 1 ? "applied; released \(seqs.count - 1) held message(s)" : "applied")
        }
    }

    /// Where a message belongs.
    enum Resolution {
        case ready(UUID)
        case waiting([String])
        case refused(String)
    }

    /// The incident an Alert starts or an Update/Cancel joins, the referents still missing, or why it is refused.
    func resolve(_ alert: CAPAlert) throws -> Resolution {
        if alert.msgType == .alert { return .ready(UUID()) }
        guard !alert.references.isEmpty else {
            let verb = alert.msgType == .cancel ? "cancel" : "update"
            return .refused("a \(alert.msgType.rawValue) that references nothing cannot \(verb) anything")
        }
        var incidents: [UUID] = []
        var missing: [String] = []
        for reference in alert.references {
            let key = reference.key
            if let record = try log.capMessage(sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC) {
                if !incidents.contains(record.incident) { incidents.append(record.incident) }
            } else {
                missing.append(reference.description)
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
    func apply(_ alert: CAPAlert, xml: Data, incident: UUID, peer: UnitCode, now: Date, wasHeld: Bool) async throws
        -> Int64
    {
        let payload = CAPReceivedPayload(
            peer: peer, sender: alert.sender, identifier: alert.identifier, sent: alert.sent.text,
            status: alert.status.rawValue, msgType: alert.msgType.rawValue,
            references: alert.references.map {
                CAPReceivedPayload.Reference(sender: $0.sender, identifier: $0.identifier, sent: $0.sent.text)
            }, headline: alert.info.first.map { $0.headline ?? $0.event }, wasHeld: wasHeld,
            xml: String(decoding: xml, as: UTF8.self))
        let event = NewEvent(
            at: now, incident: incident, type: .capReceived, actor: .peer(province: peer),
            exercise: alert.status == .exercise, payload: try JSONValue(encoding: payload))
        let key = alert.key
        let record = CAPMessageRecord(
            sender: key.sender, identifier: key.identifier, sentUTC: key.sentUTC, peer: peer,
            msgType: alert.msgType.rawValue, incident: incident, seq: 0)
        let stored = try await log.append([event]) { db, stored in
            var applied = record
            applied.seq = stored[0].seq
            try EventLog.recordCAPMessage(applied, in: db)
        }
        return stored[0].seq
    }

    /// Applies every held message whose referents have all arrived, oldest first, until none is ready (one release
    /// can make the next ready); marks refused a held Cancel whose referents span several incidents. Each is
    /// applied as from the peer that sent it. Returns the seqs applied.
    func release(now: Date) async throws -> [Int64] {
        var seqs: [Int64] = []
        var progress = true
        while progress {
            progress = false
            for held in try log.heldCAPMessages() {
                guard let alert = try? CAPAlert(xml: held.xml) else { continue }
                switch try resolve(alert) {
                case .waiting:
                    continue
                case .refused(let reason):
                    try await log.refuseHeldCAPMessage(
                        sender: held.sender, identifier: held.identifier, sentUTC: held.sentUTC, reason: reason)
                case .ready(let incident):
                    seqs.append(
                        try await apply(
                            alert, xml: held.xml, incident: incident, peer: held.peer, now: now, wasHeld: true))
                    progress = true
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
    static func answerDocument(
        _ type: CAPAlert.MessageType, to alert: CAPAlert?, note: String, province: UnitCode, now: Date
    ) -> CAPAlert {
        CAPAlert(
            identifier: "urn:watershed:\(province):answer:\(UUID().uuidString.lowercased())",
            sender: CAPDocument.sender(province: province), sent: CAPTime(date: now), status: alert?.status ?? .actual,
            msgType: type, scope: .restricted, restriction: "The peer that sent the referenced message.",
            note: note, references: alert.map { [$0.reference] } ?? [])
    }
}
