import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// Bad input found by trying to break the server from outside: each gets a clear, field-named answer.
@Suite struct HardeningTests {
    /// A refused WebSocket upgrade answers, before any upgrade, with the status and JSON error a plain GET gets: no
    /// token, a used ticket or an unknown one 401, a drill token asking for real events 403, a bad `after` 400
    /// (issue 15, item 15b: it was an empty 400 for all of them).
    @Test func refusedUpgradesSayWhy() async throws {
        try await LiveServer.withAPI { handle, api in
            let upgrade = [
                ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Version", "13"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ]
            let ticket = try await api.request(.POST, "/v1/stream-tickets", token: DevToken.viewer)
            let secret = try ticket.decoded(StreamTicket.self).ticket
            // The ticket is redeemed once (by a plain GET, which then asks for the upgrade), so the upgrade below
            // presents a used ticket.
            _ = try await api.request(.GET, "/v1/stream?after=0&ticket=\(secret)")
            let cases: [(String, String?, Int, String, String?)] = [
                ("after=0", nil, 401, "unauthenticated", nil),
                ("after=0&ticket=\(secret)", nil, 401, "bad_ticket", "ticket"),
                ("after=0&ticket=made-up", nil, 401, "bad_ticket", "ticket"),
                ("after=0", "not-a-token", 401, "bad_token", nil),
                ("after=-1", DevToken.viewer, 400, "invalid_field", "after"),
                ("after=abc", DevToken.viewer, 400, "invalid_field", "after"),
                ("after=0&exercise=exclude", DevToken.drill, 403, "drill_only", "exercise"),
            ]
            for (query, token, status, code, field) in cases {
                // An upgrade is only read as one as the first request of a connection: a client of its own each.
                let fresh = try APIClient(handle)
                defer { fresh.close() }
                let reply = try await fresh.request(.GET, "/v1/stream?\(query)", token: token, headers: upgrade)
                #expect(reply.status == status, "\(query)")
                #expect(reply.error?.code == code, "\(query)")
                #expect(reply.error?.field == field, "\(query)")
            }
        }
    }

    /// A plain GET of the stream (no `Upgrade`) answers the errors an upgrade would be refused for, as JSON naming
    /// the field, and 426 when nothing is wrong.
    @Test func plainStreamRequestsSayWhatIsWrong() async throws {
        try await LiveServer.withAPI { handle, api in
            let cases: [(String, String?, Int, String, String?)] = [
                ("after=0", nil, 401, "unauthenticated", nil),
                ("after=0&ticket=made-up", nil, 401, "bad_ticket", "ticket"),
                ("after=0", "not-a-token", 401, "bad_token", nil),
                ("after=abc", DevToken.viewer, 400, "invalid_field", "after"),
                ("after=0&incident=GX-2026-0001", DevToken.viewer, 400, "invalid_field", "incident"),
                ("after=0&exercise=exclude", DevToken.drill, 403, "drill_only", "exercise"),
                ("after=0", DevToken.viewer, 426, "upgrade_required", nil),
            ]
            for (query, token, status, code, field) in cases {
                let reply = try await api.request(.GET, "/v1/stream?\(query)", token: token)
                #expect(reply.status == status, "\(query)")
                #expect(reply.error?.code == code, "\(query)")
                #expect(reply.error?.field == field, "\(query)")
            }
        }
    }

    /// Unknown routes, unknown body fields, bad `assignee` values and an unknown `incident=` name what is wrong;
    /// the bearer scheme is case-insensitive; nothing is appended for any refusal.
    @Test func badRequestsNameTheField() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let head = try await api.head()

            let noRoute = try await api.request(.POST, "/v1/tasks/GX-2026-0001/T3/ack", token: DevToken.officer)
            #expect(noRoute.status == 404)
            #expect(noRoute.error?.code == "no_route")
            #expect(noRoute.error?.field == "path")

            // "levelchange" for "levelChange" would otherwise be dropped and the report filed without the change.
            let misspelt = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander,
                body: ReportsTests.report(#""levelchange":{"to":"I","at":"2012-01-15T10:00:00+08:00"}"#))
            #expect(misspelt.status == 400)
            #expect(misspelt.error?.code == "unknown_field")
            #expect(misspelt.error?.field == "levelchange")
            var nested = try #require(try JSONSerialization.jsonObject(with: longjiangReport()) as? [String: Any])
            nested["place"] = ["river": ["id": "longjiang", "km": 0, "bank": "left"]]
            let unknownNested = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer,
                body: try JSONSerialization.data(withJSONObject: nested))
            #expect(unknownNested.error?.field == "place.river.bank")

            let officerRaises = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer,
                body: ReportsTests.report(#""levelChange":{"to":"I","at":"2012-01-15T10:00:00+08:00"}"#))
            #expect(officerRaises.status == 403)
            #expect(officerRaises.error?.field == "levelChange")

            // Full-width digits, an unknown position, stray slashes.
            for assignee in [
                "%EF%BC%94%EF%BC%95%EF%BC%91%EF%BC%92%EF%BC%90%EF%BC%93", "451203/nonsense", "/451203", "451203/",
            ] {
                let reply = try await api.request(.GET, "/v1/tasks?assignee=\(assignee)", token: DevToken.viewer)
                #expect(reply.status == 400, "\(assignee)")
                #expect(reply.error?.field == "assignee")
            }
            let unknownIncident = try await api.request(.GET, "/v1/tasks?incident=GX-2026-9999", token: DevToken.viewer)
            #expect(unknownIncident.status == 404)
            #expect(unknownIncident.error?.field == "incident")

            let notJSON = try await api.request(
                .POST, "/v1/tasks/\(try await Self.someTask(api, id))/decline", token: DevToken.commander,
                body: Data("no staff available".utf8))
            #expect(notJSON.status == 400)
            #expect(notJSON.error?.field == "body")

            var request = HTTPClientRequest(url: handle.base + "/v1/me")
            request.headers.add(name: "Authorization", value: "bearer \(DevToken.viewer)")
            let lower = try await api.client.execute(request, timeout: .seconds(10))
            #expect(lower.status == .ok)
            #expect(try await api.head() == head)
        }
    }

    /// A commander declining a county task for its unit passes it to the city, the next one above the county (not
    /// above the commander, who sits at the top of the chain).
    @Test func commanderDeclinePassesTheTaskUp() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let task = try await Self.someTask(api, id)
            let declined = try await api.request(
                .POST, "/v1/tasks/\(task)/decline", token: DevToken.commander,
                body: Data(#"{"reason":"the county boat is in dock"}"#.utf8))
            #expect(declined.status == 200)
            let passed = try declined.decoded(ResponseTask.self)
            #expect(DispatchTests.assignee(passed) == "451200/city-duty-chief")
            #expect(passed.unowned == false)
        }
    }

    /// The id of one of Yizhou's county tasks of `incident`.
    static func someTask(_ api: APIClient, _ incident: String) async throws -> String {
        let tasks = try await DispatchTests.responseTasks(api, incident: incident)
        let task = try #require(tasks.first { DispatchTests.assignee($0) == "451203/county-duty-officer" })
        return task.id.uuidString
    }
}
