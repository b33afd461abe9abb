import Foundation
import Testing
import WatershedCore

/// Drills folded once, in Core (``DrillBook``), and ending one (``IncidentRules/drillEnd(_:incidents:reason:now:)``):
/// the scenario of ``DrillScoringTests`` — wall 2026-11-29 02:00Z ↔ drill 2013-07-05 04:00Z at ×60, so a drill minute
/// is a wall second — with injects at drill minutes 0 and 45 and an end at minute 60.
@Suite struct DrillBookTests {
    static let drill = UUID(uuidString: "00000000-0000-0000-0000-0000000000D1")!
    static let incident = UUID(uuidString: "00000000-0000-0000-0000-0000000000AA")!
    static let clock = DrillScoringTests.clock
    static let token = DrillParticipantToken(
        unit: "451102", dutyPosition: .countyDutyOfficer, name: nil, tokenID: "drill-00000000-1", sha256: "ab")

    static func wall(_ seconds: Double) -> Date {
        DrillScoringTests.time("2026-11-29T02:00:00.000Z").addingTimeInterval(seconds)
    }

    static func started() -> DrillStartedPayload {
        var scenario = DrillScoringTests.scenario()
        scenario.endsAtMin = 60
        return DrillStartedPayload(drill: drill, scenario: scenario, clock: clock, participants: [token])
    }

    static func event(
        _ seq: Int64, _ event: IncidentEvent, incident: UUID? = nil, exercise: Bool = true, at: Double = 0
    ) -> RecordedEvent {
        RecordedEvent(
            seq: seq, at: wall(at), incident: incident, actor: .system(component: "drill-runner"), exercise: exercise,
            event: event)
    }

    static func injected(_ index: Int, seq: Int64, incident: UUID? = nil) -> RecordedEvent {
        event(
            seq,
            .drillInjected(
                DrillInjectedPayload(
                    drill: drill, index: index, kind: .initialReport, summary: "inject \(index)", summaryZh: nil)),
            incident: incident, at: Double(index) * 45)
    }

    @Test func aStartedDrillRegistersItsTokensAndIsFound() {
        var book = DrillBook()
        let change = book.fold(Self.event(7, .drillStarted(Self.started())))
        #expect(change == .started(drill: Self.drill, participants: [Self.token]))
        let drill = book.drills[Self.drill]
        #expect(drill?.scenario == "t")
        #expect(drill?.peers == ["440000"])
        #expect(drill?.startedSeq == 7)
        #expect(drill?.isRunning == true)
        #expect(book.find("0000000") == nil, "7 characters are too few")
        #expect(book.find("00000000")?.id == Self.drill)
        #expect(book.find("00000000-0000-0000-0000-0000000000d1")?.id == Self.drill)
    }

    /// A real event is never a drill's, whatever it says.
    @Test func aRealEventIsIgnored() {
        var book = DrillBook()
        #expect(book.fold(Self.event(1, .drillStarted(Self.started()), exercise: false)) == nil)
        #expect(book.drills.isEmpty)
    }

    /// One row per moment: what is due at that wall time after the injects played so far.
    @Test(arguments: [
        (played: [Int](), atSecond: -1.0, due: "nothing", wake: 0.0),  // before the start
        ([], 0, "inject 0", 0),  // inject 0 plays at drill minute 0 = wall 02:00:00
        ([0], 44, "nothing", 45),  // inject 1 at minute 45 = wall second 45
        ([0], 45, "inject 1", 45),
        ([0], 70, "inject 1", 45),  // after a restart past the end: the inject first…
        ([0, 1], 59, "nothing", 60),
        ([0, 1], 70, "end", 60),  // … then the end at minute 60
    ])
    func dueAtAWallTime(played: [Int], atSecond: Double, due: String, wake: Double) {
        var book = DrillBook()
        book.fold(Self.event(1, .drillStarted(Self.started())))
        for index in played { book.fold(Self.injected(index, seq: Int64(2 + index))) }
        let found: String =
            switch book.due(atWall: Self.wall(atSecond)) {
            case .inject(_, let index)?: "inject \(index)"
            case .end?: "end"
            case nil: "nothing"
            }
        #expect(found == due)
        #expect(book.nextWake() == Self.wall(wake))
    }

