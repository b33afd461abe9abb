import Foundation
import Testing
import WatershedCore
import WatershedWire

/// A level set below what the plan grades, on every surface a server answers (issue 17): the detail carries the
/// review and the commander's task, the CAP export's note says it, and the level stands on the 4 h path.
@Suite struct LevelReviewSurfaceTests {
    /// The Longjiang report filed at level IV, the reporter stating a transnational impact, which the 2014 plan
    /// grades I whatever else the plan predicts.
    static func report() throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: longjiangReport()) as? [String: Any])
        object["level"] = "IV"
        object["impacts"] = ["transnational": true]
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test func theDetailTheTaskAndTheCAPExportSayTheLevelIsLowerThanThePlansGrade() async throws {
        try await LiveServer.withAPI { _, api in
            let created = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: Self.report())
            #expect(created.status == 201, "\(String(decoding: created.body, as: UTF8.self))")
            let id = try created.decoded(IncidentCreated.self).incident.id
            #expect(try created.decoded(IncidentCreated.self).incident.levelReview == nil, "not in short answers")

            let detail = try await api.request(.GET, "/v1/incidents/\(id)", token: DevToken.viewer)
                .decoded(IncidentDetail.self)
            let review = try #require(detail.incident.levelReview)
            #expect(review.level == .IV)
            #expect(review.hint == .I)
            #expect(review.reasons.contains("transnational impact → I"))
            #expect(review.reasonsZh.contains("造成重大跨国境影响 → I级"))
            #expect(review.text.hasPrefix("Level IV stands (the bureau's determination, MEP Order No. 17 Art. 3)"))
            let task = try #require(detail.tasks.first { $0.obligation == "level:review:I" })
            #expect(task.kind == .review)
            #expect(task.assignee == Assignee(unit: "450000", position: .provincialDutyChief))
            #expect(
                task.title.hasPrefix("Review the level of \(detail.incident.reference): IV is set, the plan grades I"))
            // The level stands: the county's initial report is due 4 h after discovery, 12:00 +08:00.
            let county = try #require(detail.obligations.first { $0.obligation.fromUnit == "451203" })
            #expect(county.obligation.dueBy == (try instant("2012-01-15T12:00:00+08:00")))

            let (status, _, alert) = try await CAPExportTests.get(
                api, "/v1/incidents/\(id)/cap", token: DevToken.viewer)
            #expect(status == 200)
            let note = try #require(CAPExportTests.values("note", in: alert).first)
            #expect(note.contains("Level IV stands"), "\(note)")
            #expect(note.contains("the plan grades I (2014 national plan)"), "\(note)")
        }
    }
}
