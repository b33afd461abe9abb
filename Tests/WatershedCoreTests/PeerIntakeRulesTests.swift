import Foundation
import Testing
import WatershedCore

/// A neighbour's incident opened here and the calls our duty chief makes when a neighbour does not answer
/// (``IncidentRules/neighbourOpened(_:origin:reference:peerName:exercise:now:)``,
/// ``IncidentRules/peerCalls(on:names:now:)``, ``IncidentRules/silenceCall(to:name:lastHeard:silentAfter:candidates:now:)``):
/// one test per rule, on the hand-made basin, with the values worked out by hand.
@Suite struct PeerIntakeRulesTests {
    /// Guangdong's view: its own province, city and county (none of them owns a site of the hand-made basin).
    static let guangdong = IncidentRules(
        basin: HandBasin.basin(),
        organisation: Organisation(
            province: "440000", defaultPolicy: EscalationPolicy(ackMinutes: 20, repeats: 1),
            units: [
                OrganisationUnit(code: "440000", dutyPositions: [.provincialDutyChief]),
                OrganisationUnit(code: "441200", dutyPositions: [.cityDutyChief]),
                OrganisationUnit(code: "441225", dutyPositions: [.countyDutyOfficer]),
            ]),
        province: "440000")
    static let origin = IncidentOrigin(
        province: "450000", incident: UUID(uuidString: "00000000-0000-0000-0000-0000000000DD")!,
        reference: "GX-2012-0001", event: UUID(uuidString: "00000000-0000-0000-0000-0000000000EE")!, seq: 9)
    /// Guangxi's report reached Guangdong an hour after the spill.
    static let receivedAt = HandBasin.spillTime.addingTimeInterval(3_600)

    static func guangxisReport(place: SpillLocation = .river(id: "trib", km: 3), drill: DrillLink? = nil)
        -> IncidentReportedPayload
    {
        var report = IncidentRulesTests.report()
        report.place = place
        return IncidentReportedPayload(reference: "GX-2012-0001", report: report, drill: drill)
    }

    static func dispatched(_ event: IncidentEvent?) throws -> TaskDispatched {
        guard case .task(.dispatched(let task))? = event else { throw CancellationError() }
        return task
    }

    // MARK: Opening a neighbour's incident

