import Foundation
import Testing
import WatershedCore

/// A neighbour's incident mirrored here, and what its events do to ours (issue 16: "our province keeps the last word
/// on its own incident"), on the hand-made basin. The mirror is GX-2012-0001, opened from Guangdong's GD-2012-0005
/// (origin 440000); the neighbour's events arrive as `PeerEventReceived` (their seqs 10, 11, …).
@Suite struct NeighbourRulesTests {
    static let rules = IncidentRulesTests.rules
    static let filedAt = IncidentRulesTests.filedAt
    static let originIncident = UUID(uuidString: "00000000-0000-0000-0000-0000000000DD")!
    static let guangdong = EventActor.peer(province: "440000")

    /// The mirror: the decision's events for the origin's report, with the origin recorded.
    static func mirror() throws -> Incident {
        var events = try rules.initialReport(
            IncidentRulesTests.report(), reference: "GX-2012-0001", by: IncidentRulesTests.yizhou, now: filedAt,
            exercise: false)
        guard case .reported(var payload) = events[0] else { throw CancellationError() }
        payload.origin = IncidentOrigin(
            province: "440000", incident: originIncident, reference: "GD-2012-0005", event: UUID(), seq: 9)
        events[0] = .reported(payload)
        return try #require(
            Incident.fold(
                events.enumerated().map { index, event in
                    RecordedEvent(
                        seq: Int64(index + 1), at: filedAt, incident: IncidentRulesTests.incidentID, actor: guangdong,
                        event: event)
                }))
    }

    /// The neighbour's event `event`, their seq `seq`, as received.
    static func theirs(_ event: IncidentEvent, seq: Int64, at: Date) throws -> PeerEventReceivedPayload {
        let new = try NewEvent(
            at: at, incident: originIncident,
            actor: .person(unit: "440000", position: "provincialDutyChief", token: "t"),
            event: event)
        let stored = try StoredEvent(seq: seq, event: new, prevHash: StoredEvent.genesisHash) { _, _ in "h" }
        return PeerEventReceivedPayload(province: "440000", event: stored)
    }

    static func apply(_ events: [IncidentEvent], to incident: Incident, actor: EventActor = guangdong, at: Date)
        -> Incident
    {
        var incident = incident
        for event in events {
            incident.apply(
                RecordedEvent(seq: incident.lastSeq + 1, at: at, incident: incident.id, actor: actor, event: event))
        }
        return incident
    }

    static func dispatchedTasks(_ events: [IncidentEvent]) -> [TaskDispatched] {
        events.compactMap { if case .task(.dispatched(let task)) = $0 { task } else { nil } }
    }

    @Test func theOriginsLevelBecomesOursWhileWeHaveSetNone() throws {
        let incident = try Self.mirror()
        let at = Self.filedAt.addingTimeInterval(600)
        let received = try Self.theirs(.levelSet(LevelSetPayload(from: nil, to: .II, at: at)), seq: 10, at: at)
        let events = Self.rules.neighbourEvent(received, on: incident, now: at)
        #expect(events.first == .peerEventReceived(received))
        #expect(events.dropFirst().first == .levelSet(LevelSetPayload(from: nil, to: .II, at: at)))
        let after = Self.apply(events, to: incident, at: at)
        #expect(after.level == .II)
        #expect(!after.levelSetHere, "followed, not set here")
        #expect(
            after.timeline.last { $0.type == .peerEventReceived }?.summary
                == "440000 GD-2012-0005: level set to II (was ungraded)")
        #expect(after.neighbour?.level == .II)
    }

    @Test func onceOurCommanderSetALevelTheOriginsChangeRaisesAReview() throws {
        let at = Self.filedAt.addingTimeInterval(600)
        // Our commander set III.
        let ours = Self.apply(
            [.levelSet(LevelSetPayload(from: nil, to: .III, at: at))], to: try Self.mirror(),
            actor: IncidentRulesTests.commander.actor, at: at)
        #expect(ours.levelSetHere)
        let received = try Self.theirs(.levelSet(LevelSetPayload(from: nil, to: .I, at: at)), seq: 11, at: at)
        let events = Self.rules.neighbourEvent(received, on: ours, now: at)
        #expect(!events.contains { $0.type == .levelSet })
        let review = try #require(Self.dispatchedTasks(events).first)
        #expect(review.kind == .review)
        #expect(review.assignee == Assignee(unit: "450000", position: .provincialDutyChief))
        #expect(review.obligation == "origin:level:11")
        #expect(
            review.title == "Review our level: Guangdong set GD-2012-0005 to level I (ours, GX-2012-0001, is level III)"
        )
        #expect(review.number == ours.tasks.count + 1)
        #expect(Self.apply(events, to: ours, at: at).level == .III)
    }

    @Test func theOriginsCloseWhileOurReceptorsAreAtRiskAsksOurCommander() throws {
        let incident = try Self.mirror()
        let clears = try #require(incident.clearsAt(in: "450000"))
        // Closed there one minute after filing: the plume has not passed our places yet.
        let at = Self.filedAt.addingTimeInterval(60)
        #expect(clears > at)
        let received = try Self.theirs(.closed(IncidentClosedPayload(reason: "finalReport")), seq: 12, at: at)
        let events = Self.rules.neighbourEvent(received, on: incident, now: at)
        #expect(!events.contains { $0.type == .incidentClosed })
        let task = try #require(Self.dispatchedTasks(events).first)
        #expect(task.obligation == "origin:closed")
        #expect(task.title.hasPrefix("Guangdong closed GD-2012-0005: close GX-2012-0001 or continue"))
        let after = Self.apply(events, to: incident, at: at)
        #expect(after.isOpen)
        #expect(after.neighbour?.closedAt == at)
        #expect(
            after.timeline.last { $0.type == .peerEventReceived }?.summary
                == "440000 GD-2012-0005: closed (finalReport)")

        // With the peer's settings saying to follow its close: ours closes, its open tasks cancelled.
        let followed = Self.rules.neighbourEvent(received, on: incident, now: at, followOriginClose: true)
        #expect(followed.last == .closed(IncidentClosedPayload(reason: "originClosed")))
        let closed = Self.apply(followed, to: incident, at: at)
        #expect(closed.state == .closed)
        #expect(closed.tasks.allSatisfy { !$0.state.isOpen })
    }

    @Test func theOriginsCloseAfterThePlumeHasPassedClosesOurs() throws {
        var incident = try Self.mirror()
        let clears = try #require(incident.clearsAt(in: "450000"))
        let at = clears.addingTimeInterval(60)
        // Our site tasks are done by then.
        for task in incident.tasks where task.kind == .site {
            incident = Self.apply(
                try task.complete(by: task.assignee, at: at).map { .task($0) }, to: incident, at: at)
        }
        #expect(!incident.atRisk(in: "450000", now: at))
        let received = try Self.theirs(.closed(IncidentClosedPayload(reason: "finalReport")), seq: 13, at: at)
        let events = Self.rules.neighbourEvent(received, on: incident, now: at)
        #expect(events.last == .closed(IncidentClosedPayload(reason: "originClosed")))
        #expect(Self.dispatchedTasks(events).isEmpty)
    }

    @Test func theNeighboursAcceptanceDoesTheCallsToItsDutyOffice() throws {
        let incident = try Self.mirror()
        let at = Self.filedAt.addingTimeInterval(3_600)
        func call(_ marker: String, number: Int) -> IncidentEvent {
            .task(
                .dispatched(
                    TaskDispatched(
                        task: UUID(), reference: "GX-2012-0001/T\(number)", number: number, kind: .peerCall,
                        obligation: marker, title: "Phone",
                        assignee: Assignee(unit: "450000", position: .provincialDutyChief),
                        policy: EscalationPolicy(ackMinutes: 15, repeats: 2), chain: [], at: at, ackBy: at + 900)))
        }
        let n = incident.tasks.count
        let withCalls = Self.apply(
            [call("peer:440000:not-accepted", number: n + 1), call("peer:460000:not-accepted", number: n + 2)],
            to: incident, at: at)
        let accepted = PeerAcknowledgementPayload(
            province: "440000", by: "440000/provincial-duty-chief", peerReference: "GD-2012-0005", at: at)
        let events = Self.rules.acknowledgement(accepted, accepted: true, on: withCalls, now: at)
        #expect(events.first == .peerAccepted(accepted))
        let after = Self.apply(events, to: withCalls, at: at)
        #expect(after.tasks.first { $0.obligation == "peer:440000:not-accepted" }?.state == .done)
        #expect(after.tasks.first { $0.obligation == "peer:460000:not-accepted" }?.state == .dispatched)
    }
}
