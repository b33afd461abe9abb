import Foundation
import WatershedCore
import WatershedStore
import WatershedWire

extension IncidentService {
    // MARK: Clocks

    /// The time the domain reasons in for `incident` at the wall time `wall`: the drill clock's time for a drill
    /// incident (then also the wall time, which its events carry as `at`), else `wall` itself.
    func times(of incident: UUID, wall: Date) -> (now: Date, wall: Date?) {
        guard let clock = drills.clock(of: incident) else { return (wall, nil) }
        return (clock.drillTime(atWall: wall), wall)
    }

    /// Sets the closure called after each commit that starts, plays or ends a drill.
    func onDrillsChanged(_ wake: @escaping @Sendable () -> Void) { drillsChanged = wake }

    // MARK: Reading drills

    /// Drills, newest first.
    func drillSummaries() -> [DrillSummary] { drills.order.reversed().compactMap { summary(of: $0) } }

    /// The drill an incident belongs to, or `nil` for a real incident or an exercise outside any drill.
    func drill(of incident: UUID) -> UUID? { drills.ofIncident[incident] }

    /// A drill by UUID or by a unique prefix of it (``DrillBook/find(_:)``).
    func findDrill(_ key: String) -> DrillBook.Drill? { drills.find(key) }

    /// The summary of drill `id`.
    func summary(of id: UUID) -> DrillSummary? {
        guard let state = drills.drills[id] else { return nil }
        let next = state.nextInject.flatMap { index in
            state.started.map { state.clock.drillTime(offsetMin: $0.scenario.injects[index].atMin) }
        }
        return DrillSummary(
            id: state.id, scenario: state.scenario, title: state.title, titleZh: state.titleZh,
            state: state.isRunning ? "running" : "ended", clock: state.clock, endedAt: state.endedAt,
            endReason: state.endReason, origin: state.origin, peers: state.peers,
            participants: state.started?.scenario.participants ?? [],
            incidents: state.incidents.map { DrillIncident(id: $0, reference: book.incident($0)?.reference ?? "") },
            injectsPlayed: state.played.count, injectsTotal: state.started?.scenario.injects.count ?? 0,
            nextInjectAt: next, sinceSeq: state.startedSeq)
    }

    static func unknownDrill(_ key: String) -> DomainError {
        DomainError(
            .notFound, code: "unknown_drill",
            message: "no drill \"\(key)\" (give its id, or 8 or more of its first characters; `watershed drill list`)",
            field: "id")
    }

    // MARK: Starting

    /// Starts a drill: checks the scenario, makes one drill token per participant, and appends `DrillStarted`
    /// (exercise, outside any incident; `drillAt` the scenario's `startsAt`). The runner plays the injects from then
    /// on, on the drill's clock.
    ///
    /// - Throws: ``DomainError`` `invalid` (422) naming the first field at fault (`scenario.injects[0].report.place`,
    ///   `clockFactor`); nothing is appended.
    func startDrill(_ request: DrillStartRequest, by identity: Identity, wall: Date) async throws -> DrillStarted {
        let scenario = try rules.drillStart(request.scenario, clockFactor: request.clockFactor)
        let start = scenario.startDate!
        let drill = UUID()
        let clock = DrillClock(wallStart: wall, drillStart: start, factor: scenario.clockFactor)
        let prefix = String(drill.uuidString.prefix(8)).lowercased()
        var tokens: [DrillJoinToken] = []
        var stored: [DrillParticipantToken] = []
        for (index, participant) in scenario.participants.enumerated() {
            let secret = "wsd-drill-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let id = "drill-\(prefix)-\(index + 1)"
            tokens.append(
                DrillJoinToken(
                    unit: participant.unit, dutyPosition: participant.dutyPosition, name: participant.name,
                    tokenID: id, token: secret))
            stored.append(
                DrillParticipantToken(
                    unit: participant.unit, dutyPosition: participant.dutyPosition, name: participant.name,
                    tokenID: id, sha256: TokenRegistry.hash(secret)))
        }
        let event = NewEvent(
            at: wall, type: .drillStarted,
            actor: .person(unit: identity.unit, position: identity.dutyPosition.rawValue, token: identity.tokenID),
            exercise: true, drillAt: start,
            payload: try JSONValue(
                encoding: DrillStartedPayload(
                    drill: drill, scenario: scenario.withoutNumbers, clock: clock, participants: stored)))
        _ = try await append([event])
        guard let summary = summary(of: drill) else { throw Self.unknownDrill(drill.uuidString) }
        return DrillStarted(drill: summary, tokens: tokens)
    }

    // MARK: Running

    /// The wall time of the next thing a running drill must do (``DrillBook/nextWake()``).
    func nextDrillWake() -> Date? { drills.nextWake() }

    /// Plays every inject whose drill time has come by the wall time `wall`, in order, and ends drills whose
    /// `endsAtMin` has passed (``DrillBook/due(atWall:)``). After a restart it plays what came due while the server
    /// was down, once each. Returns the number of injects played.
    ///
    /// - Throws: the log's errors (the runner retries); a report an inject cannot file is recorded as played with
    ///   the reason, never retried in a loop.
    @discardableResult
    func playDueDrills(wall: Date) async throws -> Int {
        var played = 0
        while let due = drills.due(atWall: wall) {
            switch due {
            case .inject(let drill, let index):
                guard let scenario = drill.started?.scenario else { return played }
                try await play(index, of: drill, scenario: scenario, wall: wall)
                played += 1
            case .end(let drill):
                _ = try await endDrill(drill.id.uuidString, reason: "endsAtMin", wall: wall)
            }
        }
        return played
    }

