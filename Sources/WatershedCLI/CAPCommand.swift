import ArgumentParser
import Foundation
import WatershedClient
import WatershedWire

/// `watershed cap held|drop`: the CAP messages peers sent that wait for the messages they reference (issue 15,
/// item 6; docs/cap.md "Held messages").
struct CAPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cap",
        abstract: "List or drop the peers' CAP messages held for their references (commander).",
        discussion: """
            Exit 0 done, 1 refused (the token is not a commander, unknown id), 2 usage, 3 cannot connect.
              watershed cap held --token wsd-dev-commander-gx --ca data/tls/ca.pem
              watershed cap drop 3f2a9c0d1e4b5a67 --token wsd-dev-commander-gx --ca data/tls/ca.pem
            """,
        subcommands: [Held.self, Drop.self]
    )

    /// `watershed cap held`: a table of held messages.
    struct Held: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "held", abstract: "List held CAP messages: waiting, refused or expired, oldest first.")
        @OptionGroup var client: ClientOptions
        @Flag(help: "Print the API's JSON (an array) instead of a table.") var json = false

        func run() async throws {
            let held = try await client.withClient { try await $0.heldCAPMessages() }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(held))
                return
            }
            guard !held.isEmpty else {
                out.write("No CAP messages held.")
                return
            }
            var table = TextTable(["ID", "PEER", "TYPE", "MESSAGE", "RECEIVED", "STATE"])
            for message in held {
                let state =
                    message.refusal.map { "refused: \($0)" }
                    ?? "waiting for \(message.waitingFor.joined(separator: " "))"
                    + (message.expiresAt.map { " (expires \(client.time($0)))" } ?? "")
                table.add([
                    message.id, message.peer, message.msgType,
                    "\(message.sender),\(message.identifier),\(message.sent)", client.time(message.receivedAt), state,
                ])
            }
            out.write(table.render())
        }
    }

    /// `watershed cap drop ID`: drops one held message; it will never be applied.
    struct Drop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "drop", abstract: "Drop a held CAP message by its id (from 'watershed cap held').")
        @Argument(help: ArgumentHelp("The id shown by 'watershed cap held'.", valueName: "id")) var id: String
        @OptionGroup var client: ClientOptions
        @Flag(help: "Print the API's JSON (the message as it was).") var json = false

        func run() async throws {
            let dropped = try await client.withClient { try await $0.dropHeldCAPMessage(id) }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(dropped))
            } else {
                out.write(
                    "Dropped \(dropped.msgType) \(dropped.sender),\(dropped.identifier),\(dropped.sent) from "
                        + "\(dropped.peer); it will not be applied.")
            }
        }
    }
}
