import Foundation
import Testing
import WatershedCLI
import WatershedCore
import WatershedTestSupport

/// Runs `watershed` in-process and captures what it writes.
func runWatershed(_ arguments: [String]) async -> (code: Int32, out: String, err: String) {
    let output = CommandOutput(capture: true)
    let code = await CommandOutput.$current.withValue(output) { await Watershed.run(arguments) }
    return (code, output.standardOutput, output.standardError)
}

/// `watershed plan` on the real playbooks: the scenarios the foundations issue must show.
@Suite struct PlanCommandTests {
    let basin = ["--playbooks", Fixtures.playbooksDirectory.path, "--peers", Fixtures.peersFile.path]
    let longjiang = [
        "plan", "--river", "longjiang", "--km", "0", "--pollutant", "cadmium", "--mass-kg", "21000", "--at",
        "2012-01-15T08:00:00+08:00",
    ]

    func plan(_ arguments: [String]) async throws -> PlanDocument {
        let result = await runWatershed(arguments + basin + ["--json"])
        #expect(result.code == 0, "\(result.err)")
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(PlanDocument.self, from: Data(result.out.utf8))
    }

    func arrival(_ plan: PlanDocument, _ node: String) throws -> Arrival {
        try #require(plan.arrivals.first { $0.node == node }, "no arrival at \(node)")
    }

