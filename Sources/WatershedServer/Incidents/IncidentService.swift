import Foundation
import Synchronization
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// What filing a report answered: the incident after it and the seqs appended. A replay (same
/// `Idempotency-Key`, same body) answers what the first request did, rebuilt from the log.
struct FiledReport: Sendable {
    /// The incident as it was right after the report's events, without its plan (the `201` leaves it out).
    var incident: IncidentSummary
    /// The first and last seq the report appended.
    var firstSeq: Int64
    var lastSeq: Int64
    /// Whether this is a replay of an earlier request (nothing appended now).
    var replayed: Bool
}

/// Files reports: checks them, plans, appends the events, keeps the incident list and the live idempotency keys,
/// (the log's commit observer hands committed events to the push hub). Incident references are handed out one at a
/// time here.
///
/// The actor suspends while an append commits, so two requests could interleave between their checks and their
/// appends. Two locks keep them apart: one per `Idempotency-Key` (a retry waits for the first attempt, then
/// replays it) and one per incident (a follow-up cannot pass the "still open" check while a final report is
/// committing). They are always taken in that order. Across nodes (PostgreSQL) the append's condition does what the
/// incident's lock does here (``decideAndAppend(on:_:)``), and an initial report's reference is its claim.
public actor IncidentService {
    let log: any ServerLog
    let basin: Basin
    let province: UnitCode
    let metrics: ServerMetrics?
    /// This province's units, duty positions and escalation policies (`seeds/<province>/organisation.yaml`).
    let organisation: Organisation
    /// The decisions (Core), on this province's basin map and organisation.
    let rules: IncidentRules
    /// Every incident, folded by Core's ``Incident``, updated in place by every commit (never copied).
    var book = IncidentBook()
    /// Drills folded from the log by Core's ``DrillBook``: their scenarios, clocks, played injects and incidents.
    var drills = DrillBook()
    /// The drill tokens of running drills (the token authenticator reads them).
    let drillTokens: DrillTokens
    /// Production tokens made through the API (`TokenIssued`), folded here on every node.
    let issuedTokens: IssuedTokens
    /// The duty rota as its file says (`seeds/<province>/rota.yaml`), or `nil` without one; ``rota`` adds the
    /// overrides made since.
    var rotaFile: DutyRota?
    /// The drills' phone books by scenario id (``WatershedCore/DrillScenario/phones``): who a drill's texts go to.
    var drillPhones: [String: DutyRota] = [:]
    /// Called after every commit that starts, plays or ends a drill (the drill runner's wake-up).
    var drillsChanged: @Sendable () -> Void = {}
    /// Called after every commit that may change a deadline (the scheduler's and the text sender's wake-ups).
    var deadlinesChanged: [String: @Sendable () -> Void] = [:]
    /// Highest serial handed out per reference prefix (`GX-2026-`), so concurrent reports never share one.
    private var lastSerial: [String: Int] = [:]
    /// Live idempotency keys by ``Idempotency/scoped(unit:key:)``.
    var keys: [String: Idempotency.Entry] = [:]
    private var keysSincePrune = 0
    /// Held locks and their waiters.
    private var held: [String: [CheckedContinuation<Void, Never>]] = [:]
    /// The last seq folded into ``book`` and ``drills`` (``fold(_:)``).
    var folded: Int64 = 0
    /// ``folded`` for readers outside the actor (``foldedSeq``).
    let foldedHead = Mutex<Int64>(0)
    /// Events this service is appending, by id, folded as built when they come back committed (nothing decoded).
    var appending: [UUID: NewEvent] = [:]
    /// Appenders waiting for their last seq to be folded.
    var foldWaiters: [(seq: Int64, continuation: CheckedContinuation<Void, Never>)] = []

    /// Loads the incidents, the drills and the idempotency keys of the last 24 h (before `now`) from the log, then
    /// folds every later commit as the log hands it over — this node's and, on PostgreSQL, every other node's
    /// (issue 18: every node folds the same log into the same state).
    ///
    /// - Throws: the log's errors; `DecodingError` for stored bytes that are not an event; ``RecordedEventError`` for
    ///   a stored payload that does not have its type's shape.
    public init(
        log: any ServerLog, basin: Basin, province: UnitCode, organisation: Organisation? = nil,
        metrics: ServerMetrics? = nil, drillTokens: DrillTokens = DrillTokens(),
        issuedTokens: IssuedTokens = IssuedTokens(), now: Date = Date()
    ) async throws {
        self.drillTokens = drillTokens
        self.issuedTokens = issuedTokens
        self.organisation =
            organisation
            ?? Organisation(province: province, defaultPolicy: EscalationPolicy(ackMinutes: 15, repeats: 2), units: [])
        self.metrics = metrics
        self.log = log
        self.basin = basin
        self.province = province
        self.rules = IncidentRules(basin: basin, organisation: self.organisation, province: province)
        // Observed before the log is read, so that nothing committed meanwhile is missed (what is read twice is
        // skipped by its seq).
        let (commits, delivery) = AsyncStream<[StoredEvent]>.makeStream()
        log.onCommit { delivery.yield($0) }
        var keys: [String: Idempotency.Entry] = [:]
        var book = IncidentBook()
        var drills = DrillBook()
        var folded: Int64 = 0
        // The stored bytes read straight into typed events on every core, plans left in their bytes until read
        // (`RecordedEvent.fold(pages:into:)`): most of a long log is plans. The next page is read while one is folded.
        var next = Task { try await log.storedBytes(after: 0, limit: 2_000, incident: nil, exercise: nil) }
        while true {
            let page = try await next.value
            guard let last = page.last else { break }
            next = Task { try await log.storedBytes(after: last.seq, limit: 2_000, incident: nil, exercise: nil) }
            var pending: [Data]? = page.map(\.canonicalBytes)
            let once = {
                defer { pending = nil }
                return pending
            }
            try RecordedEvent.fold(pages: once) { event in
                book.fold(event)
                drillTokens.apply(drills.fold(event))
                issuedTokens.apply(event.event)
                if let (record, entry) = IncidentBook.idempotency(of: event),
                    entry.at.addingTimeInterval(Idempotency.lifetime) > now
                {
                    keys[Idempotency.scoped(unit: record.unit, key: record.key)] = entry
                }
            }
            folded = last.seq
        }
        self.keys = keys
        self.book = book
        self.drills = drills
        self.folded = folded
        foldedHead.withLock { $0 = folded }
        Task { [weak self] in
            for await batch in commits {
                guard let self else { return }
                await self.fold(batch)
            }
        }
    }

    /// Sets the closure `name` (`scheduler`, `texts`) calls after each commit that may move a deadline.
    func onDeadlinesChanged(_ name: String, _ wake: @escaping @Sendable () -> Void) { deadlinesChanged[name] = wake }

    /// GB/T 2260 province → the abbreviation in incident references (桂 GX, 粤 GD, 黔 GZ, 滇 YN, 湘 HN, 琼 HI).
    public static func abbreviation(_ province: UnitCode) -> String {
        ["450000": "GX", "440000": "GD", "520000": "GZ", "530000": "YN", "430000": "HN", "460000": "HI"][province]
            ?? String(province.prefix(2))
    }

    /// Incidents, newest first, without their plans (``IncidentSummary/withoutPlan``); `state` filters.
    public func list(state: String?) -> [IncidentSummary] {
        book.order.reversed().compactMap { book.incident($0) }.filter { state == nil || $0.state.rawValue == state }
            .map { IncidentSummary($0, withPlan: false) }
    }

    /// One incident by UUID or reference.
    public func find(_ key: String) -> IncidentSummary? {
        book.incident(key).map { IncidentSummary($0) }
    }

    // MARK: Initial reports

    /// Files an initial report: checks it, plans it and appends `IncidentReported`, `PlanComputed`,
    /// one `ObligationDue` per report obligation, one pending `PeerNotified` per neighbouring province the plan says
    /// to notify (delivered by the peer link), and one `TaskDispatched` per task for this province's units — all in
    /// one append, so they are committed together and in that order. The report's `exercise` flag marks every event.
    ///
    /// - Parameter idempotencyKey: a checked `Idempotency-Key` (``Idempotency/validate(_:)``), or `nil`.
    /// - Throws: ``DomainError`` `forbidden` (403) on `signature.reportingUnit` for a unit the token may not report
    ///   for (``IncidentRules/checkReportingUnit(_:of:)``), `invalid` (422) naming the first field at fault,
    ///   `conflict` (409) for a key used with another request (nothing is appended).
    func fileInitialReport(
        _ report: InitialReport, by identity: Identity, now: Date, idempotencyKey: String? = nil
    ) async throws -> FiledReport {
        try rules.checkReportingUnit(report.signature.reportingUnit, of: identity.holder)
        return try await withIdempotency(
            idempotencyKey, identity: identity, route: "POST /v1/incidents", body: report, now: now
        ) { claim in
            let exercise = report.exercise ?? false
            // Another node may hand out the same reference at the same moment: the reference is the report's claim
            // (``EventClaim``), so the second append is refused; it then takes the next one (each refusal means
            // another report went in: ten tries).
            var attempt = 0
            while true {
                attempt += 1
                let (events, incident) = try self.initialReportEvents(
                    report, by: identity, now: now, exercise: exercise, claim: claim)
                do {
                    return try await self.commit(events, incident: incident)
                } catch EventLogError.claimed(let taken) where taken.hasPrefix("reference ") && attempt < 10 {
                    await self.waitFolded(through: try await self.log.head())
                }
            }
        }
    }

    /// The events of an initial report (``IncidentRules/initialReport(_:reference:by:now:exercise:drill:claim:)``),
    /// not yet appended, and the new incident's id. A drill's report (`drill`) runs on the drill's clock: `now` is
    /// drill time, the events carry the wall time `wall` as `at` and `now` as `drillAt`. The reference is handed out
    /// only when the report is accepted.
    ///
    /// - Throws: ``DomainError`` invalid naming the first field at fault.
    func initialReportEvents(
        _ report: InitialReport, by identity: Identity, now: Date, exercise: Bool, claim: IdempotencyClaim?,
        drill: (link: DrillLink, peers: [UnitCode], wall: Date)? = nil
    ) throws -> ([NewEvent], UUID) {
        let reference = nextReference(now: drill?.wall ?? now, consume: false)
        let events = try rules.initialReport(
            report, reference: reference, by: identity.holder, now: now, exercise: exercise,
            drill: drill.map { ($0.link, $0.peers) }, claim: claim)
        _ = nextReference(now: drill?.wall ?? now, consume: true)
        let incident = UUID()
        let make = EventMaker(incident: incident, identity: identity, now: now, exercise: exercise, wall: drill?.wall)
        return (try make(events), incident)
    }

    /// The next incident reference, `GX-2026-0007`: this province's abbreviation, the year in China Standard Time, a
    /// serial within the year. `consume: false` only looks (a report still being checked); `true` hands it out.
    func nextReference(now: Date, consume: Bool = true) -> String {
        let year =
            Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "Asia/Shanghai")!, from: now)
            .year ?? 2026
        let prefix = "\(Self.abbreviation(province))-\(year)-"
        let serial = max(lastSerial[prefix] ?? 0, book.byID.values.filter { $0.reference.hasPrefix(prefix) }.count) + 1
        if consume { lastSerial[prefix] = serial }
        return prefix + String(format: "%04d", serial)
    }

    // MARK: Follow-up and final reports

    /// Files a follow-up or final report on an open incident (MEP Order No. 17 Art. 12–13), in one append:
    /// `ReportFiled`; for a level change `LevelSet` and one `ObligationDue` per obligation the rule gives at the
    /// new level from the time of the change; for observations of the slug a re-estimated `PlanComputed`; for a
    /// final report `IncidentClosed`.
    ///
    /// The caller has checked the roles (officer; commander for a level change or a final report).
    ///
    /// - Parameters:
    ///   - key: the incident's UUID or reference.
    ///   - idempotencyKey: a checked `Idempotency-Key`, or `nil`.
    /// - Throws: ``DomainError`` `notFound` (404) for an unknown incident, `forbidden` (403) on
    ///   `signature.reportingUnit` for a unit the token may not report for
    ///   (``IncidentRules/checkReportingUnit(_:of:)``), `conflict` (409) for a closed one or a key used with another
    ///   request, `invalid` (422) naming the first field at fault (nothing is appended).
    func fileReport(
        _ report: FollowUpReport, on key: String, by identity: Identity, now: Date, idempotencyKey: String? = nil
    ) async throws -> FiledReport {
        guard let incident = book.incident(key)?.id else { throw Self.unknown(key) }
        try rules.checkReportingUnit(report.signature.reportingUnit, of: identity.holder)
        let route = "POST /v1/incidents/\(incident.uuidString)/reports"
        return try await withIdempotency(idempotencyKey, identity: identity, route: route, body: report, now: now) {
            claim in
            let lock = "incident " + incident.uuidString
            await self.acquire(lock)
            defer { self.release(lock) }
            let stored = try await self.decideAndAppend(on: incident) {
                try self.reportEvents(report, on: incident, by: identity, wall: now, claim: claim)
            }
            return try self.filed(stored, incident: incident)
        }
    }

    /// The events of a follow-up or final report (``IncidentRules/report(_:on:by:now:drillPeers:claim:)``), not yet
    /// appended; the caller holds the incident's lock. A drill incident's report is checked and planned at drill time.
    ///
    /// - Throws: ``DomainError`` `notFound` (404) for an unknown incident; ``DomainError`` as the rules refuse it.
    func reportEvents(
        _ report: FollowUpReport, on incident: UUID, by identity: Identity, wall: Date, claim: IdempotencyClaim?
    ) throws -> [NewEvent] {
        let (now, drillWall) = times(of: incident, wall: wall)
        guard let state = book.incident(incident) else { throw Self.unknown(incident.uuidString) }
        // An exercise warns only the neighbours its drill names (DESIGN.md "Rules that hold everywhere").
        let drillPeers =
            state.exercise ? Set(drills.ofIncident[incident].flatMap { drills.drills[$0]?.peers } ?? []) : []
        let events = try rules.report(
            report, on: state, by: identity.holder, now: now, drillPeers: drillPeers, claim: claim)
        let make = EventMaker(
            incident: incident, identity: identity, now: now, exercise: state.exercise, wall: drillWall)
        return try make(events)
    }

    static func unknown(_ key: String) -> DomainError {
        DomainError(.notFound, code: "unknown_incident", message: "no incident \"\(key)\"", field: "id")
    }

    // MARK: Appending

    /// Appends one report's events and folds them into the list.
    ///
    /// - Throws: the log's errors; ``DomainError`` `notFound` (404) if the events did not open or belong to a known
    ///   incident.
    func commit(_ events: [NewEvent], incident: UUID) async throws -> FiledReport {
        try filed(try await append(events), incident: incident)
    }

    /// What filing answers: the incident now and the seqs `stored` took.
    ///
    /// - Throws: ``DomainError`` `notFound` (404) for an incident not in the list.
    func filed(_ stored: [StoredEvent], incident: UUID) throws -> FiledReport {
        guard let summary = book.incident(incident) else { throw Self.unknown(incident.uuidString) }
        return FiledReport(
            incident: IncidentSummary(summary, withPlan: false), firstSeq: stored.first?.seq ?? 0,
            lastSeq: stored.last?.seq ?? 0,
            replayed: false)
    }

    /// Appends events and returns once they are folded into the incident list, the drills and the task book (the
    /// log hands every commit to ``fold(_:)``, in seq order, with other nodes' commits in between). With `record`,
    /// the first event is the `CAPReceived` of that applied CAP message (``CAPStore/append(_:recordingCAP:)``).
    ///
    /// - Throws: the log's errors (nothing appended).
    func append(
        _ events: [NewEvent], recordingCAP record: CAPMessageRecord? = nil, condition: AppendCondition? = nil
    ) async throws -> [StoredEvent] {
        let start = ContinuousClock.now
        // Events built typed (``NewEvent/typed``) are folded as built; the others are read from their bytes.
        for event in events where event.typed != nil { appending[event.id] = event }
        let stored: [StoredEvent]
        do {
            if let record {
                stored = try await log.append(events, recordingCAP: record)
            } else {
                // A singleton's append (the scheduler, a peer link, the drill runner) carries its leader epoch.
                stored = try await log.append(events, fence: LeaderFence.epoch, condition: condition)
            }
        } catch {
            for event in events { appending[event.id] = nil }
            throw error
        }
        metrics?.appendSeconds.record(ContinuousClock.now - start)
        if let last = stored.last { await waitFolded(through: last.seq) }
        return stored
    }

    /// Appends a neighbour's applied CAP message (``CAPIngest``) as `CAPReceived` on `incident`, through the same
    /// path as every other event; the Alert that opens an incident gets our next reference (the year of its `sent`
    /// in China Standard Time), so that it is listed, shown, tailed and worked like any other incident (issue 16).
    ///
    /// - Returns: the event's seq.
    /// - Throws: the log's errors (and `projection`'s).
    public func appendCAP(
        _ payload: CAPReceivedPayload, incident: UUID, opens: Bool, exercise: Bool, sent: Date, wall: Date,
        recording record: CAPMessageRecord
    ) async throws -> Int64 {
        var payload = payload
        if opens { payload.reference = nextReference(now: sent) }
        let event = try NewEvent(
            at: wall, incident: incident, actor: .peer(province: payload.peer), exercise: exercise,
            event: .capReceived(payload))
        return try await append([event], recordingCAP: record)[0].seq
    }

    // MARK: Idempotency

    /// Runs `work` at most once per `Idempotency-Key` and unit within 24 h: a second request with the same key
    /// and a JSON-equal body (same `route`) gets the first one's answer, rebuilt from the log; with another body,
    /// 409. A request without a key runs as is. Errors are not remembered: nothing was appended, so a retry runs
    /// again.
    private func withIdempotency(
        _ key: String?, identity: Identity, route: String, body: some Encodable, now: Date,
        _ work: (IdempotencyClaim?) async throws -> FiledReport
    ) async throws -> FiledReport {
        guard let key else { return try await work(nil) }
        let scoped = Idempotency.scoped(unit: identity.unit, key: key)
        let fingerprint = try Idempotency.fingerprint(route: route, body: body)
        let lock = "key " + scoped
        await acquire(lock)
        defer { release(lock) }
        if keys[scoped] == nil {
            // A key this node has not folded may have been used on another node — typically the same request sent
            // again after that node failed to answer: fold what is committed (at most 5 s) before deciding it is new.
            _ = await waitFolded(through: try await log.head(), limit: .seconds(5))
        }
        if let entry = keys[scoped] {
            if entry.at.addingTimeInterval(Idempotency.lifetime) > now {
                guard entry.requestSHA256 == fingerprint else { throw Idempotency.conflict(key) }
                return try await replay(entry)
            }
            keys[scoped] = nil
        }
        let filed = try await work(IdempotencyClaim(key: key, unit: identity.unit, requestSHA256: fingerprint))
        keys[scoped] = Idempotency.Entry(
            requestSHA256: fingerprint, incident: filed.incident.id, firstSeq: filed.firstSeq,
            lastSeq: filed.lastSeq, at: now)
        keysSincePrune += 1
        if keysSincePrune >= 1_024 {
            keysSincePrune = 0
            keys = keys.filter { $0.value.at.addingTimeInterval(Idempotency.lifetime) > now }
        }
        return filed
    }

    /// The answer a keyed request got: the incident folded from its events up to the request's last seq.
    private func replay(_ entry: Idempotency.Entry) async throws -> FiledReport {
        var folded = IncidentBook()
        var after: Int64 = 0
        reading: while true {
            let limit = 1_000
            let page = try await log.events(after: after, limit: limit, incident: entry.incident, exercise: nil)
            for event in page {
                if event.seq > entry.lastSeq { break reading }
                folded.fold(try RecordedEvent(event))
            }
            guard let last = page.last, page.count == limit else { break }
            after = last.seq
        }
        guard let incident = folded.incident(entry.incident) else { throw Self.unknown(entry.incident.uuidString) }
        return FiledReport(
            incident: IncidentSummary(incident, withPlan: false), firstSeq: entry.firstSeq, lastSeq: entry.lastSeq,
            replayed: true)
    }

    // MARK: Locks

    /// Takes the lock `name`, waiting (first come, first served) while another request holds it.
    func acquire(_ name: String) async {
        if held[name] == nil {
            held[name] = []
            return
        }
        await withCheckedContinuation(isolation: self) { continuation in held[name]!.append(continuation) }
    }

    /// Releases the lock `name`, handing it to the next waiter if any.
    func release(_ name: String) {
        guard var waiting = held[name] else { return }
        if waiting.isEmpty {
            held[name] = nil
        } else {
            let next = waiting.removeFirst()
            held[name] = waiting
            next.resume()
        }
    }
}

