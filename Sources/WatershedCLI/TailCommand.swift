import ArgumentParser
import Foundation
import Synchronization
import WatershedClient
import WatershedCore
import WatershedWire

/// `watershed tail [--after SEQ] [--incident ID]`: prints the live stream, one line per event, reconnecting and
/// resuming by itself.
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Print the server's events as they are committed, one line each, resuming by itself.",
        discussion: """
            Prints every event after --after (the backlog first, then live events) as: seq, local time, type, \
            incident reference, a short summary. Exercise (drill) events start with [DRILL]. When the connection \
            drops (the server restarts, the network fails), tail says so on standard error, reconnects by itself \
            and resumes after the last seq it printed, so no event is missed or printed twice. Stop it with \
            Ctrl-C. With --json, one JSON object (the stored event as the API sends it) per line.
            Exit 1 refused (token, unknown incident), 2 usage, 3 the server cannot be reached at the start or its \
            certificate is not trusted.
              watershed tail --after 120 --ca data/tls/ca.pem --token wsd-dev-viewer-gx
              watershed tail --incident GX-2026-0001 --json
            """
    )

    @Option(help: ArgumentHelp("Start after this seq (0: from the first event).", valueName: "seq"))
    var after: Int64 = 0

    @Option(help: ArgumentHelp("Only this incident's events: its reference (GX-2026-0001) or UUID.", valueName: "id"))
    var incident: String?

    @Option(help: ArgumentHelp("only: drill events alone; exclude: no drill events.", valueName: "only|exclude"))
    var exercise: String?

    @OptionGroup var client: ClientOptions

    @Flag(help: "Print each event as one line of JSON (the API's stored event).")
    var json = false

    func validate() throws {
        if after < 0 { throw ValidationError("--after: a seq is 0 or more, got \(after).") }
        if let exercise, ExerciseFilter(rawValue: exercise) == nil {
            throw ValidationError("--exercise: \"\(exercise)\" is not a filter; use only or exclude.")
        }
    }

    func run() async throws {
        let out = CommandOutput.current
        let json = json
        let names = EventNames.Shared(timeZone: client.zone)
        let filter = exercise.flatMap(ExerciseFilter.init(rawValue:))
        do {
            try await client.withClient { client in
                // Fails early, with its sentence and exit code, when the server cannot be reached or refuses; and
                // names the incidents and tasks reported before --after.
                let known = try await client.incidents()
                if let incident, !known.contains(where: { $0.reference == incident || $0.id.uuidString == incident }) {
                    _ = try await client.incident(incident)
                }
                let tasks = (try? await client.tasks()) ?? []
                names.state.withLock { names in
                    for summary in known { names.incidents[summary.id] = summary.reference }
                    for task in tasks { names.tasks[task.id] = task.reference }
                }
                try await client.follow(after: after, incident: incident, exercise: filter, reconnect: true) {
                    update in
                    switch update {
                    case .event(let event):
                        if json {
                            out.write(try ClientJSON.encode(event, pretty: false))
                        } else {
                            out.write(names.state.withLock { $0.line(event) })
                        }
                    case .caughtUp(let head):
                        let first = names.state.withLock { names in
                            defer { names.caughtUpOnce = true }
                            return !names.caughtUpOnce
                        }
                        if first { out.error("— caught up at seq \(head); following live events (Ctrl-C stops)") }
                    case .disconnected(let reason, let resumeAfter, _):
                        let first = names.state.withLock { names in
                            defer { names.disconnected = true }
                            return !names.disconnected
                        }
                        if first { out.error("— reconnecting (\(reason)); resuming after seq \(resumeAfter)") }
                    case .reconnected(let resumeAfter):
                        names.state.withLock { $0.disconnected = false }
                        out.error("— reconnected; resuming after seq \(resumeAfter)")
                    }
                    return .proceed
                }
            }
        } catch is CancellationError {
            return
        }
    }
}

/// What `tail` has learnt while reading: incident references and task references by UUID, and whether it is
/// between a drop and a reconnection.
struct EventNames {
    /// How times print.
    let time: LocalTime
    var incidents: [UUID: String] = [:]
    /// Our incident → the reference of the neighbour's incident it mirrors.
    var origins: [UUID: String] = [:]
    var tasks: [UUID: String] = [:]
    var caughtUpOnce = false
    var disconnected = false

    /// The names shared by the stream's callbacks.
    final class Shared: Sendable {
        let state: Mutex<EventNames>
        init(timeZone: TimeZone) { state = Mutex(EventNames(time: LocalTime(timeZone: timeZone))) }
    }

