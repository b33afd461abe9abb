import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// The duty-officer console's files (issue 8) are served at `/` without a token, with their content types, and
/// never in place of the API.
@Suite struct ConsoleTests {
    /// Fetches a path with optional headers; status, headers and body.
    func fetch(_ api: APIClient, _ path: String, headers: [(String, String)] = []) async throws
        -> (status: Int, headers: HTTPHeaders, body: String)
    {
        var request = HTTPClientRequest(url: api.handle.base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await api.client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), response.headers, String(buffer: bytes))
    }

    @Test func rootServesTheConsolePageAsHTML() async throws {
        try await LiveServer.withAPI { _, api in
            let page = try await fetch(api, "/")
            #expect(page.status == 200)
            #expect(page.headers.first(name: "Content-Type") == "text/html; charset=utf-8")
            #expect(page.body.contains(#"<script type="module" src="/app.js"></script>"#))
            #expect(page.headers.first(name: "Cache-Control") == "no-cache")
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
            // The same bytes under their own name.
            let index = try await fetch(api, "/index.html")
            #expect(index.body == page.body)
        }
    }

    @Test func modulesAreJavaScriptAndRevalidateWithTheirETag() async throws {
        try await LiveServer.withAPI { _, api in
            for path in ["/app.js", "/api.js", "/map.js", "/i18n.js", "/format.js", "/report.js"] {
                let module = try await fetch(api, path)
                #expect(module.status == 200, "\(path)")
                // Browsers refuse a module script with a non-JavaScript MIME type (HTML spec, "module script").
                #expect(module.headers.first(name: "Content-Type") == "text/javascript; charset=utf-8", "\(path)")
                #expect(module.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
            }
            let css = try await fetch(api, "/style.css")
            #expect(css.headers.first(name: "Content-Type") == "text/css; charset=utf-8")
            // The Chinese web font (WebFontSubsetTests) and its licence.
            let font = try await fetch(api, "/fonts/watershed-cjk.woff2")
            #expect(font.status == 200 && font.headers.first(name: "Content-Type") == "font/woff2")
            let licence = try await fetch(api, "/fonts/OFL.txt")
            #expect(licence.body.contains("SIL OPEN FONT LICENSE Version 1.1"))
            let first = try await fetch(api, "/app.js")
            let etag = try #require(first.headers.first(name: "ETag"))
            let again = try await fetch(api, "/app.js", headers: [("If-None-Match", etag)])
            #expect(again.status == 304)
            #expect(again.body.isEmpty)
        }
    }

    @Test func theConsoleShadowsNoAPIRoute() async throws {
        try await LiveServer.withAPI { _, api in
            // Unknown API paths keep their JSON 404; health and metrics are still theirs.
            let unknown = try await fetch(api, "/v1/nothing-here")
            #expect(unknown.status == 404)
            #expect(unknown.headers.first(name: "Content-Type") == "application/json; charset=utf-8")
            #expect(unknown.body.contains(#""code":"no_route""#))
            let missing = try await fetch(api, "/no-such-file.js")
            #expect(missing.status == 404)
            #expect(missing.body.contains(#""code":"no_route""#))
            #expect(try await fetch(api, "/healthz").body == "ok\n")
            #expect(
                try await fetch(api, "/metrics").headers.first(name: "Content-Type")?.hasPrefix("text/plain") == true)
            // The API still wants its token.
            #expect(try await fetch(api, "/v1/me").status == 401)
        }
    }

    /// The report form offers the catalogue's pollutants by name (issue 21: it asked for an id, "cadmium", on a
    /// Chinese screen): `GET /v1/pollutants` answers playbooks/pollutants.yaml, 24 entries, with a drill token too.
    @Test func thePollutantCatalogueNamesEachInBothLanguages() async throws {
        try await LiveServer.withAPI { _, api in
            #expect(try await api.request(.GET, "/v1/pollutants").status == 401)
            let reply = try await api.request(.GET, "/v1/pollutants", token: DevToken.drill)
            #expect(reply.status == 200)
            let pollutants = try reply.decoded([Pollutant].self)
            #expect(pollutants.count == 24)
            #expect(pollutants.map(\.id) == pollutants.map(\.id).sorted())
            // GB 3838-2002 Table 1, class III: cadmium 0.005 mg/L.
            let cadmium = try #require(pollutants.first { $0.id == "cadmium" })
            #expect(cadmium.name == "Cadmium" && cadmium.nameZh == "镉" && cadmium.limitMgL == 0.005)
        }
    }

    @Test func unitsNameEveryCodeForTheConsole() async throws {
        try await LiveServer.withAPI { _, api in
            #expect(try await api.request(.GET, "/v1/units").status == 401)
            let reply = try await api.request(.GET, "/v1/units", token: DevToken.viewer)
            #expect(reply.status == 200)
            let units = try reply.decoded([AdministrativeUnit].self)
            // playbooks/units.yaml: 451203 宜州区, a county of Hechi (451200).
            let yizhou = try #require(units.first { $0.code == "451203" })
            #expect(yizhou.nameZh == "宜州区")
            #expect(yizhou.parent == "451200")
        }
    }

    @Test func theListGivesEachIncidentItsNextDeadline() async throws {
        try await LiveServer.withAPI { _, api in
            // Discovered now: the initial report's deadline (4 h, or 2 h on the II/I path) and the tasks'
            // acknowledgement deadlines are ahead; the earliest of them is listed with its task.
            let now = ISO8601DateFormatter().string(from: Date())
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(discoveredAt: now))
            #expect(filed.status == 201)
            let reply = try await api.request(.GET, "/v1/incidents?state=open", token: DevToken.viewer)
            let list = try reply.decoded([IncidentSummary].self)
            let first = try #require(list.first)
            let at = try #require(first.nextDeadline)
            let task = try #require(first.nextDeadlineTask)
            #expect(task.hasPrefix("\(first.reference)/T"))
            // Three fractional digits, as every answer writes times (WireJSON): the first incident's, as the body
            // spells it.
            let body = String(decoding: reply.body, as: UTF8.self)
            let key = try #require(body.range(of: #""nextDeadline":""#), "\(body)")
            let next = body[key.upperBound...].prefix { $0 != "\"" }
            #expect(next.count == "2026-01-15T08:00:00.000Z".count && next.hasSuffix("Z"), "\(next)")
            #expect(at > Date().addingTimeInterval(-60))
            #expect(at < Date().addingTimeInterval(5 * 3600))
            #expect(first.plan == nil)
            // Without its plan the list still names the pollutant, in both languages (issue 21: the console's list
            // said "cadmium" on a Chinese screen): playbooks/pollutants.yaml names it Cadmium, 镉.
            #expect(first.pollutant == "cadmium")
            #expect(first.pollutantName == "Cadmium" && first.pollutantNameZh == "镉")
            // The incident's timeline says which task each task event is about, and which province a peer event is.
            let detail = try await api.request(.GET, "/v1/incidents/\(first.id)", token: DevToken.viewer)
            let timeline = try detail.decoded(IncidentDetail.self).timeline
            let dispatched = timeline.filter { $0.type == .taskDispatched }
            #expect(!dispatched.isEmpty)
            #expect(dispatched.first?.task == "\(first.reference)/T1")
            // The Longjiang plan reaches Guangdong (440000) at the Xijiang boundary: a pending PeerNotified.
            let peer = timeline.first { $0.type == .peerNotified }
            #expect(peer?.province == "440000")
            #expect(timeline.first { $0.type == .planComputed }?.task == nil)
        }
    }
}
