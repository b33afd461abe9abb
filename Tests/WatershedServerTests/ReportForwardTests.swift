import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// The province's report to MEE through the API and the CLI (MEP Order No. 17 Art. 3; issue 17, "Reporting"): the
/// Longjiang cadmium spill, discovered at 08:00 +08:00, is on the II/I path; the commander files Yizhou's initial
/// report (signed as 451203) at 08:30 — which meets Yizhou's obligation (due 10:00) and not the province's, now due
/// 09:30 — and forwards it at 09:45: met late by 15 min.
@Suite struct ReportForwardTests {
    /// 08:30 +08:00 on the day of the spill.
    static let filing = "2012-01-15T00:30:00Z"
    static let countyID = "initial-451203"
    static let provinceID = "initial-450000-mee"

    static func obligation(_ id: String, in detail: IncidentDetail) throws -> IncidentDetail.DueObligation {
        try #require(detail.obligations.last { $0.obligation.id == id }, "no obligation \(id)")
    }

    @Test func aCommanderForwardsTheCountysReportToMEE() async throws {
        let clock = ManualWallClock(try instant(Self.filing))
        try await LiveServer.withAPI(clock: clock) { _, api in
            // The commander files the county's report, signed as the county.
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: longjiangReport())
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let incident = try filed.decoded(IncidentCreated.self).incident
            let id = incident.id.uuidString
            var detail = try await api.detail(id)
            let county = try Self.obligation(Self.countyID, in: detail)
            #expect(county.state == .met)
            #expect(county.metAt == (try instant("2012-01-15T00:30:00Z")))
            #expect(county.lateBy == nil)
            var province = try Self.obligation(Self.provinceID, in: detail)
            #expect(province.state == .due, "the county's report does not meet the province's")
            #expect(province.obligation.dueBy == (try instant("2012-01-15T01:30:00Z")))

            clock.advance(to: try instant("2012-01-15T01:45:00Z"))
            func forward(_ body: String, token: String = DevToken.commander, id: String = id) async throws
                -> APIClient.Reply
            {
                try await api.request(.POST, "/v1/incidents/\(id)/forwards", token: token, body: Data(body.utf8))
            }
            // Refusals, each naming its field; nothing is stored by any of them.
            for token in [DevToken.viewer, DevToken.officer] {
                let refused = try await forward(#"{"to":"MEE"}"#, token: token)
                #expect(refused.status == 403)
            }
            let unknownIncident = try await forward(#"{"to":"MEE"}"#, id: "GX-2012-0099")
            #expect(unknownIncident.status == 404)
            #expect(unknownIncident.error?.field == "id")
            let unknownReport = try await forward(#"{"to":"MEE","report":999}"#)
            #expect(unknownReport.status == 404)
            #expect(unknownReport.error?.code == "unknown_report")
            #expect(unknownReport.error?.field == "report")
            for body in [#"{}"#, #"{"to":"  "}"#, #"{"to":"Ministry"}"#] {
                let invalid = try await forward(body)
                #expect(invalid.status == 422, "\(body)")
                #expect(invalid.error?.field == "to")
            }
            let misspelt = try await forward(#"{"too":"MEE"}"#)
            #expect(misspelt.status == 400)
            #expect(try await DispatchTests.events(api, type: .reportForwarded).isEmpty)

            // Forwarded at 09:45, 15 min after the province's 09:30.
            let made = try await forward(#"{"to":"MEE"}"#)
            #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
            let answer = try made.decoded(ReportForwardAnswer.self)
            #expect(
                answer.forward.forwarded
                    == ReportForwardedPayload(
                        reportSeq: incident.reportedSeq, report: .initial, reportingUnit: "451203", from: "450000",
                        to: "MEE"))
            #expect(answer.met.map(\.obligation.id) == [Self.provinceID])
            #expect(answer.met.first?.lateBy == 900)
            let again = try await forward(#"{"to":"MEE"}"#)
            #expect(again.status == 409)
            #expect(again.error?.code == "already_forwarded")

            detail = try await api.detail(id)
            province = try Self.obligation(Self.provinceID, in: detail)
            #expect(province.state == .met)
            #expect(province.metAt == (try instant("2012-01-15T01:45:00Z")))
            #expect(province.lateBy == 900)
            #expect(try Self.obligation(Self.countyID, in: detail).lateBy == nil)
            #expect(detail.timeline.contains { $0.type == .reportForwarded })
            // One ReportForwarded, by the commander's token.
            let events = try await DispatchTests.events(api, type: .reportForwarded)
            #expect(events.count == 1)
            #expect(events.first?.actor.token == "gx-commander")
            #expect(try events.first?.payload(as: ReportForwardedPayload.self).to == "MEE")
        }
    }

    /// `watershed report forward ID --to MEE` prints the forward and "met late by 15 min"; `incident show` prints the
    /// same state in its obligations; a second forward is refused (exit 1).
    @Test func theCLIForwardsAndShowsTheDelay() async throws {
        let clock = ManualWallClock(try instant(Self.filing))
        try await LiveServer.withAPI(clock: clock) { handle, api in
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander, body: longjiangReport())
            let reference = try filed.decoded(IncidentCreated.self).incident.reference
            clock.advance(to: try instant("2012-01-15T01:45:00Z"))
            let commander = ClientCommandTests.flags(handle, token: DevToken.commander)
            let forwarded = await watershed(["report", "forward", reference, "--to", "MEE"] + commander)
            #expect(forwarded.code == 0, "\(forwarded.err)")
            #expect(forwarded.out.contains("Forwarded the initial report (seq 1) of 451203 to MEE for 450000"))
            #expect(forwarded.out.contains("met late by 15 min"), "\(forwarded.out)")
            let shown = await watershed(
                ["incident", "show", reference] + ClientCommandTests.flags(handle, token: DevToken.viewer))
            #expect(shown.code == 0, "\(shown.err)")
            #expect(shown.out.contains("met late by 15 min"), "\(shown.out)")
            let again = await watershed(["report", "forward", reference, "--to", "MEE"] + commander)
            #expect(again.code == 1)
            #expect(again.err.contains("already"), "\(again.err)")
            let refused = await watershed(
                ["report", "forward", reference, "--to", "MEE"]
                    + ClientCommandTests.flags(handle, token: DevToken.officer))
            #expect(refused.code == 1)
        }
    }
}
