import Foundation
import Logging
import ServiceLifecycle
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

extension IncidentService {
    /// Stores one event of a neighbouring province's incident, once (issue 5, "Inbound"); returns whether it was new.
    ///
    /// The neighbour's `IncidentReported` opens an incident of ours whose origin is that neighbour (its UUID,
    /// reference and event linked), planned through the shared playbooks from the reported spill — the same network
    /// both provinces load, so the arrivals from the boundary on are the ones the origin's plan predicts — with
    /// tasks dispatched to **our own units only** (``TaskDispatch/make``), and first a notification task for our
    /// provincial duty chief, whose acknowledgement sends *accepted* back. Every other event of the neighbour's incident
    /// is stored as `PeerEventReceived` on our incident. An event whose id was stored before is a no-op (the link is
    /// at-least-once).
    ///
    /// - Throws: `DatabaseError` when the append fails (nothing is stored, the link does not acknowledge it).
    func receivePeerEvent(_ event: StoredEvent, from peer: UnitCode, peerName: String, now: Date) async throws -> Bool {
        let lock = "peer " + peer
        await acquire(lock)
        defer { release(lock) }
        if try log.hasInbound(from: peer, event: event.id) { return false }
        if let origin = event.incident, case .reported(let reported)? = (try? RecordedEvent(event))?.event,
            reported.origin == nil
        {
            // A joint drill's incident keeps the drill's clock here too: its deadlines are in drill time.
            let drillNow = reported.drill?.clock.drillTime(atWall: now)
            let incident = UUID()
            let opened = rules.neighbourOpened(
                reported,
                origin: IncidentOrigin(
                    province: peer, incident: origin, reference: reported.reference, event: event.id, seq: event.seq),
                reference: nextReference(now: now), peerName: peerName, exercise: event.exercise,
                now: drillNow ?? now)
            let make = EventMaker(
                incident: incident, actor: .peer(province: peer), now: drillNow ?? now, exercise: event.exercise,
                wall: drillNow == nil ? nil : now)
            _ = try await append(try make(opened))
            return true
        }
        return try await appendReceived([event], from: peer, now: now) > 0
    }

    /// Stores a run of a neighbour's events in order, each once, with one commit for all the events that open no
    /// incident (a queued outbox after an outage catches up at the log's group-commit rate, not one fsync per
    /// event); an `IncidentReported` is stored by ``receivePeerEvent(_:from:peerName:now:)``. Returns how many were
    /// new.
    ///
    /// `progress` is called with the neighbour's seq of the last event stored after each append, so that the link
    /// can say *received* for a new incident before the rest of the run is stored.
    ///
    /// - Throws: `DatabaseError` when an append fails (the events before it are stored; the link acknowledges only
    ///   what was).
    public func receivePeerEvents(
        _ events: [StoredEvent], from peer: UnitCode, peerName: String, now: Date,
        progress: (Int64) async throws -> Void = { _ in }
    ) async throws -> Int {
        var stored = 0
        var run: [StoredEvent] = []
        for event in events {
            if event.type == .incidentReported {
                if let last = run.last {
                    stored += try await appendReceivedLocked(run, from: peer, now: now)
                    try await progress(last.seq)
                }
                run = []
                if try await receivePeerEvent(event, from: peer, peerName: peerName, now: now) { stored += 1 }
                try await progress(event.seq)
            } else {
                run.append(event)
            }
        }
        if let last = run.last {
            stored += try await appendReceivedLocked(run, from: peer, now: now)
            try await progress(last.seq)
        }
        return stored
    }

    private func appendReceivedLocked(_ events: [StoredEvent], from peer: UnitCode, now: Date) async throws -> Int {
        let lock = "peer " + peer
        await acquire(lock)
        defer { release(lock) }
        return try await appendReceived(events, from: peer, now: now)
    }

