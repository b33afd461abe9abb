import ArgumentParser
import Foundation
import WatershedCore
import WatershedPlaybooks

/// `watershed playbooks …`: offline work on playbooks.
struct PlaybooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playbooks",
        abstract: "Check river, park and sea playbooks offline.",
        subcommands: [Check.self]
    )
}

extension PlaybooksCommand {
    /// `watershed playbooks check [DIR] [--peers FILE]`: validates the playbooks folder offline.
    ///
    /// Valid: one summary line per file and a total line on standard output, exit 0.
    /// Invalid: one `file:line:column: field: message` line per problem on standard error,
    /// exit 1. A folder or peers file that does not exist: a usage error, exit 2.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Validate the playbooks folder: one file:line:column: field: message line per problem.",
            discussion: """
                Reads every *.yaml and *.yml file in DIR (sorted, not recursive) and the peers file, \
                checks syntax, schemaVersion, kind, unknown keys, types, and the basin as a whole \
                (ids, chainages, the river network, owners, sources). A *.yaml name that is not a \
                readable file (a folder, a broken link) is a problem; so is a file over 4 MiB. \
                Exit 0 when valid, 1 on any problem.
                """
        )

        @Argument(help: "The playbooks folder.")
        var directory = "playbooks"

        @Option(
            help: ArgumentHelp(
                "The peers file with the neighbours' notification agreements.",
                discussion: "Default: seeds/450000/peers.yaml in the folder that holds DIR, when it exists.",
                valueName: "file"))
        var peers: String?

        func run() async throws {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
            else {
                throw CommandExit.usage("playbooks check: no folder \"\(directory)\"; give the playbooks folder as DIR")
            }
            if let peers, !FileManager.default.fileExists(atPath: peers) {
                throw CommandExit.usage("--peers: no file \"\(peers)\"")
            }
            let loaded: LoadedBasin
            do {
                loaded = try PlaybookLoader().load(directory: directory, peersFile: peersFile)
            } catch {
                throw CommandExit.invalid(error.description)
            }
            let output = CommandOutput.current
            for file in loaded.files { output.write(file.description) }
            output.write(Self.total(loaded))
        }

        /// The peers file to read: the one given, else `seeds/450000/peers.yaml` beside DIR if it exists.
        var peersFile: String? {
            peers
                ?? Self.defaultPeersFile(
                    beside: directory, currentDirectory: FileManager.default.currentDirectoryPath)
        }

        /// `seeds/450000/peers.yaml` in the folder that holds `directory`, when that file exists.
        ///
        /// `directory` is first made absolute (against `currentDirectory`) and standardized, so
        /// `.` inside `playbooks/` finds `../seeds/450000/peers.yaml`. The path is returned the way
        /// `directory` was given: absolute for an absolute DIR, else relative to `currentDirectory`
        /// (`seeds/450000/peers.yaml`, `../seeds/450000/peers.yaml`).
        static func defaultPeersFile(beside directory: String, currentDirectory: String) -> String? {
            let base = URL(fileURLWithPath: currentDirectory, isDirectory: true)
            let folder = URL(fileURLWithPath: directory, isDirectory: true, relativeTo: base).standardizedFileURL
            let candidate = folder.deletingLastPathComponent().appendingPathComponent("seeds/450000/peers.yaml")
                .standardizedFileURL.path
            guard FileManager.default.fileExists(atPath: candidate) else { return nil }
            if directory.hasPrefix("/") { return candidate }
            return relativePath(candidate, from: base.standardizedFileURL.path)
        }

        /// `path` relative to the folder `from` (both absolute and standardized), with `..` as needed.
        static func relativePath(_ path: String, from folder: String) -> String {
            let target = path.split(separator: "/")
            let start = folder.split(separator: "/")
            var common = 0
            while common < min(target.count, start.count), target[common] == start[common] { common += 1 }
            let parts = Array(repeating: "..", count: start.count - common) + target[common...].map(String.init)
            return parts.isEmpty ? "." : parts.joined(separator: "/")
        }

        /// `13 files, no problems: 11 rivers, 1 park, 1 sea, 56 units, 12 pollutants, 3 peer agreements`.
        static func total(_ loaded: LoadedBasin) -> String {
            let basin = loaded.basin
            func count(_ number: Int, _ singular: String, _ plural: String? = nil) -> String {
                "\(number) " + (number == 1 ? singular : plural ?? singular + "s")
            }
            let parts = [
                count(basin.rivers.count, "river"), count(basin.parks.count, "park"), count(basin.seas.count, "sea"),
                count(basin.units.count, "unit"), count(basin.pollutants.count, "pollutant"),
                count(basin.agreements.count, "peer agreement"),
            ]
            return count(loaded.files.count, "file") + ", no problems: " + parts.joined(separator: ", ")
        }
    }
}
