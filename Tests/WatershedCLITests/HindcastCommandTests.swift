import Foundation
import Testing
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

/// The shipped hindcasts (issue 17) — Longjiang 2012, He River 2013, Elk River 2014: every case loads, runs and is no worse than the figures it records — a station
/// recorded in the band stays in it, an error recorded stays within 0.1 percentage point — and `watershed hindcast`
/// prints its table; a bad case file is named by file, line and column.
@Suite struct HindcastCommandTests {
    static var cases: [String] {
        let folder = Fixtures.repositoryRoot.appendingPathComponent("hindcasts")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { folder.appendingPathComponent($0).path }
    }

    /// Writes `text` as `name` in a fresh folder and runs `watershed hindcast` on it with the shipped playbooks.
    static func run(_ name: String, _ text: String) async throws -> (code: Int32, out: String, err: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hindcast-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(name).path
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return await runWatershed(["hindcast", "--playbooks", Fixtures.playbooksDirectory.path, file])
    }

    @Test func theShippedCasesAreNoWorseThanRecorded() async throws {
        #expect(Self.cases.count >= 3)
        for file in Self.cases {
            let value = try HindcastFile.load(file: file)
            // A river outside the shipped basin (the Elk River case) runs on the case's own playbooks.
            let folder = HindcastFile.playbooksFolder(
                of: value, file: file, fallback: Fixtures.playbooksDirectory.path)
            let basin = try PlaybookLoader().load(directory: folder).basin
            let recorded = try #require(value.recorded, "\(file) records no figures")
            #expect(!recorded.isEmpty)
            let result = try Hindcast.run(value, basin: basin)
            #expect(Hindcast.regressions(result, against: recorded) == [], "\(file)")
            // Every observed time is compared before any observation and after each one used.
            for row in result.rows { #expect(row.steps.count == result.used.count + 1, "\(file) \(row.node)") }
        }
    }

    /// The He River case by hand: Fulong (扶隆), 28 km below the Hemianshi dam, was seen by 04:00 on 07-06, 16 h after
    /// the slug was seen at the dam at noon on 07-05; the first observation is that one, so Baigou's error after it is
    /// counted from 04:00 on 07-06 (56 h before the 07-08 noon it was seen by).
    @Test func theCommandPrintsTheTable() async throws {
        let file = try #require(Self.cases.first { $0.hasSuffix("he-river-2013.yaml") })
        let run = await runWatershed([
            "hindcast", "--playbooks", Fixtures.playbooksDirectory.path, file,
        ])
        #expect(run.code == 0, "\(run.err)")
        #expect(run.out.contains("Observation 1: he-river-fulong-section leadingEdge at 2013-07-06 04:00 +08:00"))
        #expect(run.out.contains("Before any observation:"))
        #expect(run.out.contains("Baigou water-works intake 白垢水厂取水口"))
        let markdown = await runWatershed([
            "hindcast", "--markdown", "--playbooks", Fixtures.playbooksDirectory.path, file,
        ])
        #expect(markdown.out.hasPrefix("## He River cadmium and thallium, 2013 2013年贺江水污染事件 (`he-river-2013`)"))
    }

    /// A time zone that is not an IANA name is refused at its line.
    @Test func anUnknownTimeZoneIsNamed() async throws {
        let text = """
            schemaVersion: 1
            kind: hindcast
            id: zone
            name: Zone
            calibratedOn: nothing
            timeZone: Mars/Olympus
            source: hand-made
            spill: {river: longjiang, km: 0, at: 2012-01-15T12:00:00+08:00, pollutant: cadmium, flowRatio: 1, source: x}
            seen:
              - {node: longjiang-luodong-section, feature: leadingEdge, at: 2012-01-19T17:00:00+08:00, source: x}
            """
        let run = try await Self.run("zone.yaml", text)
        #expect(run.code == 1)
        #expect(run.err.contains("zone.yaml:6:11: timeZone: unknown time zone \"Mars/Olympus\""), "\(run.err)")
    }

    @Test func aBadTimeIsNamedByFileLineAndColumn() async throws {
        let text = """
            schemaVersion: 1
            kind: hindcast
            id: bad
            name: Bad
            calibratedOn: nothing
            source: hand-made
            spill:
              river: longjiang
              km: 0
              at: 2012-01-15 noon
              pollutant: cadmium
              flowRatio: 1
              source: hand-made
            seen:
              - {node: longjiang-luodong-section, feature: leadingEdge, at: 2012-01-19T17:00:00+08:00, source: x}
            """
        let run = try await Self.run("bad.yaml", text)
        #expect(run.code == 1)
        #expect(run.err.contains("bad.yaml:10:7: spill.at: \"2012-01-15 noon\" is not an ISO 8601 time with offset"))
    }
}
