import Foundation
import WatershedCore
import WatershedStore

/// `GET /v1/incidents/{id}`: the incident's summary fields (state, level, current plan…) and, folded from its
/// events, the reports, tasks, obligations and the timeline.
///
/// JSON: the ``IncidentSummary`` keys, plus `initialReport`, `reports`, `tasks`, `obligations`, `timeline`.
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

    private enum CodingKeys: String, CodingKey {
        case initialReport, reports, tasks, obligations, timeline
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
    }

    /// Folds one incident's events (in seq order); `nil` when they do not open an incident.
    init?(events: [StoredEvent]) {
        var list = IncidentList()
        var initialReport: InitialReport?
        var reports: [FiledReportEntry] = []
        var tasks: [ResponseTask] = []
        var taskIndex: [UUID: Int] = [:]
        var obligations: [DueObligation] = []
        var timeline: [TimelineEntry] = []
        for event in events {
            list.fold(event)
            timeline.append(TimelineEntry(seq: event.seq, type: event.type, at: event.at, actor: event.actor))
            switch event.type {
            case .incidentReported:
                initialReport = try? event.payload.decode(IncidentReportedPayload.self).report
            case .reportFiled:
                if let payload = try? event.payload.decode(ReportFiledPayload.self) {
                    reports.append(
                        FiledReportEntry(seq: event.seq, at: event.at, actor: event.actor, report: payload.report))
                }
            case .obligationDue:
                if let obligation = try? event.payload.decode(ReportObligation.self) {
                    obligations.append(
                        DueObligation(seq: event.seq, at: event.at, obligation: obligation, state: "due", metSeq: nil))
                }
            case .obligationMet:
                if let met = try? event.payload.decode(ObligationMetPayload.self),
                    let index = obligations.lastIndex(where: { $0.obligation.id == met.obligation })
                {
                    obligations[index].state = "met"
                    obligations[index].metSeq = event.seq
                }
            default:
                guard let change = try? TaskChange(eventType: event.type, payload: event.payload) else { break }
                if case .dispatched(let dispatched) = change, let incident = event.incident {
                    taskIndex[dispatched.task] = tasks.count
                    tasks.append(ResponseTask(incident: incident, dispatched: dispatched))
                } else if let index = taskIndex[change.task] {
                    tasks[index].apply(change)
                    if case .cancelled = change, let id = tasks[index].obligation,
                        let at = obligations.lastIndex(where: { $0.obligation.id == id && $0.state == "due" })
                    {
                        obligations[at].state = "cancelled"
                    }
                }
            }
        }
        guard let id = list.order.first, let incident = list.byID[id] else { return nil }
        self.incident = incident
        self.initialReport = initialReport
        self.reports = reports
        self.tasks = tasks
        self.obligations = obligations
        self.timeline = timeline
    }
}

extension IncidentService {
    /// The detail of the incident with this UUID, read from the log (not from the actor's state, so it never
    /// waits for a report being filed); `nil` for an unknown incident.
    ///
    /// - Throws: `DatabaseError`; `EventLogError.unreadableEvent`.
    nonisolated func detail(of incident: UUID) throws -> IncidentDetail? {
        var events: [StoredEvent] = []
        var after: Int64 = 0
        while true {
            let page = try log.events(after: after, limit: 1_000, incident: incident)
            events += page
            guard let last = page.last, page.count == 1_000 else { break }
            after = last.seq
        }
        return IncidentDetail(events: events)
    }
}
