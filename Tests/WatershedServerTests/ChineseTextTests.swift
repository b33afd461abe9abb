import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// Report obligations and notifications to neighbours carry Chinese text in `GET /v1/incidents/{id}` (`titleZh`,
/// `stateZh`, `textZh`) and `watershed incident show --lang zh` prints it (issue 17, "Chinese for the people who read
/// it").
///
/// The scenario of ``ReportForwardTests``: the Longjiang cadmium spill discovered at 08:00 +08:00 is ungraded with
/// heavy metals (MEP Order No. 17 Art. 4(3)), so on the II/I path. The commander files Yizhou's report at 08:30 (in
/// time: due 10:00) and forwards it to MEE at 09:45, 15 min after the province's deadline (08:30 + 1 h). Names as
/// `playbooks/units.yaml` and `playbooks/xijiang.yaml` write them; Guangdong's agreement (`seeds/450000/peers.yaml`)
/// asks for notice within 1 h of discovery, 09:00, well before the plume reaches the Xijiang boundary.
@Suite struct ChineseTextTests {
    static let county =
        "宜州区生态环境局向宜州区人民政府、广西壮族自治区生态环境厅、生态环境部报送初报，发现后2小时内（《突发环境事件信息报告办法》第三条）"
    static let province = "广西壮族自治区生态环境厅向生态环境部报送初报，接到下级报告后1小时内（《突发环境事件信息报告办法》第三条）"

    @Test func theDetailAndIncidentShowSayObligationsAndNotificationsInChinese() async throws {
        let clock = ManualWallClock(try instant(ReportForwardTests.filing))
        try await LiveServer.withAPI(clock: clock) { handle, api in
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: longjiangReport())
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let incident = try filed.decoded(IncidentCreated.self).incident
            clock.advance(to: try instant("2012-01-15T01:45:00Z"))
            let made = try await api.request(
                .POST, "/v1/incidents/\(incident.id)/forwards", token: DevToken.commander,
                body: Data(#"{"to":"MEE"}"#.utf8))
            #expect(made.status == 201)

            let detail = try await api.detail(incident.id.uuidString)
            let county = try ReportForwardTests.obligation(ReportForwardTests.countyID, in: detail)
            #expect(county.titleZh == Self.county)
            #expect(county.stateZh == "已报")
            let province = try ReportForwardTests.obligation(ReportForwardTests.provinceID, in: detail)
            #expect(province.titleZh == Self.province)
            #expect(province.stateZh == "逾期补报（迟报15分钟）")
            // The rule column: the II/I path (Art. 4(3) put the ungraded heavy metal on it), 2 h; the province's
            // report to MEE 1 h after receipt.
            #expect(county.ruleZh == "第三条（重大、特别重大：2小时）")
            #expect(province.ruleZh == "第三条（省级报生态环境部：接报后1小时）")
            let guangdong = try #require(detail.notifications.first { $0.notification.province == "440000" })
            let text = try #require(guangdong.textZh)
            #expect(text.hasPrefix("向广东省通报（"), "\(text)")
            #expect(text.contains("到达交界断面“西江粤桂交界断面（界首）”"), "\(text)")
            #expect(text.hasSuffix("通报时限2012-01-15 09:00（北京时间）（《突发环境事件信息报告办法》第八条）"), "\(text)")

            // `incident show` in Chinese: the same words, times in --time-zone; English unchanged without --lang.
            let flags = ClientCommandTests.flags(handle, token: DevToken.viewer)
            let zh = await watershed(["incident", "show", incident.reference, "--lang", "zh"] + flags)
            #expect(zh.code == 0, "\(zh.err)")
            let lines = zh.out.split(separator: "\n").map(String.init)
            #expect(lines.contains("法定报告（环境保护部令第17号）"), "\(zh.out)")
            let countyLine = try #require(lines.first { $0.hasPrefix(Self.county) }, "\(zh.out)")
            #expect(countyLine.contains("2012-01-15 10:00 +08:00") && countyLine.hasSuffix("已报"), "\(countyLine)")
            let provinceLine = try #require(lines.first { $0.hasPrefix(Self.province) }, "\(zh.out)")
            #expect(provinceLine.contains("2012-01-15 09:30 +08:00"), "\(provinceLine)")
            #expect(provinceLine.hasSuffix("逾期补报（迟报15分钟）"), "\(provinceLine)")
            #expect(lines.contains("  \(text)"), "\(zh.out)")
            #expect(zh.out.contains("相邻省份通报（《突发环境事件信息报告办法》第八条）"))

            // The locale chooses Chinese when --lang is not given; WATERSHED_LANG before it.
            let byLocale = await watershed(
                ["incident", "show", incident.reference] + flags, environment: ["LANG": "zh_CN.UTF-8"])
            #expect(byLocale.out == zh.out)
            let english = await watershed(
                ["incident", "show", incident.reference] + flags,
                environment: ["LANG": "zh_CN.UTF-8", "WATERSHED_LANG": "en"])
            #expect(english.out.contains("REPORT OBLIGATIONS (MEP Order No. 17)"))
            #expect(english.out.contains("met late by 15 min"))
            #expect(!english.out.contains("逾期补报"))
            let refused = await watershed(["incident", "show", incident.reference, "--lang", "fr"] + flags)
            #expect(refused.code == 2)
            #expect(refused.err.contains("--lang: \"fr\" is not a language"), "\(refused.err)")
        }
    }
}
