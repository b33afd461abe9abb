import Foundation
import Testing
import WatershedClient
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedTestSupport
import WatershedWire

@testable import WatershedServer

/// The after-action report (issue 21), `GET /v1/incidents/{id}/report`, on a live server: its figures checked
/// against the log and against times worked out by hand. The wall clock is a ``ManualWallClock``, so every time
/// below is chosen: the 2012 Longjiang spill, discovered 2012-01-15 08:00 +08:00, reported at 09:30.
@Suite struct AfterActionReportTests {
    /// 2012-01-15 09:30 +08:00.
    static let reportedAt = Date(timeIntervalSince1970: 1_326_591_000)

    /// The text of the table with `testid`, one string per body row, cells joined with ` | `, entities decoded.
    static func rows(_ html: String, _ testid: String) -> [String] {
        guard let start = html.range(of: "<table data-testid=\"\(testid)\">"),
            let end = html.range(of: "</table>", range: start.upperBound..<html.endIndex),
            let body = html.range(of: "<tbody>", range: start.upperBound..<end.lowerBound)
        else { return [] }
        let rows = html[body.upperBound..<end.lowerBound].components(separatedBy: "</tr>").dropLast()
        return rows.map { row in
            row.components(separatedBy: "</td>").dropLast().map { cell in
                text(String(cell))
            }.joined(separator: " | ")
        }
    }

    /// Tags removed and the five entities decoded.
    static func text(_ html: String) -> String {
        html.replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The text of the element with `data-testid="testid"` (its first occurrence).
    static func field(_ html: String, _ testid: String) -> String? {
        guard let start = html.range(of: "data-testid=\"\(testid)\">"),
            let end = html.range(of: "</", range: start.upperBound..<html.endIndex)
        else { return nil }
        return text(String(html[start.upperBound..<end.lowerBound]))
    }

    static func report(_ api: APIClient, _ id: String, query: String = "", token: String = DevToken.viewer)
        async throws -> (status: Int, html: String, type: String?)
    {
        let reply = try await api.request(.GET, "/v1/incidents/\(id)/report\(query)", token: token)
        return (reply.status, String(decoding: reply.body, as: UTF8.self), reply.headers.first(name: "Content-Type"))
    }

    @Test func aRealIncidentsReportMatchesItsLogAndTheRulesWorkedByHand() async throws {
        let clock = ManualWallClock(Self.reportedAt)
        try await LiveServer.withAPI(clock: clock) { handle, api in
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(filed.status == 201)
            let created = try WatershedClient.decoder.decode(IncidentCreated.self, from: filed.body)
            // References count in the year of the report (the clock's): GX-2012-0001.
            let ref = created.incident.reference
            #expect(ref == "GX-2012-0001")
            // Yizhou acknowledges T1 ten minutes later (its acknowledgement is due by 09:45).
            clock.advance(by: 600)
            let ack = try await api.request(.POST, "/v1/tasks/\(ref)%2FT1/ack", token: DevToken.officer)
            #expect(ack.status == 200)
            // The region forwards Yizhou's report to MEE at 11:00: 30 minutes after the 10:30 its hour from receipt
            // (09:30) allowed.
            clock.advance(to: Self.reportedAt.addingTimeInterval(5_400))
            let forwarded = try await api.request(
                .POST, "/v1/incidents/\(ref)/forwards", token: DevToken.commander,
                body: Data(#"{"to":"MEE"}"#.utf8))
            #expect(forwarded.status == 201)

            let (status, zh, type) = try await Self.report(api, ref)
            #expect(status == 200)
            #expect(type == "text/html; charset=utf-8")
            #expect(zh.hasPrefix("<!DOCTYPE html>\n<html lang=\"zh-CN\">"))
            #expect(!zh.contains("<script"))
            #expect(zh.contains("@page { size: A4"))
            #expect(zh.contains("<svg class=\"map\""))

            // The proof: the first and last event of the incident, as the log route gives them.
            let page = try await api.request(.GET, "/v1/events?after=0&limit=1000", token: DevToken.viewer)
            let incidentID = created.incident.id
            let events = try WatershedClient.decoder.decode([StoredEvent].self, from: page.body)
                .filter { $0.incident == incidentID }
            let first = try #require(events.first)
            let last = try #require(events.last)
            #expect(first.type == .incidentReported)
            #expect(Self.field(zh, "first-seq") == "\(first.seq)")
            #expect(Self.field(zh, "first-hash") == first.hash)
            #expect(Self.field(zh, "last-seq") == "\(last.seq)")
            #expect(Self.field(zh, "last-hash") == last.hash)
            #expect(
                Self.field(zh, "verify")
                    == "watershed audit verify --data \(handle.data.path) --expect \(first.seq):\(first.hash) "
                    + "--expect \(last.seq):\(last.hash)")

            // MEP Order No. 17 Art. 3 and 4(3): cadmium is a heavy metal, so while ungraded the II/I path applies —
            // Yizhou reports within 2 h of discovery (08:00 → 10:00), met at 09:30; the region within 1 h of receiving
            // it (09:30 → 10:30), met at 11:00, 30 minutes late.
            let obligations = Self.rows(zh, "obligations")
            #expect(obligations.count == 2)
            #expect(
                obligations.first
                    == "宜州区生态环境局向宜州区人民政府、广西壮族自治区生态环境厅、生态环境部报送初报，发现后2小时内"
                    + "（《突发环境事件信息报告办法》第三条） | 2012-01-15 10:00 +08:00 | 2012-01-15 09:30 +08:00 | 按时报送")
            #expect(
                obligations.last
                    == "广西壮族自治区生态环境厅向生态环境部报送初报，接到下级报告后1小时内（《突发环境事件信息报告办法》第三条）"
                    + " | 2012-01-15 10:30 +08:00 | 2012-01-15 11:00 +08:00 | 迟报30分钟")
            // The task row: who acknowledged T1, and when (09:40).
            let t1 = try #require(Self.rows(zh, "tasks").first)
            #expect(t1.hasPrefix("\(ref)/T1 | "))
            #expect(t1.contains(" | 宜州区 县级值班员 | 2012-01-15 09:30 +08:00 | 宜州区 县级值班员 2012-01-15 09:40 +08:00 | — | 已确认"))
            // The timeline holds every event of the incident, in order here (one province, one clock).
            let timeline = Self.rows(zh, "timeline")
            #expect(timeline.count == events.count)
            #expect(timeline.first?.hasPrefix("2012-01-15 09:30:00 +08:00 | \(first.seq) | 广西壮族自治区 | 报告事件") == true)

            // In English, in another zone: the same figures.
            let (_, en, _) = try await Self.report(api, ref, query: "?lang=en&tz=UTC")
            #expect(en.contains("<html lang=\"en\">"))
            let enObligations = Self.rows(en, "obligations")
            #expect(
                enObligations.first?.hasSuffix(" | 2012-01-15 02:00 +00:00 | 2012-01-15 01:30 +00:00 | met on time")
                    == true)
            #expect(
                enObligations.last?.hasSuffix(" | 2012-01-15 02:30 +00:00 | 2012-01-15 03:00 +00:00 | late by 30 min")
                    == true)
            let enT1 = try #require(Self.rows(en, "tasks").first)
            #expect(enT1.contains("Yizhou District, county duty officer 2012-01-15 01:40 +00:00"))
            #expect(Self.cjk(in: en).isEmpty, "Chinese in the English report: \(Self.cjk(in: en))")
            #expect(Self.latinWords(in: zh).isEmpty, "English in the Chinese report: \(Self.latinWords(in: zh))")