    /// `PeerEventReceived` for each event of `events` not stored before, with what it does to our incident
    /// (``IncidentRules/neighbourEvent(_:on:now:followOriginClose:)``: the origin's level, re-estimate and close
    /// followed), in one append; the caller holds the peer's lock.
    private func appendReceived(_ events: [StoredEvent], from peer: UnitCode, now: Date) async throws -> Int {
        var locals: [UUID: UUID?] = [:]
        var seen: Set<UUID> = []
        var appended: [NewEvent] = []
        var endedDrills: Set<UUID> = []
        // Our incidents as this run's events leave them (each decision sees the ones before it).
        var working: [UUID: Incident] = [:]
        var received = 0
        let follow = basin.agreements[peer]?.followOriginClose ?? false
        for event in events where !seen.contains(event.id) {
            seen.insert(event.id)
            if try log.hasInbound(from: peer, event: event.id) { continue }
            var local: UUID?
            if let origin = event.incident {
                if let known = locals[origin] {
                    local = known
                } else {
                    local = try log.inboundIncidents(from: peer, origin: origin).first?.localIncident
                    locals[origin] = local
                }
            }
            let clock = local.flatMap { drills.clock(of: $0) }
            let drillAt = clock?.drillTime(atWall: now)
            let payload = PeerEventReceivedPayload(province: peer, event: event)
            received += 1
            guard let local, let incident = working[local] ?? book.incident(local) else {
                appended.append(
                    try NewEvent(
                        at: now, incident: local, actor: .peer(province: peer), exercise: event.exercise,
                        drillAt: drillAt, event: .peerEventReceived(payload)))
                continue
            }
            let make = EventMaker(
                incident: local, actor: .peer(province: peer), now: drillAt ?? now, exercise: event.exercise,
                wall: drillAt == nil ? nil : now)
            let decided = rules.neighbourEvent(
                payload, on: incident, now: drillAt ?? now, followOriginClose: follow)
            var next = incident
            for outcome in decided {
                next.apply(
                    RecordedEvent(
                        seq: next.lastSeq + 1, at: now, incident: local, actor: .peer(province: peer),
                        exercise: event.exercise, event: outcome))
            }
            working[local] = next
            appended += try make(decided)
            // A joint drill closed by the province that runs it ends here too.
            if event.exercise, event.type == .incidentClosed, let drill = drills.ofIncident[local],
                drills.drills[drill]?.started == nil
            {
                endedDrills.insert(drill)
            }
        }
        if !appended.isEmpty { _ = try await append(appended) }
        for drill in endedDrills where drills.drills[drill]?.isRunning == true {
            _ = try await endDrill(drill.uuidString, reason: "ended by \(peer)", wall: now)
        }
        return received
    }

    /// Records the neighbour's answer to our notification of `incident` (``IncidentRules/acknowledgement(_:accepted:on:now:)``):
    /// `PeerReceived` or `PeerAccepted`, with the calls to its duty office that it answers done. Under the incident's
    /// lock, decided again on a newer fold when another node committed to the incident meanwhile
    /// (``decideAndAppend(on:_:)``: the same answer arriving on two nodes is recorded once).
    ///
    /// - Throws: the log's errors.
    public func acknowledge(_ payload: PeerAcknowledgementPayload, accepted: Bool, on incident: UUID, wall: Date)
        async throws
    {
        let lock = "incident " + incident.uuidString
        await acquire(lock)
        defer { release(lock) }
        guard book.incident(incident) != nil else { return }
        _ = try await decideAndAppend(on: incident) {
            guard let state = book.incident(incident) else { return [] }
            let (now, drillWall) = times(of: incident, wall: wall)
            let make = EventMaker(
                incident: incident, actor: .peer(province: payload.province), now: now, exercise: state.exercise,
                wall: drillWall)
            return try make(rules.acknowledgement(payload, accepted: accepted, on: state, now: now))
        }
    }
}

