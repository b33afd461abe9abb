import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

/// `seeds/450000/organisation.yaml`: the real file loads, and broken copies give the exact `file:line:column`
/// lines. Expected lines and columns are found in the text each breakage wrote, never taken from the loader.
@Suite struct OrganisationSeedTests {
    static var seedFile: URL { Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/organisation.yaml") }

    /// The units of the real `playbooks/units.yaml`.
    static func realUnits() throws -> [UnitCode: AdministrativeUnit] {
        let path = Fixtures.playbooksDirectory.appendingPathComponent("units.yaml").path
        let decoded = PlaybookLoader().decodeFile(at: path)
        guard case .units(let registry) = try #require(decoded.document) else {
            Issue.record("units.yaml is not a units file")
            return [:]
        }
        return Dictionary(uniqueKeysWithValues: registry.units.map { ($0.code, $0) })
    }

    @Test func realFileLoads() throws {
        let units = try Self.realUnits()
        let organisation = try OrganisationSeed.load(file: Self.seedFile.path, units: units)
        #expect(organisation.province == "450000")
        // Every Guangxi (45xxxx) unit of units.yaml is listed, and nothing else.
        #expect(Set(organisation.units.keys) == Set(units.keys.filter { $0.provinceCode == "450000" }))
        // Liuzhou 450200 is a districted city: city duty chief, 10 min and 2 repeats (the file's choice).
        #expect(organisation.positions(of: "450200") == [.cityDutyChief])
        #expect(organisation.policy(for: "450200") == EscalationPolicy(ackMinutes: 10, repeats: 2))
        // The region: provincial duty chief, 5 min (the 1 h province → MEE rule, MEP Order No. 17 Art. 3).
        #expect(organisation.positions(of: "450000") == [.provincialDutyChief])
        #expect(organisation.policy(for: "450000") == EscalationPolicy(ackMinutes: 5, repeats: 2))
        // Liujiang District 450206 has no policy of its own: the default, 15 min and 2 repeats.
        #expect(organisation.positions(of: "450206") == [.countyDutyOfficer])
        #expect(organisation.policy(for: "450206") == EscalationPolicy(ackMinutes: 15, repeats: 2))
        #expect(organisation.defaultPolicy == EscalationPolicy(ackMinutes: 15, repeats: 2))
        // A unit not listed (Guangdong's Foshan) falls back to the default.
        #expect(organisation.policy(for: "440600") == organisation.defaultPolicy)
    }

    // MARK: Guangdong and Hainan (issues 5 and 6)

