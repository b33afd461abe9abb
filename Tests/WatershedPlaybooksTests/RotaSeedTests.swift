import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

/// `seeds/450000/rota.yaml` (issue 19): the real file loads and says who holds a position when; broken copies give
/// the exact `file:line:column` lines, found in the text each breakage wrote, and never repeat a mobile number.
@Suite struct RotaSeedTests {
    static var rotaFile: URL { Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/rota.yaml") }

    static func organisation() throws -> Organisation {
        try OrganisationSeed.load(
            file: OrganisationSeedTests.seedFile.path, units: try OrganisationSeedTests.realUnits())
    }

    static func time(_ text: String) -> Date { DrillScenario.parseTime(text)! }

    @Test func realFileLoads() throws {
        let rota = try RotaSeed.load(file: Self.rotaFile.path, organisation: try Self.organisation())
        #expect(rota.people.count == 14)
        #expect(rota.rotations.count == 6)
        let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
        // Yizhou: 陆建, 吴敏, 谭宇 in turn from 2026-01-01 08:30; 2026-12-07 10:00 is shift 340, 340 mod 3 = 1.
        #expect(rota.holder(of: yizhou, at: Self.time("2026-12-07T10:00:00+08:00"))?.name == "吴敏")
        // The region: 黄伟, 梁芳, 莫军; the same shift 340: 梁芳.
        let region = Assignee(unit: "450000", position: .provincialDutyChief)
        #expect(rota.holder(of: region, at: Self.time("2026-12-07T10:00:00+08:00"))?.name == "梁芳")
        // The planned swap: 2027-01-01 12:00 is shift 365 (谭宇, 365 mod 3 = 2), but 吴敏 takes it.
        #expect(rota.holder(of: yizhou, at: Self.time("2027-01-01T12:00:00+08:00"))?.name == "吴敏")
        #expect(rota.holder(of: yizhou, at: Self.time("2027-01-02T12:00:00+08:00"))?.name == "陆建")
        #expect(rota.holder(of: yizhou, at: Self.time("2026-12-07T10:00:00+08:00"))?.mobile.e164 == "+8610000451232")
    }

    @Test func problemsAreReportedWhereTheyAre() throws {
        let copy = try OrganisationSeedTests.BrokenCopy(of: Self.rotaFile, name: "rota.yaml") { lines in
            try OrganisationSeedTests.replace(&lines, containing: "id: p-mo-jun") {
                $0.replacingOccurrences(of: "+86 100 0045 0003", with: "+86 100 0045 0002")
            }
            try OrganisationSeedTests.replace(&lines, containing: "id: p-wei-lan") {
                $0.replacingOccurrences(of: "+86 100 0045 0202", with: "0771-1234567")
            }
            try OrganisationSeedTests.replace(&lines, containing: "id: p-he-jing") {
                $0.replacingOccurrences(of: "p-he-jing", with: "P_He")
            }
            try OrganisationSeedTests.replace(&lines, containing: "{unit: \"450200\", dutyPosition") {
                $0.replacingOccurrences(of: "city-duty-chief", with: "county-duty-officer")
            }
            try OrganisationSeedTests.replace(&lines, containing: "{unit: \"451200\", dutyPosition") {
                $0.replacingOccurrences(of: "shiftHours: 24", with: "shiftHours: 200")
            }
            try OrganisationSeedTests.replace(&lines, containing: "people: [p-lan-tao, p-meng-li]") {
                $0.replacingOccurrences(of: "p-meng-li", with: "p-meng-lee")
            }
            try OrganisationSeedTests.replace(&lines, containing: "from: \"2027-01-01T08:30:00+08:00\"") {
                $0.replacingOccurrences(of: "to: \"2027-01-02T08:30:00+08:00\"", with: "to: \"2027-01-01T08:30\"")
            }
        }
        defer { copy.remove() }
        let error = #expect(throws: PlaybookLoadError.self) {
            try RotaSeed.load(file: copy.path, organisation: try Self.organisation())
        }
        let lines = try #require(error?.diagnostics.map(\.description))
        let want = [
            try copy.expected(
                "id: p-mo-jun", token: "\"+86 100 0045 0002\"", field: "people[2].mobile",
                "p-mo-jun has the same number as p-liang-fang: a reply must name one person"),
            try copy.expected(
                "id: p-wei-lan", token: "\"0771-1234567\"", field: "people[4].mobile",
                "the number of p-wei-lan is not a mobile number (E.164, e.g. +86 139 0000 0101)"),
            try copy.expected(
                "id: P_He", token: "P_He", field: "people[13].id",
                "\"P_He\" is not an id of 1–64 lower-case letters, digits and hyphens"),
            try copy.expected(
                "{unit: \"450200\", dutyPosition", token: "county-duty-officer", field: "rotations[1].dutyPosition",
                "450200 has no duty position \"county-duty-officer\""),
            try copy.expected(
                "{unit: \"451200\", dutyPosition", token: "200,", field: "rotations[2].shiftHours",
                "200 hours is outside 1…168 (an hour to a week)"),
            try copy.expected(
                "people: [p-lan-tao, p-meng-lee]", token: "p-meng-lee", field: "rotations[2].people[1]",
                "no person \"p-meng-lee\" in people"),
            // The id changed above is still named by Babu's rotation.
            try copy.expected(
                "people: [p-chen-gang, p-he-jing]", token: "p-he-jing", field: "rotations[5].people[1]",
                "no person \"p-he-jing\" in people"),
            try copy.expected(
                "to: \"2027-01-01T08:30\"", token: "\"2027-01-01T08:30\"", field: "overrides[0].to",
                "\"2027-01-01T08:30\" is not an RFC 3339 time with an offset, e.g. 2026-12-01T08:30:00+08:00"),
        ]
        #expect(lines == want)
        // The messages name people, never their numbers.
        for line in lines { #expect(!line.contains("0045"), "\(line)") }
    }
}
