import Foundation

/// What this binary is (issue 20, "`watershed --version` (version and commit), a `watershed_build_info` metric").
///
/// The version is set here when a release is made. The commit is found at run time, in order: `WATERSHED_COMMIT`;
/// a file `watershed.commit` beside the executable (the package build writes one); the checkout the executable was
/// built in (`.build/…/watershed` → `.git/HEAD`, read without running git); else `unknown`.
public enum BuildInfo {
    /// The release this source is (semantic versioning).
    public static let version = "0.19.0"

    /// The commit the binary was built from: 12 hex digits, or `unknown`.
    public static let commit: String = {
        if let given = ProcessInfo.processInfo.environment["WATERSHED_COMMIT"], !given.isEmpty {
            return String(given.prefix(12))
        }
        // The running file itself (`/proc/self/exe` on Linux), not argv[0]: run from PATH (`watershed`) or through
        // the package's /usr/bin symlink, argv[0] names neither the folder nor the file.
        let executable = (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments.first ?? ""))
            .resolvingSymlinksInPath()
        let beside = executable.deletingLastPathComponent().appendingPathComponent("watershed.commit")
        if let text = try? String(contentsOf: beside, encoding: .utf8) {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return String(trimmed.prefix(12)) }
        }
        var folder = executable.deletingLastPathComponent()
        while folder.path != "/" {
            if let commit = gitHead(folder.appendingPathComponent(".git")) { return String(commit.prefix(12)) }
            folder.deleteLastPathComponent()
        }
        return "unknown"
    }()

    /// `watershed 0.19.0 (commit 2fa95d0c1b2a)`.
    public static var description: String { "watershed \(version) (commit \(commit))" }

    /// The commit `.git/HEAD` names: a detached hash, or the branch's ref from `refs/heads/…` or `packed-refs`. In a
    /// worktree `.git` is a file naming its folder (`gitdir: …`), whose `commondir` holds the refs.
    public static func gitHead(_ git: URL) -> String? {
        var folder = git
        var common = git
        if let link = try? String(contentsOf: git, encoding: .utf8), link.hasPrefix("gitdir: ") {
            let path = link.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines)
            folder =
                path.hasPrefix("/")
                ? URL(fileURLWithPath: path) : git.deletingLastPathComponent().appendingPathComponent(path)
            common = folder
            if let relative = try? String(contentsOf: folder.appendingPathComponent("commondir"), encoding: .utf8) {
                let trimmed = relative.trimmingCharacters(in: .whitespacesAndNewlines)
                common = trimmed.hasPrefix("/") ? URL(fileURLWithPath: trimmed) : folder.appendingPathComponent(trimmed)
            }
        }
        guard
            let head = try? String(contentsOf: folder.appendingPathComponent("HEAD"), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        else { return nil }
        guard head.hasPrefix("ref: ") else { return isHash(head) ? head : nil }
        let ref = String(head.dropFirst(5))
        for base in [folder, common] {
            if let loose = try? String(contentsOf: base.appendingPathComponent(ref), encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines), isHash(loose)
            {
                return loose
            }
        }
        let packed = (try? String(contentsOf: common.appendingPathComponent("packed-refs"), encoding: .utf8)) ?? ""
        for line in packed.split(separator: "\n") where line.hasSuffix(" " + ref) {
            let hash = String(line.prefix(40))
            if isHash(hash) { return hash }
        }
        return nil
    }

    static func isHash(_ text: String) -> Bool { text.count == 40 && text.allSatisfy(\.isHexDigit) }
}
