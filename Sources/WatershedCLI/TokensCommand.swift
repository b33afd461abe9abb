import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

/// `watershed tokens add|list|revoke`: production tokens on a running server (issue 20), with a commander's token.
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Make, list and revoke production tokens (a commander's token).",
        discussion: """
            The secret is printed once, when the token is made; the server keeps only its SHA-256. A revoked \
            token stops at once on every node, and its open streams close (4003). Tokens of the seeds' tokens \
            file are changed in that file.
              watershed tokens add --unit 451203 --position county-duty-officer --role officer --note "Yizhou night desk"
              watershed tokens list
              watershed tokens revoke 451203-county-duty-officer-3f2a
            """,
        subcommands: [Add.self, List.self, Revoke.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Make a token; prints its secret once.")
        @Option(help: "The unit (GB/T 2260).") var unit: String
        @Option(help: "The duty position (county-duty-officer, city-duty-chief, provincial-duty-chief).")
        var position: String
        @Option(name: .customLong("role"), help: "viewer, officer or commander (repeat for several).")
        var roles: [String]
        @Option(help: "The token's id (default: made from the unit and position).") var id: String?
        @Option(help: "Whose it is.") var note: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let parsed = try roles.map { text -> Role in
                guard let role = Role(rawValue: text), role != .drill else {
                    throw CommandExit.usage("--role: \"\(text)\" is not viewer, officer or commander")
                }
                return role
            }
            let request = TokenIssueRequest(
                id: id, unit: unit, dutyPosition: DutyPosition(rawValue: position), roles: parsed, note: note)
            let made = try await client.withClient { try await $0.issueToken(request) }
            let out = CommandOutput.current
            out.write("token \(made.id) made (seq \(made.seq)); its secret, shown this once:")
            out.write(made.token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every token, without secrets.")
        @Flag(help: "Print the API's JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let tokens = try await client.withClient { try await $0.tokens() }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(tokens))
                return
            }
            var table = TextTable(["id", "unit", "position", "roles", "from", "state", "note"])
            for token in tokens {
                table.add([
                    token.id, token.unit, token.dutyPosition.rawValue,
                    token.roles.map(\.rawValue).joined(separator: ","),
                    token.source, token.revoked ? "REVOKED" : "active", token.note ?? "",
                ])
            }
            out.write(table.render())
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "revoke", abstract: "Revoke a token made through the API.")
        @Argument(help: "The token's id.") var id: String
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await client.withClient { try await $0.revokeToken(id) }
            CommandOutput.current.write("token \(id) revoked")
        }
    }
}
