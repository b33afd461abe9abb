import Foundation
import Testing
import WatershedServer
import WatershedTestSupport

/// `POST /v1/incidents/{id}/links`: a commander links two reports of the same spill (issue 5, "Inbound"); both
/// incidents record `IncidentLinked` and list each other in `GET /v1/incidents/{id}`.
@Suite struct IncidentLinkTests {
    static func body(_ incident: String?) -> Data {
        guard let incident else { return Data("{}".utf8) }
        return Data(#"{"incident":"\#(incident)"}"#.utf8)
    }

    @Test func aCommanderLinksTwoReportsOfTheSameSpill() async throws {
        // Filed on 2012-01-15 (the references' year is that of the filing, China Standard Time).
        let clock = ManualWallClock(try #require(ReportsTests.date("2012-01-15T01:00:00Z")))
        try await LiveServer.withAPI(clock: clock) { _, api in
            // Two reports of the Longjiang cadmium: Yizhou's at km 0 and Hechi's 20 km further down (the second
            // filed by the commander), and an exercise of the same.
            let first = try await api.file(longjiangReport())
            let secondReply = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: longjiangReport(km: "20"))
            #expect(secondReply.status == 201)
            let second = try #require(secondReply.json?["incident"] as? [String: Any])
            let secondID = try #require(second["id"] as? String)
            let secondReference = try #require(second["reference"] as? String)
            let drill = try await api.file(try AccessTests.exerciseReport(unit: "451203"))
            #expect(secondReference == "GX-2012-0002", "the second incident of 2012 on a fresh server")

            func link(_ id: String, _ body: Data, token: String = DevToken.commander) async throws -> APIClient.Reply {
                try await api.request(.POST, "/v1/incidents/\(id)/links", token: token, body: body)
            }
            // Who may: a commander only.
            for token in [DevToken.viewer, DevToken.officer] {
                let refused = try await link(first, Self.body(secondID), token: token)
                #expect(refused.status == 403)
                #expect(refused.errorCode == "forbidden")
            }
            #expect(try await link(first, Self.body(secondID), token: "no-such-token").status == 401)
            // What: known incidents, named.
            let unknownPath = try await link("GX-2012-0099", Self.body(secondID))
            #expect(unknownPath.status == 404)
            #expect(unknownPath.errorField == "id")
            let unknownBody = try await link(first, Self.body("GX-2012-0099"))
            #expect(unknownBody.status == 404)
            #expect(unknownBody.errorField == "incident")
            for blank in [Self.body(nil), Self.body("  ")] {
                let reply = try await link(first, blank)
                #expect(reply.status == 422)
                #expect(reply.errorField == "incident")
            }
            let misspelt = try await link(first, Data(#"{"incidnet":"GX-2012-0002"}"#.utf8))
            #expect(misspelt.status == 400)
            #expect(misspelt.errorField == "incidnet")
            let itself = try await link(first, Self.body(first))
            #expect(itself.status == 409)
            #expect(itself.errorCode == "same_incident")
            let mixed = try await link(first, Self.body(drill))
            #expect(mixed.status == 422)
            #expect(mixed.errorCode == "exercise_mismatch")
            #expect(try await DispatchTests.events(api, type: "IncidentLinked").isEmpty, "nothing stored by a refusal")

            // The link, by reference in the body: 201 naming the other incident.
            let made = try await link(first, Self.body(secondReference))
            #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
            #expect(made.json?["incident"] as? String == first)
            let madeLinks = try #require(made.json?["linked"] as? [[String: Any]])
            #expect(madeLinks.map { $0["incident"] as? String } == [secondID])
            // Once, in either direction.
            let again = try await link(secondID, Self.body(first))
            #expect(again.status == 409)
            #expect(again.errorCode == "already_linked")

            // One IncidentLinked on each incident, each naming the other, by the commander.
            let events = try await DispatchTests.events(api, type: "IncidentLinked")
            #expect(events.count == 2)
            #expect(Set(events.compactMap { $0["incident"] as? String }) == [first, secondID])
            #expect(events.allSatisfy { ($0["actor"] as? [String: Any])?["token"] as? String == "gx-commander" })
            // Both details list the other.
            let firstDetail = try await api.detail(first)
            let secondDetail = try await api.detail(secondID)
            let firstLinked = try #require(firstDetail["linked"] as? [[String: Any]])
            let secondLinked = try #require(secondDetail["linked"] as? [[String: Any]])
            #expect(firstLinked.map { $0["reference"] as? String } == ["GX-2012-0002"])
            #expect(firstLinked.map { $0["incident"] as? String } == [secondID])
            #expect(secondLinked.map { $0["reference"] as? String } == ["GX-2012-0001"])
            #expect(secondLinked.map { $0["incident"] as? String } == [first])
            // An incident never linked lists none.
            #expect((try await api.detail(drill)["linked"] as? [Any])?.isEmpty == true)
        }
    }
}