    /// `seq  time  type  reference  summary`, with `[DRILL]` in front of an exercise event.
    mutating func line(_ event: StoredEvent) -> String {
        learn(event)
        // An incident whose opening this tail did not see is named by its UUID, which `incident show` accepts.
        let reference = event.incident.map { incidents[$0] ?? $0.uuidString } ?? "—"
        let seq = String(event.seq)
        var parts = [
            String(repeating: " ", count: max(0, 6 - seq.count)) + seq, time(event.at),
            event.type.rawValue.padding(toLength: max(18, event.type.rawValue.count), withPad: " ", startingAt: 0),
            reference.padding(toLength: max(12, reference.count), withPad: " ", startingAt: 0),
        ]
        let summary = summary(event)
        if !summary.isEmpty { parts.append(summary) }
        if let drillAt = event.drillAt { parts.append("(drill clock \(time(drillAt)))") }
        let text = parts.joined(separator: "  ").replacingOccurrences(
            of: "\\s+$", with: "", options: .regularExpression)
        return event.exercise ? "\(ClientFormat.drillMark) \(text)" : text
    }

    mutating func learn(_ event: StoredEvent) {
        switch (try? RecordedEvent(event))?.event {
        case .reported(let payload):
            guard let incident = event.incident else { return }
            incidents[incident] = payload.reference
            if let origin = payload.origin { origins[incident] = origin.reference }
        case .capReceived(let payload):
            // The Alert that opened an incident carries our reference for it (issue 16).
            guard let incident = event.incident, payload.msgType == "Alert" else { return }
            // An Alert stored before references were recorded is known by `CAP-` and the start of its UUID (Incident).
            incidents[incident] = payload.reference ?? "CAP-" + incident.uuidString.prefix(8)
        case .task(.dispatched(let dispatched)):
            tasks[dispatched.task] = dispatched.reference
        default:
            return
        }
    }

    /// `T3` of `GX-2026-0001/T3`, or the start of the UUID of a task not seen.
    func task(_ id: UUID) -> String {
        guard let reference = tasks[id] else { return "task " + id.uuidString.prefix(8) }
        return reference.split(separator: "/").last.map(String.init) ?? reference
    }

