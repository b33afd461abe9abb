import Testing
import WatershedCore

@testable import WatershedPlaybooks

/// A hand-made basin: one province with a city and a county, one pollutant, a main river and a
/// tributary that joins it at km 20. Every figure is made up for the test.
enum SmallBasin {
    static let units = """
        schemaVersion: 1
        kind: units
        source: test units
        units:
          - {code: "450000", name: Guangxi, kind: province}
          - {code: "450200", name: Liuzhou, kind: districtedCity, parent: "450000"}
          - {code: "450202", name: Chengzhong, kind: county, parent: "450200"}
        """

    static let pollutants = """
        schemaVersion: 1
        kind: pollutants
        pollutants:
          - id: cadmium
            name: Cadmium
            class: heavyMetal
            limitMgL: 0.005
            standard: GB 3838-2002
            table: Table 1
            source: GB 3838-2002 Table 1, class III
        """

    static func river(id: String, lengthKm: Int, joins: String? = nil, reachToKm: Int? = nil) -> String {
        """
        schemaVersion: 1
        kind: river
        id: \(id)
        name: \(id.capitalized) River
        version: "2026-11-29"
        chainageOrigin: test origin
        lengthKm: \(lengthKm)
        \(joins.map { "joins: {river: \($0), km: 20}" } ?? "mouth: the sea")
        reaches:
          - id: \(id)-upper
            fromKm: 0
            toKm: \(reachToKm ?? lengthKm)
            owner: "450202"
            drainageAreaKm2: 1000
            meanDischargeM3s: 50
            line: [[109.0, 24.0], [109.1, 24.1]]
            source: test reach
        sites: []
        receptors: []
        monitoringSections: []
        measures: []
        source: test river
        """
    }

    static func sources(replacing file: String? = nil, with text: String? = nil) -> [PlaybookSource] {
        var files = [
            ("t/liujiang.yaml", river(id: "liujiang", lengthKm: 100)),
            ("t/longjiang.yaml", river(id: "longjiang", lengthKm: 50, joins: "liujiang")),
            ("t/pollutants.yaml", pollutants),
            ("t/units.yaml", units),
        ]
        if let file, let text, let index = files.firstIndex(where: { $0.0 == file }) { files[index].1 = text }
        return files.map { PlaybookSource(file: $0.0, text: $0.1) }
    }
}

