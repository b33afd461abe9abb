import Foundation
import Testing
import WatershedCore
import WatershedPostgres
import WatershedStore
import WatershedTestSupport

/// What the federation reads (``PeerStore``) from each backend's ``FederationBook`` (issue 18): the same answers on
/// SQLite and PostgreSQL, after the appends and again after reopening (the start-up fold, plans read without their
/// bytes); on PostgreSQL also on a second node, and an append returns only once its own node's book has it.
enum FederationBookContract {
    static let guangdong: UnitCode = "440000"

    static func event(_ type: EventType, _ payload: JSONValue, number: Int) -> NewEvent {
        NewEvent(
            at: morning + Double(number), incident: incidentID, type: type, actor: .system(component: "test"),
            payload: payload)
    }

    static func notified(number: Int) throws -> NewEvent {
        let json = """
            {"province":"440000","name":"Guangdong","requirement":"required","boundary":"he-river-fulong-boundary",
             "boundaryName":"Fulong","crossingAt":"2026-01-16T08:00:00Z","peakMgL":0.01,"ratioToStandard":100,
             "deadline":"2026-01-15T09:00:00Z","agreement":"2013"}
            """
        let notification = try CanonicalJSON.makeDecoder().decode(PeerNotification.self, from: Data(json.utf8))
        return event(
            .peerNotified, try JSONValue(encoding: PeerNotifiedPayload(pending: notification)), number: number)
    }

    /// Seq 1 reported, 2 a plan, 3 a task event (never shared), 4 Guangdong notified (1 and 2 queued), 5 a
    /// follow-up (queued at once), 6 *received* by Guangdong, 7 another incident's plan (not shared).
    static func aSharedIncidentsEventsAreQueuedInOrder(_ backend: Backend) async throws {
        let log = try #require(try await backend.open() as? any FederationBookKeeping & PeerStore)
        _ = try await log.append([
            event(.incidentReported, ["summary": "cadmium"], number: 1),
            event(.planComputed, ["arrivals": []], number: 2),
            numbered(writer: 0, number: 3, incident: incidentID), try notified(number: 4),
        ])
        #expect(try await log.outbox(for: guangdong, after: 0, limit: 10).map(\.seq) == [1, 2])
        _ = try await log.append([event(.reportFiled, ["summary": "still spreading"], number: 5)])
        _ = try await log.append([
            event(
                .peerReceived,
                try JSONValue(encoding: PeerAcknowledgementPayload(province: guangdong, throughSeq: 5, at: morning)),
                number: 6),
            NewEvent(
                at: morning, incident: UUID(), type: .planComputed, actor: .system(component: "test"),
                payload: ["arrivals": []]),
        ])
        try await check(log)
        await backend.close(log)
        let reopened = try #require(try await backend.open() as? any FederationBookKeeping & PeerStore)
        try await check(reopened)
        await backend.close(reopened)
    }

    static func check(_ log: any FederationBookKeeping & PeerStore) async throws {
        #expect(try await log.outbox(for: guangdong, after: 0, limit: 10).map(\.seq) == [1, 2, 5])
        #expect(try await log.outbox(for: guangdong, after: 1, limit: 1).map(\.seq) == [2])
        #expect(try await log.outbox(for: "460000", after: 0, limit: 10).isEmpty)
        #expect(try log.firstOutboxSeqs(for: guangdong) == [incidentID: 1])
        #expect(
            try log.sharedIncidents(with: guangdong)
                == [SharedIncident(incident: incidentID, province: guangdong, notifiedSeq: 4, receivedSeq: 6)])
        #expect(log.federation.folded == 7)
    }
}