    /// A short summary of what the event says (its payload read once, by Core: ``RecordedEvent``).
    func summary(_ event: StoredEvent) -> String {
        guard let recorded = try? RecordedEvent(event) else { return "" }
        switch recorded.event {
        case .reported(let reported):
            let report = reported.report
            return
                "\(report.pollutant) at \(ClientFormat.place(report.place)), \(ClientFormat.release(report.release)), "
                + "level \(ClientFormat.level(report.level)); reported by \(report.signature.reportingUnit)"
                + (reported.origin.map { " (from \($0.province)'s \($0.reference))" } ?? "")
        case .levelSet(let set):
            return "level \(ClientFormat.level(set.from)) → \(ClientFormat.level(set.to))"
        case .reportFiled(let filed):
            return "\(ClientFormat.report(filed.report.kind)) report: \(filed.report.summary)"
        case .planComputed(let record):
            guard let plan = try? record.document() else { return "plan (unreadable)" }
            return "plan: \(plan.arrivals.count) receptors, \(plan.tasks.count) tasks, "
                + "\(plan.obligations.count) report obligations, \(plan.peerNotifications.count) peer notifications"
        case .obligationDue(let obligation):
            return "\(ClientFormat.report(obligation.report)) report due from \(obligation.fromName) by "
                + (obligation.dueBy.map { time($0) } ?? time(obligation.latestDueBy))
        case .obligationMet(let met):
            return "obligation \(met.obligation) met" + (met.unit.map { " by \($0)'s report" } ?? "")
        case .reportForwarded(let forwarded):
            return "\(ClientFormat.report(forwarded.report)) report (seq \(forwarded.reportSeq)) of "
                + "\(forwarded.reportingUnit) forwarded by \(forwarded.from) to \(forwarded.to)"
        case .peerNotified(let notified):
            let notification = notified.notification
            let why =
                switch notification.kind ?? .crossing {
                case .crossing: "crossing \(notification.boundaryName) at \(time(notification.crossingAt))"
                case .sharedWater: "shared water at \(notification.boundaryName), no crossing predicted"
                case .damRelease:
                    "release at \(notification.site ?? "a dam"), crossing \(notification.boundaryName) at "
                        + time(notification.crossingAt)
                }
            return "notify \(notification.name) (\(notification.province), \(notification.requirement.rawValue)) by "
                + "\(time(notification.deadline)); \(why); \(notified.delivery)"
        case .peerReceived(let acknowledgement), .peerAccepted(let acknowledgement):
            return "\(acknowledgement.province) \(event.type == .peerReceived ? "received" : "accepted")"
                + (acknowledgement.peerReference.map { " as \($0)" } ?? "")
                + (acknowledgement.by.map { " by \($0)" } ?? "")
        case .peerEventReceived(let received):
            guard let theirs = try? RecordedEvent(received.event) else {
                return "from \(received.province): \(received.event.type.rawValue) (their seq \(received.event.seq))"
            }
            // In words, as the incident's timeline says it (the origin's reference, when this tail saw it reported).
            let reference =
                event.incident.flatMap { origins[$0] } ?? received.event.incident.map {
                    String($0.uuidString.prefix(8))
                } ?? "?"
            return Incident.Neighbour.describe(theirs, province: received.province, reference: reference)
        case .closed(let closed):
            return "closed: \(closed.reason)"
        case .task(let change):
            return taskSummary(change)
        case .capHeld(let held):
            return "CAP \(held.identity) from \(held.peer) held"
                + (held.waitingFor.map { $0.isEmpty ? "" : " for " + $0.joined(separator: " ") } ?? "")
        case .capHeldRefused(let refused):
            return "held CAP \(refused.identity) refused: \(refused.reason)"
        case .capHeldDropped(let dropped):
            return "held CAP \(dropped.identity) dropped" + (dropped.by.map { " by \($0)" } ?? "")
                + " (\(dropped.reason))"
        case .textSent(let sent):
            return "\(task(sent.task)): text to \(sent.to) (\(sent.person)), \(sent.occasion.rawValue)"
                + (sent.queued ? ", queued at the gateway" : "")
        case .textDelivered(let delivered):
            return "\(task(delivered.task)): text delivered"
        case .textFailed(let failed):
            return "\(task(failed.task)): text \(failed.final ? "given up" : "failed"): \(failed.reason)"
        case .rotaOverridden(let override):
            return
                "rota: \(override.person) holds \(override.assignee) from \(time(override.from)) to \(time(override.to))"
                + (override.reason.map { " (\($0))" } ?? "")
        case .tokenIssued(let issued):
            return "token \(issued.id) issued: \(issued.unit)/\(issued.dutyPosition.rawValue), "
                + issued.roles.joined(separator: ", ") + (issued.note.map { " (\($0))" } ?? "")
        case .tokenRevoked(let revoked):
            return "token \(revoked.id) revoked" + (revoked.reason.map { ": \($0)" } ?? "")
        case .capReceived, .linked, .drillStarted, .drillInjected, .drillEnded:
            return ""
        }
    }

    func taskSummary(_ change: TaskChange) -> String {
        let name = task(change.task)
        switch change {
        case .dispatched(let dispatched):
            let deadline =
                dispatched.startBy.map { "start by \(time($0))" } ?? dispatched.dueBy.map { "due by \(time($0))" }
                ?? "ack by \(time(dispatched.ackBy))"
            return "\(name) → \(ClientFormat.assignee(dispatched.assignee)): \(dispatched.title) (\(deadline))"
        case .acknowledged(let acknowledged):
            return "\(name) acknowledged by \(ClientFormat.assignee(acknowledged.by))"
        case .started(let started):
            return "\(name) started by \(ClientFormat.assignee(started.by))"
        case .done(let done):
            return "\(name) done by \(ClientFormat.assignee(done.by))"
        case .declined(let declined):
            return "\(name) declined by \(ClientFormat.assignee(declined.by)) (\(declined.reason))"
                + (declined.redispatchedTo.map { " → \(ClientFormat.assignee($0))" } ?? "")
        case .cancelled(let cancelled):
            return "\(name) cancelled: \(cancelled.reason)"
        case .overdue(let overdue):
            return "\(name) OVERDUE (\(overdue.kind.rawValue) by \(time(overdue.deadline)))"
        case .escalated(let escalated):
            return "\(name) escalated (step \(escalated.step)) → \(ClientFormat.assignee(escalated.to))"
        case .unowned(let unowned):
            return "\(name) UNOWNED (\(unowned.reason.rawValue))"
        case .rescheduled(let rescheduled):
            return "\(name) start by moved to \(time(rescheduled.to)): \(rescheduled.reason)"
        }
    }
}