extension IncidentService {
    /// Dispatches, once per incident, neighbour and reason, a task for our provincial duty chief to phone the
    /// neighbour's duty office about each notification past its deadline (issue 5, "Outbound"): not *received* (the
    /// link keeps retrying meanwhile) or *received* but not *accepted* (escalated on our side). Returns the tasks
    /// dispatched.
    ///
    /// - Throws: `DatabaseError` when the append fails.
    @discardableResult
    public func dispatchPeerCalls(names: [UnitCode: String], now: Date) async throws -> [TaskDispatched] {
        var dispatched: [TaskDispatched] = []
        var events: [NewEvent] = []
        for id in Set(book.overdueNotifications(at: now).map(\.incident)).sorted(by: { $0.uuidString < $1.uuidString })
        {
            guard let incident = book.incident(id) else { continue }
            let make = EventMaker(
                incident: id, actor: .system(component: "peer-watch"), now: now, exercise: incident.exercise)
            for task in rules.peerCalls(on: incident, names: names, now: now) {
                events.append(try make(.task(.dispatched(task))))
                dispatched.append(task)
            }
        }
        if !events.isEmpty { _ = try await append(events) }
        return dispatched
    }
}

extension IncidentService {
    /// Dispatches a task for our provincial duty chief to phone each neighbour whose link has been silent beyond its
    /// `silentAfterMin` (issue 5, "Store-and-forward"; ``PeerLiveness``), once per silence: marker
    /// `peer:<code>:silent`, kind `peerCall`, no due time (the acknowledgement deadline of our policy applies).
    ///
    /// Tasks are numbered within an incident (DESIGN.md "Identifiers and events"), so the task goes on the most
    /// recently reported open, non-exercise incident shared with that neighbour — one we notified it of or one it
    /// notified us of. With none, nothing is dispatched yet: the silence stays unreported and is placed as soon as
    /// such an incident opens (the caller logs it). For a silence that began at the start (nothing heard since), an
    /// open `peer:<code>:silent` task on any incident counts as its report: it may be one dispatched for the same
    /// silence before a restart. Returns the tasks dispatched and the neighbours silent with
    /// no incident to place the task on.
    ///
    /// - Throws: `DatabaseError` when the log cannot be read or the append fails (the silences stay unreported).
    public func dispatchSilenceCalls(liveness: PeerLiveness, names: [UnitCode: String], now: Date) async throws -> (
        dispatched: [TaskDispatched], unplaced: [UnitCode]
    ) {
        var dispatched: [TaskDispatched] = []
        var unplaced: [UnitCode] = []
        var events: [NewEvent] = []
        var reported: [UnitCode] = []
        for silence in liveness.silences(at: now) {
            let marker = "peer:\(silence.province):silent"
            if silence.sinceStart,
                book.allTasks.contains(where: { $0.kind == .peerCall && $0.obligation == marker && $0.state.isOpen }
                )
            {
                reported.append(silence.province)
                continue
            }
            let candidates =
                try log.sharedIncidents(with: silence.province).map(\.incident)
                + log.inboundIncidents(from: silence.province).map(\.localIncident)
            guard
                let (incident, task) = rules.silenceCall(
                    to: silence.province, name: names[silence.province] ?? silence.province,
                    lastHeard: silence.lastHeard, silentAfter: silence.silentAfter.seconds,
                    candidates: candidates.compactMap { book.incident($0) }, now: now)
            else {
                unplaced.append(silence.province)
                continue
            }
            let make = EventMaker(
                incident: incident.id, actor: .system(component: "peer-watch"), now: now, exercise: false)
            events.append(try make(.task(.dispatched(task))))
            dispatched.append(task)
            reported.append(silence.province)
        }
        if !events.isEmpty { _ = try await append(events) }
        for code in reported { liveness.reported(code) }
        return (dispatched, unplaced)
    }
}

extension IncidentService: FederatedIncidents {
    /// Our reference of `incident`, `nil` when unknown.
    public func reference(of incident: UUID) -> String? {
        book.incident(incident)?.reference
    }
}
