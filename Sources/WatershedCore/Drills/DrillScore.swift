import Foundation

/// A drill's score: each expectation met, missed or still pending, with the times, and the after-action timeline —
/// all taken from the event log (``DrillScoring/score(started:events:ended:now:)``).
public struct DrillScore: Codable, Sendable, Hashable {
    /// The drill.
    public var drill: UUID
    /// The scenario's title.
    public var title: String
    /// Whether the drill has ended (a pending expectation of an ended drill is missed).
    public var ended: Bool
    /// One result per expectation, in scenario order.
    public var results: [DrillExpectationResult]
    /// How many were met.
    public var met: Int
    /// How many expectations there are.
    public var total: Int
    /// Who knew what, when: the drill's events in log order.
    public var timeline: [DrillTimelineEntry]
}

/// The result of one expectation.
public struct DrillExpectationResult: Codable, Sendable, Hashable {
    /// `met`, `missed` or `pending` (the drill is running and the deadline has not passed).
    public enum Outcome: String, Codable, Sendable { case met, missed, pending }
    /// The expectation's id.
    public var id: String
    /// Its text.
    public var text: String
    /// The outcome.
    public var outcome: Outcome
    /// Drill time of the anchor (the inject it counts from).
    public var from: Date
    /// Drill time by which it was due (`from` + `withinMin`).
    public var due: Date
    /// Drill time of the first matching event, if any (even a late one).
    public var at: Date?
    /// Drill-minutes from the anchor to `at`.
    public var elapsedMin: Double?
    /// The matching event's seq and what it was (`TaskAcknowledged GX-2026-0001/T4 by 450200/city-duty-chief`).
    public var evidence: String?
}

/// One line of the after-action timeline.
public struct DrillTimelineEntry: Codable, Sendable, Hashable {
    /// The event's seq.
    public var seq: Int64
    /// Wall time.
    public var at: Date
    /// Drill time.
    public var drillAt: Date
    /// The event type.
    public var type: EventType
    /// Who: `450200/city-duty-chief`, `peer 440000`, `system/drill-runner`.
    public var who: String
    /// What, in a sentence.
    public var what: String
}

/// Scores a drill from its events (pure; the server hands it the log).
public enum DrillScoring {
    /// Scores the drill started by `started` from `events`: its `DrillInjected`/`DrillEnded` events and every event
    /// of its incidents, in seq order. Each expectation is anchored at its inject's drill time (`afterInject`, else
    /// the opening inject, else the start) and met when the first matching event's drill time (`drillAt`, else the
    /// drill clock at the event's wall time) is no later than `withinMin` after it; an event after the deadline
    /// still shows, as missed.
    ///
    /// - Parameters:
    ///   - ended: whether the drill has ended; until then an unmatched expectation whose deadline is after `now`
    ///     is pending.
    ///   - now: the drill time to judge pending expectations at.
    public static func score(started: DrillStartedPayload, events: [StoredEvent], ended: Bool, now: Date)
        -> DrillScore
    {
        let scenario = started.scenario
        let clock = started.clock
        func drillTime(_ event: StoredEvent) -> Date { event.drillAt ?? clock.drillTime(atWall: event.at) }
        var tasks: [UUID: TaskDispatched] = [:]
        var timeline: [DrillTimelineEntry] = []
        for event in events {
            if let change = try? TaskChange(eventType: event.type, payload: event.payload),
                case .dispatched(let dispatched) = change
            {
                tasks[dispatched.task] = dispatched
            }
            timeline.append(
                DrillTimelineEntry(
                    seq: event.seq, at: event.at, drillAt: drillTime(event), type: event.type, who: who(event.actor),
                    what: describe(event, tasks: tasks)))
        }
        var results: [DrillExpectationResult] = []
        for expectation in scenario.expectations {
            let anchorIndex = expectation.afterInject ?? scenario.openingInject
            let from = clock.drillTime(offsetMin: anchorIndex.map { scenario.injects[$0].atMin } ?? 0)
            let due = from.addingTimeInterval(expectation.withinMin * 60)
            let match = events.first { event in
                drillTime(event) >= from && matches(expectation, event, tasks: tasks)
            }
            let at = match.map(drillTime)
            let outcome: DrillExpectationResult.Outcome
            if let at, at <= due {
                outcome = .met
            } else if match == nil, !ended, now <= due {
                outcome = .pending
            } else {
                outcome = .missed
            }
            results.append(
                DrillExpectationResult(
                    id: expectation.id, text: expectation.text, outcome: outcome, from: from, due: due, at: at,
                    elapsedMin: at.map { $0.timeIntervalSince(from) / 60 },
                    evidence: match.map { "seq \($0.seq) \($0.type.rawValue): \(describe($0, tasks: tasks))" }))
        }
        return DrillScore(
            drill: started.drill, title: scenario.title, ended: ended, results: results,
            met: results.filter { $0.outcome == .met }.count, total: results.count, timeline: timeline)
    }