    /// An inject's incident joins the drill and runs on its clock; an ended drill wants nothing and wakes nobody.
    @Test func anIncidentRunsOnItsDrillsClockUntilTheDrillEnds() {
        var book = DrillBook()
        book.fold(Self.event(1, .drillStarted(Self.started())))
        book.fold(Self.injected(0, seq: 2, incident: Self.incident))
        #expect(book.drills[Self.drill]?.incidents == [Self.incident])
        #expect(book.clock(of: Self.incident) == Self.clock)
        #expect(book.clock(of: UUID()) == nil)
        let ended = book.fold(
            Self.event(3, .drillEnded(DrillEndedPayload(drill: Self.drill, reason: "endsAtMin")), at: 61))
        #expect(ended == .ended(drill: Self.drill))
        #expect(book.drills[Self.drill]?.endedAt == Self.wall(61))
        #expect(book.due(atWall: Self.wall(3_600)) == nil)
        #expect(book.nextWake() == nil)
    }

    /// A neighbour's joint drill is known through its incident's report: its link's clock and title, the origin's
    /// province, no scenario — nothing to play here.
    @Test func aNeighboursJointDrillIsKnownThroughItsIncident() throws {
        var book = DrillBook()
        let link = DrillLink(drill: Self.drill, clock: Self.clock, title: "Joint drill")
        var reported = IncidentReportedPayload(
            reference: "GD-2013-0001", report: IncidentModelTests.report, drill: link)
        reported.origin = PeerIntakeRulesTests.origin
        book.fold(Self.event(4, .reported(reported), incident: Self.incident))
        let drill = try #require(book.drills[Self.drill])
        #expect(drill.started == nil)
        #expect(drill.title == "Joint drill")
        #expect(drill.origin == "450000")
        #expect(drill.startedSeq == 4)
        #expect(book.clock(of: Self.incident) == Self.clock)
        #expect(book.due(atWall: Self.wall(3_600)) == nil)
    }

    @Test func aDrillEventNamesItsDrill() {
        #expect(DrillBook.drill(of: Self.injected(0, seq: 2)) == Self.drill)
        #expect(DrillBook.drill(of: Self.event(2, .closed(IncidentClosedPayload(reason: "x")))) == nil)
    }

    // MARK: Ending

    /// Ending cancels the open tasks of its open incidents (reason `drillEnded`), closes them, then says
    /// `DrillEnded`; a closed incident is left alone; ending again is a 409.
    @Test func endingCancelsOpenTasksClosesIncidentsAndCannotBeRepeated() throws {
        let open = try IncidentRulesTests.opened()
        let openTasks = open.tasks.filter { $0.state.isOpen }.map(\.id)
        #expect(openTasks.count > 0)
        let closed = IncidentRulesTests.applying(
            [.closed(IncidentClosedPayload(reason: "finalReport"))], to: try PeerIntakeRulesTests.shared("X", seq: 40),
            at: Self.wall(10))
        var book = DrillBook()
        book.fold(Self.event(1, .drillStarted(Self.started())))
        let drill = try #require(book.drills[Self.drill])
        let now = Self.clock.drillTime(atWall: Self.wall(61))
        let events = try IncidentRulesTests.rules.drillEnd(
            drill, incidents: [open, closed], reason: "endsAtMin", now: now)
        let cancelled: [UUID] = events.compactMap {
            if case .task(.cancelled(let cancelled)) = $0.event, cancelled.reason == "drillEnded",
                $0.incident == open.id
            {
                cancelled.task
            } else {
                nil
            }
        }
        #expect(cancelled == openTasks)
        let close = try #require(events.dropLast().last)
        #expect(close.incident == open.id)
        #expect(close.event == .closed(IncidentClosedPayload(reason: "drillEnded")))
        #expect(events.filter { $0.incident == closed.id }.isEmpty)
        #expect(events.last?.incident == nil)
        #expect(events.last?.event == .drillEnded(DrillEndedPayload(drill: Self.drill, reason: "endsAtMin")))
        book.fold(Self.event(9, .drillEnded(DrillEndedPayload(drill: Self.drill, reason: "endsAtMin")), at: 61))
        #expect(throws: DomainError.self) {
            try IncidentRulesTests.rules.drillEnd(
                book.drills[Self.drill]!, incidents: [], reason: "again", now: now)
        }
    }
}
