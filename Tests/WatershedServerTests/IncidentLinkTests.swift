import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

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
            let second = try secondReply.decoded(IncidentCreated.self).incident
            let secondID = second.id.uuidString
            let secondReference = second.reference
            let drill = try await api.file(try AccessTests.exerciseReport(unit: "451203"))
            #expect(secondReference == "GX-2012-0002", "the second incident of 2012 on a fresh server")

            func link(_ id: String, _ body: Data, token: String = DevToken.commander) async throws -> APIClient.Reply {
                try await api.request(.POST, "/v1/incidents/\(id)/links", token: token, body: body)
            }
            // Who may: a commander only.
            for token in [DevToken.viewer, DevToken.officer] {
                let refused = try await link(first, Self.body(secondID), token: token)
                #expect(refused.status == 403)
                #expect(refused.error?.code == "forbidden")
            }
            #expect(try await link(first, Self.body(secondID), token: "no-such-token").status == 401)
            // What: known incidents, named.
            let unknownPath = try await link("GX-2012-0099", Self.body(secondID))
            #expect(unknownPath.status == 404)
            #expect(unknownPath.error?.field == "id")
            let unknownBody = try await link(first, Self.body("GX-2012-0099"))
            #expect(unknownBody.status == 404)
            #expect(unknownBody.error?.field == "incident")
            for blank in [Self.body(nil), Self.body("  ")] {
                let reply = try await link(first, blank)
                #expect(reply.status == 422)
                #expect(reply.error?.field == "incident")
            }
            let misspelt = try await link(first, Data(#"{"incidnet":"GX-2012-0002"}"#.utf8))
            #expect(misspelt.status == 400)
            #expect(misspelt.error?.field == "incidnet")
            let itself = try await link(first, Self.body(first))
            #expect(itself.status == 409)
            #expect(itself.error?.code == "same_incident")
            let mixed = try await link(first, Self.body(drill))
            #expect(mixed.status == 422)
            #expect(mixed.error?.code == "exercise_mismatch")
            #expect(try await DispatchTests.events(api, type: .incidentLinked).isEmpty, "nothing stored by a refusal")

            // The link, by reference in the body: 201 naming the other incident.
            let made = try await link(first, Self.body(secondReference))
            #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
            let links = try made.decoded(IncidentLinks.self)
            #expect(links.incident.uuidString == first)
            #expect(links.linked.map(\.incident.uuidString) == [secondID])
            // Once, in either direction.
            let again = try await link(secondID, Self.body(first))
            #expect(again.status == 409)
            #expect(again.error?.code == "already_linked")

            // One IncidentLinked on each incident, each naming the other, by the commander.
            let events = try await DispatchTests.events(api, type: .incidentLinked)
            #expect(events.count == 2)
            #expect(Set(events.compactMap { $0.incident?.uuidString }) == [first, secondID])
            #expect(events.allSatisfy { $0.actor.token == "gx-commander" })
            // Both details list the other.
            let firstLinked = try await api.detail(first).linked
            let secondLinked = try await api.detail(secondID).linked
            #expect(firstLinked.map(\.reference) == ["GX-2012-0002"])
            #expect(firstLinked.map(\.incident.uuidString) == [secondID])
            #expect(secondLinked.map(\.reference) == ["GX-2012-0001"])
            #expect(secondLinked.map(\.incident.uuidString) == [first])
            // An incident never linked lists none.
            #expect(try await api.detail(drill).linked.isEmpty)
        }
    }
}
