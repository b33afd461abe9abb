import Foundation
import Testing

@testable import WatershedCore

/// The drill clock, the scenario checks and the score, worked out by hand (issue 6).
@Suite struct DrillScoringTests {
    static func time(_ text: String) -> Date { CanonicalJSON.date(fromTimestamp: text)! }

    /// Wall 2026-11-29 02:00Z ↔ drill 2013-07-05 04:00Z (12:00 +08:00), ×60.
    static let clock = DrillClock(
        wallStart: time("2026-11-29T02:00:00.000Z"), drillStart: time("2013-07-05T04:00:00.000Z"), factor: 60)

    @Test func theClockRunsFactorTimesAsFastBothWays() {
        // 30 wall seconds at ×60 are 30 drill minutes.
        #expect(
            Self.clock.drillTime(atWall: Self.time("2026-11-29T02:00:30.000Z")) == Self.time("2013-07-05T04:30:00.000Z")
        )
        // Drill 14:00 (2 h in) is 120 wall seconds in.
        #expect(
            Self.clock.wallTime(atDrill: Self.time("2013-07-05T06:00:00.000Z")) == Self.time("2026-11-29T02:02:00.000Z")
        )
        // Drill-minute 990 is 16 h 30 min in: 07-06 04:30 +08:00, when the Fulong follow-up plays.
        #expect(Self.clock.drillTime(offsetMin: 990) == Self.time("2013-07-05T20:30:00.000Z"))
    }

    static func scenario() -> DrillScenario {
        DrillScenario(
            id: "t", title: "T", startsAt: "2013-07-05T12:00:00+08:00", clockFactor: 60,
            participants: [DrillParticipant(unit: "451102", dutyPosition: .countyDutyOfficer)], peers: ["440000"],
            injects: [
                DrillInject(atMin: 0, kind: .initialReport, summary: "report", report: .object([:])),
                DrillInject(atMin: 45, kind: .complication, summary: "the dam gate jams"),
            ],
            expectations: [
                DrillExpectation(
                    id: "ack", text: "ack within 30", kind: .taskAcknowledged, unit: "451102", withinMin: 30),
                DrillExpectation(
                    id: "received", text: "received within 5", kind: .peerReceived, peer: "440000", withinMin: 5),
                DrillExpectation(
                    id: "done", text: "done within 20 of the jam", kind: .taskDone, unit: "451102", withinMin: 20,
                    afterInject: 1),
            ])
    }

    static func stored(_ seq: Int64, _ type: EventType, drillAt: String, payload: some Encodable) throws -> StoredEvent
    {
        let at = Self.clock.wallTime(atDrill: time(drillAt))
        return try StoredEvent(
            seq: seq,
            event: NewEvent(
                at: at, incident: UUID(uuidString: "00000000-0000-0000-0000-000000000001"), type: type,
                actor: .system(component: "test"), exercise: true, drillAt: time(drillAt),
                payload: try JSONValue(encoding: payload)),
            prevHash: StoredEvent.genesisHash, chain: { _, _ in String(repeating: "0", count: 64) })
    }

    @Test func expectationsAreMetMissedOrPendingAgainstTheirAnchors() throws {
        let task = UUID()
        let assignee = Assignee(unit: "451102", position: .countyDutyOfficer)
        let dispatched = TaskDispatched(
            task: task, reference: "GX-2026-0001/T1", number: 1, kind: .site, title: "Sample at Fulong",
            assignee: assignee, policy: EscalationPolicy(ackMinutes: 15, repeats: 2), chain: [],
            at: Self.time("2013-07-05T04:00:00.000Z"), ackBy: Self.time("2013-07-05T04:15:00.000Z"))
        let started = DrillStartedPayload(drill: UUID(), scenario: Self.scenario(), clock: Self.clock, participants: [])
        var events = [
            try Self.stored(1, .taskDispatched, drillAt: "2013-07-05T04:00:00.000Z", payload: dispatched),
            // Acknowledged at 12:22: 22 minutes after the report, within 30.
            try Self.stored(
                2, .taskAcknowledged, drillAt: "2013-07-05T04:22:00.000Z",
                payload: TaskAcknowledged(task: task, by: assignee, at: Self.time("2013-07-05T04:22:00.000Z"))),
            // Received at 12:07: 7 minutes, over the 5 allowed.
            try Self.stored(
                3, .peerReceived, drillAt: "2013-07-05T04:07:00.000Z",
                payload: PeerAcknowledgementPayload(
                    province: "440000", throughSeq: 3, at: Self.time("2013-07-05T04:07:00.000Z"))),
        ]
        // Running, at drill 12:50: the task is not done, and 12:45 + 20 min = 13:05 has not come: pending.
        var score = DrillScoring.score(
            started: started, events: events, ended: false, now: Self.time("2013-07-05T04:50:00.000Z"))
        #expect(score.results.map(\.outcome) == [.met, .missed, .pending])
        #expect(score.results[0].elapsedMin == 22)
        #expect(score.results[0].due == Self.time("2013-07-05T04:30:00.000Z"))
        #expect(score.results[1].at == Self.time("2013-07-05T04:07:00.000Z"))
        #expect(score.results[1].elapsedMin == 7)
        #expect(score.results[2].from == Self.time("2013-07-05T04:45:00.000Z"))
        #expect(score.results[2].due == Self.time("2013-07-05T05:05:00.000Z"))
        #expect(score.met == 1)
        // Done at 13:00, 15 minutes after the jam: met; and once ended nothing is pending.
        events.append(
            try Self.stored(
                4, .taskDone, drillAt: "2013-07-05T05:00:00.000Z",
                payload: TaskDone(task: task, by: assignee, at: Self.time("2013-07-05T05:00:00.000Z"))))
        score = DrillScoring.score(
            started: started, events: events, ended: true, now: Self.time("2013-07-05T05:10:00.000Z"))
        #expect(score.results.map(\.outcome) == [.met, .missed, .met])
        #expect(score.results[2].elapsedMin == 15)
        #expect(score.timeline.map(\.seq) == [1, 2, 3, 4])
        #expect(score.timeline[1].what == "GX-2026-0001/T1 acknowledged by county-duty-officer of 451102")
        // Ended with nothing done: missed, not pending.
        score = DrillScoring.score(
            started: started, events: Array(events.prefix(3)), ended: true, now: Self.time("2013-07-05T04:50:00.000Z"))
        #expect(score.results[2].outcome == .missed)
    }

    @Test func scenarioProblemsNameTheirFields() {
        var scenario = Self.scenario()
        scenario.startsAt = "2013-07-05 12:00"
        scenario.clockFactor = 5_000
        scenario.participants.append(DrillParticipant(unit: "440000", dutyPosition: .provincialDutyChief))
        scenario.peers = ["520000"]
        scenario.injects[1].atMin = -1
        scenario.injects[1].report = .object([:])
        scenario.expectations[1].peer = "440000"
        scenario.expectations.append(scenario.expectations[0])
        let problems = scenario.problems(
            province: "450000", units: ["451102", "440000", "450000"], peers: ["440000", "520000"])
        #expect(
            problems.map(\.field) == [
                "startsAt", "clockFactor", "participants[1].unit", "injects[0].report", "injects[1].atMin",
                "injects[1].report", "expectations[1].peer", "expectations[3].id",
            ])
        #expect(
            Self.scenario().problems(province: "450000", units: ["451102"], peers: ["440000"]).map(\.field) == [
                "injects[0].report"
            ])
        // Offsets beyond a year are refused (at ×1 the runner would sleep past what a clock holds).
        var far = Self.scenario()
        far.injects[1].atMin = 1e15
        far.endsAtMin = 600_000
        far.expectations[0].withinMin = 525_601
        #expect(
            far.problems(province: "450000", units: ["451102"], peers: ["440000"]).map(\.field) == [
                "endsAtMin", "injects[0].report", "injects[1].atMin", "expectations[0].withinMin",
            ])
    }
}
