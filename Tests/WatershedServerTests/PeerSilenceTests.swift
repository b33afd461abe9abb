import AsyncHTTPClient
import Foundation
import NIOSSL
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// A neighbour silent on the link beyond its `silentAfterMin` (default 10 min; seeds/450000/peers.yaml sets none for
/// Guangdong) opens one task for Guangxi's duty chief to phone it, once per silence, on the injected clock (issue 5,
/// "Store-and-forward").
@Suite struct PeerSilenceTests {
    /// Guangxi links to Guangdong at a port where nothing listens, so nothing is heard from it. The clock starts at
    /// 04:30Z; the He River spill (discovered 12:00+08:00 = 04:00Z) is shared with Guangdong, whose notification is
    /// due by 05:00Z (1 h after discovery) — so no other phone task is due during the first silence.
    @Test func aSilentLinkOpensOnePhoneTaskPerSilence() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let nobody = try LiveServer.freePort()
        try TrialCertificates.make(
            [.init(code: "450000"), .init(code: "440000", peerURL: "wss://127.0.0.1:\(nobody)")], in: root)
        let start = try #require(ReportsTests.date("2013-07-05T04:30:00Z"))
        let clock = ManualWallClock(start)
        let peerPort = try LiveServer.freePort()
        try await LiveServer.run(
            data: root.appendingPathComponent("450000"), peerPort: peerPort, clock: clock, scheduler: true
        ) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: FederationTests.heRiverReport)
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let id = try filed.decoded(IncidentCreated.self).incident.id.uuidString
            func silenceCalls() async throws -> [ResponseTask] {
                try await DispatchTests.responseTasks(api, incident: id).filter {
                    $0.kind == .peerCall && $0.obligation == "peer:440000:silent"
                }
            }
            func waitForCalls(_ count: Int) async throws -> [ResponseTask] {
                var found: [ResponseTask] = []
                for _ in 0..<300 where found.count < count {
                    try await Task.sleep(for: .milliseconds(50))
                    found = try await silenceCalls()
                }
                return found
            }

            // 10 min of silence is allowed: at 04:39:59 nothing.
            clock.advance(to: start.addingTimeInterval(599))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await silenceCalls().isEmpty, "silent 9 min 59 s: within the 10 min allowed")
            // At 04:40:06 (10 min 6 s after the last time anything was known: the start) one task.
            clock.advance(to: start.addingTimeInterval(606))
            let first = try #require(try await waitForCalls(1).first, "no silence task")
            #expect(DispatchTests.assignee(first) == "450000/provincial-duty-chief")
            #expect(
                first.title
                    == "Phone Guangdong Province's duty office: nothing heard on the peer link since "
                    + "2013-07-05T04:30:00.000Z (more than 10 min)")
            // Still silent 9 min later: still one.
            clock.advance(to: start.addingTimeInterval(606 + 540))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await silenceCalls().count == 1, "one task per silence, not one per pass")

            // Guangdong is heard (its peer-client certificate asks for its link on the peer port) at 04:49:06 ...
            let heardAt = clock.now
            let guangdongTLS = root.appendingPathComponent("440000/tls")
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(handle.caFile))
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(
                guangdongTLS.appendingPathComponent("peer-client.pem").path
            ).map { .certificate($0) }
            tls.privateKey = .privateKey(
                try NIOSSLPrivateKey(
                    file: guangdongTLS.appendingPathComponent("peer-client-key.pem").path, format: .pem))
            var configuration = HTTPClient.Configuration()
            configuration.tlsConfiguration = tls
            let peer = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            defer { peer.shutdown { _ in } }
            let knock = try await peer.execute(
                HTTPClientRequest(url: "https://127.0.0.1:\(peerPort)/v1/peer/link/440000"), timeout: .seconds(20))
            #expect(knock.status.code == 426)
            // ... then silent again: nothing new until 10 min after that, one more task after.
            clock.advance(to: heardAt.addingTimeInterval(590))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await silenceCalls().count == 1, "heard 9 min 50 s ago")
            clock.advance(to: heardAt.addingTimeInterval(610))
            let calls = try await waitForCalls(2)
            #expect(calls.count == 2, "a new silence, a new task")
            #expect(
                calls.last?.title.contains("nothing heard on the peer link since 2013-07-05T04:49:06.000Z") == true,
                "\(String(describing: calls.last?.title))")
        }

        // A restart during the same silence (nothing heard since 04:49:06): the open task from before the restart is
        // that silence's task, so none is added when the restarted watch finds Guangdong silent 10 min after it
        // began. By then (05:09:22) the notification's 05:00Z deadline has passed too: its not-received call shows
        // that the watch made its pass.
        let restart = clock.now
        try await LiveServer.run(
            data: root.appendingPathComponent("450000"), peerPort: peerPort, clock: clock, scheduler: true
        ) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let list = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
            let id = try #require(try list.decoded([IncidentSummary].self).first?.id.uuidString)
            clock.advance(to: restart.addingTimeInterval(606))
            var calls: [ResponseTask] = []
            for _ in 0..<300 where !calls.contains(where: { $0.obligation == "peer:440000:not-received" }) {
                try await Task.sleep(for: .milliseconds(50))
                calls = try await DispatchTests.responseTasks(api, incident: id).filter { $0.kind == .peerCall }
            }
            try await Task.sleep(for: .milliseconds(500))
            calls = try await DispatchTests.responseTasks(api, incident: id).filter { $0.kind == .peerCall }
            #expect(calls.contains { $0.obligation == "peer:440000:not-received" })
            #expect(calls.filter { $0.obligation == "peer:440000:silent" }.count == 2)
        }
    }
}
