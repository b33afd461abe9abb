import Foundation
import Testing
import WatershedTestSupport

/// The console's Chinese web font (issue 21, "an officer's browser is not ours to set up"): every character the
/// console can show is in `Sources/WatershedServer/Console/fonts/watershed-cjk.woff2`, whose list of characters
/// `deploy/fonts/subset.py` writes beside it (`watershed-cjk.txt`), and the server serves it as `font/woff2`.
///
/// The characters are found the way the script finds them: CJK ideographs and CJK or full-width punctuation in the
/// console's files, in the playbooks and seeds, and in the Swift sources outside comment lines (the planner's and
/// the report rules' Chinese words) but for the command line's. A Chinese word added without running the script
/// again fails here, naming it.
@Suite struct WebFontSubsetTests {
    static let root = Fixtures.repositoryRoot
    static let fonts = root.appendingPathComponent("Sources/WatershedServer/Console/fonts")

    /// Whether `scalar` is one the font must carry: the ranges of deploy/fonts/subset.py's `CJK`.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00B7, 0x2010...0x2027, 0x2E80...0x9FFF, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFFEF: true
        default: false
        }
    }

    /// Every file under `folder` (recursively) whose name ends with one of `suffixes`.
    static func files(under folder: String, endingWith suffixes: [String]) -> [URL] {
        let base = root.appendingPathComponent(folder)
        let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil)
        return (walker?.allObjects as? [URL] ?? []).filter { url in suffixes.contains { url.path.hasSuffix($0) } }
    }

    /// The characters the console can show, with a file each is first found in.
    static func shown() throws -> [Unicode.Scalar: String] {
        var found: [Unicode.Scalar: String] = [:]
        func take(_ text: Substring, from file: URL) {
            for scalar in text.unicodeScalars where isCJK(scalar) && found[scalar] == nil {
                found[scalar] = file.path.replacingOccurrences(of: root.path + "/", with: "")
            }
        }
        let console = files(under: "Sources/WatershedServer/Console", endingWith: [".js", ".html", ".css"])
            .filter { !$0.path.contains("/fonts/") }
        let data = files(under: "playbooks", endingWith: [".yaml"]) + files(under: "seeds", endingWith: [".yaml"])
        for file in console + data { take(Substring(try String(contentsOf: file, encoding: .utf8)), from: file) }
        // The command line's own words print in a terminal, never in the console.
        let terminalOnly = ["/Sources/WatershedCLI/", "/Sources/WatershedClient/"]
        for file in files(under: "Sources", endingWith: [".swift"])
        where !terminalOnly.contains(where: { file.path.contains($0) }) {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            where !line.drop(while: { $0 == " " }).hasPrefix("//") {
                take(line, from: file)
            }
        }
        return found
    }

    @Test func theFontHasEveryCharacterTheConsoleCanShow() throws {
        let listed = Set(
            try String(contentsOf: Self.fonts.appendingPathComponent("watershed-cjk.txt"), encoding: .utf8)
                .unicodeScalars)
        let shown = try Self.shown()
        // Far more than a handful: the console's words, ~800 characters at the time of writing.
        #expect(shown.count > 700)
        let missing = shown.filter { !listed.contains($0.key) }.sorted { $0.key.value < $1.key.value }
        let named = missing.prefix(20).map { "\(Character($0.key)) (\($0.value))" }.joined(separator: ", ")
        #expect(missing.isEmpty, "not in the web font (run python3 deploy/fonts/subset.py): \(named)")
        // The words the test of the console reads on a Chinese screen, as examples: the title, cadmium, the drill.
        for word in ["流域突发环境事件应急指挥", "镉", "演习", "初报", "龙江"] {
            #expect(word.unicodeScalars.allSatisfy { listed.contains($0) }, "\(word)")
        }
    }

    /// The font is a WOFF2 file (signature `wOF2`, W3C WOFF2 §3) of a size worth its download, and the license it is
    /// shipped under is beside it.
    @Test func theFontIsWOFF2WithItsLicence() throws {
        let font = try Data(contentsOf: Self.fonts.appendingPathComponent("watershed-cjk.woff2"))
        #expect(font.prefix(4) == Data("wOF2".utf8))
        #expect(font.count > 50_000 && font.count < 400_000, "\(font.count) bytes")
        let licence = try String(contentsOf: Self.fonts.appendingPathComponent("OFL.txt"), encoding: .utf8)
        #expect(licence.contains("SIL OPEN FONT LICENSE Version 1.1"))
    }
}