extension FederationBookContract {
    /// A CAP message held, held again (refused: nothing appended), refused, then dropped; another applied once and
    /// refused the second time (CAP 1.2 §3.2.1: sender, identifier and sent identify a message). `sent` is written
    /// with an offset and kept in UTC: 2003-06-11T20:56:00-07:00 is 2003-06-12T03:56:00-00:00.
    static func capMessagesAreHeldAndAppliedOnce(_ backend: Backend) async throws {
        let log = try #require(try await backend.open() as? any FederationBookKeeping & CAPStore)
        let held = HeldCAPMessage(
            sender: "gd@example.cn", identifier: "U-1", sentUTC: "2003-06-12T03:56:00-00:00", peer: guangdong,
            receivedAt: morning, xml: Data("<alert/>".utf8))
        _ = try await log.holdCAPMessage(
            held, waitingFor: ["gd@example.cn,A-1,2003-06-12T03:00:00-00:00"], exercise: false)
        #expect(try log.heldCAPMessages() == [held])
        await #expect(throws: (any Error).self) {
            _ = try await log.holdCAPMessage(held, waitingFor: [], exercise: false)
        }
        #expect(try await log.head() == 1)
        let refused = try await log.refuseHeldCAPMessage(
            held.identity, reason: "references an unknown message", at: morning, actor: .peer(province: guangdong),
            exercise: false)
        #expect(refused?.seq == 2)
        #expect(try log.heldCAPMessages().isEmpty)
        #expect(
            try log.heldCAPMessages(peer: guangdong, includingRefused: true).map(\.refusal) == [
                "references an unknown message"
            ])
        #expect(
            try await log.dropHeldCAPMessage(
                held.identity, by: nil, reason: "by hand", at: morning, actor: .peer(province: guangdong),
                exercise: false)?.seq == 3)
        #expect(
            try await log.dropHeldCAPMessage(
                held.identity, by: nil, reason: "by hand", at: morning, actor: .peer(province: guangdong),
                exercise: false) == nil)
        #expect(try log.heldCAPMessage(sender: "gd@example.cn", identifier: "U-1", sentUTC: held.sentUTC) == nil)

        let payload = CAPReceivedPayload(
            peer: guangdong, sender: "gd@example.cn", identifier: "A-1", sent: "2003-06-11T20:56:00-07:00",
            status: "Actual", msgType: "Alert", references: [], headline: "镉", wasHeld: false, xml: "<alert/>")
        let received = try NewEvent(
            at: morning, incident: incidentID, actor: .peer(province: guangdong), event: .capReceived(payload))
        let record = CAPMessageRecord(
            sender: "gd@example.cn", identifier: "A-1", sentUTC: "2003-06-12T03:56:00-00:00", peer: guangdong,
            msgType: "Alert", incident: incidentID, seq: 0)
        #expect(try await log.append([received], recordingCAP: record).map(\.seq) == [4])
        var applied = record
        applied.seq = 4
        #expect(try log.capMessage(sender: "gd@example.cn", identifier: "A-1", sentUTC: record.sentUTC) == applied)
        let again = try NewEvent(
            at: morning, incident: incidentID, actor: .peer(province: guangdong), event: .capReceived(payload))
        await #expect(throws: (any Error).self) { _ = try await log.append([again], recordingCAP: record) }
        #expect(try await log.head() == 4)
        await backend.close(log)
    }
}

@Suite struct SQLiteFederationBookTests {
    @Test func aSharedIncidentsEventsAreQueuedInOrder() async throws {
        try await withSQLite(FederationBookContract.aSharedIncidentsEventsAreQueuedInOrder)
    }
    @Test func capMessagesAreHeldAndAppliedOnce() async throws {
        try await withSQLite(FederationBookContract.capMessagesAreHeldAndAppliedOnce)
    }
}

@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct PostgresFederationBookTests {
    @Test func aSharedIncidentsEventsAreQueuedInOrder() async throws {
        try await withPostgres(FederationBookContract.aSharedIncidentsEventsAreQueuedInOrder)
    }
    @Test func capMessagesAreHeldAndAppliedOnce() async throws {
        try await withPostgres(FederationBookContract.capMessagesAreHeldAndAppliedOnce)
    }

    /// The claim holds across nodes: B cannot apply the CAP message A applied, even before B's book has A's event.
    @Test func aCAPMessageAppliedOnOneNodeIsRefusedOnAnother() async throws {
        try await TestCluster.withDatabase { url in
            let a = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let b = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let payload = CAPReceivedPayload(
                peer: FederationBookContract.guangdong, sender: "gd@example.cn", identifier: "A-1",
                sent: "2003-06-12T03:56:00-00:00", status: "Actual", msgType: "Alert", references: [], headline: nil,
                wasHeld: false, xml: "<alert/>")
            func received() throws -> NewEvent {
                try NewEvent(
                    at: morning, incident: incidentID, actor: .peer(province: "440000"), event: .capReceived(payload))
            }
            _ = try await a.append([try received()])
            await #expect(throws: EventLogError.claimed("cap gd@example.cn,A-1,2003-06-12T03:56:00-00:00")) {
                _ = try await b.append([try received()])
            }
            #expect(try await b.head() == 1)
            await a.close()
            await b.close()
        }
    }

    /// Node B's book folds node A's commits (through the fetch loop), and B's own append after A's — a gap B's
    /// committer cannot hand over itself — returns only once B's book has both.
    @Test func anotherNodesCommitsReachTheBookAndAnAppendSeesItself() async throws {
        try await TestCluster.withDatabase { url in
            let a = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let b = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            _ = try await a.append([
                FederationBookContract.event(.incidentReported, ["summary": "cadmium"], number: 1),
                try FederationBookContract.notified(number: 2),
            ])
            let followUp = try await b.append([
                FederationBookContract.event(.reportFiled, ["summary": "still spreading"], number: 3)
            ])
            #expect(followUp.map(\.seq) == [3])
            #expect(b.federation.folded == 3)
            #expect(
                try await b.outbox(for: FederationBookContract.guangdong, after: 0, limit: 10).map(\.seq) == [1, 3])
            // A's book gets B's follow-up within the poll's second.
            for _ in 0..<50 where a.federation.folded < 3 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(
                try await a.outbox(for: FederationBookContract.guangdong, after: 0, limit: 10).map(\.seq) == [1, 3])
            await a.close()
            await b.close()
        }
    }
}