@Suite("Playbook loader on a small hand-made basin")
struct PlaybookLoaderTests {
    @Test func loadsTheSmallBasin() throws {
        let loaded = try PlaybookLoader().load(SmallBasin.sources(), folder: "t")
        #expect(loaded.basin.rivers.count == 2)
        #expect(loaded.basin.units.count == 3)
        #expect(
            loaded.files.map(\.description) == [
                "t/liujiang.yaml: river liujiang (Liujiang River), 100 km, 1 reach, 0 sites, 0 receptors, "
                    + "0 sections, 0 measures",
                "t/longjiang.yaml: river longjiang (Longjiang River), 50 km, 1 reach, 0 sites, 0 receptors, "
                    + "0 sections, 0 measures",
                "t/pollutants.yaml: pollutants, 1 pollutant",
                "t/units.yaml: units, 3 units",
            ])
    }

    @Test func schemaVersion2IsRefusedNamingTheSupportedVersion() {
        let text = SmallBasin.units.replacingOccurrences(of: "schemaVersion: 1", with: "schemaVersion: 2")
        let file = PlaybookLoader().decodeFile(PlaybookSource(file: "units.yaml", text: text))
        #expect(file.document == nil)
        #expect(
            file.diagnostics.map(\.description) == [
                "units.yaml:1:16: schemaVersion: unsupported schemaVersion 2; this build reads schemaVersion: 1"
            ])
    }

    @Test func missingSchemaVersionIsRefused() {
        let text = SmallBasin.units.replacingOccurrences(of: "schemaVersion: 1\n", with: "")
        let file = PlaybookLoader().decodeFile(PlaybookSource(file: "units.yaml", text: text))
        #expect(
            file.diagnostics.map(\.description) == [
                "units.yaml:1:1: schemaVersion: missing schemaVersion; this build reads schemaVersion: 1"
            ])
    }

    @Test func unknownKindIsRefusedListingTheKinds() {
        let text = SmallBasin.units.replacingOccurrences(of: "kind: units", with: "kind: lake")
        let file = PlaybookLoader().decodeFile(PlaybookSource(file: "units.yaml", text: text))
        #expect(
            file.diagnostics.map(\.description) == [
                "units.yaml:2:7: kind: unknown kind \"lake\"; expected one of: river, park, sea, units, pollutants, peers"
            ])
    }

    @Test func coreProblemIsPlacedAtItsField() throws {
        let text = SmallBasin.river(id: "longjiang", lengthKm: 50, joins: "liujiang", reachToKm: 70)
        let sources = SmallBasin.sources(replacing: "t/longjiang.yaml", with: text)
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let line = try #require(lineNumber(of: "toKm: 70", in: text))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/longjiang.yaml:\(line):11: reaches[0].toKm: km 70.0 is beyond the river's length 50.0 km"
            ])
    }

    @Test func confluenceToAMissingRiverIsPlacedAtJoinsRiver() throws {
        let text = SmallBasin.river(id: "longjiang", lengthKm: 50, joins: "nowhere")
        let sources = SmallBasin.sources(replacing: "t/longjiang.yaml", with: text)
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let line = try #require(lineNumber(of: "joins:", in: text))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/longjiang.yaml:\(line):16: joins.river: joins unknown river \"nowhere\""
            ])
    }

    @Test func aRiverThatCannotBeReadDoesNotMakeItsTributariesFail() throws {
        // A tab breaks liujiang.yaml; longjiang joins liujiang, but only the tab is reported.
        let text = SmallBasin.river(id: "liujiang", lengthKm: 100)
            .replacingOccurrences(of: "    toKm: 100", with: "\ttoKm: 100")
        let sources = SmallBasin.sources(replacing: "t/liujiang.yaml", with: text)
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let line = try #require(lineNumber(of: "\ttoKm", in: text))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/liujiang.yaml:\(line):1: YAML indentation must use spaces, not tabs"
            ])
    }

    @Test func unreadableUnitsFileDoesNotMakeEveryOwnerUnknown() {
        let sources = SmallBasin.sources(
            replacing: "t/units.yaml", with: SmallBasin.units.replacingOccurrences(of: "units:\n", with: "units: [\n"))
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        #expect(error?.diagnostics.count == 1)
        #expect(error?.diagnostics.first?.file == "t/units.yaml")
    }

    @Test func aWrongValueIsReportedOnceNotAgainByTheBasinCheck() throws {
        let text = SmallBasin.river(id: "liujiang", lengthKm: 100)
            .replacingOccurrences(of: "meanDischargeM3s: 50", with: "meanDischargeM3s: lots")
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(SmallBasin.sources(replacing: "t/liujiang.yaml", with: text), folder: "t")
        }
        let line = try #require(lineNumber(of: "lots", in: text))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/liujiang.yaml:\(line):23: reaches[0].meanDischargeM3s: expected a number, got \"lots\""
            ])
    }

    @Test func emptySourceIsPlacedAtItsObject() throws {
        let text = SmallBasin.river(id: "liujiang", lengthKm: 100)
            .replacingOccurrences(of: "source: test reach", with: "source: \"  \"")
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(SmallBasin.sources(replacing: "t/liujiang.yaml", with: text), folder: "t")
        }
        let line = try #require(lineNumber(of: "source: \"  \"", in: text))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/liujiang.yaml:\(line):13: reaches[0].source: a figure-bearing object needs a source"
            ])
    }

    @Test func missingUnitsFileIsReportedOnceForTheFolder() {
        let sources = SmallBasin.sources().filter { $0.file != "t/units.yaml" }
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        #expect(error?.diagnostics.map(\.description) == ["t:1:1: no file of kind units in the folder"])
    }

    @Test func peersFileLoadsAndAnUnknownProvinceIsPlacedAtItsEntry() throws {
        let peers = """
            schemaVersion: 1
            kind: peers
            peers:
              - province: "450000"
                name: Guangxi
                notifyWithinH: 1
                marginH: 2
                agreement: test agreement
              - province: "999999"
                name: Nowhere
                notifyWithinH: 1
                marginH: 2
                agreement: test agreement
            """
        // A second province for the neighbour: a peer is a province (or a country).
        let units = SmallBasin.units + "\n  - {code: \"440000\", name: Guangdong, kind: province}"
        let basin = SmallBasin.sources(replacing: "t/units.yaml", with: units)
        let sources = basin + [PlaybookSource(file: "seeds/peers.yaml", text: peers)]
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let line = try #require(lineNumber(of: "999999", in: peers))
        // `province: ` follows "  - " on that line: the value starts at column 15.
        #expect(error?.diagnostics.count == 1)
        let diagnostic = try #require(error?.diagnostics.first)
        #expect(diagnostic.description.hasPrefix("seeds/peers.yaml:\(line):15: peers[1].province: "))
        #expect(diagnostic.message.contains("\"999999\"") && diagnostic.message.contains("unknown unit"))
        let valid = peers.replacingOccurrences(of: "999999", with: "440000")
        let loaded = try PlaybookLoader().load(
            basin + [PlaybookSource(file: "seeds/peers.yaml", text: valid)], folder: "t")
        #expect(loaded.basin.agreements.count == 2)
        #expect(loaded.files.last?.description == "seeds/peers.yaml: peers, 2 agreements (450000, 440000)")
    }

    /// `certSHA256` (DESIGN.md "Certificates per province") must be a SHA-256 fingerprint: 63 digits are refused at
    /// the field, 64 (or 32 colon-separated pairs) load.
    @Test func aMalformedPinnedFingerprintIsPlacedAtItsField() throws {
        let digits = String(repeating: "ab", count: 32)
        func peers(_ pin: String) -> String {
            """
            schemaVersion: 1
            kind: peers
            peers:
              - province: "440000"
                name: Guangdong
                notifyWithinH: 1
                marginH: 2
                agreement: test agreement
                certSHA256: "\(pin)"
            """
        }
        let units = SmallBasin.units + "\n  - {code: \"440000\", name: Guangdong, kind: province}"
        let basin = SmallBasin.sources(replacing: "t/units.yaml", with: units)
        let short = peers(String(digits.dropLast()))
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(basin + [PlaybookSource(file: "seeds/peers.yaml", text: short)], folder: "t")
        }
        let line = try #require(lineNumber(of: "certSHA256", in: short))
        // `    certSHA256: ` is 16 characters: the value starts at column 17.
        #expect(
            error?.diagnostics.map(\.description).first?.hasPrefix("seeds/peers.yaml:\(line):17: peers[0].certSHA256: ")
                == true)
        #expect(error?.diagnostics.count == 1)
        for pin in [digits, Array(repeating: "AB", count: 32).joined(separator: ":")] {
            let loaded = try PlaybookLoader().load(
                basin + [PlaybookSource(file: "seeds/peers.yaml", text: peers(pin))], folder: "t")
            #expect(loaded.basin.agreements["440000"]?.certSHA256 == pin)
        }
    }

    /// `silentAfterMin` is minutes of silence on the link before a phone task: 1 min to a day (0 would call on every
    /// pass; the YAML decoder already refuses `.inf`).
    @Test(arguments: [("0", "0.0"), ("1441", "1441.0"), ("-5", "-5.0")])
    func aLinkSilenceOutOfRangeIsPlacedAtItsField(minutes: String, shown: String) throws {
        let peers = """
            schemaVersion: 1
            kind: peers
            peers:
              - province: "440000"
                name: Guangdong
                notifyWithinH: 1
                marginH: 2
                agreement: test agreement
                silentAfterMin: \(minutes)
            """
        let units = SmallBasin.units + "\n  - {code: \"440000\", name: Guangdong, kind: province}"
        let sources =
            SmallBasin.sources(replacing: "t/units.yaml", with: units) + [
                PlaybookSource(file: "seeds/peers.yaml", text: peers)
            ]
        let error = #expect(throws: PlaybookLoadError.self) { try PlaybookLoader().load(sources, folder: "t") }
        let line = try #require(lineNumber(of: "silentAfterMin", in: peers))
        #expect(
            error?.diagnostics.map(\.description) == [
                "seeds/peers.yaml:\(line):21: peers[0].silentAfterMin: \"440000\": \(shown) min is outside 1…1440 min"
            ])
    }

    /// `rivers` and `seas` name playbooks: a shared river the basin does not have is refused at the field (it would
    /// silently share nothing).
    @Test func anUnknownSharedRiverIsPlacedAtItsField() throws {
        let peers = """
            schemaVersion: 1
            kind: peers
            peers:
              - province: "440000"
                name: Guangdong
                notifyWithinH: 1
                marginH: 2
                agreement: test agreement
                rivers: [liujiang, xijang]
                seas: [south-china-sea]
            """
        let units = SmallBasin.units + "\n  - {code: \"440000\", name: Guangdong, kind: province}"
        let sources =
            SmallBasin.sources(replacing: "t/units.yaml", with: units) + [
                PlaybookSource(file: "seeds/peers.yaml", text: peers)
            ]
        let error = #expect(throws: PlaybookLoadError.self) { try PlaybookLoader().load(sources, folder: "t") }
        let rivers = try #require(lineNumber(of: "rivers:", in: peers))
        let seas = try #require(lineNumber(of: "seas:", in: peers))
        // The values start after `    rivers: ` (12 characters) and `    seas: ` (10): columns 13 and 11.
        #expect(
            error?.diagnostics.map(\.description) == [
                "seeds/peers.yaml:\(rivers):13: peers[0].rivers: \"440000\": unknown river \"xijang\"",
                "seeds/peers.yaml:\(seas):11: peers[0].seas: \"440000\": unknown sea area \"south-china-sea\"",
            ])
    }

    @Test func aDuplicatedPlaybookIdIsReportedInTheSecondFile() throws {
        let copy = SmallBasin.river(id: "liujiang", lengthKm: 100)
        let sources = SmallBasin.sources() + [PlaybookSource(file: "t/zz-copy.yaml", text: copy)]
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let idLine = try #require(lineNumber(of: "id: liujiang", in: copy))
        let reachLine = try #require(lineNumber(of: "- id: liujiang-upper", in: copy))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/zz-copy.yaml:\(idLine):5: id: id \"liujiang\" does not match the file name \"zz-copy.yaml\"",
                "t/zz-copy.yaml:\(idLine):5: id: duplicate id \"liujiang\" (also used in liujiang)",
                "t/zz-copy.yaml:\(reachLine):9: reaches[0].id: duplicate id \"liujiang-upper\" (also used in liujiang)",
            ])
    }

    @Test(arguments: ["LengthKm: 100", "lengthKm: NaN"])
    func aWrongLengthGivesOneLineNotTheBasinChecksOfItsPlaceholder(line: String) throws {
        // The placeholder length 0 would put the reach's toKm (100) beyond the river's length, and
        // longjiang's confluence at liujiang km 20 outside liujiang's 0…0 km.
        let text = SmallBasin.river(id: "liujiang", lengthKm: 100)
            .replacingOccurrences(of: "lengthKm: 100", with: line)
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(SmallBasin.sources(replacing: "t/liujiang.yaml", with: text), folder: "t")
        }
        let number = try #require(lineNumber(of: line, in: text))
        let expected =
            line.hasPrefix("L")
            ? "t/liujiang.yaml:\(number):1: LengthKm: unknown key \"LengthKm\" (did you mean \"lengthKm\"?); "
                + "expected one of: schemaVersion, kind, id, name, nameZh, version, chainageOrigin, lengthKm, joins, "
                + "mouth, reaches, sites, receptors, monitoringSections, measures, source, note"
            : "t/liujiang.yaml:\(number):11: lengthKm: expected a finite number, got NaN"
        #expect(error?.diagnostics.map(\.description) == [expected])
    }

    @Test func aFileWithDecodingProblemsKeepsItsOwnBasinProblemsOut() throws {
        // toKm 70 beyond the length 50 is a basin problem; the misspelt key is a decoding one.
        let text = SmallBasin.river(id: "longjiang", lengthKm: 50, joins: "liujiang", reachToKm: 70)
            .replacingOccurrences(of: "source: test river", with: "sorce: test river")
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(SmallBasin.sources(replacing: "t/longjiang.yaml", with: text), folder: "t")
        }
        let number = try #require(lineNumber(of: "sorce:", in: text))
        #expect(error?.diagnostics.map(\.field) == ["sorce"])
        #expect(error?.diagnostics.first?.line == number)
    }

    @Test func aBrokenSecondUnitsFileDoesNotReplaceTheValidOne() throws {
        // bomb.yaml sorts before units.yaml; its one unit has a misspelt key (a decoding problem).
        let bomb = """
            schemaVersion: 1
            kind: units
            source: nothing
            units:
              - {code: "450000", nme: Guangxi, kind: province}
            """
        let sources =
            [PlaybookSource(file: "t/bomb.yaml", text: bomb)] + SmallBasin.sources()
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let unitLine = try #require(lineNumber(of: "nme:", in: bomb))
        let unitText = bomb.split(separator: "\n")[unitLine - 1]
        let column =
            try unitText.distance(
                from: unitText.startIndex,
                to: #require(unitText.range(of: "nme"))
                    .lowerBound) + 1
        // `kind: units` is line 2 of units.yaml; its value starts at column 7.
        let kindLine = try #require(lineNumber(of: "kind: units", in: SmallBasin.units))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/bomb.yaml:\(unitLine):\(column): units[0].nme: unknown key \"nme\" (did you mean \"name\"?); "
                    + "expected one of: code, name, nameZh, kind, parent",
                "t/units.yaml:\(kindLine):7: kind: a second units file (the first is t/bomb.yaml); list them in one file",
            ])
    }

    @Test func aPlaybookNamedOtherwiseThanItsIdIsReportedAtTheId() throws {
        let text = SmallBasin.river(id: "liujiang", lengthKm: 100)
        var sources = SmallBasin.sources()
        sources[0].file = "t/liujiang2.yaml"
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let number = try #require(lineNumber(of: "id: liujiang", in: text))
        #expect(
            error?.diagnostics.map(\.description) == [
                "t/liujiang2.yaml:\(number):5: id: id \"liujiang\" does not match the file name \"liujiang2.yaml\""
            ])
    }

    @Test func registriesAndPeersNeedNoNameOfTheirOwn() throws {
        let sources = SmallBasin.sources().map { source in
            var renamed = source
            if source.file == "t/units.yaml" { renamed.file = "t/admin-units.yml" }
            if source.file == "t/pollutants.yaml" { renamed.file = "t/table.yaml" }
            return renamed
        }
        #expect(try PlaybookLoader().load(sources, folder: "t").files.count == 4)
    }

    @Test func aTextOverFourMiBIsRefusedUnread() {
        // 4 MiB = 4,194,304 bytes; one byte more rounds up to 4.1 MiB.
        let text = "# " + String(repeating: "x", count: 4 * 1024 * 1024 - 1)
        let file = PlaybookLoader().decodeFile(PlaybookSource(file: "big.yaml", text: text))
        #expect(
            file.diagnostics.map(\.description) == [
                "big.yaml:1:1: the file is 4.1 MiB; a playbook may be at most 4 MiB"
            ])
    }

    @Test func diagnosticsAreSortedByFileLineAndColumn() {
        let unsorted = [
            PlaybookDiagnostic(file: "b.yaml", line: 1, column: 1, field: "", message: "4"),
            PlaybookDiagnostic(file: "a.yaml", line: 9, column: 2, field: "", message: "3"),
            PlaybookDiagnostic(file: "a.yaml", line: 9, column: 1, field: "", message: "2"),
            PlaybookDiagnostic(file: "a.yaml", line: 2, column: 7, field: "", message: "1"),
        ]
        #expect(PlaybookLoadError(diagnostics: unsorted).diagnostics.map(\.message) == ["1", "2", "3", "4"])
    }
}
