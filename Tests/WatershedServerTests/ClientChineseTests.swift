import Foundation
import Testing
import WatershedServer
import WatershedWire

/// The command line in one language at a time (issue 21, "the CLI follows --lang / the locale the same way"):
/// `watershed incidents` and `watershed incident show` with `--lang zh` print no English word — no run of three or more
/// Latin letters outside an allow-list of codes (`CAP`) and the level `III` — except what people wrote (the report's
/// information source and signing officer, kept as written).
///
/// The Longjiang cadmium report of ``longjiangReport(massKg:km:river:discoveredAt:)``: 21,000 kg at km 0 of the
/// Longjiang, filed by Yizhou (451203) without a level, discovered 2012-01-15 08:00 +08:00.
@Suite struct ClientChineseTests {
    static let allowed: Set<Substring> = ["CAP", "III"]

    /// The runs of three or more Latin letters in `text` that are not allowed.
    static func english(in text: String) -> [Substring] {
        var runs: [Substring] = []
        var start: String.Index?
        for index in text.indices {
            let isLatin = text[index].isASCII && text[index].isLetter
            if isLatin, start == nil { start = index }
            if !isLatin, let from = start {
                runs.append(text[from..<index])
                start = nil
            }
        }
        if let from = start { runs.append(text[from...]) }
        return runs.filter { $0.count >= 3 && !allowed.contains($0) }
    }

    @Test func incidentsAndIncidentShowPrintChineseThroughout() async throws {
        try await LiveServer.withAPI { handle, api in
            // Filed and a task acknowledged from the command line, in Chinese.
            let officer = ClientCommandTests.flags(handle, token: DevToken.officer) + ["--lang", "zh"]
            let file = try ClientCommandTests.file(longjiangReport())
            defer { try? FileManager.default.removeItem(atPath: file) }
            let opened = await watershed(["report", "initial", "--file", file] + officer)
            #expect(opened.code == 0, "\(opened.err)")
            let listed = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
            let incident = try #require(try listed.decoded([IncidentSummary].self).first)
            #expect(opened.out.hasPrefix("已开立事件 \(incident.reference)：未分级，龙江 km 0，镉，处置中；事件序号 1–"))
            // The command to type after 查看： is a command, not words.
            let said = opened.out.split(separator: "\n").filter { !$0.hasPrefix("查看：") }.joined(separator: "\n")
            #expect(opened.out.contains("查看：") && Self.english(in: said) == [], "\(opened.out)")
            // T1: dosing at the Yemao dam, Yizhou's county duty officer's (the first site below the spill).
            let acked = await watershed(["task", "ack", "\(incident.reference)/T1"] + officer)
            #expect(acked.code == 0, "\(acked.err)")
            #expect(acked.out.hasPrefix("\(incident.reference)/T1 已确认 — 在叶茂水电站投药处置\n"), "\(acked.out)")
            #expect(acked.out.contains("状态 已确认，承办 宜州区/县级值班员，开始时限 "), "\(acked.out)")
            #expect(Self.english(in: acked.out) == [], "\(acked.out)")
            let flags = ClientCommandTests.flags(handle, token: DevToken.viewer) + ["--time-zone", "Asia/Shanghai"]

            let shown = await watershed(["incident", "show", incident.reference, "--lang", "zh"] + flags)
            #expect(shown.code == 0, "\(shown.err)")
            let lines = shown.out.split(separator: "\n").map(String.init)
            // The head as worked out from the report and playbooks/longjiang.yaml, pollutants.yaml, units.yaml.
            #expect(lines.contains("事件  \(incident.reference)  未分级  处置中"), "\(shown.out)")
            #expect(lines.contains("地点        龙江 km 0，宜州区（451203）"), "\(shown.out)")
            #expect(lines.contains("污染物      镉，一次性排放21000 kg"), "\(shown.out)")
            #expect(lines.contains("发现时间    2012-01-15 08:00 +08:00"), "\(shown.out)")
            #expect(lines.contains { $0.hasPrefix("任务（") }, "\(shown.out)")
            #expect(lines.contains { $0.hasPrefix("到达预测（") }, "\(shown.out)")
            #expect(lines.contains { $0.hasPrefix("事件时间线（") }, "\(shown.out)")
            // Yizhou's county duty officer is the first task's assignee.
            #expect(shown.out.contains("宜州区/县级值班员"), "\(shown.out)")
            let written = ["fish deaths reported by Lalang reservoir staff", "Director Wei"]
            let shownSaid = written.reduce(shown.out) { $0.replacingOccurrences(of: $1, with: "") }
            #expect(Self.english(in: shownSaid) == [], "\(shown.out)")

            let table = await watershed(["incidents", "--lang", "zh"] + flags)
            #expect(table.code == 0, "\(table.err)")
            let rows = table.out.split(separator: "\n").map(String.init)
            #expect(rows.first?.hasPrefix("编号") == true, "\(table.out)")
            let row = try #require(rows.first { $0.hasPrefix(incident.reference) }, "\(table.out)")
            for cell in ["未分级", "龙江 km 0", "镉", "2012-01-15 08:00 +08:00", "处置中"] {
                #expect(row.contains(cell), "\(cell) in \(row)")
            }
            #expect(Self.english(in: table.out) == [], "\(table.out)")

            // English unchanged: the same incident in English names the pollutant by its id.
            let english = await watershed(["incidents", "--lang", "en"] + flags)
            #expect(english.out.hasPrefix("reference"), "\(english.out)")
            #expect(english.out.contains("longjiang km 0") && english.out.contains("cadmium"), "\(english.out)")
        }
    }
}
