import Foundation
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// Every list endpoint pages, and an unknown query parameter is refused (issue 15, item 5: `GET /v1/tasks` answered
/// 63 MB at 794 incidents, and `?asignee=` answered the whole list).
@Suite struct PagingTests {
    /// The `rel="next"` path of a reply's `Link` header.
    static func next(_ reply: APIClient.Reply) -> String? {
        guard let link = reply.headers["Link"].first,
            let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">")
        else { return nil }
        return String(link[link.index(after: open)..<close])
    }

    /// Three incidents, two a page: newest first, a `Link` to the second page, none after it. The tasks, five a
    /// page, are each answered once, and they are exactly the tasks the log dispatched.
    @Test func listsPageWithALinkToTheNext() async throws {
        try await LiveServer.withAPI { handle, api in
            var references: [String] = []
            for km in ["0", "10", "20"] {
                let filed = try await api.request(
                    .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(km: km))
                #expect(filed.status == 201)
                references.append(try filed.decoded(IncidentCreated.self).incident.reference)
            }
            let first = try await api.request(.GET, "/v1/incidents?limit=2", token: DevToken.viewer)
            #expect(first.status == 200)
            #expect(try first.decoded([IncidentSummary].self).map(\.reference) == [references[2], references[1]])
            let nextPath = try #require(Self.next(first))
            #expect(nextPath.hasPrefix("/v1/incidents?limit=2&cursor="))
            let second = try await api.request(.GET, nextPath, token: DevToken.viewer)
            #expect(try second.decoded([IncidentSummary].self).map(\.reference) == [references[0]])
            #expect(Self.next(second) == nil)

            // Tasks, five a page, following the links.
            var seen: [UUID] = []
            var path: String? = "/v1/tasks?limit=5"
            var pages = 0
            while let current = path, pages < 100 {
                let reply = try await api.request(.GET, current, token: DevToken.viewer)
                #expect(reply.status == 200)
                let page = try reply.decoded([ResponseTask].self)
                #expect(page.count <= 5)
                seen += page.map(\.id)
                path = Self.next(reply)
                pages += 1
            }
            let events = try await api.request(.GET, "/v1/events?after=0&limit=1000", token: DevToken.viewer)
            let dispatched = try events.decoded([StoredEvent].self).filter { $0.type == .taskDispatched }.map {
                try $0.payload(as: TaskDispatched.self).task
            }
            #expect(dispatched.count > 5)
            #expect(seen.count == dispatched.count)
            #expect(Set(seen) == Set(dispatched))
            #expect(pages == (dispatched.count + 4) / 5)
        }
    }

    /// A misspelt parameter, a limit out of range, a cursor that is not one: 400 naming the parameter.
    @Test func badQueriesNameTheParameter() async throws {
        try await LiveServer.withAPI { handle, api in
            let cases: [(String, String, String)] = [
                ("/v1/tasks?asignee=451203", "unknown_parameter", "asignee"),
                ("/v1/incidents?stat=open", "unknown_parameter", "stat"),
                ("/v1/events?after=0&limt=5", "unknown_parameter", "limt"),
                ("/v1/drills?page=2", "unknown_parameter", "page"),
                ("/v1/tasks?limit=0", "invalid_field", "limit"),
                ("/v1/incidents?limit=1001", "invalid_field", "limit"),
                ("/v1/incidents?limit=ten", "invalid_field", "limit"),
                ("/v1/tasks?cursor=GX-2026-0001", "invalid_field", "cursor"),
                ("/v1/incidents?cursor=\(UUID().uuidString)", "invalid_field", "cursor"),
            ]
            for (path, code, field) in cases {
                let reply = try await api.request(.GET, path, token: DevToken.viewer)
                #expect(reply.status == 400, "\(path)")
                #expect(reply.error?.code == code, "\(path)")
                #expect(reply.error?.field == field, "\(path)")
            }
            // Held CAP messages are a commander's list; they page too.
            for (path, code, field) in [
                ("/v1/cap/held?page=2", "unknown_parameter", "page"),
                ("/v1/cap/held?limit=0", "invalid_field", "limit"),
            ] {
                let reply = try await api.request(.GET, path, token: DevToken.commander)
                #expect(reply.status == 400, "\(path)")
                #expect(reply.error?.code == code, "\(path)")
                #expect(reply.error?.field == field, "\(path)")
            }
            let held = try await api.request(.GET, "/v1/cap/held?limit=5", token: DevToken.commander)
            #expect(held.status == 200)
            #expect(String(decoding: held.body, as: UTF8.self) == "[]")
        }
    }
}
