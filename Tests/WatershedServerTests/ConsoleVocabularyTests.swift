import Foundation
import Testing
import WatershedCore
import WatershedTestSupport

/// One Chinese vocabulary: the console (`Sources/WatershedServer/Console/i18n.js`) names event types, task states and
/// levels in the words Core gives them (``EventType/nameZh``, ``TaskState/nameZh``, ``SeverityLevel/nameZh``,
/// ``SeverityLevel/ungradedZh``), which the after-action report and the command line print. Before, the three
/// disagreed (a declined task was 任务退回 in the report, 拒绝任务 in the console and the CLI); a word changed on one
/// side only fails here, naming the term.
@Suite struct ConsoleVocabularyTests {
    static let i18n = Fixtures.repositoryRoot.appendingPathComponent("Sources/WatershedServer/Console/i18n.js")

    /// The entries of `const <table> = { <language>: { … }, … }` in i18n.js, key to word: `TaskDeclined: '拒绝任务'`,
    /// `'state:open': '处置中'`, `PeerEventReceived: "neighbour's event received"`. The language's block runs from
    /// its `  zh: {` line to the next line that is `  },`.
    static func words(_ table: String, _ language: String) throws -> [String: String] {
        let text = try String(contentsOf: i18n, encoding: .utf8)
        let opened = try #require(text.range(of: "\nconst \(table) = {"), "no const \(table) in i18n.js")
        let start = try #require(
            text.range(of: "\n  \(language): {\n", range: opened.upperBound..<text.endIndex),
            "no \(language) block in \(table)")
        let end = try #require(text.range(of: "\n  },\n", range: start.upperBound..<text.endIndex))
        let block = text[start.upperBound..<end.lowerBound]
        var words: [String: String] = [:]
        for match in block.matches(of: /(?:'([^']+)'|([A-Za-z]\w*)): (?:'([^']*)'|"([^"]*)")/) {
            let key = String(match.output.1 ?? match.output.2 ?? "")
            words[key] = String(match.output.3 ?? match.output.4 ?? "")
        }
        return words
    }

    @Test func theConsoleNamesEveryEventTypeAsCoreDoes() throws {
        let zh = try Self.words("terms", "zh")
        let en = try Self.words("terms", "en")
        // The reading itself, on words looked up in i18n.js by hand.
        #expect(zh["TaskDeclined"] == "拒绝任务")
        #expect(zh["TaskDispatched"] == "派发任务")
        #expect(zh["state:open"] == "处置中")
        #expect(en["PeerEventReceived"] == "neighbour's event received")
        #expect(EventType.allCases.count == 36)
        for type in EventType.allCases {
            #expect(zh[type.rawValue] == type.nameZh, "i18n.js terms.zh.\(type.rawValue) ≠ EventType.\(type).nameZh")
            #expect(en[type.rawValue] != nil, "i18n.js terms.en has no \(type.rawValue)")
        }
    }

    @Test func theConsoleNamesEveryTaskStateAsCoreDoes() throws {
        let zh = try Self.words("terms", "zh")
        #expect(zh["dispatched"] == "已派发")
        #expect(
            TaskState.allCases.map(\.rawValue) == ["dispatched", "acknowledged", "inProgress", "done", "cancelled"])
        for state in TaskState.allCases {
            #expect(
                zh[state.rawValue] == state.nameZh, "i18n.js terms.zh.\(state.rawValue) ≠ TaskState.\(state).nameZh")
        }
    }

    /// The console writes a level `{level} 级` (`levelSuffix`, report.js) and no level `未分级` (`ungraded`).
    @Test func theConsoleWritesLevelsAsCoreDoes() throws {
        let strings = try Self.words("strings", "zh")
        #expect(strings["ungraded"] == "未分级")
        #expect(SeverityLevel.ungradedZh == "未分级")
        let suffix = try #require(strings["levelSuffix"])
        #expect(suffix == "级")
        #expect(SeverityLevel.allCases.map(\.nameZh) == ["I 级", "II 级", "III 级", "IV 级"])
        for level in SeverityLevel.allCases {
            #expect(level.nameZh == "\(level) \(suffix)")
        }
    }
}
