import Foundation
import HTTPTypes
import HummingbirdWSClient
import NIOHTTP1
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// The drill role, stream tickets, `/metrics` and the pending peer notifications of a report, live over TLS.
@Suite struct AccessTests {
    /// The Longjiang report marked as an exercise (CAP `status` Exercise).
    /// The Longjiang report as an exercise, signed by `unit`: by default Liuzhou (450200), the drill token's own unit
    /// and the only one it may report for (issue 15, item 12); Yizhou (451203) for the Yizhou officer.
    static func exerciseReport(unit: String = "450200") throws -> Data {
        let signed = String(decoding: longjiangReport(), as: UTF8.self)
            .replacingOccurrences(of: #""reportingUnit":"451203""#, with: #""reportingUnit":"\#(unit)""#)
        var object = try #require(try JSONSerialization.jsonObject(with: Data(signed.utf8)) as? [String: Any])
        object["exercise"] = true
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// The first 1000 events `token` may read, as clients decode them.
    static func events(_ api: APIClient, token: String) async throws -> [StoredEvent] {
        let reply = try await api.request(.GET, "/v1/events?after=0&limit=1000", token: token)
        #expect(reply.status == 200)
        return try reply.decoded([StoredEvent].self)
    }

    /// A `drill` token reaches exercise incidents only: it files them, lists and reads them, sees only their
    /// events on `/v1/events` and the stream; real ones are 403 `drill_only`, and nothing is appended for a refusal.
    @Test func drillTokenReachesExerciseIncidentsOnly() async throws {
        try await LiveServer.withAPI { handle, api in
            let realByDrill = try await api.request(
                .POST, "/v1/incidents", token: DevToken.drill, body: longjiangReport())
            #expect(realByDrill.status == 403)
            #expect(realByDrill.error?.code == "drill_only")
            #expect(realByDrill.error?.field == "exercise")
            #expect(try await api.head() == 0)

            let drill = try await api.request(
                .POST, "/v1/incidents", token: DevToken.drill, body: try Self.exerciseReport())
            #expect(drill.status == 201, "\(String(decoding: drill.body, as: UTF8.self))")
            let created = try drill.decoded(IncidentCreated.self)
            let drillID = created.incident.id
            let drillLast = created.lastSeq
            let realID = try await api.file(longjiangReport())

            let listed = try await api.request(.GET, "/v1/incidents", token: DevToken.drill)
            #expect(try listed.decoded([IncidentSummary].self).map(\.id) == [drillID])
            let viewerList = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
            #expect(try viewerList.decoded([IncidentSummary].self).count == 2)

            let readReal = try await api.request(.GET, "/v1/incidents/\(realID)", token: DevToken.drill)
            #expect(readReal.status == 403)
            #expect(readReal.error?.code == "drill_only")
            let readDrill = try await api.request(.GET, "/v1/incidents/\(drillID)", token: DevToken.drill)
            #expect(readDrill.status == 200)
            let followUpOnReal = try await api.request(
                .POST, "/v1/incidents/\(realID)/reports", token: DevToken.drill, body: ReportsTests.report())
            #expect(followUpOnReal.status == 403)

            // The drill token sees exactly the exercise incident's events, every one marked as an exercise.
            let drillEvents = try await Self.events(api, token: DevToken.drill)
            #expect(drillEvents.count == Int(drillLast))
            #expect(drillEvents.allSatisfy { $0.exercise && $0.incident == drillID })
            let allEvents = try await Self.events(api, token: DevToken.viewer)
            #expect(allEvents.count == Int(try await api.head()))
            #expect(allEvents.filter { !$0.exercise }.count == allEvents.count - Int(drillLast))

            // The stream: exercise events only, whatever the filter says; `exclude` is refused.
            let frames = try await subscribe(handle, after: 0, token: DevToken.drill)
            #expect(frames.filter { $0.type == "event" }.count == Int(drillLast))
            await #expect(throws: (any Error).self) {
                try await subscribe(handle, after: 0, token: DevToken.drill, query: "&exercise=exclude")
            }
            let excluded = try await api.request(.GET, "/v1/stream?after=0&exercise=exclude", token: DevToken.drill)
            #expect(excluded.status == 403)
            #expect(excluded.error?.code == "drill_only")
        }
    }

    /// `POST /v1/stream-tickets` gives a one-use ticket that opens the stream without a header, once.
    @Test func streamTicketOpensTheStreamOnce() async throws {
        try await LiveServer.withAPI { handle, api in
            #expect(try await api.request(.POST, "/v1/stream-tickets").status == 401)
            _ = try await api.file(longjiangReport())
            let issued = try await api.request(.POST, "/v1/stream-tickets", token: DevToken.viewer)
            #expect(issued.status == 201)
            let answer = try issued.decoded(StreamTicket.self)
            let ticket = answer.ticket
            #expect(ticket.count == 43)
            #expect(abs(answer.expiresAt.timeIntervalSinceNow - 30) < 5)

            let frames = try await subscribe(handle, after: 0, token: nil, query: "&ticket=\(ticket)")
            let head = try await api.head()
            #expect(frames.last == (try Frame(#"{"type":"caughtUp","head":\#(head)}"#)))
            #expect(frames.filter { $0.type == "event" }.count == Int(head))
            // Used once: the same ticket is refused at the upgrade (and, asked without one, says why).
            await #expect(throws: (any Error).self) {
                try await subscribe(handle, after: 0, token: nil, query: "&ticket=\(ticket)")
            }
            let reused = try await api.request(.GET, "/v1/stream?after=0&ticket=\(ticket)")
            #expect(reused.status == 401)
            #expect(reused.error?.code == "bad_ticket")
            #expect(reused.error?.field == "ticket")
            await #expect(throws: (any Error).self) {
                try await subscribe(handle, after: 0, token: nil, query: "&ticket=made-up")
            }
        }
    }

    /// `/metrics` counts the events appended by type and the requests by route pattern, in Prometheus text.
    @Test func metricsCountEventsAndRequests() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            _ = try await api.detail(id)
            _ = try await api.detail(id)
            let reply = try await api.request(.GET, "/metrics")
            #expect(reply.status == 200)
            let text = String(decoding: reply.body, as: UTF8.self)
            let lines = Set(text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"watershed_events_appended_total{type="IncidentReported"} 1"#), "\(text)")
            #expect(lines.contains(#"watershed_events_appended_total{type="PlanComputed"} 1"#))
            #expect(lines.contains(#"watershed_events_appended_total{type="PeerNotified"} 1"#))
            #expect(lines.contains(#"watershed_append_seconds_count 1"#))
            #expect(
                lines.contains(
                    #"watershed_http_request_seconds_count{method="GET",route="/v1/incidents/{id}",status="200"} 2"#))
            #expect(
                lines.contains(
                    #"watershed_http_request_seconds_count{method="POST",route="/v1/incidents",status="201"} 1"#))
            #expect(lines.contains("watershed_stream_connections 0.0"))
            // The group commit's batches: the report's events in one transaction, so one batch holding every event
            // counted by type above (IncidentReported, PlanComputed, PeerNotified, the obligations and tasks…).
            func value(_ name: String) -> Double? {
                lines.first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
            }
            let appended = lines.filter { $0.hasPrefix("watershed_events_appended_total{") }
                .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
            #expect(appended > 3)
            #expect(value("watershed_commit_batch_events_count") == 1)
            #expect(value("watershed_commit_batch_events_sum") == appended)
            #expect(lines.contains(#"watershed_commit_batch_events_bucket{le="1.0"} 0"#), "\(text)")
        }
    }

    /// A report whose plume crosses into Guangdong records one pending `PeerNotified` for 440000 in its append,
    /// after the obligations and before the tasks (the 2012 Longjiang spill reaches the Xijiang boundary).
    @Test func reportRecordsPendingPeerNotifications() async throws {
        try await LiveServer.withAPI { handle, api in
            _ = try await api.file(longjiangReport())
            let events = try await Self.events(api, token: DevToken.viewer)
            let types = events.map(\.type.rawValue)
            let peers = events.filter { $0.type == .peerNotified }
            #expect(peers.count == 1)
            let payload = try #require(peers.first).payload(as: PeerNotifiedPayload.self)
            #expect(payload.delivery == "pending")
            #expect(payload.notification.province == "440000")
            #expect(payload.notification.requirement == .required)
            let peerIndex = try #require(types.firstIndex(of: "PeerNotified"))
            #expect(types[..<peerIndex].contains("ObligationDue"))
            #expect(!types[..<peerIndex].contains("TaskDispatched"))
            #expect(types[(peerIndex + 1)...].allSatisfy { $0 == "TaskDispatched" })
        }
    }
}
