import Foundation
import Testing
import WatershedCLI
import WatershedClient
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// `watershed drill check|start|list|end|score` in-process (issue 6): positions of problems in a scenario file, the
/// join commands `start` prints, and the score as JSON. (`drill join` runs on a pseudo-terminal in
/// `Tests/terminal/drill_join_pty.py`; `DemoTests` runs `watershed demo`.)
@Suite struct DrillCommandTests {
    static let scenarios = Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/drills")
    static let basinFlags = [
        "--playbooks", Fixtures.playbooksDirectory.path,
        "--peers", Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/peers.yaml").path,
    ]

    @Test func checkAcceptsTheShippedScenariosAndPlacesEveryProblem() async throws {
        for name in ["longjiang-cadmium-2012", "he-river-2013-joint", "beibu-gulf-oil-joint"] {
            let file = Self.scenarios.appendingPathComponent("\(name).yaml").path
            let result = await watershed(["drill", "check", file] + Self.basinFlags)
            #expect(result.code == 0, "\(result.err)")
            #expect(result.out.hasPrefix("\(file): ok — "))
        }
        // A copy of the He River scenario beside its reports, with three faults.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("drill-check-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for report in ["he-river-2013-joint.initial.json", "he-river-2013-joint.followup-fulong.json"] {
            try FileManager.default.copyItem(
                at: Self.scenarios.appendingPathComponent(report), to: folder.appendingPathComponent(report))
        }
        var text = try String(
            contentsOf: Self.scenarios.appendingPathComponent("he-river-2013-joint.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "clockFactor: 60\n", with: "clockFactor: 6000\n")
        text = text.replacingOccurrences(of: "peers: [\"440000\"]", with: "peers: [\"440000\", \"999999\"]")
        text = text.replacingOccurrences(
            of: "reportFile: he-river-2013-joint.followup-fulong.json", with: "reportFile: missing.json")
        let file = folder.appendingPathComponent("broken.yaml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        let lines = text.components(separatedBy: "\n")
        func line(_ prefix: String) -> Int { (lines.firstIndex { $0.hasPrefix(prefix) } ?? -1) + 1 }
        let missingLine = (lines.firstIndex { $0.contains("reportFile: missing.json") } ?? -1) + 1
        let result = await watershed(["drill", "check", file] + Self.basinFlags)
        #expect(result.code == 1)
        // A file that cannot be read stops the checks that need its report: only that problem is given.
        // At the value (column 17 of `    reportFile: missing.json`).
        #expect(result.err.contains("\(file):\(missingLine):17: injects[2].reportFile: cannot read"))
        try Data(
            text.replacingOccurrences(
                of: "reportFile: missing.json", with: "reportFile: he-river-2013-joint.followup-fulong.json"
            )
            .utf8
        ).write(to: URL(fileURLWithPath: file))
        let again = await watershed(["drill", "check", file] + Self.basinFlags)
        #expect(again.code == 1)
        #expect(again.err.contains("\(file):\(line("clockFactor")):14: clockFactor: 6000.0 is outside 1…3600"))
        #expect(again.err.contains("\(file):\(line("peers")):"))
        #expect(again.err.contains("peers[1]: province 999999 is not a neighbour in peers.yaml"))
    }

    @Test func startPrintsJoinCommandsAndScoreIsJSON() async throws {
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_796_004_000))
        try await LiveServer.withAPI(clock: clock, scheduler: true) { handle, _ in
            let file = Self.scenarios.appendingPathComponent("longjiang-cadmium-2012.yaml").path
            let commander = ClientCommandTests.flags(handle, token: DevToken.commander)
            let started = await watershed(["drill", "start", file, "--clock-factor", "30"] + commander)
            #expect(started.code == 0, "\(started.err)")
            #expect(started.out.contains("[DRILL] Drill "))
            #expect(
                started.out.contains("Drill clock: 2012-01-15 08:00 +08:00 at ×30 (a drill hour in 2 wall minutes)"))
            let joins = started.out.components(separatedBy: "\n").filter { $0.contains("watershed drill join ") }
            #expect(joins.count == 5)
            #expect(joins.allSatisfy { $0.contains("--token wsd-drill-") && $0.contains("--ca \(handle.caFile)") })
            // Run from a checkout (the tests' binary is under .build/), the line to copy is one that runs there.
            #expect(joins.allSatisfy { $0.hasPrefix("    swift run watershed drill join ") }, "\(joins)")
            let words = try #require(joins.first?.split(separator: " ").map(String.init))
            let id = try #require(words.firstIndex(of: "join").map { words[$0 + 1] })
            #expect(id.count == 8)

            let viewer = ClientCommandTests.flags(handle, token: DevToken.viewer)
            let list = await watershed(["drill", "list"] + viewer)
            #expect(list.out.contains(id))
            #expect(list.out.contains("Longjiang cadmium, 2012"))
            // An officer may not end a drill; the commander may, once.
            let officer = await watershed(
                ["drill", "end", id] + ClientCommandTests.flags(handle, token: DevToken.officer))
            #expect(officer.code == 1)
            let ended = await watershed(["drill", "end", id] + commander)
            #expect(ended.code == 0, "\(ended.err)")
            #expect(await watershed(["drill", "end", id] + commander).code == 1)

            let score = await watershed(["drill", "score", id, "--json"] + viewer)
            #expect(score.code == 0)
            let decoded = try WatershedClient.decoder.decode(DrillScore.self, from: Data(score.out.utf8))
            #expect(decoded.ended)
            #expect(decoded.total == 6)
            // Nobody acted: nothing met; the timeline runs from the start to the end.
            #expect(decoded.met == 0)
            #expect(decoded.timeline.first?.type == .drillStarted)
            #expect(decoded.timeline.last?.type == .drillEnded)
            let unknown = await watershed(["drill", "score", "00000000"] + viewer)
            #expect(unknown.code == 1)
            #expect(unknown.err.contains("unknown_drill"))
        }
    }
}
