import ArgumentParser
import Foundation
import WatershedCore
import WatershedPlaybooks

/// Where the offline commands find the shared basin map and the neighbours' agreements.
struct BasinOptions: ParsableArguments {
    @Option(help: "The playbooks folder.") var playbooks = "playbooks"
    @Option(
        help: ArgumentHelp(
            "The peers file with the neighbours' notification agreements.",
            discussion: "Default: seeds/450000/peers.yaml beside the playbooks folder, when it exists."))
    var peers: String?

    /// The peers file to read: the one given, else the default if it exists.
    var peersFile: String? {
        if let peers { return peers }
        let base = URL(fileURLWithPath: playbooks).standardizedFileURL.deletingLastPathComponent()
        let candidate = base.appendingPathComponent("seeds/450000/peers.yaml").path
        return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
    }

    /// Loads the basin.
    ///
    /// - Throws: ``CommandExit`` 2 when the folder does not exist, 1 with one
    ///   `file:line:column: field: message` line per problem when a file is invalid.
    func loadBasin() throws -> Basin {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: playbooks, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw CommandExit.usage(
                "--playbooks: no folder \"\(playbooks)\"; run from the repository or pass --playbooks DIR")
        }
        if let peers, !FileManager.default.fileExists(atPath: peers) {
            throw CommandExit.usage("--peers: no file \"\(peers)\"")
        }
        do {
            return try PlaybookLoader().load(directory: playbooks, peersFile: peersFile).basin
        } catch {
            throw CommandExit.invalid(error.description)
        }
    }
}
