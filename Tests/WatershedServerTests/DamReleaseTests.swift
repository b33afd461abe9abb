import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// A follow-up report announcing an emergency release from a held dam warns the neighbour downstream before it
/// (MEE–MWR 2020 guidance, task 3): a `PeerNotified` of kind `damRelease`, due at the release time.
@Suite struct DamReleaseTests {
    static func followUp(_ release: String) -> Data {
        Data(
            """
            {"kind":"followUp","summary":"Hemianshi is full: release planned","damRelease":\(release),
             "signature":{"reportingUnit":"451102","signingOfficer":"Director Wei","contactName":"Li Ming",
             "contactPhone":"0774-1234567"}}
            """.utf8)
    }

    /// The 2013 thallium at km 140 of the He River (discovered 04:00Z on 07-05), already notified to Guangdong for
    /// its crossing at Fulong (km 228). On 07-06 Guangxi announces that the full Hemianshi reservoir (its dam at km
    /// 200) releases at 00:00Z on 07-07 (08:00 local; in 2013 it began releasing on 07-07). The released water is
    /// predicted at Fulong as long after the release as the initial plan has it after the dam — 5 h 12 min 53 s
    /// (20:23:20Z − 15:10:27Z on 07-05, both from that plan's arrivals) — so at 05:12:53Z; the margin of 4 h
    /// before that (01:12:53Z) comes after the release, so the warning is due at the release, 00:00Z.
    @Test func aReleaseFromHemianshiWarnsGuangdongBeforeIt() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2013-07-06T02:00:00Z")))
        try await LiveServer.run(data: data, clock: clock) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: FederationTests.heRiverReport)
            #expect(filed.status == 201)
            let id = try filed.decoded(IncidentCreated.self).incident.id.uuidString
            let initial = try #require(try await api.detail(id).incident.plan)
            let dam = try #require(ReportsTests.earliest("he-river-hemianshi-dam", in: initial))
            let fulong = try #require(ReportsTests.earliest("he-river-fulong-boundary", in: initial))
            #expect(abs(fulong.timeIntervalSince(dam) - 18_773) < 1, "5 h 12 min 53 s from the dam to Fulong")

            // Refused, naming the field: a site that is not a river's emergency site, one that cannot hold water,
            // a release before discovery. Nothing is stored.
            for (release, field) in [
                (#"{"site":"he-river-hemianshi-reservoir","at":"2013-07-07T00:00:00Z"}"#, "damRelease.site"),
                (#"{"site":"longjiang-yizhou-second-bridge","at":"2013-07-07T00:00:00Z"}"#, "damRelease.site"),
                (#"{"site":"he-river-hemianshi-dam","at":"2013-07-04T00:00:00Z"}"#, "damRelease.at"),
            ] {
                let refused = try await api.request(
                    .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander, body: Self.followUp(release))
                #expect(refused.status == 422, "\(release)")
                #expect(refused.error?.field == field, "\(release)")
            }

            let announced = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander,
                body: Self.followUp(#"{"site":"he-river-hemianshi-dam","at":"2013-07-07T08:00:00+08:00"}"#))
            #expect(announced.status == 201, "\(String(decoding: announced.body, as: UTF8.self))")
            let notified = try await DispatchTests.events(api, type: .peerNotified).map {
                try $0.payload(as: PeerNotifiedPayload.self).notification
            }
            #expect(notified.count == 2, "the crossing at filing, then the release warning")
            let warning = try #require(notified.last)
            #expect(warning.kind == .damRelease)
            #expect(warning.site == "he-river-hemianshi-dam")
            #expect(warning.province == "440000")
            #expect(warning.boundary == "he-river-fulong-boundary")
            #expect(warning.requirement == .required)
            #expect(try warning.deadline == instant("2013-07-07T00:00:00.000Z"))
            let crossing = warning.crossingAt
            let expected = try instant("2013-07-07T05:12:53Z")
            #expect(abs(crossing.timeIntervalSince(expected)) < 1, "\(crossing)")
            // The incident lists both notifications to Guangdong, the warning last and still pending (no link).
            let entries = try await api.detail(id).notifications
            #expect(entries.count == 2)
            #expect(entries.last?.notification.kind == .damRelease)
            #expect(entries.map(\.delivery) == [.pending, .pending])
        }
    }
}
