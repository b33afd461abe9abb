import Foundation

/// How to run this program again, for the commands it prints for people to copy (`drill start`'s join lines, "See
/// it with: …"): `swift run watershed` when the running binary is a build in a checkout (`…/.build/…/watershed`,
/// which is not on `PATH`), else `watershed` (the package's `/usr/bin/watershed`, or an installed copy).
enum CommandName {
    static let current: String = {
        let path = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ""))
            .resolvingSymlinksInPath().path
        return path.contains("/.build/") ? "swift run watershed" : "watershed"
    }()
}
