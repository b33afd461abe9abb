import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

extension IncidentDetail {
    /// Folds one incident's events (in seq order); `nil` when they do not open an incident.
    init?(events: [StoredEvent]) {
        var list = IncidentList()
        var initialReport: InitialReport?
        var reports: [FiledReportEntry] = []
        var tasks: [ResponseTask] = []
        var taskIndex: [UUID: Int] = [:]
        var obligations: [DueObligation] = []
        var timeline: [TimelineEntry] = []
        var notifications: [NotificationEntry] = []
        var origin: IncidentOrigin?
        var linked: [LinkEntry] = []
        for event in events {
            list.fold(event)
            var entry = TimelineEntry(seq: event.seq, type: event.type, at: event.at, actor: event.actor)
            defer { timeline.append(entry) }
            switch event.type {
            case .incidentReported:
                let payload = try? event.payload.decode(IncidentReportedPayload.self)
                initialReport = payload?.report
                origin = payload?.origin
            case .reportFiled:
                if let payload = try? event.payload.decode(ReportFiledPayload.self) {
                    reports.append(
                        FiledReportEntry(seq: event.seq, at: event.at, actor: event.actor, report: payload.report))
                }
            case .incidentLinked:
                if let payload = try? event.payload.decode(IncidentLinkedPayload.self) {
                    linked.append(
                        LinkEntry(
                            seq: event.seq, at: event.at, actor: event.actor, incident: payload.linked,
                            reference: payload.reference, origin: payload.origin))
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
            case .peerNotified, .peerReceived, .peerAccepted:
                if case .string(let province) = event.payload["province"] ?? event.payload["notification"]?["province"]
                {
                    entry.province = province
                }
                if event.type == .peerNotified, let payload = try? event.payload.decode(PeerNotifiedPayload.self) {
                    // A later notification to the same neighbour (a dam release warning) travels the same link, in
                    // order: it starts where the delivery to that neighbour has got to.
                    var entry = NotificationEntry(seq: event.seq, notification: payload.notification)
                    if let earlier = notifications.last(where: {
                        $0.notification.province == payload.notification.province
                    }) {
                        entry.delivery = earlier.delivery
                        entry.receivedAt = earlier.receivedAt
                        entry.acceptedAt = earlier.acceptedAt
                        entry.acceptedBy = earlier.acceptedBy
                        entry.peerReference = earlier.peerReference
                    }
                    notifications.append(entry)
                } else if let payload = try? event.payload.decode(PeerAcknowledgementPayload.self) {
                    for index in notifications.indices
                    where notifications[index].notification.province == payload.province {
                        if event.type == .peerReceived {
                            notifications[index].receivedAt = notifications[index].receivedAt ?? event.at
                            if notifications[index].delivery == "pending" { notifications[index].delivery = "received" }
                        } else {
                            notifications[index].acceptedAt = event.at
                            notifications[index].acceptedBy = payload.by
                            notifications[index].peerReference = payload.peerReference
                            notifications[index].delivery = "accepted"
                        }
                    }
                }
            default:
                guard let change = try? TaskChange(eventType: event.type, payload: event.payload) else { break }
                if case .dispatched(let dispatched) = change, let incident = event.incident {
                    taskIndex[dispatched.task] = tasks.count
                    tasks.append(ResponseTask(incident: incident, dispatched: dispatched))
                    entry.task = dispatched.reference
                } else if let index = taskIndex[change.task] {
                    tasks[index].apply(change)
                    entry.task = tasks[index].reference
                    if case .cancelled = change, let id = tasks[index].obligation,
                        let at = obligations.lastIndex(where: { $0.obligation.id == id && $0.state == "due" })
                    {
                        obligations[at].state = "cancelled"
                    }
                }
            }
        }
        guard let id = list.order.first, let incident = list.byID[id] else { return nil }
        self.init(
            incident: incident, initialReport: initialReport, reports: reports, tasks: tasks,
            obligations: obligations, timeline: timeline, notifications: notifications, origin: origin,
            linked: linked)
    }
}

extension IncidentService {
    /// The detail of the incident with this UUID, read from the log (not from the actor's state, so it never
    /// waits for a report being filed); `nil` for an unknown incident.
    ///
    /// - Throws: `DatabaseError`; `EventLogError.unreadableEvent`.
    nonisolated func detail(of incident: UUID) throws -> IncidentDetail? {
        let events = try log.events(of: incident)
        return IncidentDetail(events: events)
    }
}