            // Refusals, through the one error mapping (JSON).
            let unknown = try await Self.report(api, "GX-2012-0999")
            #expect(unknown.status == 404)
            #expect(unknown.html.contains("\"unknown_incident\""))
            #expect(try await Self.report(api, ref, query: "?lang=fr").status == 400)
            #expect(try await Self.report(api, ref, query: "?tz=Mars/Olympus").status == 400)
            #expect(try await Self.report(api, ref, query: "?format=pdf").status == 400)
            #expect(try await api.request(.GET, "/v1/incidents/\(ref)/report").status == 401)
            // A drill participant's token reads exercises only.
            #expect(try await Self.report(api, ref, token: DevToken.drill).status == 403)
        }
    }

    /// CJK characters (ideographs and full-width punctuation) in the text of `html`, outside the style sheet.
    static func cjk(in html: String) -> [String] {
        let body = text(
            html.replacingOccurrences(of: "<style>[\\s\\S]*?</style>", with: "", options: .regularExpression))
        return body.matches(of: /[\u{3000}-\u{303F}\u{4E00}-\u{9FFF}\u{FF00}-\u{FFEF}]+/).map { String($0.output) }
    }

    /// Runs of three or more Latin letters in the text of a Chinese report — outside the style sheet, the `<code>`
    /// and `<pre>` elements (the hashes, the command, the time zone's IANA name) and the title attributes — that
    /// are not on the allow-list: the drill banner's EXERCISE, chemical formulas and agents in the playbooks'
    /// Chinese measures (NaOH, PAC), units (mg/L, km are two letters).
    static func latinWords(in html: String) -> [String] {
        var body = html.replacingOccurrences(of: "<style>[\\s\\S]*?</style>", with: "", options: .regularExpression)
        body = body.replacingOccurrences(of: "<pre>[\\s\\S]*?</pre>", with: "", options: .regularExpression)
        body = body.replacingOccurrences(of: "<code[^>]*>[\\s\\S]*?</code>", with: "", options: .regularExpression)
        body = text(body)
        let allowed: Set<String> = ["EXERCISE", "NaOH", "PAC"]
        return body.matches(of: /[A-Za-z]{3,}/).map { String($0.output) }.filter { !allowed.contains($0) }
    }

    /// The renderer escapes every text it is given: a `<script>` in a reference or a pollutant prints as text.
    @Test func textFromTheRecordIsEscaped() throws {
        let basin = try PlaybookLoader().load(directory: Fixtures.playbooksDirectory.path).basin
        let hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
        let incident = IncidentSummary(
            id: UUID(), reference: hostile, state: "open", level: nil, discoveredAt: Self.reportedAt,
            place: .river(id: "longjiang", km: 0), pollutant: hostile, spillUnit: "451203", exercise: false,
            reportedSeq: 1, plan: nil, closedAt: nil)
        let detail = IncidentDetail(
            incident: incident, initialReport: nil, reports: [], tasks: [], obligations: [], timeline: [])
        for language in ReportLanguage.allCases {
            let html = AfterActionReport(
                detail: detail, events: [], basin: basin, province: "450000", logOption: "--data data",
                language: language, timeZone: TimeZone(identifier: "Asia/Shanghai")!
            ).html()
            #expect(!html.contains("<script"))
            #expect(!html.contains("<img"))
            #expect(
                html.contains(
                    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    /// A drill's report carries its score, from the same scoring as `GET /v1/drills/{id}/score`: the He River drill
    /// at ×60 (a wall second is a drill minute) from 2013-07-05 12:00 +08:00; Babu acknowledges a task 10 wall seconds
    /// in (drill 12:10, within the 30 drill-minutes to 12:30); no Guangdong server here, so nothing else is met.
    @Test func aDrillsReportShowsItsScore() async throws {
        let wallStart = Date(timeIntervalSince1970: 1_796_004_000)
        let clock = ManualWallClock(wallStart)
        try await LiveServer.withAPI(clock: clock, scheduler: true) { handle, api in
            let commander = try DrillTests.client(handle, DevToken.commander)
            defer { Task { try? await commander.shutdown() } }
            let started = try await commander.startDrill(
                DrillStartRequest(scenario: try DrillTests.scenario("he-river-2013-joint"), clockFactor: 60))
            let id = started.drill.id.uuidString
            try await DrillTests.eventually("the opening inject") { try await commander.drill(id).injectsPlayed == 1 }
            let incident = try #require(try await commander.drill(id).incidents.first)
            let babu = try DrillTests.client(handle, started.tokens[0].token)
            defer { Task { try? await babu.shutdown() } }
            let tasks = try await babu.tasks(assignee: "451102/county-duty-officer", incident: incident.id.uuidString)
            let site = try #require(tasks.first { $0.kind == .site })
            clock.advance(by: 10)
            _ = try await babu.work(task: site.reference, .ack)
            clock.advance(by: 10)
            _ = try await commander.endDrill(id)

            let (status, zh, _) = try await Self.report(api, incident.reference, token: DevToken.commander)
            #expect(status == 200)
            #expect(Self.field(zh, "drill-banner")?.hasPrefix("演习 · EXERCISE") == true)
            #expect(Self.field(zh, "score") == "1 / 6")
            let rows = Self.rows(zh, "score-table")
            #expect(rows.count == 6)
            #expect(
                rows.contains(
                    "八步区确认任务，初报后30演习分钟内 | 达成 | 2013-07-05 12:30 +08:00 | 2013-07-05 12:10 +08:00 | 10分钟"))
            #expect(rows.contains { $0.hasPrefix("广东省服务器接收通报，初报后5演习分钟内 | 未达成 | 2013-07-05 12:05 +08:00 | — |") })
            // The task row on the drill's clock: acknowledged at drill 12:10 by Babu's duty officer.
            let row = try #require(Self.rows(zh, "tasks").first { $0.hasPrefix(site.reference + " | ") })
            #expect(row.contains("八步区 县级值班员 2013-07-05 12:10 +08:00"))
            #expect(Self.latinWords(in: zh).isEmpty, "English in the Chinese report: \(Self.latinWords(in: zh))")

            let (_, en, _) = try await Self.report(
                api, incident.reference, query: "?lang=en", token: DevToken.commander)
            #expect(Self.field(en, "score") == "1 / 6")
            #expect(
                Self.rows(en, "score-table").contains {
                    $0.hasPrefix("Babu District (Hezhou) acknowledges a task of the plan")
                        && $0.hasSuffix(" | met | 2013-07-05 12:30 +08:00 | 2013-07-05 12:10 +08:00 | 10 min")
                })
            #expect(Self.cjk(in: en) == ["演习"], "Chinese in the English report: \(Self.cjk(in: en))")
        }
    }
}
