import Foundation
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// A dam held until released, through the API (issue 17, "Dams"): a follow-up holds the Sancha dam — arrivals below
/// it say so and assume a release when the report is received — then a follow-up announces the release at
/// 2012-01-25 08:00 +08:00, and nothing below the dam is predicted before it.
@Suite(.serialized) struct DamHoldTests {
    @Test func aHoldThenItsReleaseReplan() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let hold = ReportsTests.report(#""damHold":{"site":"longjiang-sancha-dam"}"#)
            let held = try await api.request(.POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: hold)
            #expect(held.status == 201, "\(String(decoding: held.body, as: UTF8.self))")
            let heldPlan = try #require(try await api.detail(id).incident.plan)
            let boundary = try #require(heldPlan.arrivals.first { $0.node == "longjiang-hechi-liuzhou-boundary" })
            #expect(boundary.heldBehind == "longjiang-sancha-dam")
            #expect(heldPlan.arrivals.first { $0.node == "longjiang-luodong-section" }?.heldBehind == nil)
            #expect(heldPlan.input.heldDams == [HeldDam(site: "longjiang-sancha-dam")])

            let releaseAt = try #require(ReportsTests.date("2012-01-25T00:00:00Z"))
            let release = ReportsTests.report(
                #""damRelease":{"site":"longjiang-sancha-dam","at":"2012-01-25T08:00:00+08:00"}"#)
            let released = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: release)
            #expect(released.status == 201, "\(String(decoding: released.body, as: UTF8.self))")
            let plan = try #require(try await api.detail(id).incident.plan)
            #expect(plan.input.heldDams == [HeldDam(site: "longjiang-sancha-dam", releasedAt: releaseAt)])
            let below = plan.arrivals.filter { ($0.distanceKm) > 62 }
            #expect(!below.isEmpty)
            for arrival in below {
                #expect(arrival.heldBehind == nil, "\(arrival.node)")
                #expect(arrival.earliestArrival > releaseAt, "\(arrival.node): nothing leaves before the release")
            }
        }
    }

    /// A hold at a site that is not a dam, or off the path, is refused (422) naming `damHold.site`.
    @Test func aHoldAtANonDamIsRefused() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let body = ReportsTests.report(#""damHold":{"site":"longjiang-third-bridge"}"#)
            let refused = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: body)
            #expect(refused.status == 422)
            let text = String(decoding: refused.body, as: UTF8.self)
            #expect(text.contains("damHold.site"), "\(text)")
            #expect(text.contains("is a bridge"), "\(text)")
        }
    }
}
