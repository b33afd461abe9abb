import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// The federation's tables, written in the append's transaction (issue 5): what goes in a neighbour's outbox, and
/// what a neighbour's events become here.
@Suite struct PeerProjectionTests {
    static let actor = StoreFixtures.actor
    static let t0 = StoreFixtures.t0

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
                try StoreFixtures.reported(), try StoreFixtures.dispatched(),
                try Self.event(.peerNotified, PeerNotifiedPayload(pending: Self.notification("440000"))),
            ])
            #expect(try await log.outbox(for: "440000", after: 0, limit: 10).map(\.seq) == [1])
            #expect(try await log.outbox(for: "460000", after: 0, limit: 10).isEmpty)
            // seq 4 a follow-up: queued at once; seq 5 an acknowledgement of a task: not shared.
            _ = try await log.append([try Self.followUp(), try StoreFixtures.acknowledged(at: Self.t0 + 60)])
            #expect(try await log.outbox(for: "440000", after: 0, limit: 10).map(\.seq) == [1, 4])
            #expect(try await log.outbox(for: "440000", after: 1, limit: 10).map(\.seq) == [4])
            #expect(try log.firstOutboxSeqs(for: "440000") == [incidentID: 1])
            // *Received* recorded once moves the notification's delivery on.
            _ = try await log.append([
                try Self.event(
                    .peerReceived, PeerAcknowledgementPayload(province: "440000", throughSeq: 4, at: Self.t0))
            ])
            let share = try #require(try log.sharedIncidents(with: "440000").first)
            #expect(share.notifiedSeq == 3 && share.receivedSeq == 6 && share.acceptedSeq == nil)
            // Opened again, the book is folded from the file (the follow-up read without its bytes) to the same.
            let reopened = try EventLog.open(path: folder + "/watershed.sqlite")
            #expect(try await reopened.outbox(for: "440000", after: 0, limit: 10).map(\.seq) == [1, 4])
            #expect(try reopened.sharedIncidents(with: "440000") == [share])
            #expect(try reopened.firstOutboxSeqs(for: "440000") == [incidentID: 1])
        }
    }

    /// A second notification to a neighbour already notified (a dam release warning) travels the same link: the
    /// delivery the link reached is kept (not set back to pending, which would call the neighbour about a report it
    /// has), and the earlier deadline counts.
    /// Guangxi's incident mirrored here: its notification task (T1, kind notification) is recorded when dispatched,
    /// and acknowledging it — not another task — makes the incident *accepted*, by whom and when.
    static func mirrored() throws -> [NewEvent] {
        var reported = try StoreFixtures.reported()
        var payload = try reported.payload.decode(IncidentReportedPayload.self)
        payload.origin = IncidentOrigin(
            province: "450000", incident: UUID(uuidString: "0A000000-0000-4000-8000-000000000001")!,
            reference: "GX-2026-0001", event: UUID(uuidString: "0A000000-0000-4000-8000-000000000002")!, seq: 1)
        reported.payload = try JSONValue(encoding: payload)
        let assignee = Assignee(unit: "440000", position: .provincialDutyChief)
        func task(_ id: UUID, _ number: Int, _ kind: ResponseTaskKind) throws -> NewEvent {
            try event(
                .taskDispatched,
                TaskDispatched(
                    task: id, reference: "GD-2026-0001/T\(number)", number: number, kind: kind, obligation: nil,
                    title: "T\(number)", assignee: assignee, source: nil, startBy: nil, dueBy: nil,
                    policy: EscalationPolicy(ackMinutes: 15, repeats: 2), chain: [], at: t0, ackBy: t0 + 900))
        }
        return [reported, try task(notificationTask, 1, .notification), try task(otherTask, 2, .site)]
    }

    static let notificationTask = UUID(uuidString: "0B000000-0000-4000-8000-000000000001")!
    static let otherTask = UUID(uuidString: "0B000000-0000-4000-8000-000000000002")!

    static func acknowledged(_ task: UUID, at: Date) throws -> NewEvent {
        NewEvent(
            at: at, incident: incidentID, type: .taskAcknowledged, actor: actor,
            payload: try JSONValue(
                encoding: TaskAcknowledged(
                    task: task, by: Assignee(unit: "440000", position: .provincialDutyChief), at: at)))
    }

    @Test func acknowledgingItsNotificationTaskAcceptsANeighboursIncident() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            _ = try await log.append(try Self.mirrored())
            _ = try await log.append([try Self.acknowledged(Self.otherTask, at: Self.t0 + 60)])
            #expect(try log.inboundIncidents(from: "450000").map(\.acceptedAt) == [nil], "another task: not accepted")
            _ = try await log.append([try Self.acknowledged(Self.notificationTask, at: Self.t0 + 120)])
            let inbound = try log.inboundIncidents(from: "450000")
            #expect(inbound.map(\.acceptedAt) == [Self.t0 + 120])
            #expect(inbound.map(\.acceptedBy) == ["440000/provincial-duty-chief"])
        }
    }

    /// A log from before `v5-drop-projection-views` (its `*_view` tables there, no `notificationTask`): opening it
    /// drops the tables and finds the notification task in the events, so a later acknowledgement still accepts.
    @Test func theV5MigrationDropsTheViewsAndFindsNotificationTasks() async throws {
        try await withTemporaryFolder { folder in
            let path = folder + "/watershed.sqlite"
            var log: EventLog? = try EventLog.open(path: path)
            _ = try await log!.append(try Self.mirrored())
            try await log!.writer.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE task_view (id TEXT PRIMARY KEY); CREATE TABLE incident_view (id TEXT);
                        CREATE TABLE obligation_view (id TEXT); CREATE TABLE peer_notification_view (id TEXT);
                        ALTER TABLE peer_inbound DROP COLUMN notificationTask;
                        DELETE FROM grdb_migrations WHERE identifier = 'v5-drop-projection-views';
                        """)
            }
            log = nil
            let reopened = try EventLog.open(path: path)
            let tables = try await reopened.writer.read { db in
                try String.fetchAll(
                    db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%_view'")
            }
            #expect(tables.isEmpty, "\(tables)")
            _ = try await reopened.append([try Self.acknowledged(Self.notificationTask, at: Self.t0 + 120)])
            #expect(try reopened.inboundIncidents(from: "450000").map(\.acceptedAt) == [Self.t0 + 120])
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
            let outbox = try await log.outbox(for: "440000", after: 0, limit: 10)
            #expect(!outbox.isEmpty)
            #expect(outbox.allSatisfy { $0.exercise })
            #expect(try log.sharedIncidents(with: "520000").isEmpty)
        }
    }

    @Test func aNeighboursEventsAreKnownByTheirIDAndTheCursorIsTheirHighestSeq() async throws {
        try await withTemporaryFolder { folder in
            let origin = try EventLog.open(path: folder + "/origin.sqlite")
            let sent = try await origin.append([try StoreFixtures.reported(), try Self.followUp()])
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