    private func play(_ index: Int, of state: DrillBook.Drill, scenario: DrillScenario, wall: Date) async throws {
        let inject = scenario.injects[index]
        let drillNow = state.clock.drillTime(atWall: wall)
        var payload = DrillInjectedPayload(
            drill: state.id, index: index, kind: inject.kind, summary: inject.summary, summaryZh: inject.summaryZh)
        let by = inject.by ?? scenario.participants[0]
        let identity = Identity(tokenID: "drill-runner", unit: by.unit, dutyPosition: by.dutyPosition, roles: [.drill])
        func injected(_ incident: UUID?) throws -> NewEvent {
            NewEvent(
                at: wall, incident: incident, type: .drillInjected, actor: .system(component: "drill-runner"),
                exercise: true, drillAt: drillNow, payload: try JSONValue(encoding: payload))
        }
        do {
            switch inject.kind {
            case .initialReport:
                var report = try (inject.report ?? .null).decode(InitialReport.self)
                report.exercise = true
                let link = DrillLink(drill: state.id, clock: state.clock, title: scenario.title)
                let (events, incident) = try initialReportEvents(
                    report, by: identity, now: drillNow, exercise: true, claim: nil,
                    drill: (link, scenario.peers, wall))
                _ = try await append(events + [try injected(incident)])
                return
            case .followUpReport:
                guard let incident = state.incidents.first else {
                    throw DomainError(
                        .conflict, code: "no_incident", message: "the drill has no incident to report on yet")
                }
                let report = try (inject.report ?? .null).decode(FollowUpReport.self)
                let lock = "incident " + incident.uuidString
                await acquire(lock)
                defer { release(lock) }
                let events = try reportEvents(report, on: incident, by: identity, wall: wall, claim: nil)
                _ = try await append(events + [try injected(incident)])
                return
            case .message, .complication, .peerMessage:
                break
            }
        } catch let error as DomainError {
            payload.summary += " — the runner could not file it: \(error.message)"
        } catch let error as DecodingError {
            payload.summary += " — the runner could not read its report: \(error)"
        }
        _ = try await append([try injected(state.incidents.first)])
    }

    // MARK: Ending

    /// Ends a drill: cancels its open tasks, closes its open incidents (`IncidentClosed`, reason `drillEnded`, which
    /// also tells a joint drill's neighbour) and appends `DrillEnded`; its tokens stop working.
    ///
    /// - Throws: ``DomainError`` `notFound` (404) unknown drill, `conflict` (409) when it has already ended.
    func endDrill(_ key: String, reason: String, wall: Date) async throws -> DrillSummary {
        guard let found = findDrill(key) else { throw Self.unknownDrill(key) }
        let incidents = found.incidents.sorted { $0.uuidString < $1.uuidString }
        for incident in incidents { await acquire("incident " + incident.uuidString) }
        defer { for incident in incidents { release("incident " + incident.uuidString) } }
        guard let state = drills.drills[found.id] else { throw Self.unknownDrill(key) }
        let drillNow = state.clock.drillTime(atWall: wall)
        let decided = try rules.drillEnd(
            state, incidents: incidents.compactMap { book.incident($0) }, reason: reason, now: drillNow)
        let events = try decided.map { incident, event in
            try NewEvent(
                at: wall, incident: incident, actor: .system(component: "drill-runner"), exercise: true,
                drillAt: drillNow, event: event)
        }
        _ = try await append(events)
        return summary(of: state.id)!
    }

    // MARK: Scoring

    /// The drill's score from the log (``DrillScoring``): its own events and every event of its incidents, from its
    /// start on.
    ///
    /// - Throws: ``DomainError`` `notFound` (404) unknown drill; the log's errors.
    func drillScore(_ key: String, wall: Date) async throws -> DrillScore {
        guard let state = findDrill(key) else { throw Self.unknownDrill(key) }
        let incidents = Set(state.incidents)
        var events: [StoredEvent] = []
        var after = state.startedSeq - 1
        while true {
            // Drill events are exercises: the query skips the real ones in between.
            let page = try await log.events(after: after, limit: 1_000, incident: nil, exercise: true)
            for event in page {
                if let incident = event.incident, incidents.contains(incident) {
                    events.append(event)
                } else if event.incident == nil, DrillBook.eventTypes.contains(event.type),
                    (try? RecordedEvent(event)).flatMap(DrillBook.drill(of:)) == state.id
                {
                    events.append(event)
                }
            }
            guard let last = page.last, page.count == 1_000 else { break }
            after = last.seq
        }
        let started =
            state.started
            ?? DrillStartedPayload(
                drill: state.id,
                scenario: DrillScenario(
                    id: state.scenario, title: state.title, startsAt: CanonicalJSON.timestamp(state.clock.drillStart),
                    clockFactor: state.clock.factor, participants: [], injects: [], expectations: []),
                clock: state.clock, participants: [], origin: state.origin)
        return DrillScoring.score(
            started: started, events: events, ended: !state.isRunning, now: state.clock.drillTime(atWall: wall))
    }
}
