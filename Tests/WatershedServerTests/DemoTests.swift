import Foundation
import Testing
import WatershedTestSupport

/// `watershed demo` as a newcomer runs it (issue 6): two server processes, the He River joint drill through them,
/// both sides printed and the score. At ×3600 (a drill hour per wall second) to keep CI short; what the test checks
/// does not depend on the speed: the notification crosses and comes back accepted, the Fulong follow-up reaches
/// Guangdong, the drill ends on both sides and the servers stop.
@Suite struct DemoTests {
    @Test func theDemoPlaysTheJointDrillThroughTwoServers() async throws {
        try await HeavyTests.exclusive { try await Self.playDemo() }
    }

    static func playDemo() async throws {
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.currentDirectoryURL = Fixtures.repositoryRoot
        process.arguments = ["demo", "--clock-factor", "3600", "--reaction-ms", "100", "--timeline"]
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString).out")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        // At most 4 minutes (about 45 s of drill at ×3600, plus starting and stopping two servers).
        for _ in 0..<2_400 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = try String(contentsOf: output, encoding: .utf8)
        #expect(process.terminationStatus == 0, "\(text.suffix(3_000))")
        for expected in [
            "GX server (450000) up", "GD server (440000) up", "GX → GD peer link up (mutual TLS;",
            "initial report GX-2026-0001 filed",
            "initial report GD-2026-0001 filed (from 450000, their GX-2026-0001)",
            "GD-2026-0001/T1 dispatched to provincial-duty-chief of 440000: Acknowledge",
            "neighbour 440000 received", "neighbour 440000 accepted (by 440000/provincial-duty-chief)",
            "from 450000: level set to II", "drill ended (ended by 450000)", "of 6 expectations met",
            "GD's copy of the drill: ended, incidents GD-2026-0001", "both servers stopped",
            // The after-action timeline merges both provinces' logs.
            "After-action timeline of both provinces (drill time):",
            "[GD] 440000/provincial-duty-chief: GD-2026-0001/T1 acknowledged by provincial-duty-chief of 440000",
            "[GX] peer 440000: neighbour 440000 accepted (by 440000/provincial-duty-chief)",
        ] {
            #expect(text.contains(expected), "missing \"\(expected)\" in:\n\(text.suffix(3_000))")
        }
        // Guangdong's units get their own tasks (Fengkai 441225), never Guangxi's.
        #expect(text.contains("dispatched to county-duty-officer of 441225"))
        #expect(!text.contains("GD-2026-0001/T2 dispatched to county-duty-officer of 45"))
    }
}
