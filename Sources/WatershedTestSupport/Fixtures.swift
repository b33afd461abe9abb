import Foundation

/// Paths into the repository for tests, and scratch copies of the playbooks folder that a
/// test may break.
public enum Fixtures {
    /// The repository root: the nearest folder above this source file that holds `Package.swift`.
    public static let repositoryRoot: URL = findRepositoryRoot()

    /// `playbooks/` in the repository: the real basin map.
    public static var playbooksDirectory: URL { repositoryRoot.appendingPathComponent("playbooks") }

    /// `seeds/450000/peers.yaml` in the repository: Guangxi's peers and notification agreements.
    public static var peersFile: URL {
        repositoryRoot.appendingPathComponent("seeds/450000/peers.yaml")
    }

    /// Copies `playbooks/` (and `seeds/450000/peers.yaml`, when there is one) into a fresh
    /// temporary folder laid out like the repository, and returns the copy's `playbooks` folder:
    /// `<tmp>/watershed-<uuid>/playbooks`, with `<tmp>/watershed-<uuid>/seeds/450000/peers.yaml`
    /// beside it. Remove it with ``removeScratchCopy(_:)``.
    ///
    /// - Throws: The file manager's error when the copy fails.
    public static func scratchCopyOfPlaybooks() throws -> URL {
        let manager = FileManager.default
        let root = manager.temporaryDirectory.appendingPathComponent("watershed-\(UUID().uuidString)")
        try manager.createDirectory(at: root, withIntermediateDirectories: true)
        let playbooks = root.appendingPathComponent("playbooks")
        try manager.copyItem(at: playbooksDirectory, to: playbooks)
        if manager.fileExists(atPath: peersFile.path) {
            let seeds = root.appendingPathComponent("seeds/450000")
            try manager.createDirectory(at: seeds, withIntermediateDirectories: true)
            try manager.copyItem(at: peersFile, to: seeds.appendingPathComponent("peers.yaml"))
        }
        return playbooks
    }

    /// Removes a copy made by ``scratchCopyOfPlaybooks()`` (the whole temporary folder around it).
    /// Does nothing for a folder that is not such a copy.
    public static func removeScratchCopy(_ playbooks: URL) {
        let root = playbooks.deletingLastPathComponent()
        guard root.lastPathComponent.hasPrefix("watershed-"),
            root.path.hasPrefix(FileManager.default.temporaryDirectory.path)
        else { return }
        try? FileManager.default.removeItem(at: root)
    }

    private static func findRepositoryRoot(from file: String = #filePath) -> URL {
        var folder = URL(fileURLWithPath: file).deletingLastPathComponent()
        while folder.path != "/" {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                return folder
            }
            folder = folder.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    }
}
