import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import Testing
import WatershedCore
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// `GET /v1/incidents/{id}` of an incident opened only by a peer's CAP Alert (only `CAPReceived` events) answers its
/// CAP thread (`"origin": "cap"`) instead of 404.
@Suite struct CAPIncidentDetailTests {
    /// A Cancel of OASIS example A.1 (CAP 1.2 Appendix A), as the sender would write it.
    static let cancel = """
        <?xml version="1.0" encoding="UTF-8"?>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
          <identifier>43b080713728</identifier>
          <sender>hsas@dhs.gov</sender>
          <sent>2003-04-02T16:00:00-05:00</sent>
          <status>Actual</status>
          <msgType>Cancel</msgType>
          <scope>Public</scope>
          <references>hsas@dhs.gov,43b080713727,2003-04-02T14:39:01-05:00</references>
        </alert>
        """

    @Test func aCAPOnlyIncidentAnswersItsThread() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try TrialCertificates.make([.init(code: "450000"), .init(code: "440000")], in: root)
        let peerPort = try LiveServer.freePort()
        try await LiveServer.run(data: root.appendingPathComponent("450000"), peerPort: peerPort) { handle in
            // Guangdong posts A.1 and its Cancel to Guangxi's peer port with its peer-client certificate.
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
            let alert = try Data(
                contentsOf: Fixtures.capFixtures.appendingPathComponent("01-oasis-A1-homeland-security-alert.xml"))
            for document in [alert, Data(Self.cancel.utf8)] {
                var post = HTTPClientRequest(url: "https://127.0.0.1:\(peerPort)/v1/feeds/cap")
                post.method = .POST
                post.headers.add(name: "Content-Type", value: "application/cap+xml")
                post.body = .bytes(ByteBuffer(data: document))
                let answer = try await peer.execute(post, timeout: .seconds(20))
                let body = String(buffer: try await answer.body.collect(upTo: 1 << 20))
                #expect(answer.status.code == 200, "\(body)")
            }

            let api = try APIClient(handle)
            defer { api.close() }
            let received = try await DispatchTests.events(api, type: .capReceived)
            #expect(received.count == 2)
            let id = try #require(received.first?.incident)
            #expect(received.last?.incident == id, "the Cancel joins the Alert's thread")

            let reply = try await api.request(.GET, "/v1/incidents/\(id)", token: DevToken.viewer)
            #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
            let detail = try reply.decoded(CAPIncidentDetail.self)
            #expect(detail.id == id)
            #expect(detail.origin == "cap")
            #expect(detail.peer == "440000")
            #expect(detail.exercise == false)
            #expect(detail.state == "cancelled")
            let messages = detail.messages
            #expect(messages.map(\.msgType) == ["Alert", "Cancel"])
            #expect(messages.map(\.identifier) == ["43b080713727", "43b080713728"])
            #expect(messages.first?.sent == "2003-04-02T14:39:01-05:00")
            let info = try #require(messages.first?.info.first)
            #expect(info.event == "Homeland Security Advisory System Update")
            #expect(info.urgency == "Immediate")
            #expect(info.severity == "Severe")
            #expect(info.certainty == "Likely")
            #expect(info.headline == "Homeland Security Sets Code ORANGE")
            #expect(info.areas == ["U.S. nationwide and interests worldwide"])
            #expect(info.parameters == [["HSAS", "ORANGE"]])
            #expect(messages.last?.info.isEmpty == true, "a Cancel carries no info")
            #expect(detail.timeline.map(\.type.rawValue) == ["CAPReceived", "CAPReceived"])
            // `watershed incident show` prints the thread (it used to fail to read this shape).
            let shown = await watershed(
                ["incident", "show", id.uuidString] + ClientCommandTests.flags(handle, token: DevToken.viewer))
            #expect(shown.code == 0, "\(shown.err)")
            #expect(shown.out.hasPrefix("CAP 1.2 thread from peer 440000 — cancelled, 2 message(s)\n"))
            #expect(shown.out.contains("  2003-04-02T14:39:01-05:00  Alert 43b080713727 from hsas@dhs.gov (received "))
            #expect(
                shown.out.contains(
                    "    Homeland Security Sets Code ORANGE — urgency Immediate, severity Severe, certainty Likely; "
                        + "U.S. nationwide and interests worldwide"))
            #expect(shown.out.contains("  2003-04-02T16:00:00-05:00  Cancel 43b080713728 from hsas@dhs.gov"))
            // Still a token's business, and still 404 for an incident that does not exist.
            #expect(try await api.request(.GET, "/v1/incidents/\(id)").status == 401)
            let unknown = try await api.request(.GET, "/v1/incidents/\(UUID().uuidString)", token: DevToken.viewer)
            #expect(unknown.status == 404)
            #expect(unknown.error?.field == "id")

            // An incident like any other (issue 16): listed under a reference of ours — GX, the year of its `sent` in
            // China Standard Time (2003-04-02T14:39:01-05:00 is 2003-04-03 03:39 there), the first of that year —
            // shown, exported and in the feed by it.
            let list = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
                .decoded([IncidentSummary].self)
            let listed = try #require(list.first { $0.id == id })
            #expect(listed.reference == "GX-2003-0001")
            #expect(listed.state == "cancelled")
            #expect(try listed.discoveredAt == instant("2003-04-02T19:39:01.000Z"))
            #expect(listed.pollutant == "Homeland Security Sets Code ORANGE")
            #expect(listed.cap?.peer == "440000")
            #expect(listed.place == nil)
            let byReference = try await api.request(.GET, "/v1/incidents/GX-2003-0001", token: DevToken.viewer)
            #expect(byReference.status == 200)
            #expect(try byReference.decoded(CAPIncidentDetail.self).reference == "GX-2003-0001")
            let listedByCLI = await watershed(["incidents"] + ClientCommandTests.flags(handle, token: DevToken.viewer))
            #expect(listedByCLI.code == 0, "\(listedByCLI.err)")
            #expect(listedByCLI.out.contains("GX-2003-0001"), "\(listedByCLI.out)")
            #expect(listedByCLI.out.contains("CAP from 440000 (hsas@dhs.gov)"), "\(listedByCLI.out)")
            let shownByReference = await watershed(
                ["incident", "show", "GX-2003-0001"] + ClientCommandTests.flags(handle, token: DevToken.viewer))
            #expect(shownByReference.code == 0, "\(shownByReference.err)")
            // Its CAP: the latest message as received (the Cancel); the feed carries both.
            let cap = try await api.request(.GET, "/v1/incidents/GX-2003-0001/cap", token: DevToken.viewer)
            #expect(cap.status == 200)
            #expect(String(decoding: cap.body, as: UTF8.self).contains("<identifier>43b080713728</identifier>"))
            let feed = String(
                decoding: try await api.request(.GET, "/v1/feeds/cap", token: DevToken.viewer).body, as: UTF8.self)
            #expect(feed.contains("43b080713727") && feed.contains("43b080713728"))
        }
    }
}
