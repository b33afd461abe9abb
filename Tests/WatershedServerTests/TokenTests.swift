import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedTestSupport
import WatershedWire

@testable import WatershedServer

/// Bearer tokens from `seeds/<province>/tokens.yaml`, stored as SHA-256 hashes.
@Suite struct TokenTests {
    static let seeds = Fixtures.repositoryRoot.appendingPathComponent("seeds/450000")

    /// A row of the "Development tokens" table in `seeds/450000/README.md`.
    struct DocumentedToken {
        var id: String
        var secret: String
        var unit: String
        var dutyPosition: String
        var roles: Set<Role>
    }

    /// Reads the table by its header (`| id | secret | unit | duty position | roles |`), not by guessing, from the
    /// README of `folder` (`seeds/<province>`).
    static func documentedTokens(in folder: URL = seeds) throws -> [DocumentedToken] {
        let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.firstIndex { $0.hasPrefix("| id | secret |") })
        func cells(_ line: String) -> [String] {
            line.split(separator: "|").map {
                $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            }
        }
        #expect(cells(lines[header]) == ["id", "secret", "unit", "duty position", "roles"])
        var tokens: [DocumentedToken] = []
        for line in lines[(header + 2)...] {
            guard line.hasPrefix("|") else { break }
            let row = cells(line)
            try #require(row.count == 5, "\(line)")
            let roles = try row[4].split(separator: ",").map {
                try #require(Role(rawValue: $0.trimmingCharacters(in: .whitespaces)), "\(line)")
            }
            tokens.append(
                DocumentedToken(id: row[0], secret: row[1], unit: row[2], dutyPosition: row[3], roles: Set(roles)))
        }
        return tokens
    }

    /// Writes `text` to `tokens.yaml` in a fresh temporary folder (`watershed-tokens-<uuid>`) and returns its path;
    /// the test removes the folder with ``removeTokensFile(_:)``.
    static func tokensFile(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-tokens-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("tokens.yaml")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    /// Removes the folder ``tokensFile(_:)`` made for `path` (a test's `defer`).
    static func removeTokensFile(_ path: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    /// The lines `load` refuses `text` with, and the path of the file it read (removed by then: the lines name it).
    static func refusal(_ text: String) throws -> (file: String, lines: [String]) {
        let file = try tokensFile(text)
        defer { removeTokensFile(file) }
        do {
            _ = try TokenRegistry.load(file: file)
            Issue.record("accepted:\n\(text)")
            return (file, [])
        } catch ServerStartupError.invalidFiles(let lines) {
            return (file, lines)
        }
    }

    static let header = "schemaVersion: 1\nkind: tokens\ntokens:\n"
    static let good = """
          - id: one
            sha256: a03039f7125e164c0fa7b471179e84c07eeb55f0c34791c1df1c17927e26f373
            unit: "450000"
            dutyPosition: provincial-duty-chief
            roles: [viewer]

        """

    @Test func realTokensFileLoads() throws {
        let registry = try TokenRegistry.load(file: Self.seeds.appendingPathComponent("tokens.yaml").path)
        #expect(registry.count == 6)
    }

    /// Each secret in the README's table is the identity the table says, and every token is documented.
    @Test func readmeSecretsMapToTheirIdentities() throws {
        let registry = try TokenRegistry.load(file: Self.seeds.appendingPathComponent("tokens.yaml").path)
        let documented = try Self.documentedTokens()
        #expect(documented.count == registry.count)
        #expect(Set(documented.map(\.id)).count == documented.count)
        for token in documented {
            let identity = try #require(registry.identity(for: token.secret), "\(token.id)")
            #expect(identity.tokenID == token.id)
            #expect(identity.unit == token.unit)
            #expect(identity.dutyPosition.rawValue == token.dutyPosition)
            #expect(identity.roles == token.roles)
            // Secrets are case-sensitive and exact.
            #expect(registry.identity(for: token.secret.uppercased()) == nil)
            #expect(registry.identity(for: token.secret + " ") == nil)
        }
        #expect(registry.identity(for: "") == nil)
        #expect(registry.identity(for: "wsd-dev-viewer") == nil)
    }

    /// The file holds hashes, never the secrets.
    @Test func tokensFileHoldsNoSecret() throws {
        let text = try String(contentsOf: Self.seeds.appendingPathComponent("tokens.yaml"), encoding: .utf8)
        for token in try Self.documentedTokens() {
            #expect(!text.contains(token.secret))
            #expect(text.contains(TokenRegistry.hash(token.secret)))
        }
    }

    /// FIPS 180-2, appendix B.1: SHA-256("abc").
    @Test func hashIsLowercaseHexSHA256() {
        #expect(TokenRegistry.hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func hashesAreComparedCaseInsensitively() throws {
        let upper = Self.good.replacingOccurrences(
            of: "a03039f7125e164c0fa7b471179e84c07eeb55f0c34791c1df1c17927e26f373",
            with: "A03039F7125E164C0FA7B471179E84C07EEB55F0C34791C1DF1C17927E26F373")
        let file = try Self.tokensFile(Self.header + upper)
        defer { Self.removeTokensFile(file) }
        let registry = try TokenRegistry.load(file: file)
        #expect(registry.identity(for: "wsd-dev-viewer-gx")?.tokenID == "one")
        let mixed = TokenRegistry(hashes: [
            "A03039f7125E164c0fa7b471179e84c07eeb55f0c34791c1df1c17927e26f373": Identity(
                tokenID: "mixed", unit: "450000", dutyPosition: .provincialDutyChief, roles: [.viewer])
        ])
        #expect(mixed.identity(for: "wsd-dev-viewer-gx")?.tokenID == "mixed")
    }

    @Test func constantTimeEqual() {
        #expect(TokenRegistry.constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!TokenRegistry.constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!TokenRegistry.constantTimeEqual([9, 2, 3], [1, 2, 3]))
        #expect(!TokenRegistry.constantTimeEqual([1, 2], [1, 2, 3]))
        #expect(TokenRegistry.digest(hex: String(repeating: "0f", count: 32)) == [UInt8](repeating: 15, count: 32))
        #expect(TokenRegistry.digest(hex: String(repeating: "0g", count: 32)) == nil)
        #expect(TokenRegistry.digest(hex: "00") == nil)
    }

    @Test func unknownKeyNamesFileLineColumn() throws {
        let text =
            Self.header + Self.good.replacingOccurrences(of: "roles: [viewer]", with: "roles: [viewer]\n    secret: x")
        let (file, lines) = try Self.refusal(text)
        #expect(lines.count == 1)
        // Line 9: header (3 lines), then the entry's six; column 5 where `secret` starts.
        #expect(lines.first?.hasPrefix("\(file):9:5: ") == true, "\(lines)")
        #expect(lines.first?.contains("unknown key \"secret\"") == true)
    }

    @Test func badRoleNamesFileLineColumn() throws {
        let text = Self.header + Self.good.replacingOccurrences(of: "roles: [viewer]", with: "roles: [viewer, admin]")
        let (file, lines) = try Self.refusal(text)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("\(file):8:21: tokens[0].roles[1]: ") == true, "\(lines)")
        #expect(lines.first?.contains("admin") == true)
    }

    @Test func badHashNamesFileLineColumnWithoutEchoingIt() throws {
        let text =
            Self.header
            + Self.good.replacingOccurrences(
                of: "a03039f7125e164c0fa7b471179e84c07eeb55f0c34791c1df1c17927e26f373", with: "wsd-dev-viewer-gx")
        let (file, lines) = try Self.refusal(text)
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("\(file):5:13: tokens[0].sha256: ") == true, "\(lines)")
        #expect(lines.first?.contains("wsd-dev-viewer-gx") == false)
    }

    @Test func repeatedIdAndHashAndNoRoles() throws {
        let second = Self.good.replacingOccurrences(of: "roles: [viewer]", with: "roles: []")
        let (file, lines) = try Self.refusal(Self.header + Self.good + second)
        #expect(
            lines == [
                "\(file):9:9: tokens[1].id: duplicate id \"one\" (first at tokens[0])",
                "\(file):10:13: tokens[1].sha256: the same secret as tokens[0]; every token needs its own",
                "\(file):13:12: tokens[1].roles: a token needs at least one role",
            ])
    }

    @Test func wrongKindAndVersion() throws {
        let (file, lines) = try Self.refusal("schemaVersion: 2\nkind: peers\ntokens:\n" + Self.good)
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("\(file):1:16: schemaVersion: ") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("\(file):2:7: kind: ") == true, "\(lines)")
    }

    @Test func unreadableFile() throws {
        do {
            _ = try TokenRegistry.load(file: "/nonexistent/tokens.yaml")
            Issue.record("loaded")
        } catch ServerStartupError.invalidFiles(let lines) {
            #expect(lines == ["/nonexistent/tokens.yaml:1:1: cannot read the tokens file"])
        }
    }

    /// DESIGN.md "Terms": commander ⊃ officer ⊃ viewer; drill stands alone.
    @Test(
        arguments: [
            // roles held, then has(viewer, officer, commander, drill)
            ([Role.commander], [true, true, true, false]),
            ([.officer], [true, true, false, false]),
            ([.viewer], [true, false, false, false]),
            ([.drill], [false, false, false, true]),
            ([.officer, .drill], [true, true, false, true]),
            ([], [false, false, false, false]),
        ] as [([Role], [Bool])])
    func rolesImply(held: [Role], expected: [Bool]) {
        let identity = Identity(tokenID: "t", unit: "450000", dutyPosition: .provincialDutyChief, roles: Set(held))
        #expect([Role.viewer, .officer, .commander, .drill].map(identity.has) == expected)
    }
}
