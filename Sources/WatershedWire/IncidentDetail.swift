import Foundation
import WatershedCore

/// `GET /v1/incidents/{id}`: the incident's summary fields (state, level, current plan…) and, folded from its
/// events, the reports, tasks, obligations and the timeline.
///
/// JSON: the ``IncidentSummary`` keys, plus `initialReport`, `reports`, `tasks`, `obligations`, `timeline`,
/// `notifications`, `origin` (a neighbour's incident) and `linked` (incidents linked as the same spill).
public struct IncidentDetail: Codable, Sendable, Hashable {
    /// A report obligation that became due (`ObligationDue`).
    public struct DueObligation: Codable, Sendable, Hashable {
        /// The event's seq.
        public var seq: Int64
        /// When it was recorded.
        public var at: Date
        /// The obligation (MEP Order No. 17).
        public var obligation: ReportObligation
        /// `due`, `met` (a report filed through the API met it) or `cancelled` (a level change made it moot).
        public var state: String
        /// The seq of its `ObligationMet`, once met.
        public var metSeq: Int64?

        /// Creates an entry.
        public init(seq: Int64, at: Date, obligation: ReportObligation, state: String, metSeq: Int64?) {
            self.seq = seq
            self.at = at
            self.obligation = obligation
            self.state = state
            self.metSeq = metSeq
        }
    }

    /// A follow-up or final report (`ReportFiled`).
    public struct FiledReportEntry: Codable, Sendable, Hashable {
        /// The event's seq.
        public var seq: Int64
        /// When it was filed.
        public var at: Date
        /// Who filed it.
        public var actor: EventActor
        /// The report.
        public var report: FollowUpReport

        /// Creates an entry.
        public init(seq: Int64, at: Date, actor: EventActor, report: FollowUpReport) {
            self.seq = seq
            self.at = at
            self.actor = actor
            self.report = report
        }
    }

    /// One event of the incident.
    public struct TimelineEntry: Codable, Sendable, Hashable {
        /// The global seq.
        public var seq: Int64
        /// The event type.
        public var type: EventType
        /// Wall time.
        public var at: Date
        /// Who caused it.
        public var actor: EventActor
        /// For a task event, the task's reference (`GX-2026-0007/T3`), so a timeline says which task.
        public var task: String?
        /// For a peer event (`PeerNotified`, `PeerReceived`, `PeerAccepted`), the neighbouring province.
        public var province: UnitCode?

        /// Creates an entry.
        public init(
            seq: Int64, type: EventType, at: Date, actor: EventActor, task: String? = nil, province: UnitCode? = nil
        ) {
            self.seq = seq
            self.type = type
            self.at = at
            self.actor = actor
            self.task = task
            self.province = province
        }
    }

    /// A notification to a neighbouring province (`PeerNotified`) and how far its delivery got over the peer link.
    public struct NotificationEntry: Codable, Sendable, Hashable {
        /// The seq of the `PeerNotified`.
        public var seq: Int64
        /// What the plan said is due (neighbour, boundary, crossing, deadline, requirement; MEP Order No. 17 Art. 8).
        public var notification: PeerNotification
        /// `pending`, `received` (the neighbour's server stored it) or `accepted` (its duty officer acknowledged).
        public var delivery: String
        /// When our log recorded *received* and *accepted*.
        public var receivedAt: Date?
        public var acceptedAt: Date?
        /// Who accepted it there (`unit/position`) and their reference for it.
        public var acceptedBy: String?
        public var peerReference: String?

        /// Creates an entry for a notification not yet delivered.
        public init(seq: Int64, notification: PeerNotification) {
            self.seq = seq
            self.notification = notification
            self.delivery = "pending"
        }
    }

    /// Another incident linked to this one as a report of the same spill (`IncidentLinked`).
    public struct LinkEntry: Codable, Sendable, Hashable {
        /// The seq of this incident's `IncidentLinked`.
        public var seq: Int64
        /// When the link was made.
        public var at: Date
        /// The commander who made it.
        public var actor: EventActor
        /// The other incident's UUID on this server.
        public var incident: UUID
        /// Its reference on this server.
        public var reference: String
        /// Its origin, when a neighbour reported it.
        public var origin: IncidentOrigin?

        /// Creates an entry.
        public init(
            seq: Int64, at: Date, actor: EventActor, incident: UUID, reference: String, origin: IncidentOrigin? = nil
        ) {
            self.seq = seq
            self.at = at
            self.actor = actor
            self.incident = incident
            self.reference = reference
            self.origin = origin
        }
    }

    /// State, level, current plan and the other list fields.
    public var incident: IncidentSummary
    /// The initial report as filed.
    public var initialReport: InitialReport?
    /// Follow-up and final reports, in order.
    public var reports: [FiledReportEntry]
    /// Response and report tasks, in dispatch order, as they stand (folded from their events).
    public var tasks: [ResponseTask]
    /// Report obligations, in order (those of discovery, then those of each level change).
    public var obligations: [DueObligation]
    /// Every event of the incident, in seq order.
    public var timeline: [TimelineEntry]
    /// Notifications to neighbouring provinces, with their *received* / *accepted* state.
    public var notifications: [NotificationEntry] = []
    /// For an incident a neighbour reported to us over the peer link: its province, incident and reference there.
    public var origin: IncidentOrigin?
    /// Incidents a commander linked to this one as reports of the same spill, in the order linked.
    public var linked: [LinkEntry] = []

    private enum CodingKeys: String, CodingKey {
        case initialReport, reports, tasks, obligations, timeline, notifications, origin, linked
    }

    /// Encodes the summary's keys and the detail's keys in one object.
    public func encode(to encoder: any Encoder) throws {
        try incident.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(initialReport, forKey: .initialReport)
        try container.encode(reports, forKey: .reports)
        try container.encode(tasks, forKey: .tasks)
        try container.encode(obligations, forKey: .obligations)
        try container.encode(timeline, forKey: .timeline)
        try container.encode(notifications, forKey: .notifications)
        try container.encodeIfPresent(origin, forKey: .origin)
        try container.encode(linked, forKey: .linked)
    }

    /// Decodes the object ``encode(to:)`` writes.
    public init(from decoder: any Decoder) throws {
        incident = try IncidentSummary(from: decoder)
        let container = try decoder.container(keyedBy: CodingKeys.self)
        initialReport = try container.decodeIfPresent(InitialReport.self, forKey: .initialReport)
        reports = try container.decode([FiledReportEntry].self, forKey: .reports)
        tasks = try container.decode([ResponseTask].self, forKey: .tasks)
        obligations = try container.decode([DueObligation].self, forKey: .obligations)
        timeline = try container.decode([TimelineEntry].self, forKey: .timeline)
        notifications = try container.decodeIfPresent([NotificationEntry].self, forKey: .notifications) ?? []
        origin = try container.decodeIfPresent(IncidentOrigin.self, forKey: .origin)
        linked = try container.decodeIfPresent([LinkEntry].self, forKey: .linked) ?? []
    }

    /// Creates a detail.
    public init(
        incident: IncidentSummary, initialReport: InitialReport?, reports: [FiledReportEntry], tasks: [ResponseTask],
        obligations: [DueObligation], timeline: [TimelineEntry], notifications: [NotificationEntry] = [],
        origin: IncidentOrigin? = nil, linked: [LinkEntry] = []
    ) {
        self.linked = linked
        self.notifications = notifications
        self.origin = origin
        self.incident = incident
        self.initialReport = initialReport
        self.reports = reports
        self.tasks = tasks
        self.obligations = obligations
        self.timeline = timeline
    }
}
