import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedStore
import WatershedTestSupport
import WatershedWire

@testable import WatershedServer

/// A replayed request (same `Idempotency-Key`, same body) answers what the first one did, folded from the log up to
/// its last seq — however many pages of the incident's events that takes.
@Suite struct IdempotentReplayTests {
    /// The 2012 Longjiang cadmium report, filed; then 1,100 links of the incident (more than one page of 1,000 events
    /// when the replay reads the log); then a follow-up setting level II under a key. Replaying that follow-up must
    /// answer level II, which only its own events (after seq 1,100) set.
    @Test func aReplayReadsEveryPageUpToItsLastSeq() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-replay-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = try EventLog.open(path: folder.appendingPathComponent("watershed.sqlite").path)
        let basin = try PlaybookLoader().load(directory: Fixtures.playbooksDirectory.path).basin
        let service = try await IncidentService(log: log, basin: basin, province: "450000")
        let commander = Identity(
            tokenID: "t-gx", unit: "450000", dutyPosition: .provincialDutyChief, roles: [.viewer, .officer, .commander])
        let report = try CanonicalJSON.makeDecoder().decode(
            InitialReport.self,
            from: Data(
                contentsOf: Fixtures.repositoryRoot.appendingPathComponent(
                    "Tests/Fixtures/longjiang-initial-report.json")))
        let filedAt = report.discoveredAt.addingTimeInterval(3_600)
        let filed = try await service.fileInitialReport(report, by: commander, now: filedAt)
        let incident = filed.incident.id
        let links = (1...1_100).map { number in
            NewEvent(
                at: filedAt, incident: incident, type: .incidentLinked, actor: .system(component: "test"),
                payload: ["linked": .string(UUID().uuidString), "reference": .string("GX-2012-\(number)")])
        }
        _ = try await service.append(links)

        let followUp = FollowUpReport(
            kind: .followUp, summary: "cadmium at Lalang", levelChange: LevelChange(to: .II, at: filedAt),
            signature: report.signature)
        let first = try await service.fileReport(
            followUp, on: incident.uuidString, by: commander, now: filedAt, idempotencyKey: "replay-1")
        #expect(first.replayed == false)
        #expect(first.firstSeq > 1_100)
        let again = try await service.fileReport(
            followUp, on: incident.uuidString, by: commander, now: filedAt, idempotencyKey: "replay-1")
        #expect(again.replayed)
        #expect(again.incident.level == SeverityLevel.II)
        #expect(again.firstSeq == first.firstSeq && again.lastSeq == first.lastSeq)
    }
}