    /// `seeds/440000/organisation.yaml`: the 18 Guangdong units counted by hand in the file (the province; Foshan
    /// and Sanshui; Zhanjiang and its 8 districts, counties and cities listed; Zhaoqing and its 5), each in
    /// units.yaml and in Guangdong, and every Guangdong owner of a playbook reach, site, receptor or section among
    /// them, so every Guangdong task has a unit that staffs its position.
    @Test func guangdongFileLoads() throws {
        let units = try Self.realUnits()
        let file = Fixtures.repositoryRoot.appendingPathComponent("seeds/440000/organisation.yaml")
        let organisation = try OrganisationSeed.load(file: file.path, units: units)
        #expect(organisation.province == "440000")
        #expect(organisation.units.count == 18)
        #expect(organisation.units.keys.allSatisfy { units[$0]?.code.provinceCode == "440000" })
        // Fengkai (封开县), whose He River intakes the 2013 slug reached, is a county of Zhaoqing 441200.
        #expect(units["441225"]?.parent == "441200")
        #expect(organisation.positions(of: "441225") == [.countyDutyOfficer])
        #expect(organisation.policy(for: "441225") == EscalationPolicy(ackMinutes: 10, repeats: 2))
        // Deqing has no policy of its own: the default, 15 min and 2 repeats.
        #expect(organisation.policy(for: "441226") == EscalationPolicy(ackMinutes: 15, repeats: 2))
        #expect(organisation.positions(of: "441200") == [.cityDutyChief])
        #expect(organisation.policy(for: "441200") == EscalationPolicy(ackMinutes: 10, repeats: 2))
        #expect(organisation.positions(of: "440000") == [.provincialDutyChief])
        #expect(organisation.policy(for: "440000") == EscalationPolicy(ackMinutes: 5, repeats: 2))
        // Lianjiang (Hedi reservoir) escalates to Zhanjiang, then the province.
        #expect(
            EscalationChain.above(Assignee(unit: "440881", position: .countyDutyOfficer), units: units) == [
                Assignee(unit: "440800", position: .cityDutyChief),
                Assignee(unit: "440000", position: .provincialDutyChief),
            ])
        let basin = try PlaybookLoader().load(directory: Fixtures.playbooksDirectory.path).basin
        var owners: Set<UnitCode> = []
        for river in basin.rivers.values {
            owners.formUnion(river.reaches.map(\.owner) + river.sites.map(\.owner) + river.receptors.map(\.owner))
            owners.formUnion(river.monitoringSections.map(\.owner))
        }
        let guangdong = owners.filter { $0.provinceCode == "440000" }
        // Read off xijiang.yaml, he-river.yaml and jiuzhou-river.yaml.
        #expect(guangdong == ["441225", "441226", "441204", "441202", "441203", "440607", "440881"])
        #expect(guangdong.isSubset(of: Set(organisation.units.keys)))
    }

    /// `seeds/460000/organisation.yaml`: 9 Hainan units (the province; Haikou and its 4 districts; Danzhou;
    /// Chengmai and Lingao); Chengmai and Lingao are administered by the province, so their tasks escalate
    /// straight to the provincial duty chief.
    @Test func hainanFileLoads() throws {
        let units = try Self.realUnits()
        let file = Fixtures.repositoryRoot.appendingPathComponent("seeds/460000/organisation.yaml")
        let organisation = try OrganisationSeed.load(file: file.path, units: units)
        #expect(organisation.province == "460000")
        #expect(organisation.units.count == 9)
        #expect(Set(organisation.units.keys) == Set(units.keys.filter { $0.provinceCode == "460000" }))
        #expect(units["469023"]?.parent == "460000")
        #expect(organisation.positions(of: "469023") == [.countyDutyOfficer])
        #expect(
            EscalationChain.above(Assignee(unit: "469023", position: .countyDutyOfficer), units: units) == [
                Assignee(unit: "460000", position: .provincialDutyChief)
            ])
        #expect(
            EscalationChain.above(Assignee(unit: "460108", position: .countyDutyOfficer), units: units) == [
                Assignee(unit: "460100", position: .cityDutyChief),
                Assignee(unit: "460000", position: .provincialDutyChief),
            ])
        #expect(organisation.positions(of: "460400") == [.cityDutyChief])
        #expect(organisation.policy(for: "460400") == EscalationPolicy(ackMinutes: 10, repeats: 2))
        #expect(organisation.policy(for: "460000") == EscalationPolicy(ackMinutes: 5, repeats: 2))
        #expect(organisation.policy(for: "460105") == EscalationPolicy(ackMinutes: 15, repeats: 2))
    }

    // MARK: Broken copies

    /// A copy of the real file with edits, written to a fresh temporary folder.
    struct BrokenCopy {
        var folder: URL
        var path: String
        var text: String

        /// A copy of `source` (the organisation seed unless told), written as `name`.
        init(
            of source: URL = OrganisationSeedTests.seedFile, name: String = "organisation.yaml",
            edits: (inout [String]) throws -> Void
        ) throws {
            let original = try String(contentsOf: source, encoding: .utf8)
            var lines = original.components(separatedBy: "\n")
            try edits(&lines)
            text = lines.joined(separator: "\n")
            folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-org-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            path = folder.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }

        func remove() { try? FileManager.default.removeItem(at: folder) }

        /// `path:line:column: field: message`, where the line is the one line that contains `lineContaining`
        /// and the column is where `token` starts on it (1-based).
        func expected(_ lineContaining: String, token: String, field: String, _ message: String) throws -> String {
            let lines = text.components(separatedBy: "\n")
            let found = lines.indices.filter { lines[$0].contains(lineContaining) }
            try #require(found.count == 1, "\(lineContaining) is on \(found.count) lines")
            let line = lines[found[0]]
            let range = try #require(line.range(of: token))
            let column = line.unicodeScalars.distance(
                from: line.unicodeScalars.startIndex, to: range.lowerBound.samePosition(in: line.unicodeScalars)!)
            return "\(path):\(found[0] + 1):\(column + 1): \(field): \(message)"
        }
    }

    /// Replaces the one line containing `marker` with `replacement(line)`.
    static func replace(_ lines: inout [String], containing marker: String, _ replacement: (String) -> String) throws {
        let found = lines.indices.filter { lines[$0].contains(marker) }
        try #require(found.count == 1, "\(marker) is on \(found.count) lines of the real file")
        lines[found[0]] = replacement(lines[found[0]])
    }

    /// The index in `units` of the entry with `code` in the real file: the number of `  - {code:` lines before it.
    static func unitIndex(_ code: String, in lines: [String]) throws -> Int {
        let entries = lines.filter { $0.hasPrefix("  - {code: ") }
        return try #require(entries.firstIndex { $0.hasPrefix("  - {code: \"\(code)\"") })
    }

    @Test func problemsOfMeaningAreAllReported() throws {
        var liuzhou = 0
        var nanning = 0
        let copy = try BrokenCopy { lines in
            liuzhou = try Self.unitIndex("450200", in: lines)
            nanning = try Self.unitIndex("450100", in: lines)
            try Self.replace(&lines, containing: "defaultPolicy:") { _ in "defaultPolicy: {ackMinutes: 0, repeats: 2}" }
            try Self.replace(&lines, containing: "{code: \"450000\"") {
                $0.replacingOccurrences(of: "repeats: 2", with: "repeats: 11")
            }
            try Self.replace(&lines, containing: "{code: \"450100\"") {
                $0.replacingOccurrences(of: "repeats: 2", with: "repeats: -1")
            }
            try Self.replace(&lines, containing: "{code: \"450200\"") {
                $0.replacingOccurrences(of: "ackMinutes: 10", with: "ackMinutes: 1441")
            }
            // Liujiang District 450206 becomes a code that units.yaml does not have.
            try Self.replace(&lines, containing: "{code: \"450206\"") {
                $0.replacingOccurrences(of: "450206", with: "450299")
            }
            // Liucheng County lists no position; Luzhai County lists only the city's.
            try Self.replace(&lines, containing: "{code: \"450222\"") {
                $0.replacingOccurrences(of: "[county-duty-officer]", with: "[]")
            }
            try Self.replace(&lines, containing: "{code: \"450223\"") {
                $0.replacingOccurrences(of: "[county-duty-officer]", with: "[city-duty-chief]")
            }
            lines.append("  - {code: \"440600\", dutyPositions: [city-duty-chief]}  # Foshan, Guangdong")
            lines.append("  - {code: \"450200\", dutyPositions: [city-duty-chief]}  # Liuzhou again")
        }
        defer { copy.remove() }
        let units = try Self.realUnits()
        let error = #expect(throws: PlaybookLoadError.self) {
            try OrganisationSeed.load(file: copy.path, units: units)
        }
        let units450222 = try Self.unitIndex("450222", in: copy.text.components(separatedBy: "\n"))
        let units450223 = units450222 + 1
        let units450299 = try Self.unitIndex("450299", in: copy.text.components(separatedBy: "\n"))
        let count = copy.text.components(separatedBy: "\n").filter { $0.hasPrefix("  - {code: ") }.count
        // In file order: Liujiang District 450206 (now 450299) comes before Liucheng 450222 and Luzhai 450223.
        let expected = [
            try copy.expected(
                "defaultPolicy:", token: "0", field: "defaultPolicy.ackMinutes",
                "0 minutes is outside 1…1440 (an acknowledgement time of at least a minute and at most a day)"),
            try copy.expected(
                "{code: \"450000\"", token: "11", field: "units[0].policy.repeats",
                "11 escalation steps is outside 0…10"),
            try copy.expected(
                "{code: \"450100\"", token: "-1", field: "units[\(nanning)].policy.repeats",
                "-1 escalation steps is outside 0…10"),
            try copy.expected(
                "{code: \"450200\", dutyPositions: [city-duty-chief], policy", token: "1441",
                field: "units[\(liuzhou)].policy.ackMinutes",
                "1441 minutes is outside 1…1440 (an acknowledgement time of at least a minute and at most a day)"),
            try copy.expected(
                "{code: \"450299\"", token: "\"450299\"", field: "units[\(units450299)].code",
                "unit \"450299\" is not in playbooks/units.yaml"),
            try copy.expected(
                "{code: \"450222\"", token: "[]", field: "units[\(units450222)].dutyPositions",
                "a unit needs at least one duty position"),
            try copy.expected(
                "{code: \"450223\"", token: "[city-duty-chief]", field: "units[\(units450223)].dutyPositions",
                "Luzhai County is a county; escalation chains send its tasks to \"county-duty-officer\", which is "
                    + "not listed"),
            try copy.expected(
                "{code: \"440600\"", token: "\"440600\"", field: "units[\(count - 2)].code",
                "\"440600\" (Foshan) is in province 440000, not 450000"),
            try copy.expected(
                "# Liuzhou again", token: "\"450200\"", field: "units[\(count - 1)].code",
                "duplicate unit \"450200\" (first at units[\(liuzhou)])"),
        ]
        #expect(error?.diagnostics.map(\.description) == expected)
    }

    @Test func decodingProblemsStopTheChecksOfMeaning() throws {
        let copy = try BrokenCopy { lines in
            try Self.replace(&lines, containing: "{code: \"450103\"") {
                $0.replacingOccurrences(of: "}  #", with: ", polcy: {ackMinutes: 10, repeats: 2}}  #")
            }
            try Self.replace(&lines, containing: "kind: organisation") { _ in "kind: organisation\ncolour: green" }
            // A problem of meaning too, which is not reported while the file does not decode.
            try Self.replace(&lines, containing: "{code: \"450206\"") {
                $0.replacingOccurrences(of: "450206", with: "450299")
            }
        }
        defer { copy.remove() }
        let error = #expect(throws: PlaybookLoadError.self) {
            try OrganisationSeed.load(file: copy.path, units: try Self.realUnits())
        }
        let nanningCounty = try Self.unitIndex("450103", in: copy.text.components(separatedBy: "\n"))
        let expected = [
            try copy.expected(
                "colour: green", token: "colour", field: "colour",
                "unknown key \"colour\"; expected one of: schemaVersion, kind, province, source, note, defaultPolicy, "
                    + "units"),
            try copy.expected(
                "polcy:", token: "polcy", field: "units[\(nanningCounty)].polcy",
                "unknown key \"polcy\" (did you mean \"policy\"?); expected one of: code, dutyPositions, policy, note"),
        ]
        #expect(error?.diagnostics.map(\.description) == expected)
    }

    @Test func wrongKindAndProvince() throws {
        let copy = try BrokenCopy { lines in
            try Self.replace(&lines, containing: "kind: organisation") { _ in "kind: tokens" }
            try Self.replace(&lines, containing: "province: \"450000\"") { _ in "province: \"450200\"" }
        }
        defer { copy.remove() }
        let error = #expect(throws: PlaybookLoadError.self) {
            try OrganisationSeed.load(file: copy.path, units: try Self.realUnits())
        }
        let descriptions = error?.diagnostics.map(\.description) ?? []
        #expect(
            Array(descriptions.prefix(2)) == [
                try copy.expected("kind: tokens", token: "tokens", field: "kind", "\"tokens\" is not \"organisation\""),
                try copy.expected(
                    "province: \"450200\"", token: "\"450200\"", field: "province",
                    "\"450200\" (Liuzhou) is not a province"),
            ])
        // With 450200 as "the province", every Guangxi unit outside Liuzhou is "in province 450000, not 450200":
        // the region is the first of them.
        #expect(
            descriptions.dropFirst(2).first
                == (try copy.expected(
                    "{code: \"450000\"", token: "\"450000\"", field: "units[0].code",
                    "\"450000\" (Guangxi Zhuang Autonomous Region) is in province 450000, not 450200")))
    }

    @Test func unreadableFile() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).yaml")
            .path
        let error = #expect(throws: PlaybookLoadError.self) {
            try OrganisationSeed.load(file: path, units: [:])
        }
        #expect(error?.diagnostics.count == 1)
        #expect(error?.diagnostics.first.map { "\($0.file):\($0.line):\($0.column)" } == "\(path):1:1")
        #expect(error?.diagnostics.first?.message.hasPrefix("cannot read the file") == true)
    }
}