    /// The 2012 Longjiang spill at Lalang reaches Luodong, Sancha and Nuomitan in that order (their
    /// chainages increase downstream), then the Liuzhou intake, and far downstream the Guangdong
    /// boundary on the Xijiang.
    @Test func longjiangReachesLiuzhouAndGuangdong() async throws {
        let plan = try await plan(longjiang)
        let order = [
            "longjiang-luodong-dam", "longjiang-sancha-dam", "longjiang-nuomitan-dam", "liujiang-liuzhou-hexi-intake",
        ]
        let times = try order.map { try arrival(plan, $0).earliestArrival }
        #expect(times == times.sorted())
        let guangdong = try #require(
            plan.arrivals.first { $0.river == "xijiang" && $0.kind == .boundary && $0.beyond == "440000" })
        #expect(guangdong.earliestArrival > times.last!)
        #expect(plan.peerNotifications.first?.province == "440000")
        #expect(plan.spillUnit == "451203")
        // Ungraded cadmium: Art. 4(3) → the 2 h path, due 10:00 +08:00 (02:00Z).
        #expect(plan.obligations.first?.dueBy == ISO8601DateFormatter().date(from: "2012-01-15T02:00:00Z"))
    }

    /// A level set below the grading hint stands, and the plan says so (issue 17): 30 deaths grade I (2014 plan:
    /// 30 or more), the bureau set IV. Set at I, nothing is said.
    @Test func aLevelBelowTheHintIsSaid() async throws {
        let below = await runWatershed(longjiang + ["--level", "IV", "--deaths", "30"] + basin)
        #expect(below.code == 0, "\(below.err)")
        #expect(
            below.out.contains(
                "Level IV stands (the bureau's determination, MEP Order No. 17 Art. 3), but the plan grades I "
                    + "(2014 national plan): 30 deaths → I"), "\(below.out)")
        let at = await runWatershed(longjiang + ["--level", "I", "--deaths", "30"] + basin)
        #expect(at.code == 0, "\(at.err)")
        #expect(!at.out.contains("stands (the bureau's determination"), "\(at.out)")
    }

    /// Holding Lalang 48 h and Luodong 72 h moves the Liuzhou arrival out by exactly 120 h.
    @Test func holdsMoveTheLiuzhouArrival() async throws {
        let free = try await plan(longjiang)
        let held = try await plan(
            longjiang + ["--hold", "longjiang-lalang-dam:48", "--hold", "longjiang-luodong-dam:72"])
        let before = try arrival(free, "liujiang-liuzhou-hexi-intake")
        let after = try arrival(held, "liujiang-liuzhou-hexi-intake")
        #expect(after.earliestArrival.timeIntervalSince(before.earliestArrival) == 120 * 3_600)
        #expect(after.likelyArrival.timeIntervalSince(before.likelyArrival) == 120 * 3_600)
    }

    /// With the dams held long enough for the dosing points to be set up, the dosing measures lower the
    /// predicted Liuzhou peak: each dosing point the slug passes removes its fraction (0.5 each in the
    /// playbook, from the 40–60 % of 2012), so with-measures is at most half of without.
    @Test func dosingLowersTheLiuzhouPeak() async throws {
        let held = try await plan(longjiang + ["--hold", "longjiang-lalang-dam:48"])
        let liuzhou = try arrival(held, "liujiang-liuzhou-hexi-intake")
        let without = try #require(liuzhou.withoutMeasures)
        let with = try #require(liuzhou.withMeasures)
        #expect(with.peakMgL <= 0.5 * without.peakMgL)
        #expect(held.tasks.contains { $0.kind == .measure && $0.action == "dose" && $0.feasible })
    }

    /// A He River spill above Hemianshi: a required notification to Guangdong at the Fulong boundary,
    /// crossing before the Fengkai intakes are reached, which follow in downstream order.
    @Test func heRiverNotifiesGuangdongAtFulong() async throws {
        let plan = try await plan([
            "plan", "--river", "he-river", "--km", "140", "--pollutant", "thallium", "--mass-kg", "500", "--at",
            "2013-07-05T12:00:00+08:00",
        ])
        let notification = try #require(plan.peerNotifications.first { $0.province == "440000" })
        #expect(notification.requirement == .required)
        #expect(notification.boundary == "he-river-fulong-boundary")
        let intakes = [
            "he-river-nanfeng-intake", "he-river-duping-intake", "he-river-baigou-intake", "he-river-jiangkou-intake",
        ]
        let times = try intakes.map { try arrival(plan, $0).earliestArrival }
        #expect(times == times.sorted())
        #expect(notification.crossingAt < times[0])
        #expect(notification.deadline <= notification.crossingAt)
    }

    /// An oil slick off Tieshangang with a south-west wind drifts north-east and crosses into Guangdong's waters.
    @Test func tieshangangSlickReachesGuangdong() async throws {
        let plan = try await plan([
            "plan", "--sea", "beibu-gulf-guangxi", "--lng", "109.45", "--lat", "21.45", "--pollutant", "crude-oil",
            "--mass-kg", "50000", "--wind-ms", "10", "--wind-from-deg", "225", "--current-ms", "0", "--current-to-deg",
            "0", "--at", "2024-11-21T09:00:00+08:00",
        ])
        let boundary = try #require(plan.arrivals.first { $0.kind == .maritimeBoundary && $0.beyond == "440000" })
        #expect(boundary.earliestArrival > plan.input.at)
        #expect(plan.peerNotifications.contains { $0.province == "440000" })
    }

    /// The text report prints times in local time with the offset.
    @Test func textReportUsesLocalTimeWithOffset() async {
        let result = await runWatershed(longjiang + basin)
        #expect(result.code == 0)
        #expect(result.out.contains("2012-01-15 08:00 +08:00"))
        #expect(result.out.contains("ARRIVALS"))
        #expect(result.out.contains("REPORT OBLIGATIONS"))
        #expect(result.out.contains("PEER NOTIFICATIONS"))
    }

    @Test(arguments: [
        (["--river", "nile", "--km", "0", "--pollutant", "cadmium"], "--river: unknown river \"nile\""),
        (["--river", "longjiang", "--km", "500", "--pollutant", "cadmium"], "--km: km 500.0 is outside longjiang"),
        (["--river", "longjiang", "--km", "0", "--pollutant", "kryptonite"], "--pollutant: unknown pollutant"),
        (["--river", "longjiang", "--km", "0", "--pollutant", "cadmium", "--mass-kg", "-5"], "--mass-kg"),
        (["--river", "longjiang", "--km", "0", "--pollutant", "cadmium", "--level", "V"], "--level"),
        (["--river", "longjiang", "--km", "0", "--pollutant", "cadmium", "--hold", "nowhere:5"], "--hold"),
        (["--km", "0", "--pollutant", "cadmium"], "Give exactly one place"),
    ])
    func usageErrorsNameTheFlag(arguments: [String], message: String) async {
        let result = await runWatershed(["plan"] + arguments + basin)
        #expect(result.code == 2)
        #expect(result.err.contains(message), "\(result.err)")
        #expect(result.out.isEmpty)
    }

    @Test func helpExitsZero() async {
        let result = await runWatershed(["plan", "--help"])
        #expect(result.code == 0)
        #expect(result.out.contains("--hold"))
    }
}

/// The command tree as a whole.
@Suite struct CommandTreeTests {
    /// An unknown command is a usage error, even with --help, naming the known commands.
    @Test func unknownCommandIsAUsageError() async {
        let result = await runWatershed(["launch", "--help"])
        #expect(result.code == 2)
        #expect(result.err.contains("unknown command \"launch\""))
        #expect(result.err.contains("plan"))
    }

    /// swift-argument-parser's usage exit code 64 becomes 2.
    @Test func parserUsageErrorIsTwo() async {
        let result = await runWatershed(["plan", "--no-such-flag"])
        #expect(result.code == 2)
    }

    @Test func rootHelpListsTheCommands() async {
        let result = await runWatershed(["--help"])
        #expect(result.code == 0)
        #expect(result.out.contains("playbooks"))
        #expect(result.out.contains("plan"))
    }
}
