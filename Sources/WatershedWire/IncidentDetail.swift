import Foundation
import WatershedCore

/// `GET /v1/incidents/{id}`: the incident's summary fields (state, level, current plan…) and, folded from its
/// events, the reports, tasks, obligations and the timeline.
///
/// JSON: the ``IncidentSummary`` keys, plus `initialReport`, `reports`, `tasks`, `obligations`, `timeline`,
/// `notifications`, `origin` (a neighbour's incident), `linked` (incidents linked as the same spill) and `actions`
/// (what the caller may do with each task: `{"<task id>": ["ack", "start", "done", "decline"]}`).
public struct IncidentDetail: Codable, Sendable, Hashable {
    /// A report obligation and where it stands (the incident model's, ``Incident/Obligation``).
    public typealias DueObligation = Incident.Obligation
    /// A follow-up or final report as filed (``Incident/FiledReport``).
    public typealias FiledReportEntry = Incident.FiledReport
    /// One event of the incident (``Incident/TimelineEntry``).
    public typealias TimelineEntry = Incident.TimelineEntry
    /// A notification to a neighbour and its acknowledgements (``Incident/Notification``).
    public typealias NotificationEntry = Incident.Notification
    /// An incident linked to this one (``Incident/Link``).
    public typealias LinkEntry = Incident.Link

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
    /// What the caller may do with each task now, by task id (tasks it may do nothing with are left out): its role
    /// on this incident and ``WatershedCore/ResponseTask/actions(for:isCommander:)`` (``Identity/taskActions(_:exercise:)``).
    public var actions: [String: [TaskAction]] = [:]

    private enum CodingKeys: String, CodingKey {
        case initialReport, reports, tasks, obligations, timeline, notifications, origin, linked, actions
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
        try container.encode(actions, forKey: .actions)
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
        actions = try container.decodeIfPresent([String: [TaskAction]].self, forKey: .actions) ?? [:]
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

extension IncidentDetail {
    /// The detail of `incident`: a read-out of the incident model.
    public init(_ incident: Incident) {
        self.init(
            incident: IncidentSummary(incident), initialReport: incident.initialReport, reports: incident.reports,
            tasks: incident.tasks, obligations: incident.obligations, timeline: incident.timeline,
            notifications: incident.notifications, origin: incident.origin, linked: incident.linked)
    }

    /// The detail of `incident` with the Chinese text of its obligations (`titleZh`, `stateZh`) and notifications
    /// (`textZh`), names from `basin`'s units and playbooks (issue 17).
    public init(_ incident: Incident, basin: Basin) {
        self.init(incident)
        obligations = obligations.map { $0.withTextZh(units: basin.units) }
        notifications = notifications.map { $0.withTextZh(in: basin) }
    }
}
