import Foundation
import Testing
import WatershedPlaybooks
import WatershedTestSupport

/// One breakage made in a scratch copy of `playbooks/`, with where it must be reported.
///
/// The line and column are worked out from the text the breakage inserted, never from the loader.
struct Breakage {
    var file: String
    var line: Int
    var column: Int
    var field: String
    var message: String
}

/// A scratch copy of the real playbooks with five breakages at once:
/// a tab in `liujiang.yaml`'s indentation, an unknown key in `hongshui.yaml`, a reach
/// chainage beyond `qianjiang.yaml`'s length, a confluence from `longjiang.yaml` to a river
/// that does not exist, and an empty `source` in `pollutants.yaml`.
struct BrokenCopy {
    let directory: URL
    let breakages: [Breakage]

    static func make() throws -> BrokenCopy {
        let directory = try Fixtures.scratchCopyOfPlaybooks()
        var breakages: [Breakage] = []
        do {
            // 1. A tab in the indentation of liujiang's first reach end.
            breakages.append(
                try edit(directory, "liujiang.yaml", lineStarting: "    toKm:") { line, _ in
                    let text = "\t" + line.dropFirst(4)
                    return (text, 1, "", "YAML indentation must use spaces, not tabs")
                })
            // 2. An unknown key in hongshui's first reach, on a line of its own.
            breakages.append(
                try edit(directory, "hongshui.yaml", lineStarting: "    fromKm:") { line, _ in
                    (
                        line + "\n    colour: brown", 5, "reaches[0].colour",
                        "unknown key \"colour\"; expected one of: id, fromKm, toKm"
                    )
                })
            // 3. qianjiang's last reach ends beyond the river's length.
            breakages.append(
                try edit(directory, "qianjiang.yaml", lineStarting: "    toKm:", last: true) { _, reach in
                    ("    toKm: 9999", 11, "reaches[\(reach)].toKm", "km 9999.0 is beyond the river's length")
                })
            // 4. longjiang joins a river that does not exist.
            breakages.append(
                try edit(directory, "longjiang.yaml", lineStarting: "joins:") { line, _ in
                    let text = line.replacingOccurrences(of: "river: liujiang", with: "river: nosuchriver")
                    let found = try #require(text.range(of: "nosuchriver"), "longjiang no longer joins liujiang")
                    let column = text.distance(from: text.startIndex, to: found.lowerBound) + 1
                    return (text, column, "joins.river", "joins unknown river \"nosuchriver\"")
                })
            // 5. The first pollutant's source is empty.
            breakages.append(
                try edit(directory, "pollutants.yaml", lineStarting: "    source:") { _, _ in
                    ("    source: \"\"", 13, "pollutants[0].source", "a figure-bearing object needs a source")
                })
        } catch {
            Fixtures.removeScratchCopy(directory)
            throw error
        }
        breakages.sort { ($0.file, $0.line) < ($1.file, $1.line) }
        return BrokenCopy(directory: directory, breakages: breakages)
    }

    /// A scratch copy where the `source:` line of the first receptor of `xijiang.yaml` is deleted.
    static func withoutASource() throws -> (directory: URL, expected: Breakage) {
        let directory = try Fixtures.scratchCopyOfPlaybooks()
        let url = directory.appendingPathComponent("xijiang.yaml")
        var lines = try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let receptors = try #require(lines.firstIndex(of: "receptors:"))
        let next = try #require(lines[(receptors + 1)...].firstIndex { !$0.hasPrefix(" ") && !$0.isEmpty })
        let source = try #require(lines[receptors..<next].firstIndex { $0.hasPrefix("    source:") })
        let first = try #require(lines[receptors..<next].firstIndex { $0.hasPrefix("  - ") })
        lines.remove(at: source)
        while lines.count > source, lines[source].hasPrefix("      ") { lines.remove(at: source) }  // a folded value
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        // The receptor's mapping starts after "  - " on its first line.
        return (
            directory,
            Breakage(
                file: url.path, line: first + 1, column: 5, field: "receptors[0].source",
                message: "missing required field \"source\"")
        )
    }

    /// Replaces the first (or last) line of `name` that starts with `prefix`; `change` gets the line and
    /// how many lines before it start with `prefix`, and returns the new text, the column of the
    /// problem, the field and the start of the message. The line is that of the new text's last line.
    private static func edit(
        _ directory: URL, _ name: String, lineStarting prefix: String, last: Bool = false,
        _ change: (String, Int) throws -> (text: String, column: Int, field: String, message: String)
    ) throws -> Breakage {
        let url = directory.appendingPathComponent(name)
        var lines = try String(contentsOf: url, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let found = last ? lines.lastIndex { $0.hasPrefix(prefix) } : lines.firstIndex { $0.hasPrefix(prefix) }
        let index = try #require(found, "\(name) has no line starting with \(prefix)")
        let before = lines[..<index].filter { $0.hasPrefix(prefix) }.count
        let (text, column, field, message) = try change(lines[index], before)
        lines[index] = text
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        let line = index + text.split(separator: "\n", omittingEmptySubsequences: false).count
        return Breakage(file: url.path, line: line, column: column, field: field, message: message)
    }
}

@Suite("A broken copy of the playbooks")
struct BrokenPlaybooksTests {
    @Test func everyBreakageIsReportedOnceAtItsFileLineAndField() throws {
        let copy = try BrokenCopy.make()
        defer { Fixtures.removeScratchCopy(copy.directory) }
        let peers = copy.directory.deletingLastPathComponent().appendingPathComponent("seeds/450000/peers.yaml")
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(
                directory: copy.directory.path,
                peersFile: FileManager.default.fileExists(atPath: peers.path) ? peers.path : nil)
        }
        let diagnostics = try #require(error?.diagnostics)
        #expect(diagnostics.count == copy.breakages.count, "\(error?.description ?? "")")
        for (diagnostic, expected) in zip(diagnostics, copy.breakages) {
            #expect(diagnostic.file == expected.file)
            #expect(diagnostic.line == expected.line, "\(diagnostic)")
            #expect(diagnostic.column == expected.column, "\(diagnostic)")
            #expect(diagnostic.field == expected.field, "\(diagnostic)")
            #expect(diagnostic.message.hasPrefix(expected.message), "\(diagnostic)")
            #expect(diagnostic.description.hasPrefix("\(expected.file):\(expected.line):\(expected.column): "))
        }
    }

    @Test func aDeletedSourceIsReportedAtItsObject() throws {
        let (directory, expected) = try BrokenCopy.withoutASource()
        defer { Fixtures.removeScratchCopy(directory) }
        let error = #expect(throws: PlaybookLoadError.self) {
            try PlaybookLoader().load(directory: directory.path)
        }
        #expect(
            error?.diagnostics.map(\.description) == [
                "\(expected.file):\(expected.line):\(expected.column): \(expected.field): \(expected.message)"
            ])
    }
}
