import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedTestSupport
import WatershedWire

@testable import WatershedServer

/// The seeds of Guangdong (`seeds/440000`) and Hainan (`seeds/460000`, issues 5 and 6): their development tokens
/// are what their READMEs say and belong to units of their own province that staff the token's duty position, and
/// `watershed serve --province …` runs on them. Expected values are read off the files by hand.
@Suite struct ProvinceSeedsTests {
    static func folder(_ province: String) -> URL {
        Fixtures.repositoryRoot.appendingPathComponent("seeds/\(province)")
    }

    /// The units of the real `playbooks/units.yaml`.
    static func units() throws -> [UnitCode: AdministrativeUnit] {
        let path = Fixtures.playbooksDirectory.appendingPathComponent("units.yaml").path
        guard case .units(let registry) = try #require(PlaybookLoader().decodeFile(at: path).document) else {
            Issue.record("units.yaml is not a units file")
            return [:]
        }
        return Dictionary(uniqueKeysWithValues: registry.units.map { ($0.code, $0) })
    }

    /// Each README secret maps to the identity the table gives; the tokens are the ones written in the brief
    /// (issue 5: commander, viewer, officers of Zhaoqing and Fengkai, a Zhaoqing drill token; issue 6 likewise for
    /// Hainan); every token's unit is in units.yaml, in the province, and staffs the token's duty position.
    @Test(arguments: [
        (
            "440000",
            [
                "gd-commander": "440000", "zhaoqing-officer": "441200", "fengkai-officer": "441225",
                "zhanjiang-officer": "440800", "lianjiang-officer": "440881", "gd-viewer": "440000",
                "zhaoqing-drill": "441200",
            ]
        ),
        (
            "460000",
            [
                "hainan-commander": "460000", "haikou-officer": "460100", "danzhou-officer": "460400",
                "hainan-viewer": "460000", "haikou-drill": "460100",
            ]
        ),
    ])
    func tokensBelongToTheirProvince(province: String, expected: [String: String]) throws {
        let folder = Self.folder(province)
        let registry = try TokenRegistry.load(file: folder.appendingPathComponent("tokens.yaml").path)
        let documented = try TokenTests.documentedTokens(in: folder)
        #expect(registry.count == expected.count)
        #expect(Dictionary(uniqueKeysWithValues: documented.map { ($0.id, $0.unit) }) == expected)
        let units = try Self.units()
        let organisation = try OrganisationSeed.load(
            file: folder.appendingPathComponent("organisation.yaml").path, units: units)
        let text = try String(contentsOf: folder.appendingPathComponent("tokens.yaml"), encoding: .utf8)
        for token in documented {
            let identity = try #require(registry.identity(for: token.secret), "\(token.id)")
            #expect(identity.tokenID == token.id)
            #expect(identity.unit == token.unit)
            #expect(identity.dutyPosition.rawValue == token.dutyPosition)
            #expect(identity.roles == token.roles)
            #expect(!text.contains(token.secret))
            let unit = try #require(units[identity.unit], "\(token.id): unit \(identity.unit) not in units.yaml")
            #expect(unit.code.provinceCode == province, "\(token.id)")
            #expect(organisation.positions(of: unit.code).contains(identity.dutyPosition), "\(token.id)")
        }
    }

    /// Guangdong's server: the viewer is Guangdong's; a thallium slug found in Fengkai on the He River (km 235,
    /// below the Fulong boundary at km 228), reported by Fengkai's officer on 2013-07-06 06:00+08:00 (when
    /// Guangdong noticed the 2013 slug, DOMAIN.md §4), gets the reference GD-2013-0001 (粤) and tasks for
    /// Guangdong's units only. Thallium is a heavy metal, so the ungraded report takes the II/I path (MEP Order
    /// No. 17 Art. 4(3)): Fengkai's own 2 h report, met by filing, and Guangdong's 1 h report to MEE.
    @Test func guangdongServerServesItsOwnUnits() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2013-07-05T22:00:00Z")))
        try await LiveServer.run(data: data, province: "440000", clock: clock) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let me = try await api.request(.GET, "/v1/me", token: "wsd-dev-viewer-gd")
            #expect(me.status == 200)
            let identity = try me.decoded(Identity.self)
            #expect(identity.unit == "440000")
            #expect(identity.roles == [.viewer])
            // Guangxi's tokens are not Guangdong's.
            #expect(try await api.request(.GET, "/v1/me", token: DevToken.viewer).status == 401)

            let report = Self.report(
                place: #"{"river":{"id":"he-river","km":235}}"#, pollutant: "thallium", massKg: 500,
                discoveredAt: "2013-07-06T06:00:00+08:00", unit: "441225")
            let filed = try await api.request(.POST, "/v1/incidents", token: "wsd-dev-officer-fengkai", body: report)
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let incident = try filed.decoded(IncidentCreated.self).incident
            #expect(incident.reference == "GD-2013-0001")
            let id = incident.id.uuidString

            let reply = try await api.request(.GET, "/v1/tasks?incident=\(id)", token: "wsd-dev-viewer-gd")
            #expect(reply.status == 200)
            let tasks = try reply.decoded([ResponseTask].self)
            let assignees = Set(tasks.map(DispatchTests.assignee))
            #expect(assignees.contains("441225/county-duty-officer"))
            #expect(assignees.allSatisfy { $0.hasPrefix("44") }, "\(assignees)")
            let reportTasks = tasks.filter { $0.kind == .report }
            #expect(reportTasks.map(\.obligation) == ["initial-440000-mee"])
            #expect(reportTasks.map(DispatchTests.assignee) == ["440000/provincial-duty-chief"])
        }
    }

    /// Hainan's server: its viewer and officer are Hainan's, and a drill report of oil off Weizhou (the joint
    /// Beibu Gulf drill) filed by Haikou's drill token is HI-2026-0001 (琼; HN is Hunan) and an exercise.
    @Test func hainanServerServesItsOwnUnits() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2026-01-15T01:00:00Z")))
        try await LiveServer.run(data: data, province: "460000", clock: clock) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let viewer = try await api.request(.GET, "/v1/me", token: "wsd-dev-viewer-hn")
            #expect(try viewer.decoded(Identity.self).unit == "460000")
            let officer = try await api.request(.GET, "/v1/me", token: "wsd-dev-officer-haikou")
            let officerIdentity = try officer.decoded(Identity.self)
            #expect(officerIdentity.unit == "460100")
            #expect(officerIdentity.dutyPosition == "city-duty-chief")

            let report = Self.report(
                place: #"{"sea":{"id":"beibu-gulf-guangxi","lng":109.1,"lat":21.0}}"#, pollutant: "crude-oil",
                massKg: 50000, discoveredAt: "2026-01-15T08:30:00+08:00", unit: "460100",
                extra: #""exercise":true,"sea":{"windMs":8,"windFromDeg":0,"currentMs":0.1,"currentToDeg":180},"#)
            let filed = try await api.request(.POST, "/v1/incidents", token: "wsd-dev-drill-haikou", body: report)
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let incident = try filed.decoded(IncidentCreated.self).incident
            #expect(incident.reference == "HI-2026-0001")
            #expect(incident.exercise == true)
        }
    }

    /// An initial report as a client sends it.
    static func report(
        place: String, pollutant: String, massKg: Int, discoveredAt: String, unit: String, extra: String = ""
    ) -> Data {
        Data(
            """
            {\(extra)"discoveredAt":"\(discoveredAt)","place":\(place),
             "informationSource":"duty officer's own monitoring","cause":"unknown","pollutant":"\(pollutant)",
             "release":{"instantaneous":{"massKg":\(massKg)}},"monitoring":[],
             "casualties":{"deaths":0,"poisonedOrInjured":0,"evacuated":0},"sensitivePointsAffected":[],
             "measuresTaken":[],"triggers":[],"signature":{"reportingUnit":"\(unit)","signingOfficer":"Director Chen",
             "contactName":"Huang Wei","contactPhone":"0758-1234567"}}
            """.utf8)
    }
}