    /// The crossing into Guangdong, planned from trib km 3: 33 km of reach A at 0.779380 m/s and 70 km of main
    /// (km 20 → 90) at 1.172972 m/s (PlannerTests, Jobson eq. 12–15) give a max-probable time of 11.76149 + 16.57707
    /// = 28.33856 h, a leading edge of 0.89 · 28.33856 = 25.22132 h after the spill: 2012-01-16 01:13:16.7 UTC.
    /// T1 is due then and its title names the boundary and that time; Guangdong's policy gives 20 minutes to
    /// acknowledge. Every planned site task is Guangxi's (trib-dam, Yizhou), so Guangdong dispatches no other.
    @Test func theNeighboursReportOpensOurIncidentWithTheCrossingIntoUsAsT1() throws {
        let events = Self.guangdong.neighbourOpened(
            Self.guangxisReport(), origin: Self.origin, reference: "GD-2012-0005", peerName: "Guangxi",
            exercise: false, now: Self.receivedAt)
        #expect(events.count == 3)
        guard case .reported(let reported)? = events.first else {
            Issue.record("the first event is \(String(describing: events.first))")
            return
        }
        #expect(reported.reference == "GD-2012-0005")
        #expect(reported.origin == Self.origin)
        #expect(reported.report == IncidentRulesTests.report())
        #expect(reported.idempotency == nil)
        guard case .planComputed(let plan)? = events.dropFirst().first else {
            Issue.record("the second event is not the plan")
            return
        }
        #expect(try plan.document().tasks.contains { $0.owner == "451203" }, "the plan has Guangxi's tasks")
        let task = try Self.dispatched(events.last)
        #expect(task.reference == "GD-2012-0005/T1")
        #expect(task.kind == .notification)
        #expect(task.assignee == Assignee(unit: "440000", position: .provincialDutyChief))
        // The velocities are worked to 6 figures: the hand time agrees within half a second.
        let crossing = HandBasin.spillTime.addingTimeInterval(25.22132 * 3_600)
        let dueBy = try #require(task.dueBy)
        #expect(abs(dueBy.timeIntervalSince(crossing)) < 0.5)
        #expect(
            task.title
                == "Acknowledge Guangxi's notification of GX-2012-0001: crossing at Main border predicted "
                + CanonicalJSON.timestamp(dueBy))
        #expect(task.title.contains("predicted 2012-01-16T01:13:1"))
        #expect(task.ackBy == Self.receivedAt.addingTimeInterval(20 * 60))
        #expect(task.chain.isEmpty, "nobody above the provincial duty chief")
    }

    /// A report our basin cannot plan still opens the incident, with T1 alone: no plan, no crossing, no due time.
    @Test func aReportWeCannotPlanOpensTheIncidentWithT1Alone() throws {
        let events = Self.guangdong.neighbourOpened(
            Self.guangxisReport(place: .river(id: "nowhere", km: 3)), origin: Self.origin, reference: "GD-2012-0005",
            peerName: "Guangxi", exercise: false, now: Self.receivedAt)
        #expect(events.count == 2)
        let task = try Self.dispatched(events.last)
        #expect(task.title == "Acknowledge Guangxi's notification of GX-2012-0001")
        #expect(task.dueBy == nil)
    }

    /// A joint drill's incident keeps its drill link (its deadlines run on the drill's clock); a real event never
    /// carries one.
    @Test(arguments: [(true, true), (false, false)])
    func aDrillLinkIsKeptOnAnExerciseOnly(exercise: Bool, kept: Bool) throws {
        let link = DrillLink(
            drill: UUID(uuidString: "00000000-0000-0000-0000-0000000000D1")!,
            clock: DrillClock(wallStart: Self.receivedAt, drillStart: HandBasin.spillTime, factor: 60),
            title: "Joint drill")
        let events = Self.guangdong.neighbourOpened(
            Self.guangxisReport(drill: link), origin: Self.origin, reference: "GD-2012-0005", peerName: "Guangxi",
            exercise: exercise, now: Self.receivedAt)
        guard case .reported(let reported)? = events.first else { throw CancellationError() }
        #expect(reported.drill == (kept ? link : nil))
    }

    // MARK: Calls about overdue notifications

    /// GX-2026-0007 (``IncidentModelTests``, 08:00 UTC) with `events` after its opening, seqs 2, 3, … a minute
    /// apart.
    static func notifying(_ events: [IncidentEvent]) throws -> Incident {
        let opening = RecordedEvent(
            seq: 1, at: IncidentModelTests.start, incident: IncidentModelTests.incident,
            actor: IncidentModelTests.officer,
            event: .reported(IncidentReportedPayload(reference: "GX-2026-0007", report: IncidentModelTests.report)))
        return try #require(
            Incident.fold(
                [opening]
                    + events.enumerated().map { index, event in
                        RecordedEvent(
                            seq: Int64(index + 2), at: IncidentModelTests.minute(index + 1),
                            incident: IncidentModelTests.incident, actor: IncidentModelTests.commander, event: event)
                    }))
    }

    static func notified(_ province: UnitCode, crossing: Int) -> IncidentEvent {
        .peerNotified(PeerNotifiedPayload(pending: IncidentModelTests.notification(province, crossing: crossing)))
    }

    /// At 19:40 (minute 700) Guangdong's notification (due 17:00) was never received and Hainan's (due 18:40) was
    /// received but not accepted: "Phone" Guangdong's duty office and "Escalate to" Hainan's duty chief (named by
    /// its code: no name given), earliest deadline first, as T1 and T2 for Guangxi's provincial duty chief.
    @Test func eachOverdueNeighbourGetsOneCallForItsReason() throws {
        let incident = try Self.notifying([
            Self.notified("440000", crossing: 600), Self.notified("460000", crossing: 700),
            .peerReceived(IncidentModelTests.acknowledgement("460000")),
        ])
        let calls = IncidentRulesTests.rules.peerCalls(
            on: incident, names: ["440000": "Guangdong"], now: IncidentModelTests.minute(700))
        #expect(calls.map(\.reference) == ["GX-2026-0007/T1", "GX-2026-0007/T2"])
        #expect(calls.map(\.obligation) == ["peer:440000:not-received", "peer:460000:not-accepted"])
        #expect(calls.allSatisfy { $0.kind == .peerCall && $0.dueBy == nil })
        #expect(calls.allSatisfy { $0.assignee == Assignee(unit: "450000", position: .provincialDutyChief) })
        #expect(
            calls.map(\.title) == [
                "Phone Guangdong's duty office: the notification of GX-2026-0007 was not received by its deadline "
                    + "2026-01-15T17:00:00.000Z (the link keeps retrying)",
                "Escalate to 460000's provincial duty chief: GX-2026-0007 was received but not accepted by its "
                    + "deadline 2026-01-15T18:40:00.000Z",
            ])
        // In Chinese (issue 21), deadlines in Beijing time (17:00Z is 01:00 the next day); the hand basin names
        // Guangdong in English only and does not know Hainan, so those stand as they are.
        #expect(
            calls.map(\.titleZh) == [
                "电话联系Guangdong值班室：GX-2026-0007的通报在时限2026-01-16 01:00（北京时间）前未被对方接收（链路仍在重试）",
                "报告460000的省级值班长：GX-2026-0007的通报已被接收，但在时限2026-01-16 02:40（北京时间）前未被接受",
            ])
        // Guangxi's policy: 15 minutes to acknowledge.
        #expect(calls.allSatisfy { $0.ackBy == IncidentModelTests.minute(715) })
    }

    /// A call is made once per neighbour and reason: with "not received" dispatched (T1), nothing more while it is
    /// not received; once received but not accepted, the escalation follows as T2.
    @Test func aReasonAlreadyCalledIsNotCalledAgain() throws {
        let notified = Self.notified("440000", crossing: 600)
        let first = try Self.notifying([notified])
        let calls = IncidentRulesTests.rules.peerCalls(on: first, names: [:], now: IncidentModelTests.minute(541))
        #expect(calls.map(\.obligation) == ["peer:440000:not-received"])
        let called = try Self.notifying([notified, .task(.dispatched(try #require(calls.first)))])
        #expect(IncidentRulesTests.rules.peerCalls(on: called, names: [:], now: IncidentModelTests.minute(600)) == [])
        let received = try Self.notifying([
            notified, .task(.dispatched(try #require(calls.first))),
            .peerReceived(IncidentModelTests.acknowledgement("440000")),
        ])
        let next = IncidentRulesTests.rules.peerCalls(on: received, names: [:], now: IncidentModelTests.minute(600))
        #expect(next.map(\.obligation) == ["peer:440000:not-accepted"])
        #expect(next.map(\.reference) == ["GX-2026-0007/T2"])
    }

    // MARK: A silent link

    /// The incident opened by `reference` at seq `seq`, open or closed, real or an exercise.
    static func shared(_ reference: String, seq: Int64, exercise: Bool = false, closed: Bool = false) throws
        -> Incident
    {
        var events = [
            RecordedEvent(
                seq: seq, at: IncidentModelTests.start, incident: UUID(), actor: IncidentModelTests.officer,
                exercise: exercise,
                event: .reported(IncidentReportedPayload(reference: reference, report: IncidentModelTests.report)))
        ]
        if closed {
            events.append(
                RecordedEvent(
                    seq: seq + 1, at: IncidentModelTests.minute(5), incident: events[0].incident,
                    actor: IncidentModelTests.commander, exercise: exercise,
                    event: .closed(IncidentClosedPayload(reason: "finalReport"))))
        }
        return try #require(Incident.fold(events))
    }

    /// Nothing heard from Guangdong since 08:30 with 30 minutes allowed: the call goes on the most recently reported
    /// open, real incident shared with it (GX-2026-0009, seq 9 — not the closed seq 12 nor the drill's seq 15), as
    /// its next task; 90 seconds allowed read "1.5 min".
    @Test(arguments: [(1_800.0, "30"), (90.0, "1.5")])
    func aSilentLinkIsCalledAboutOnTheLatestOpenRealIncident(silentAfter: Double, allowed: String) throws {
        let candidates = [
            try Self.shared("GX-2026-0007", seq: 5), try Self.shared("GX-2026-0009", seq: 9),
            try Self.shared("GX-2026-0010", seq: 12, closed: true),
            try Self.shared("GX-2026-0011", seq: 15, exercise: true),
        ]
        let call = try #require(
            IncidentRulesTests.rules.silenceCall(
                to: "440000", name: "Guangdong", lastHeard: IncidentModelTests.minute(30), silentAfter: silentAfter,
                candidates: candidates, now: IncidentModelTests.minute(90)))
        #expect(call.incident.reference == "GX-2026-0009")
        #expect(call.task.reference == "GX-2026-0009/T1")
        #expect(call.task.obligation == "peer:440000:silent")
        #expect(
            call.task.title
                == "Phone Guangdong's duty office: nothing heard on the peer link since 2026-01-15T08:30:00.000Z "
                + "(more than \(allowed) min)")
        // 08:30Z is 16:30 in Beijing.
        #expect(call.task.titleZh == "电话联系Guangdong值班室：自2026-01-15 16:30（北京时间）起对端链路没有任何消息（超过\(allowed)分钟）")
    }

    /// With no open real incident shared with the neighbour, the silence is not placed yet.
    @Test func aSilenceWithNoOpenIncidentIsNotPlaced() throws {
        let call = IncidentRulesTests.rules.silenceCall(
            to: "440000", name: "Guangdong", lastHeard: IncidentModelTests.minute(30), silentAfter: 1_800,
            candidates: [try Self.shared("GX-2026-0010", seq: 12, closed: true)], now: IncidentModelTests.minute(90))
        #expect(call == nil)
    }
}
