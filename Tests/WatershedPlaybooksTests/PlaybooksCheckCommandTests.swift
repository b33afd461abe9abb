import Foundation
import Testing
import WatershedCLI
import WatershedPlaybooks
import WatershedTestSupport

/// Runs `watershed <arguments>` in-process and returns the exit code and what it wrote.
func runCheck(_ arguments: [String]) async -> (code: Int32, output: [String], errors: [String]) {
    let capture = CommandOutput(capture: true)
    let code = await CommandOutput.$current.withValue(capture) { await Watershed.run(arguments) }
    func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }
    return (code, lines(capture.standardOutput), lines(capture.standardError))
}

@Suite("watershed playbooks check")
struct PlaybooksCheckCommandTests {
    @Test func realPlaybooksPassWithASummaryLinePerFile() async throws {
        let directory = Fixtures.playbooksDirectory.path
        let result = await runCheck(["playbooks", "check", directory])
        #expect(result.code == 0, "\(result.errors.joined(separator: "\n"))")
        #expect(result.errors.isEmpty)
        let files = try PlaybookLoader.playbookFiles(in: directory) + (realPeersFile.map { [$0] } ?? [])
        #expect(result.output.count == files.count + 1)
        for (line, file) in zip(result.output, files) {
            #expect(line.hasPrefix(file + ": "), "\(line)")
        }
        #expect(result.output.last?.hasPrefix("\(files.count) files, no problems: ") == true)
        let longjiang = result.output.first { $0.hasPrefix(directory + "/longjiang.yaml: ") }
        #expect(longjiang?.contains(": river longjiang (龙江), 105 km, ") == true, "\(longjiang ?? "")")
    }

    @Test func brokenCopyFailsWithOneLinePerProblem() async throws {
        let copy = try BrokenCopy.make()
        defer { Fixtures.removeScratchCopy(copy.directory) }
        let result = await runCheck(["playbooks", "check", copy.directory.path])
        #expect(result.code == 1)
        #expect(result.output.isEmpty)
        #expect(result.errors.count == copy.breakages.count, "\(result.errors.joined(separator: "\n"))")
        for (line, expected) in zip(result.errors, copy.breakages) {
            let prefix = "\(expected.file):\(expected.line):\(expected.column): "
            let field = expected.field.isEmpty ? "" : expected.field + ": "
            #expect(line.hasPrefix(prefix + field + expected.message), "\(line)")
        }
    }

    @Test func missingFolderIsAUsageError() async {
        let result = await runCheck(["playbooks", "check", "/nonexistent/playbooks"])
        #expect(result.code == 2)
        #expect(
            result.errors == [
                "playbooks check: no folder \"/nonexistent/playbooks\"; give the playbooks folder as DIR"
            ])
    }

    @Test func missingPeersFileIsAUsageError() async {
        let result = await runCheck([
            "playbooks", "check", Fixtures.playbooksDirectory.path, "--peers", "/nonexistent/peers.yaml",
        ])
        #expect(result.code == 2)
        #expect(result.errors == ["--peers: no file \"/nonexistent/peers.yaml\""])
    }
}
