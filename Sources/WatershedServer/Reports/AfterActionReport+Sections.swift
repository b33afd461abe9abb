import Foundation
import WatershedCore
import WatershedWire

/// The report's sections as rows of text, in the report's language (the HTML escapes and lays them out).
extension AfterActionReport {
    /// One line of the merged timeline.
    struct TimelineRow: Sendable, Hashable {
        /// On the incident's clock: the event's drill time or wall time; for a neighbour's event, its time there.
        var at: Date
        var seq: Int64
        /// The province whose event it is (ours, or the neighbour's for what it sent or acknowledged).
        var province: UnitCode
        var event: String
        var actor: String
    }

    /// The incident's events and those of the incidents linked to it, merged by time (then seq): each our event, a
    /// neighbour's acknowledgement under the neighbour, and a neighbour's own event (`PeerEventReceived`) at its
    /// time there, with its seq there.
    var timeline: [TimelineRow] {
        var rows: [TimelineRow] = []
        let tasks = Dictionary(detail.tasks.map { ($0.id, $0.reference) }, uniquingKeysWith: { first, _ in first })
        func add(_ stored: StoredEvent, linked: String?) {
            guard let recorded = try? RecordedEvent(stored) else { return }
            var text = ReportWords.event(stored.type, language)
            var owner = province
            var at = Self.clockTime(stored)
            var actor = self.actor(stored.actor)
            switch recorded.event {
            case .task(let change):
                if let reference = tasks[change.task] { text += " " + reference }
                if case .acknowledged(let ack) = change { actor = assignee(ack.by) }
                if case .escalated(let escalated) = change { text += " → " + assignee(escalated.to) }
            case .peerNotified(let payload):
                text += " " + unitName(payload.notification.province)
            case .peerReceived(let payload), .peerAccepted(let payload):
                owner = payload.province
                if let by = payload.by { actor = assignee(text: by) }
            case .peerEventReceived(let received):
                owner = received.province
                let theirs = received.event
                at = Self.clockTime(theirs)
                actor = self.actor(theirs.actor)
                text =
                    ReportWords.event(theirs.type, language) + "（\(ReportWords.theirSeq(language)) \(theirs.seq)）"
                if language == .en {
                    text = text.replacingOccurrences(of: "（", with: " (").replacingOccurrences(of: "）", with: ")")
                }
            case .levelSet(let payload):
                text += " " + ReportWords.level(payload.to, language)
            case .reportFiled(let payload):
                text = ReportWords.report(payload.report.kind, language)
            default:
                break
            }
            if let linked { text = "\(linked): " + text }
            rows.append(TimelineRow(at: at, seq: stored.seq, province: owner, event: text, actor: actor))
        }
        for event in events { add(event, linked: nil) }
        for link in linked { for event in link.events { add(event, linked: link.reference) } }
        return rows.sorted { ($0.at, $0.seq) < ($1.at, $1.seq) }
    }

    /// One receptor of the first plan: predicted and, if monitoring saw it, observed.
    struct ArrivalRow: Sendable, Hashable {
        var number: Int
        var node: String
        var name: String
        var earliest: Date
        var likely: Date
        var latest: Date?
        var observed: Date?
        /// `observed − earliest` in seconds.
        var difference: Double? { observed.map { $0.timeIntervalSince(earliest) } }
    }

    /// The plan the incident was first dispatched on (its first `PlanComputed`), else the current one.
    var firstPlan: PlanDocument? {
        for event in events where event.type == .planComputed {
            if case .planComputed(let record)? = (try? RecordedEvent(event))?.event, let plan = try? record.document() {
                return plan
            }
        }
        return detail.incident.plan
    }

    /// When monitoring first saw the plume at each node: the earliest leading edge, else peak, reported in the
    /// initial report or a follow-up (`monitoring[].node` with a `feature`).
    var observedArrivals: [String: Date] {
        var results = detail.initialReport?.monitoring ?? []
        results += detail.reports.flatMap(\.report.monitoring)
        var first: [String: Date] = [:]
        for feature in [Observation.Feature.leadingEdge, .peak] {
            for result in results where result.feature == feature {
                guard let node = result.node, first[node] == nil || feature == .leadingEdge else { continue }
                first[node] = min(first[node] ?? result.sampledAt, result.sampledAt)
            }
        }
        return first
    }

    /// The first plan's arrivals in order of predicted leading edge, numbered as on the map.
    var arrivals: [ArrivalRow] {
        let observed = observedArrivals
        let sorted = (firstPlan?.arrivals ?? []).sorted { $0.earliestArrival < $1.earliestArrival }
        return sorted.enumerated().map { index, arrival in
            ArrivalRow(
                number: index + 1, node: arrival.node,
                name: placeName(arrival.node, name: arrival.name, nameZh: arrival.nameZh),
                earliest: arrival.earliestArrival,
                likely: arrival.likelyArrival, latest: arrival.latestArrival, observed: observed[arrival.node])
        }
    }

    /// `晚1小时12分钟` / `later by 1 h 12 min`.
    func difference(_ seconds: Double) -> String {
        if abs(seconds) < 60 { return ReportWords.onTime(language) }
        let words = ReportWords.duration(abs(seconds), language)
        return (seconds > 0 ? ReportWords.later(language) : ReportWords.earlier(language)) + words
    }

    /// One report obligation: what, the deadline, and when it was met or by how much late.
    struct ObligationRow: Sendable, Hashable {
        var text: String
        var deadline: String
        var metAt: String
        var state: String
        var late: Bool
    }

