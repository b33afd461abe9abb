import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// On a live Guangdong server: an initial report on the He River below the Fulong boundary predicts no crossing, but
/// the He River is shared with Guangxi (seeds/440000/peers.yaml `rivers`), so the report's append holds a pending
/// `PeerNotified` for Guangxi of kind `sharedWater` — which puts the incident in Guangxi's outbox.
@Suite struct SharedWaterNotificationTests {
    @Test func aReportOnASharedRiverIsNotifiedWithoutACrossing() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2013-07-05T22:30:00Z")))
        try await LiveServer.run(data: data, province: "440000", clock: clock) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let report = String(decoding: FederationTests.heRiverReport, as: UTF8.self)
                .replacingOccurrences(of: #""km":140"#, with: #""km":260"#)
                .replacingOccurrences(of: "2013-07-05T12:00:00+08:00", with: "2013-07-06T06:00:00+08:00")
                .replacingOccurrences(of: #""reportingUnit":"451102""#, with: #""reportingUnit":"441225""#)
            let filed = try await api.request(
                .POST, "/v1/incidents", token: FederationTests.gdCommander, body: Data(report.utf8))
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let page = try await api.request(.GET, "/v1/events?after=0&limit=1000", token: FederationTests.gdViewer)
            let events = try page.decoded([StoredEvent].self)
            let notified = events.filter { $0.type == .peerNotified }
            #expect(notified.count == 1)
            let notification = try #require(notified.first).payload(as: PeerNotifiedPayload.self).notification
            #expect(notification.province == "450000")
            #expect(notification.kind == .sharedWater)
            #expect(notification.requirement == .advisory)
            #expect(notification.boundary == "he-river-fulong-boundary")
            // Discovered 06:00+08:00 (22:00Z); Guangdong agreed 1 h with Guangxi.
            #expect(try notification.deadline == instant("2013-07-05T23:00:00.000Z"))
            let id = try filed.decoded(IncidentCreated.self).incident.id
            let detail = try await api.request(.GET, "/v1/incidents/\(id)", token: FederationTests.gdViewer)
            let entries = try detail.decoded(IncidentDetail.self).notifications
            #expect(entries.map(\.delivery) == [.pending])
        }
    }
}
