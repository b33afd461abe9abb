import AsyncHTTPClient
import Foundation
import Testing
import WatershedCore
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// Held CAP messages on the people's port and the CLI (issue 15, item 6), live over TLS with a peer posting to the
/// peer port.
@Suite struct CAPHeldRoutesTests {
    /// OASIS example A.3 (an Update whose referent is absent) posted by Guangdong is held (202); a commander lists it
    /// (`GET /v1/cap/held`, `watershed cap held`) and drops it (`DELETE /v1/cap/held/{id}`); an officer may not (403);
    /// an unknown id is 404 on `id`. Holding and dropping are events (`CAPHeld`, `CAPHeldDropped`).
    @Test func aCommanderListsAndDropsHeldMessages() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try TrialCertificates.make([.init(code: "450000"), .init(code: "440000")], in: root)
        let peerPort = try LiveServer.freePort()
        try await LiveServer.run(data: root.appendingPathComponent("450000"), peerPort: peerPort) { handle in
            let peer = try InputBoundsTests.guangdongPeer(root: root, caFile: handle.caFile)
            defer { peer.shutdown { _ in } }
            let api = try APIClient(handle)
            defer { api.close() }
            let update = try Data(
                contentsOf: Fixtures.capFixtures.appendingPathComponent(
                    "03-oasis-A3-earthquake-update-with-references.xml"))
            let (status, _) = try await InputBoundsTests.postCAP(update, with: peer, port: peerPort)
            #expect(status == 202)

            #expect(try await api.request(.GET, "/v1/cap/held", token: DevToken.officer).status == 403)
            let listed = try await api.request(.GET, "/v1/cap/held", token: DevToken.commander)
            #expect(listed.status == 200)
            let entries = try listed.decoded([CAPHeldMessage].self)
            // The id: SHA-256 of "trinet@caltech.edu,TRI13970876.2,2003-06-12T03:56:00-00:00", first 16 hex digits.
            #expect(entries.map(\.id) == ["69725ec10ca37c73"])
            #expect(entries.first?.peer == "440000")

            let cli = await watershed(
                ["cap", "held"] + ClientCommandTests.flags(handle, token: DevToken.commander))
            #expect(cli.code == 0, "\(cli.err)")
            #expect(cli.out.contains("69725ec10ca37c73"))
            #expect(cli.out.contains("waiting for trinet@caltech.edu,TRI13970876.1,2003-06-12T03:30:00-00:00"))

            let refused = try await api.request(.DELETE, "/v1/cap/held/69725ec10ca37c73", token: DevToken.officer)
            #expect(refused.status == 403)
            let drop = await watershed(
                ["cap", "drop", "69725ec10ca37c73"] + ClientCommandTests.flags(handle, token: DevToken.commander))
            #expect(drop.code == 0, "\(drop.err)")
            #expect(drop.out.hasPrefix("Dropped Update trinet@caltech.edu,TRI13970876.2"))
            let again = try await api.request(.DELETE, "/v1/cap/held/69725ec10ca37c73", token: DevToken.commander)
            #expect(again.status == 404)
            #expect(again.error?.field == "id")
            let empty = try await api.request(.GET, "/v1/cap/held", token: DevToken.commander)
            #expect(String(decoding: empty.body, as: UTF8.self) == "[]")
            // Held and dropped are events outside any incident: the hold by Guangdong, the drop by the commander's
            // token (`gx-commander`: 450000's provincial duty chief, seeds/450000/README.md).
            #expect(try await InputBoundsTests.head(api) == 2)
            let held = try #require(try await DispatchTests.events(api, type: .capHeld).first)
            #expect(held.seq == 1 && held.incident == nil && held.actor == .peer(province: "440000"))
            let dropped = try #require(try await DispatchTests.events(api, type: .capHeldDropped).first)
            #expect(dropped.seq == 2 && dropped.incident == nil)
            #expect(
                dropped.actor == .person(unit: "450000", position: "provincial-duty-chief", token: "gx-commander"))
        }
    }
}
