import Testing
import WatershedCore

@testable import WatershedPlaybooks

/// A small type with the shapes playbooks use: strings, numbers, an optional, an enum and a list.
private struct Gauge: Codable, Equatable {
    var id: String
    var km: Double
    var kind: ReceptorKind
    var people: Int?
    var tags: [String]
}

private struct Gauges: Codable, Equatable {
    var gauges: [Gauge]
    var source: String
}

private func decode(_ yaml: String) -> StrictDecodingResult<Gauges> {
    StrictYAMLDecoder().decodeCollectingProblems(Gauges.self, from: yaml, file: "gauges.yaml")
}

/// The 1-based line of the first line of `yaml` that contains `text`, worked out from the text.
func lineNumber(of text: String, in yaml: String) -> Int? {
    let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
    return lines.firstIndex { $0.contains(text) }.map { $0 + 1 }
}

@Suite("Strict YAML decoder")
struct StrictYAMLDecoderTests {
    @Test func decodesAValidDocument() throws {
        let yaml = """
            gauges:
              - id: g1
                km: 3
                kind: intake
                people: 120000
                tags: [a, "b"]
              - {id: "450000", km: 4.5e1, kind: boundary, tags: []}
            source: "survey 2024"
            """
        let gauges = try StrictYAMLDecoder().decode(Gauges.self, from: yaml, file: "gauges.yaml")
        #expect(
            gauges
                == Gauges(
                    gauges: [
                        Gauge(id: "g1", km: 3, kind: .intake, people: 120_000, tags: ["a", "b"]),
                        Gauge(id: "450000", km: 45, kind: .boundary, people: nil, tags: []),
                    ], source: "survey 2024"))
    }

    @Test func unknownKeyIsReportedAtItsOwnLineAndColumn() {
        let yaml = """
            gauges:
              - id: g1
                km: 3
                colour: blue
                kind: intake
                tags: []
            source: x
            """
        let result = decode(yaml)
        // `colour` is on line 4, indented 4 spaces: column 5.
        #expect(result.diagnostics.count == 1)
        let diagnostic = result.diagnostics.first
        #expect(diagnostic?.file == "gauges.yaml")
        #expect(diagnostic?.line == 4)
        #expect(diagnostic?.column == 5)
        #expect(diagnostic?.field == "gauges[0].colour")
        #expect(diagnostic?.message == "unknown key \"colour\"; expected one of: id, km, kind, people, tags")
        #expect(
            diagnostic?.description
                == "gauges.yaml:4:5: gauges[0].colour: unknown key \"colour\"; expected one of: id, km, kind, people, tags"
        )
    }

    @Test func misspeltKeyIsOneProblemWithASuggestion() {
        let yaml = """
            gauges: []
            sorce: survey
            """
        let result = decode(yaml)
        #expect(
            result.diagnostics.map(\.description) == [
                "gauges.yaml:2:1: sorce: unknown key \"sorce\" (did you mean \"source\"?); expected one of: gauges, source"
            ])
    }

    @Test func tabIndentationGivesOneDiagnosticAtTheTab() {
        let yaml = "gauges:\n  - id: g1\n\tkm: 3\nsource: x\n"
        let result = decode(yaml)
        #expect(result.value == nil)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.line == 3)
        #expect(result.diagnostics.first?.column == 1)
        #expect(result.diagnostics.first?.field == "")
        #expect(result.diagnostics.first?.message == "YAML indentation must use spaces, not tabs")
        #expect(result.diagnostics.first?.description == "gauges.yaml:3:1: YAML indentation must use spaces, not tabs")
    }

    @Test func tabAfterSpacesIsFoundToo() {
        let yaml = "gauges:\n  - id: g1\n   \tkm: 3\nsource: x\n"
        let result = decode(yaml)
        #expect(
            result.diagnostics.map(\.description) == ["gauges.yaml:3:4: YAML indentation must use spaces, not tabs"])
    }

    @Test func tabInsideAValueIsFine() throws {
        let yaml = "gauges: []\nsource: \"a\\tb\"\n"
        #expect(try StrictYAMLDecoder().decode(Gauges.self, from: yaml, file: "gauges.yaml").source == "a\tb")
    }

    @Test func otherSyntaxErrorsAreReportedAtLibyamlsMark() {
        let yaml = "gauges: []\nsource: [a, b\n"
        let result = decode(yaml)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.hasPrefix("invalid YAML:") == true)
        #expect((result.diagnostics.first?.line ?? 0) >= 2)
    }

    @Test func duplicateKeyIsReportedAtTheSecondOne() {
        let yaml = "gauges: []\nsource: a\nsource: b\n"
        let result = decode(yaml)
        #expect(
            result.diagnostics.map(\.description) == ["gauges.yaml:3:1: duplicate key \"source\" (first at line 2)"])
    }

    @Test func everyDuplicateKeyInEveryMappingIsReported() {
        let yaml = """
            gauges:
              - id: g1
                km: 3
                kind: intake
                km: 4
                tags: []
                tags: []
              - id: g2
                km: 5
                id: g3
                kind: intake
                tags: []
            source: a
            source: b
            """
        // Worked out from the text: km (3, 5) and tags (6, 7) in gauges[0], id (8, 10) in
        // gauges[1] — the first key of a list item is at column 5 after "  - " — and source (13, 14).
        #expect(
            decode(yaml).diagnostics.map(\.description) == [
                "gauges.yaml:5:5: duplicate key \"km\" (first at line 3)",
                "gauges.yaml:7:5: duplicate key \"tags\" (first at line 6)",
                "gauges.yaml:10:5: duplicate key \"id\" (first at line 8)",
                "gauges.yaml:14:1: duplicate key \"source\" (first at line 13)",
            ])
    }

    @Test func aKeyRepeatedThreeTimesIsReportedTwice() {
        let yaml = "gauges: []\nsource: a\nsource: b\nsource: c\n"
        #expect(
            decode(yaml).diagnostics.map(\.description) == [
                "gauges.yaml:3:1: duplicate key \"source\" (first at line 2)",
                "gauges.yaml:4:1: duplicate key \"source\" (first at line 2)",
            ])
    }

    @Test func wrongTypesAreAllCollectedInOneRun() {
        let yaml = """
            gauges:
              - id: g1
                km: abc
                kind: intake
                people: 1.5
                tags: []
              - id: g2
                km: .inf
                kind: intake
                tags: nope
            source: [x]
            """
        let result = decode(yaml)
        #expect(result.value != nil)
        #expect(
            result.diagnostics.map(\.description) == [
                "gauges.yaml:3:9: gauges[0].km: expected a number, got \"abc\"",
                "gauges.yaml:5:13: gauges[0].people: expected a whole number, got 1.5",
                "gauges.yaml:8:9: gauges[1].km: expected a finite number, got .inf",
                "gauges.yaml:10:11: gauges[1].tags: expected a list, got \"nope\"",
                "gauges.yaml:11:9: source: expected a string, got a list",
            ])
    }

    @Test func nanIsRefused() {
        let result = decode("gauges:\n  - {id: g, km: .nan, kind: intake, tags: []}\nsource: x\n")
        #expect(result.diagnostics.map(\.message) == ["expected a finite number, got .nan"])
    }

    @Test(arguments: ["NaN", "nan", "-inf", "Infinity"])
    func nonFiniteSpellingsAreCalledNonFinite(text: String) {
        let result = decode("gauges:\n  - {id: g, km: \(text), kind: intake, tags: []}\nsource: x\n")
        #expect(result.diagnostics.map(\.message) == ["expected a finite number, got \(text)"])
    }

    @Test func aNumberTooLargeForADoubleIsOutOfRange() {
        // 1e400 is above Double.greatestFiniteMagnitude (about 1.8e308).
        let yaml = "gauges:\n  - id: g\n    km: 1e400\n    kind: intake\n    tags: []\nsource: x\n"
        // `km: ` is indented 4 spaces: the value starts at column 9 of line 3.
        #expect(
            decode(yaml).diagnostics.map(\.description) == [
                "gauges.yaml:3:9: gauges[0].km: the number 1e400 is out of range (a number is at most about 1.8e308)"
            ])
    }

    @Test func aWholeNumberTooLargeForAnIntIsOutOfRange() {
        // Int.max is 9223372036854775807 (19 digits); this has 20.
        let yaml = "gauges:\n  - {id: g, km: 1, kind: intake, people: 99999999999999999999, tags: []}\nsource: x\n"
        #expect(
            decode(yaml).diagnostics.map(\.message) == [
                "the number 99999999999999999999 is out of range for a whole number"
            ])
    }

    @Test func nestingBeyondLibyamlsLimitIsASentence() {
        // libyaml stops at 1000 levels (MAX_NESTING_LEVEL in Yams' parser.c).
        let yaml = "gauges: []\nsource: " + String(repeating: "[", count: 1100) + String(repeating: "]", count: 1100)
        let messages = decode(yaml).diagnostics.map(\.message)
        #expect(messages == ["invalid YAML: lists and mappings nest deeper than 1000 levels"])
        #expect(!messages.joined().contains("yaml_set_max_nest_level"))
    }

    @Test func aMergeKeyIsOneProblemAtTheKey() {
        let yaml = """
            gauges:
              - &first
                id: g1
                km: 3
                kind: intake
                tags: []
              - <<: *first
                id: g2
            source: x
            """
        // `<<` follows "  - " on line 7: column 5. No "missing required field" for the fields it
        // would have brought in, no "unknown key".
        #expect(
            decode(yaml).diagnostics.map(\.description) == [
                "gauges.yaml:7:5: gauges[1].<<: merge keys (<<) are not supported; write the fields out"
            ])
    }

    @Test func quotedNumberIsRefusedWithAHint() {
        let result = decode("gauges:\n  - {id: g, km: \"12\", kind: intake, tags: []}\nsource: x\n")
        #expect(
            result.diagnostics.map(\.message) == [
                "expected a number, got the quoted string \"12\"; remove the quotes"
            ])
    }

    @Test func missingRequiredFieldIsReportedAtItsMapping() {
        let yaml = """
            gauges:
              - id: g1
                kind: intake
                tags: []
            source: x
            """
        let result = decode(yaml)
        // The mapping of gauges[0] starts at `id` on line 2, column 5.
        #expect(
            result.diagnostics.map(\.description) == ["gauges.yaml:2:5: gauges[0].km: missing required field \"km\""])
        #expect(result.value?.gauges.first?.km == 0)
    }

    @Test func emptyRequiredValueIsReported() {
        let result = decode("gauges: []\nsource:\n")
        #expect(
            result.diagnostics.map(\.description) == ["gauges.yaml:2:1: source: expected a string, got an empty value"])
    }

    @Test func badEnumValueListsTheAllowedValues() {
        let yaml = """
            gauges:
              - id: g1
                km: 1
                kind: well
                tags: []
            source: x
            """
        let result = decode(yaml)
        #expect(
            result.diagnostics.map(\.description) == [
                "gauges.yaml:4:11: gauges[0].kind: \"well\" is not one of: intake, boundary, reservoir"
            ])
        #expect(result.value?.gauges.first?.kind == .intake)
    }

    @Test func aMappingWhereAListBelongsIsReported() {
        let result = decode("gauges: {id: g}\nsource: x\n")
        #expect(result.diagnostics.map(\.description) == ["gauges.yaml:1:9: gauges: expected a list, got a mapping"])
    }

    @Test func sourceMapLocatesFieldsAndFallsBackToTheParent() {
        let yaml = """
            gauges:
              - id: g1
                km: 3
                kind: intake
                tags:
                  - a
            source: x
            """
        let map = decode(yaml).sourceMap
        #expect(map.position(of: "gauges[0].km") == (3, 9))
        #expect(map.position(of: "gauges[0].tags") == (5, 5))
        #expect(map.position(of: "gauges[0].tags[0]") == (6, 9))
        #expect(map.position(of: "gauges[0].note") == (2, 5))
        #expect(map.position(of: "gauges[3].km") == (1, 1))
        #expect(map.recordedPosition(of: "gauges[0].note") == nil)
    }

    @Test func emptyTextIsReported() {
        #expect(
            decode("").diagnostics.map(\.description) == ["gauges.yaml:1:1: the file is empty; expected a YAML mapping"]
        )
    }

    @Test(arguments: [
        ("1", true), ("-2", true), ("+3", true), ("0x1F", true), ("0o17", true), ("1.5", false), ("", false),
        ("1e3", false), ("one", false),
    ])
    func integers(text: String, isInteger: Bool) {
        #expect((Scalars.integer(text) != nil) == isInteger)
    }

    @Test(arguments: [
        ("1.5", true), (".5", true), ("5.", true), ("-1.5e-3", true), ("1E10", true), ("1e", false), (".", false),
        ("1.2.3", false), ("nan", false), ("inf", false), ("0x1p3", false),
    ])
    func decimals(text: String, isDecimal: Bool) {
        #expect(Scalars.isDecimal(text) == isDecimal)
    }
}