    static func matches(_ expectation: DrillExpectation, _ event: StoredEvent, tasks: [UUID: TaskDispatched]) -> Bool {
        func taskMatches(_ id: UUID) -> Bool {
            guard let task = tasks[id], task.assignee.unit == expectation.unit else { return false }
            return expectation.taskKind.map { $0 == task.kind } ?? true
        }
        switch expectation.kind {
        case .taskAcknowledged, .taskDone:
            guard let change = try? TaskChange(eventType: event.type, payload: event.payload) else { return false }
            switch (expectation.kind, change) {
            case (.taskAcknowledged, .acknowledged(let ack)): return taskMatches(ack.task)
            case (.taskDone, .done(let done)): return taskMatches(done.task)
            default: return false
            }
        case .reportFiled:
            guard case .person(let unit, _, _) = event.actor, unit == expectation.unit else { return false }
            switch expectation.report ?? .followUp {
            case .initial: return event.type == .incidentReported
            case .followUp, .final:
                guard event.type == .reportFiled,
                    let filed = try? event.payload.decode(ReportFiledPayload.self)
                else { return false }
                return filed.report.kind == (expectation.report ?? .followUp)
            }
        case .peerReceived, .peerAccepted:
            guard event.type == (expectation.kind == .peerReceived ? .peerReceived : .peerAccepted),
                let ack = try? event.payload.decode(PeerAcknowledgementPayload.self)
            else { return false }
            return ack.province == expectation.peer
        }
    }

    public static func who(_ actor: EventActor) -> String {
        switch actor {
        case .person(let unit, let position, _): "\(unit)/\(position)"
        case .peer(let province): "peer \(province)"
        case .system(let component): "system/\(component)"
        }
    }

    /// One sentence for an event of the timeline.
    public static func describe(_ event: StoredEvent, tasks: [UUID: TaskDispatched]) -> String {
        if let change = try? TaskChange(eventType: event.type, payload: event.payload) {
            let task = tasks[change.task]
            let name = task?.reference ?? change.task.uuidString
            switch change {
            case .dispatched(let d): return "\(d.reference) dispatched to \(d.assignee): \(d.title)"
            case .acknowledged(let a): return "\(name) acknowledged by \(a.by)"
            case .started(let s): return "\(name) started by \(s.by)"
            case .done(let d): return "\(name) done by \(d.by)"
            case .declined(let d): return "\(name) declined by \(d.by): \(d.reason)"
            case .cancelled(let c): return "\(name) cancelled (\(c.reason))"
            case .overdue: return "\(name) overdue"
            case .escalated(let e): return "\(name) escalated to \(e.to)"
            case .unowned: return "\(name) unowned: nobody acknowledged it"
            case .rescheduled: return "\(name) rescheduled"
            }
        }
        switch event.type {
        case .incidentReported:
            let reported = try? event.payload.decode(IncidentReportedPayload.self)
            return "initial report \(reported?.reference ?? "") filed"
                + (reported?.origin.map { " (from \($0.province), their \($0.reference))" } ?? "")
        case .reportFiled:
            let filed = try? event.payload.decode(ReportFiledPayload.self)
            return "\(filed?.report.kind.rawValue ?? "follow-up") report filed: \(filed?.report.summary ?? "")"
        case .peerNotified:
            let notified = try? event.payload.decode(PeerNotifiedPayload.self)
            return "neighbour \(notified?.notification.province ?? "") to be notified"
        case .peerReceived, .peerAccepted:
            let ack = try? event.payload.decode(PeerAcknowledgementPayload.self)
            return "neighbour \(ack?.province ?? "") \(event.type == .peerReceived ? "received" : "accepted")"
                + (ack?.by.map { " (by \($0))" } ?? "")
        case .drillInjected:
            let inject = try? event.payload.decode(DrillInjectedPayload.self)
            return "inject \(inject.map { String($0.index) } ?? ""): \(inject?.summary ?? "")"
        case .planComputed:
            let plan = try? event.payload.decode(PlanDocument.self)
            return "plan computed: \(plan?.arrivals.count ?? 0) places reached, \(plan?.tasks.count ?? 0) tasks"
        case .obligationDue:
            let due = try? event.payload.decode(ReportObligation.self)
            return "report due: \(due?.report.rawValue ?? "") report from \(due?.fromName ?? "") within "
                + "\(due.map { String(format: "%g", $0.withinH) } ?? "") h"
        case .obligationMet:
            return "report obligation met"
        case .levelSet:
            let level = try? event.payload.decode(LevelSetPayload.self)
            return "level set to \(level.map { "\($0.to)" } ?? "")"
        case .incidentClosed:
            let closed = try? event.payload.decode(IncidentClosedPayload.self)
            return "incident closed (\(closed?.reason ?? ""))"
        case .drillStarted: return "drill started"
        case .drillEnded:
            let ended = try? event.payload.decode(DrillEndedPayload.self)
            return "drill ended (\(ended?.reason ?? ""))"
        default:
            return event.type.rawValue
        }
    }
}
