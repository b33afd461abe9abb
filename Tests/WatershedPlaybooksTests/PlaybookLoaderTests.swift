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
        let sources = SmallBasin.sources() + [PlaybookSource(file: "seeds/peers.yaml", text: peers)]
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(sources, folder: "t")
        }
        let line = try #require(lineNumber(of: "999999", in: peers))
        #expect(
            error?.diagnostics.map(\.description) == [
                "seeds/peers.yaml:\(line):15: peers[1].province: unknown unit \"999999\""
            ])
        let valid = peers.replacingOccurrences(of: "999999", with: "450200")
        let loaded = try PlaybookLoader().load(
            SmallBasin.sources() + [PlaybookSource(file: "seeds/peers.yaml", text: valid)], folder: "t")
        #expect(loaded.basin.agreements.count == 2)
        #expect(loaded.files.last?.description == "seeds/peers.yaml: peers, 2 agreements (450000, 450200)")
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
                "t/zz-copy.yaml:\(idLine):5: id: duplicate id \"liujiang\" (also used in liujiang)",
                "t/zz-copy.yaml:\(reachLine):9: reaches[0].id: duplicate id \"liujiang-upper\" (also used in liujiang)",
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