    /// The incident's report obligations (the last of each id).
    var obligations: [ObligationRow] {
        let latest = Dictionary(detail.obligations.map { ($0.obligation.id, $0.seq) }, uniquingKeysWith: max)
        return detail.obligations.filter { latest[$0.obligation.id] == $0.seq }
            .map { due in
                let obligation = due.obligation
                let deadline =
                    obligation.dueBy.map(time) ?? ReportWords.latestDue(language) + time(obligation.latestDueBy)
                let state: String
                switch due.state {
                case .due: state = ReportWords.due(language)
                case .cancelled: state = ReportWords.cancelled(language)
                case .met:
                    state =
                        due.lateBy.map { ReportWords.lateBy(language) + ReportWords.duration($0, language) }
                        ?? ReportWords.met(language)
                }
                return ObligationRow(
                    text: language == .zh
                        ? due.titleZh ?? ReportWordsZh.obligation(obligation, units: basin.units)
                        : obligationEnglish(obligation),
                    deadline: deadline, metAt: due.metAt.map(time) ?? "—", state: state, late: due.lateBy != nil)
            }
    }

    /// `Yizhou District environment bureau → Yizhou District government, Hechi environment bureau: initial report
    /// within 2 h of discovery`.
    func obligationEnglish(_ obligation: ReportObligation) -> String {
        let from =
            switch obligation.anchor {
            case .discovery: "discovery"
            case .levelChange: "the level change"
            case .receipt: "receipt of the lower unit's report"
            }
        let recipients = obligation.recipients.map(\.name).joined(separator: ", ")
        return "\(obligation.fromName) → \(recipients): \(ReportWords.report(obligation.report, .en)) within "
            + "\(ReportWords.duration(obligation.withinH * 3_600, .en)) of \(from)"
    }

    /// One task: reference, title, assignee, dispatched, who acknowledged it when, escalations, state.
    struct TaskRow: Sendable, Hashable {
        var reference: String
        var title: String
        var assignee: String
        var dispatched: String
        var acknowledged: String
        var escalations: String
        var state: String
    }

    var tasks: [TaskRow] {
        detail.tasks.map { task in
            var acknowledged = "—"
            var escalated: [Assignee] = []
            for change in task.history {
                switch change {
                case .acknowledged(let ack) where acknowledged == "—":
                    acknowledged = assignee(ack.by) + " " + time(ack.at)
                case .started(let started) where acknowledged == "—":
                    acknowledged = assignee(started.by) + " " + time(started.at)
                case .done(let done) where acknowledged == "—":
                    acknowledged = assignee(done.by) + " " + time(done.at)
                case .escalated(let step):
                    escalated.append(step.to)
                default:
                    break
                }
            }
            var state = ReportWords.taskState(task.state, language)
            if task.unowned { state += language == .zh ? "（无人承办）" : " (unowned)" }
            return TaskRow(
                reference: task.reference, title: language == .zh ? task.titleZh ?? task.title : task.title,
                assignee: assignee(task.assignee), dispatched: time(task.dispatchedAt), acknowledged: acknowledged,
                escalations: escalated.isEmpty
                    ? "—" : escalated.map(assignee).joined(separator: language == .zh ? "；" : "; "),
                state: state)
        }
    }

    /// One notification to a neighbour: what, when sent, received and accepted (by whom, their reference).
    struct NotificationRow: Sendable, Hashable {
        var province: String
        var text: String
        var sent: String
        var received: String
        var accepted: String
    }

    var notifications: [NotificationRow] {
        let times = Dictionary(events.map { ($0.seq, Self.clockTime($0)) }, uniquingKeysWith: { first, _ in first })
        return detail.notifications.map { entry in
            let notification = entry.notification
            let text =
                language == .zh
                ? entry.textZh ?? notification.boundaryName
                : "\(notification.boundaryName): crossing \(time(notification.crossingAt)), notify by "
                    + "\(time(notification.deadline)) (\(notification.requirement.rawValue))"
            var accepted = entry.acceptedAt.map(time) ?? "—"
            if let by = entry.acceptedBy { accepted += " " + assignee(text: by) }
            if let reference = entry.peerReference { accepted += " " + reference }
            return NotificationRow(
                province: unitName(notification.province), text: text, sent: times[entry.seq].map(time) ?? "—",
                received: entry.receivedAt.map(time) ?? "—", accepted: accepted)
        }
    }

    /// A drill expectation in words: the scenario's text in English; in Chinese made from its kind, unit, peer and
    /// window (the scenario gives no Chinese text).
    func expectation(_ result: DrillExpectationResult) -> String {
        guard language == .zh, let expectation = drill?.expectations.first(where: { $0.id == result.id }) else {
            return result.text
        }
        let unit = expectation.unit.map(unitName) ?? ""
        let peer = expectation.peer.map(unitName) ?? ""
        let what =
            switch expectation.kind {
            case .taskAcknowledged: "\(unit)确认任务"
            case .taskDone: "\(unit)完成\(expectation.taskKind == .report ? "报告" : "")任务"
            case .reportFiled: "\(unit)报送\(ReportWordsZh.kind(expectation.report ?? .followUp))"
            case .peerReceived: "\(peer)服务器接收通报"
            case .peerAccepted: "\(peer)值班人员接受通报"
            }
        let anchor = expectation.afterInject.map { "情景注入\($0)后" } ?? "初报后"
        return "\(what)，\(anchor)\(AfterActionReport.km(expectation.withinMin))演习分钟内"
    }
}
