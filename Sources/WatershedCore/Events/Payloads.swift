import Foundation

// Payloads of the incident's events (DESIGN.md "Identifiers and events"). They travel in the log, in stream frames
// and in peer feeds, so they live here with the event types; fields may be added (optional), never renamed.

/// The `Idempotency-Key` a report was filed with, written into the first event of the append it produced (see
/// the server's `Idempotency`).
public struct IdempotencyRecord: Codable, Sendable, Hashable {
    /// The `Idempotency-Key` header as sent.
    public var key: String
    /// The token's unit: the key's scope.
    public var unit: UnitCode
    /// SHA-256 (hex) of the route and the canonical JSON of the decoded body (``Idempotency/fingerprint(route:body:)``).
    public var requestSHA256: String
    /// How many events the request appended, this one first: they are the seqs `seq ..< seq + eventCount`.
    public var eventCount: Int

    public init(key: String, unit: UnitCode, requestSHA256: String, eventCount: Int) {
        self.key = key
        self.unit = unit
        self.requestSHA256 = requestSHA256
        self.eventCount = eventCount
    }
}

/// The `IncidentReported` payload: the reference and the initial report.
public struct IncidentReportedPayload: Codable, Sendable, Hashable {
    /// `GX-2026-0007`.
    public var reference: String
    /// The report as filed.
    public var report: InitialReport
    /// The `Idempotency-Key` the report was filed with, if any.
    public var idempotency: IdempotencyRecord?
    /// For an incident a neighbouring province reported to us over the peer link: where it comes from; `nil` for
    /// our own.
    public var origin: IncidentOrigin?
    /// For a drill incident: the drill and its clock (every deadline of the incident runs on it); `nil` otherwise.
    public var drill: DrillLink?

    public init(
        reference: String, report: InitialReport, idempotency: IdempotencyRecord? = nil, origin: IncidentOrigin? = nil,
        drill: DrillLink? = nil
    ) {
        self.reference = reference
        self.report = report
        self.idempotency = idempotency
        self.origin = origin
        self.drill = drill
    }
}

/// The neighbouring province's incident a local incident mirrors (issue 5, "Inbound").
public struct IncidentOrigin: Codable, Sendable, Hashable {
    /// The province that reported it (GB/T 2260).
    public var province: UnitCode
    /// Its incident's UUID on the origin's server.
    public var incident: UUID
    /// Its reference there, e.g. `GX-2026-0007`.
    public var reference: String
    /// The id of the origin's `IncidentReported` event.
    public var event: UUID
    /// That event's seq in the origin's log.
    public var seq: Int64

    public init(province: UnitCode, incident: UUID, reference: String, event: UUID, seq: Int64) {
        self.province = province
        self.incident = incident
        self.reference = reference
        self.event = event
        self.seq = seq
    }
}

/// The `PeerEventReceived` payload: an event of a neighbour's incident as its server sent it (with its `hash` and
/// `prevHash` in the origin's chain), stored once per origin event id.
public struct PeerEventReceivedPayload: Codable, Sendable, Hashable {
    /// The province that sent it.
    public var province: UnitCode
    /// The event, whole.
    public var event: StoredEvent

    public init(province: UnitCode, event: StoredEvent) {
        self.province = province
        self.event = event
    }
}

/// The `PeerReceived` and `PeerAccepted` payloads: the neighbour's server stored our incident's events
/// (*received*), or its duty officer acknowledged the notification there (*accepted*) (issue 5, "Outbound").
public struct PeerAcknowledgementPayload: Codable, Sendable, Hashable {
    /// The neighbour.
    public var province: UnitCode
    /// For *received*: the highest seq of ours it had stored; for *accepted*: `nil`.
    public var throughSeq: Int64?
    /// For *accepted*: who acknowledged it there (`unit/position`), and their incident's reference.
    public var by: String?
    /// Their incident's reference, when known.
    public var peerReference: String?
    /// When the neighbour says it happened.
    public var at: Date

    public init(province: UnitCode, throughSeq: Int64? = nil, by: String? = nil, peerReference: String? = nil, at: Date)
    {
        self.province = province
        self.throughSeq = throughSeq
        self.by = by
        self.peerReference = peerReference
        self.at = at
    }
}

/// The `ReportFiled` payload: a follow-up or final report as filed.
public struct ReportFiledPayload: Codable, Sendable, Hashable {
    /// The report.
    public var report: FollowUpReport
    /// The `Idempotency-Key` the report was filed with, if any.
    public var idempotency: IdempotencyRecord?

    public init(report: FollowUpReport, idempotency: IdempotencyRecord? = nil) {
        self.report = report
        self.idempotency = idempotency
    }
}

