import Foundation
import Testing
import WatershedPlaybooks
import WatershedTestSupport

@testable import WatershedCLI

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

    @Test func entriesThatAreNotReadableFilesAreReportedNotSkipped() async throws {
        let copy = try Fixtures.scratchCopyOfPlaybooks()
        defer { Fixtures.removeScratchCopy(copy) }
        let manager = FileManager.default
        try manager.createSymbolicLink(
            atPath: copy.appendingPathComponent("dang.yaml").path, withDestinationPath: "nowhere.yaml")
        try manager.createSymbolicLink(
            atPath: copy.appendingPathComponent("loop1.yaml").path, withDestinationPath: "loop2.yaml")
        try manager.createSymbolicLink(
            atPath: copy.appendingPathComponent("loop2.yaml").path, withDestinationPath: "loop1.yaml")
        try manager.createDirectory(at: copy.appendingPathComponent("x.yaml"), withIntermediateDirectories: false)
        let result = await runCheck(["playbooks", "check", copy.path])
        #expect(result.code == 1)
        #expect(
            result.errors == [
                "\(copy.path)/dang.yaml:1:1: cannot read the file: it is a symbolic link to \"nowhere.yaml\", "
                    + "which does not exist",
                "\(copy.path)/loop1.yaml:1:1: cannot read the file: it is a symbolic link in a loop of links",
                "\(copy.path)/loop2.yaml:1:1: cannot read the file: it is a symbolic link in a loop of links",
                "\(copy.path)/x.yaml:1:1: cannot read the file: it is a folder",
            ])
    }

    @Test func aFileOverFourMiBIsRefusedBeforeItIsRead() async throws {
        let copy = try Fixtures.scratchCopyOfPlaybooks()
        defer { Fixtures.removeScratchCopy(copy) }
        // A sparse 50 MiB file: refused from its size alone, so the check stays quick.
        let big = copy.appendingPathComponent("big.yaml")
        #expect(FileManager.default.createFile(atPath: big.path, contents: nil))
        let handle = try FileHandle(forWritingTo: big)
        try handle.truncate(atOffset: 50 * 1024 * 1024)
        try handle.close()
        let result = await runCheck(["playbooks", "check", copy.path])
        #expect(result.code == 1)
        #expect(result.errors == ["\(big.path):1:1: the file is 50 MiB; a playbook may be at most 4 MiB"])
    }

    @Test func invalidUTF8IsReportedAtTheFirstBadByte() async throws {
        let copy = try Fixtures.scratchCopyOfPlaybooks()
        defer { Fixtures.removeScratchCopy(copy) }
        let url = copy.appendingPathComponent("pollutants.yaml")
        var data = try Data(contentsOf: url)
        // Line 3 of pollutants.yaml starts after the second newline; put 0xFF after "中" (3 bytes, 1 column).
        let newlines = data.indices.filter { data[$0] == UInt8(ascii: "\n") }
        let lineThree = try #require(newlines.dropFirst().first) + 1
        data.insert(contentsOf: Array("中".utf8) + [0xFF], at: lineThree)
        try data.write(to: url)
        let result = await runCheck(["playbooks", "check", copy.path])
        #expect(result.code == 1)
        #expect(
            result.errors == [
                "\(url.path):3:2: the file is not UTF-8 text: byte 0xFF starts no UTF-8 character; save the file as UTF-8"
            ])
    }

    @Test func thePeersFileIsFoundFromInsideThePlaybooksFolder() throws {
        let copy = try Fixtures.scratchCopyOfPlaybooks()
        defer { Fixtures.removeScratchCopy(copy) }
        let root = copy.deletingLastPathComponent().path
        // `cd playbooks && watershed playbooks check .`
        #expect(
            PlaybooksCommand.Check.defaultPeersFile(beside: ".", currentDirectory: copy.path)
                == "../seeds/450000/peers.yaml")
        #expect(
            PlaybooksCommand.Check.defaultPeersFile(beside: "./", currentDirectory: copy.path)
                == "../seeds/450000/peers.yaml")
        // `cd <root> && watershed playbooks check playbooks` keeps the path as it was printed before.
        #expect(
            PlaybooksCommand.Check.defaultPeersFile(beside: "playbooks", currentDirectory: root)
                == "seeds/450000/peers.yaml")
        #expect(
            PlaybooksCommand.Check.defaultPeersFile(beside: "playbooks/../playbooks/", currentDirectory: root)
                == "seeds/450000/peers.yaml")
        #expect(
            PlaybooksCommand.Check.defaultPeersFile(beside: copy.path, currentDirectory: "/")
                == root + "/seeds/450000/peers.yaml")
        #expect(PlaybooksCommand.Check.defaultPeersFile(beside: ".", currentDirectory: root) == nil)
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
