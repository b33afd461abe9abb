import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing
import WatershedCore
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// `GET /v1/incidents/{id}/cap` and `GET /v1/feeds/cap`, live over TLS: the documents validate against the OASIS
/// CAP 1.2 schema with xmllint, an initial report is an Alert and a follow-up an Update referencing it, and the
/// roles hold (viewer sees all, a drill-only token exercise incidents only).
@Suite(.serialized) struct CAPExportTests {
    /// GET with a token, answering the status, the Content-Type and the body as text.
    static func get(_ api: APIClient, _ path: String, token: String?) async throws -> (Int, String, String) {
        var request = HTTPClientRequest(url: api.handle.base + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await api.client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (
            Int(response.status.code), response.headers.first(name: "Content-Type") ?? "",
            String(buffer: body)
        )
    }

    /// The text of every `<name>` element in a document, in order (enough for the few values checked here).
    static func values(_ name: String, in document: String) -> [String] {
        document.components(separatedBy: "<\(name)>").dropFirst().compactMap {
            $0.components(separatedBy: "</\(name)>").first
        }
    }

    @Test func incidentAndFeed() async throws {
        try await LiveServer.withAPI { _, api in
            let created = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(created.status == 201)
            let answer = try created.decoded(IncidentCreated.self)
            let id = answer.incident.id
            let reference = answer.incident.reference
            let firstSeq = answer.firstSeq

            let (status, type, alert) = try await Self.get(api, "/v1/incidents/\(id)/cap", token: DevToken.viewer)
            #expect(status == 200)
            #expect(type.hasPrefix("application/cap+xml"))
            #expect(try Fixtures.capSchemaProblems(alert) == nil)
            #expect(Self.values("msgType", in: alert) == ["Alert"])
            #expect(Self.values("status", in: alert) == ["Actual"])
            #expect(Self.values("category", in: alert) == ["Env"])
            #expect(Self.values("identifier", in: alert) == ["urn:watershed:450000:\(reference):\(firstSeq)"])
            #expect(Self.values("sender", in: alert) == ["watershed.450000.gov.cn"])
            let sent = try #require(Self.values("sent", in: alert).first)
            #expect(sent.count == 25 && sent.hasSuffix("+08:00"), "\(sent)")

            let followUp = Data(
                #"{"kind":"followUp","summary":"Cd monitoring continues at Luodong","signature":{"reportingUnit":"451203","signingOfficer":"Director Wei","contactName":"Li Ming","contactPhone":"0778-1234567"}}"#
                    .utf8)
            let filed = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: followUp)
            #expect(filed.status == 201)
            let (_, _, update) = try await Self.get(api, "/v1/incidents/\(id)/cap", token: DevToken.viewer)
            #expect(try Fixtures.capSchemaProblems(update) == nil)
            #expect(Self.values("msgType", in: update) == ["Update"])
            #expect(
                Self.values("references", in: update)
                    == ["watershed.450000.gov.cn,urn:watershed:450000:\(reference):\(firstSeq),\(sent)"])
            // The first message is still there by its seq.
            let (_, _, again) = try await Self.get(
                api, "/v1/incidents/\(id)/cap?seq=\(firstSeq)", token: DevToken.viewer)
            #expect(again == alert)
            #expect(try await Self.get(api, "/v1/incidents/\(id)/cap?seq=999999", token: DevToken.viewer).0 == 404)

            let (feedStatus, feedType, feed) = try await Self.get(api, "/v1/feeds/cap", token: DevToken.viewer)
            #expect(feedStatus == 200)
            #expect(feedType.hasPrefix("application/atom+xml"))
            #expect(feed.components(separatedBy: "<entry>").count - 1 == 2)
            // Newest first: the Update's identifier before the Alert's.
            let ids = Self.values("id", in: feed)
            #expect(
                ids.count == 3 && ids[1].hasPrefix("urn:watershed:450000:\(reference):")
                    && ids[2] == Self.values("identifier", in: alert)[0])

            // Roles: no token 401; a drill-only token reaches no real incident and sees an empty feed.
            #expect(try await Self.get(api, "/v1/incidents/\(id)/cap", token: nil).0 == 401)
            #expect(try await Self.get(api, "/v1/incidents/\(id)/cap", token: DevToken.drill).0 == 403)
            let (drillStatus, _, drillFeed) = try await Self.get(api, "/v1/feeds/cap", token: DevToken.drill)
            #expect(drillStatus == 200)
            #expect(!drillFeed.contains("<entry>"))

            // An exercise incident: status Exercise, in the drill token's feed (and the viewer's).
            var object = try #require(
                try JSONSerialization.jsonObject(with: try AccessTests.exerciseReport()) as? [String: Any])
            object["exercise"] = true
            let drill = try await api.request(
                .POST, "/v1/incidents", token: DevToken.drill, body: try JSONSerialization.data(withJSONObject: object))
            #expect(drill.status == 201)
            let drillID = try drill.decoded(IncidentCreated.self).incident.id
            let (_, _, exercise) = try await Self.get(api, "/v1/incidents/\(drillID)/cap", token: DevToken.drill)
            #expect(try Fixtures.capSchemaProblems(exercise) == nil)
            #expect(Self.values("status", in: exercise) == ["Exercise"])
            let (_, _, drillFeedNow) = try await Self.get(api, "/v1/feeds/cap", token: DevToken.drill)
            #expect(drillFeedNow.components(separatedBy: "<entry>").count - 1 == 1)
            #expect(Self.values("status", in: drillFeedNow) == ["Exercise"])
            let (_, _, viewerFeed) = try await Self.get(api, "/v1/feeds/cap", token: DevToken.viewer)
            #expect(viewerFeed.components(separatedBy: "<entry>").count - 1 == 3)
        }
    }
}