/// The `LevelSet` payload of a level change during handling.
public struct LevelSetPayload: Codable, Sendable, Hashable {
    /// The level before (`nil`: not yet graded).
    public var from: SeverityLevel?
    /// The new level.
    public var to: SeverityLevel
    /// When the level was changed (the new report deadlines count from here).
    public var at: Date

    public init(from: SeverityLevel?, to: SeverityLevel, at: Date) {
        self.from = from
        self.to = to
        self.at = at
    }
}

/// The `IncidentClosed` payload.
public struct IncidentClosedPayload: Codable, Sendable, Hashable {
    /// Why: `finalReport` (MEP Order No. 17 Art. 12, 处理结果报告).
    public var reason: String

    public init(reason: String) { self.reason = reason }
}

/// The `PeerNotified` payload: a neighbouring province to notify, recorded when the plan says so and delivered by the
/// federation link (at-least-once); `delivery` starts as `pending`.
public struct PeerNotifiedPayload: Codable, Sendable, Hashable {
    /// What the plan says is due: the neighbour, boundary, predicted crossing, deadline and rule
    /// (MEP Order No. 17 Art. 8).
    public var notification: PeerNotification
    /// `pending` until the peer link delivers it.
    public var delivery: String

    /// A notification not yet delivered.
    public init(pending notification: PeerNotification) {
        self.notification = notification
        self.delivery = "pending"
    }
}

/// The `ObligationMet` payload: a legal report obligation met by its own unit's report (MEP Order No. 17 Art. 3):
/// a report filed as that unit (`signature.reportingUnit`), or for the province's report to MEE counted from
/// receipt, the lower unit's report forwarded (`ReportForwarded`).
///
/// Whether it was met late is not stored: the fold compares `filedAt` with the obligation's `dueBy` at the
/// millisecond (``Incident/Obligation/lateBy``), so events stored before the late mark existed show it too.
public struct ObligationMetPayload: Codable, Sendable, Hashable {
    /// The obligation's id within the incident (``ReportObligation/id``).
    public var obligation: String
    /// The seq of the report that met it (`IncidentReported` or `ReportFiled`; for a forward, the report forwarded);
    /// `nil` when it is in the same append.
    public var reportSeq: Int64?
    /// When the report was filed (or forwarded), on the incident's clock (the drill's for a drill).
    public var filedAt: Date
    /// The unit whose report met it (the report's `signature.reportingUnit`, or the unit that forwarded it); absent
    /// in events stored before it was recorded.
    public var unit: UnitCode?

    public init(obligation: String, reportSeq: Int64? = nil, filedAt: Date, unit: UnitCode? = nil) {
        self.obligation = obligation
        self.reportSeq = reportSeq
        self.filedAt = filedAt
        self.unit = unit
    }
}

/// The `ReportForwarded` payload: the province forwarded a lower unit's report of the incident to a recipient —
/// the Ministry (`"MEE"`) for its report counted from receipt (MEP Order No. 17 Art. 3: within 1 h of receiving the
/// county's report). Who forwarded it is the event's actor; the `ObligationMet` it gives follows in the same append.
public struct ReportForwardedPayload: Codable, Sendable, Hashable {
    /// The seq of the report forwarded: its `IncidentReported` (the initial report) or `ReportFiled`.
    public var reportSeq: Int64
    /// The kind of that report.
    public var report: ReportKind
    /// The unit that signed it (its `signature.reportingUnit`).
    public var reportingUnit: UnitCode
    /// The unit that forwards it (this province, GB/T 2260).
    public var from: UnitCode
    /// The recipient: `"MEE"` or a unit code.
    public var to: UnitCode

    public init(reportSeq: Int64, report: ReportKind, reportingUnit: UnitCode, from: UnitCode, to: UnitCode) {
        self.reportSeq = reportSeq
        self.report = report
        self.reportingUnit = reportingUnit
        self.from = from
        self.to = to
    }
}

/// The `IncidentLinked` payload (DESIGN.md "Who uses it": a commander links incidents): this incident and another
/// are reports of the same spill — typically two provinces' reports, one our own and one a neighbour sent us (issue
/// 5, "Inbound"). Appended on both incidents in one commit, each naming the other.
public struct IncidentLinkedPayload: Codable, Sendable, Hashable {
    /// The other incident's UUID on this server.
    public var linked: UUID
    /// Its reference on this server, e.g. `GD-2013-0002`.
    public var reference: String
    /// For the other incident when a neighbour reported it: its province, incident and reference there.
    public var origin: IncidentOrigin?

    public init(linked: UUID, reference: String, origin: IncidentOrigin? = nil) {
        self.linked = linked
        self.reference = reference
        self.origin = origin
    }
}
