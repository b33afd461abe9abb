import Foundation
import Testing
import WatershedPlaybooks
import WatershedTestSupport

/// The peers file to load with the real playbooks, when it has been written.
var realPeersFile: String? {
    FileManager.default.fileExists(atPath: Fixtures.peersFile.path) ? Fixtures.peersFile.path : nil
}

/// Loads the repository's playbooks folder and peers file, recording every problem as an issue.
func loadRealBasin() -> LoadedBasin? {
    do {
        return try PlaybookLoader().load(directory: Fixtures.playbooksDirectory.path, peersFile: realPeersFile)
    } catch {
        Issue.record("playbooks/ has problems:\n\(error.description)")
        return nil
    }
}
