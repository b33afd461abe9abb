import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore

/// The federation's tables, written in the append's transaction (issue 5): what goes in a neighbour's outbox, and
/// what a neighbour's events become here.
@Suite struct PeerProjectionTests {
    static let actor = ProjectionTests.actor
    static let t0 = ProjectionTests.t0

    static func notification(_ province: UnitCode) -> PeerNotification {
        let json = """
            {"province":"\(province)","name":"Guangdong","requirement":"required","boundary":"he-river-fulong-boundary",
             "boundaryName":"Fulong","crossingAt":"2026-01-16T08:00:00Z","peakMgL":0.01,"ratioToStandard":100,
             "deadline":"2026-01-15T09:00:00Z","agreement":"2013"}
            """
        return try! CanonicalJSON.makeDecoder().decode(PeerNotification.self, from: Data(json.utf8))
    }

    static func event(_ type: EventType, _ payload: some Encodable, exercise: Bool = false) throws -> NewEvent {
        NewEvent(
            at: t0, incident: incidentID, type: type, actor: actor, exercise: exercise,
            payload: try JSONValue(encoding: payload))
    }

    static func followUp() throws -> NewEvent {
        try event(
            .reportFiled,
            ReportFiledPayload(
                report: FollowUpReport(
                    kind: .followUp, summary: "still spreading",
                    signature: ReportSignature(
                        reportingUnit: "451203", signingOfficer: "Wei", contactName: "Li", contactPhone: "1"))))
    }

    @Test func aNotifiedNeighbourGetsTheIncidentsSharedEventsFromTheStartThenEachNewOne() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            // seq 1 reported, 2 a task (never shared), 3 the notification to Guangdong.
            _ = try await log.append([
                try ProjectionTests.reported(), try ProjectionTests.dispatched(),
                try Self.event(.peerNotified, PeerNotifiedPayload(pending: Self.notification("440000"))),
            ])
            #expect(try log.outbox(for: "440000", after: 0, limit: 10).map(\.seq) == [1])
            #expect(try log.outbox(for: "460000", after: 0, limit: 10).isEmpty)
            // seq 4 a follow-up: queued at once; seq 5 an acknowledgement of a task: not shared.
            _ = try await log.append([try Self.followUp(), try ProjectionTests.acknowledged(at: Self.t0 + 60)])
            #expect(try log.outbox(for: "440000", after: 0, limit: 10).map(\.seq) == [1, 4])
            #expect(try log.outbox(for: "440000", after: 1, limit: 10).map(\.seq) == [4])
            #expect(try log.firstOutboxSeqs(for: "440000") == [incidentID: 1])
            // *Received* recorded once moves the notification's delivery on.
            _ = try await log.append([
                try Self.event(
                    .peerReceived, PeerAcknowledgementPayload(province: "440000", throughSeq: 4, at: Self.t0))
            ])
            let share = try #require(try log.sharedIncidents(with: "440000").first)
            #expect(share.notifiedSeq == 3 && share.receivedSeq == 6 && share.acceptedSeq == nil)
            let delivery = try await log.writer.read { db in
                try String.fetchOne(db, sql: "SELECT delivery FROM peer_notification_view")
            }
            #expect(delivery == "received")
        }
    }

    /// A second notification to a neighbour already notified (a dam release warning) travels the same link: the
    /// delivery the link reached is kept (not set back to pending, which would call the neighbour about a report it
    /// has), and the earlier deadline counts.
    @Test func aSecondNotificationKeepsTheDeliveryAndTheEarlierDeadline() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            _ = try await log.append([
                try ProjectionTests.reported(),
                try Self.event(.peerNotified, PeerNotifiedPayload(pending: Self.notification("440000"))),
                try Self.event(
                    .peerReceived, PeerAcknowledgementPayload(province: "440000", throughSeq: 1, at: Self.t0)),
            ])
            var warning = Self.notification("440000")
            warning.kind = .damRelease
            warning.deadline = try #require(CanonicalJSON.date(fromTimestamp: "2026-01-15T08:30:00.000Z"))
            _ = try await log.append([try Self.event(.peerNotified, PeerNotifiedPayload(pending: warning))])
            let row = try await log.writer.read { db in
                try Row.fetchOne(db, sql: "SELECT delivery, deadline, seq FROM peer_notification_view")
            }
            #expect(row?["delivery"] as String? == "received")
            #expect(row?["deadline"] as String? == "2026-01-15T08:30:00.000Z", "08:30 is before the first's 09:00")
            #expect(row?["seq"] as Int64? == 4)
            // Past 08:30 it is received but not accepted: overdue as such, never as not received.
            let overdue = try log.overduePeerNotifications(
                at: try #require(CanonicalJSON.date(fromTimestamp: "2026-01-15T08:31:00.000Z")))
            #expect(overdue.map(\.delivery) == ["received"])
        }
    }

    /// The incident service appends an exercise's `PeerNotified` only for a neighbour its drill names (issue 6;
    /// `DrillTests` shows the filter); once appended, the exercise is shared like any incident and leaves marked.
    @Test func aJointDrillsNotificationLeavesAsAnExercise() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            _ = try await log.append([
                try Self.event(.planComputed, ["arrivals": [String]()], exercise: true),
                try Self.event(
                    .peerNotified, PeerNotifiedPayload(pending: Self.notification("440000")), exercise: true),
            ])
            #expect(try log.sharedIncidents(with: "440000").map(\.incident) == [incidentID])
            let outbox = try log.outbox(for: "440000", after: 0, limit: 10)
            #expect(!outbox.isEmpty)
            #expect(outbox.allSatisfy { $0.exercise })
            #expect(try log.sharedIncidents(with: "520000").isEmpty)
        }
    }

    @Test func aNeighboursEventsAreKnownByTheirIDAndTheCursorIsTheirHighestSeq() async throws {
        try await withTemporaryFolder { folder in
            let origin = try EventLog.open(path: folder + "/origin.sqlite")
            let sent = try await origin.append([try ProjectionTests.reported(), try Self.followUp()])
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            #expect(try log.inboxCursor(for: "450000") == 0)
            _ = try await log.append([
                NewEvent(
                    at: Self.t0, incident: nil, type: .peerEventReceived, actor: .peer(province: "450000"),
                    payload: try JSONValue(encoding: PeerEventReceivedPayload(province: "450000", event: sent[1])))
            ])
            #expect(try log.inboxCursor(for: "450000") == 2)
            #expect(try log.hasInbound(from: "450000", event: sent[1].id))
            #expect(try !log.hasInbound(from: "450000", event: sent[0].id))
            #expect(try !log.hasInbound(from: "440000", event: sent[1].id))
        }
    }
}