/// A request's claim on an `Idempotency-Key`, written into the first event of its append.
typealias IdempotencyClaim = IncidentRules.Claim

/// Makes the events of one request: same incident, actor, time and exercise flag.
///
/// `now` is the time the domain reasons in (deadlines, checks): the wall time, or for a drill incident the drill
/// clock's time — then `wall` is the wall time, and the events carry `at: wall` and `drillAt: now` (DESIGN.md
/// "Clocks").
struct EventMaker {
    let incident: UUID
    let actor: EventActor
    let now: Date
    let exercise: Bool
    let wall: Date?

    init(incident: UUID, identity: Identity, now: Date, exercise: Bool, wall: Date? = nil) {
        self.init(
            incident: incident,
            actor: .person(unit: identity.unit, position: identity.dutyPosition.rawValue, token: identity.tokenID),
            now: now, exercise: exercise, wall: wall)
    }

    init(incident: UUID, actor: EventActor, now: Date, exercise: Bool, wall: Date? = nil) {
        self.incident = incident
        self.actor = actor
        self.now = now
        self.exercise = exercise
        self.wall = wall
    }

    /// The events saying `events`, in order, kept typed for the fold after the commit.
    func callAsFunction(_ events: [IncidentEvent]) throws -> [NewEvent] { try events.map { try self($0) } }

    /// The event saying `event`, kept typed for the fold after the commit.
    func callAsFunction(_ event: IncidentEvent) throws -> NewEvent {
        try NewEvent(
            at: wall ?? now, incident: incident, actor: actor, exercise: exercise, drillAt: wall == nil ? nil : now,
            event: event)
    }

    /// An event of `type` with an untyped payload (read back from its bytes after the commit).
    func callAsFunction(_ type: EventType, _ payload: some Encodable) throws -> NewEvent {
        NewEvent(
            at: wall ?? now, incident: incident, type: type, actor: actor, exercise: exercise,
            drillAt: wall == nil ? nil : now, payload: try JSONValue(encoding: payload))
    }
}
