import Foundation
import WatershedFederation

/// The folders this target ships as SwiftPM resources (`resources:` in Package.swift: `Console`, `OpenAPI`), found at
/// run time by hand: in the resource bundle beside the running executable (or beside the file a symlink to it
/// names), else in the package's own source folder (a development checkout).
///
/// Not through `Bundle.module`, whose accessor stops the process with `fatalError` when the bundle is missing; here a
/// missing bundle is a start-up error that says where to put it.
enum BundledResources {
    /// SwiftPM's resource bundle of this target, which `swift build` puts beside the executable.
    static let bundle = "Watershed_WatershedServer.resources"

    /// The shipped folder `name` (`Console`, `OpenAPI`): the first candidate that holds `marker`, a file every copy
    /// of the folder has.
    ///
    /// - Returns: the folder's URL.
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` naming the bundle and every place looked in, when no
    ///   candidate holds `marker`.
    static func folder(_ name: String, marker: String) throws -> URL {
        var candidates: [URL] = []
        var executables = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL {
            executables.append(executable.deletingLastPathComponent())
            executables.append(executable.resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for folder in executables {
            candidates.append(folder.appendingPathComponent(bundle).appendingPathComponent(name))
        }
        // Sources/WatershedServer/Routes/BundledResources.swift → Sources/WatershedServer/<name>
        let target = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(target.appendingPathComponent(name))
        guard
            let found = candidates.first(where: {
                FileManager.default.fileExists(atPath: $0.appendingPathComponent(marker).path)
            })
        else {
            throw ServerStartupError.invalidFiles([
                "the \(name) files are missing: put \(bundle) (from .build/release/) beside the watershed "
                    + "executable; looked in " + candidates.map(\.path).joined(separator: ", ")
            ])
        }
        return found
    }
}
