import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

/// `watershed rota [--at TIME]` and `watershed rota swap …`: the duty rota on a server (issue 19, docs/sms.md).
struct RotaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rota",
        abstract: "Who holds each duty position (and gets its texts); swaps.",
        discussion: """
            Numbers are shown masked; people are added in seeds/<province>/rota.yaml. Exit 0 done, 1 refused \
            (not a commander, unknown person or position, a bad span), 2 usage, 3 cannot connect.
              watershed rota --ca data/tls/ca.pem --token wsd-dev-viewer-gx
              watershed rota swap 451203 county-duty-officer p-wu-min --from 2026-12-08T08:30:00+08:00 \\
                --to 2026-12-09T08:30:00+08:00 --reason 换班 --token wsd-dev-commander-gx
            """,
        subcommands: [Show.self, Swap.self],
        defaultSubcommand: Show.self
    )

    /// `watershed rota show [--at TIME]`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Who holds each position now (or at --at).")
        @Option(help: ArgumentHelp("A moment, RFC 3339 with its offset (default now).", valueName: "time"))
        var at: String?
        @Flag(help: "Print the API's JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let moment = try at.map { text in
                guard let date = DrillScenario.parseTime(text) else {
                    throw CommandExit.usage("--at: \"\(text)\" is not an RFC 3339 time with an offset")
                }
                return date
            }
            let holders = try await client.withClient { try await $0.rota(at: moment) }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(holders))
                return
            }
            let zh = client.chinese
            var table = TextTable(
                zh ? ["单位", "岗位", "值班人员", "手机", "至"] : ["unit", "position", "on duty", "mobile", "until"])
            for holder in holders {
                table.add([
                    holder.unit, ClientFormat.position(holder.dutyPosition, zh: zh),
                    holder.person.map { "\(holder.name ?? $0) (\($0))" } ?? (zh ? "无人" : "nobody"),
                    holder.mobile ?? "",
                    holder.until.map { client.time($0) + (holder.reason.map { " \($0)" } ?? "") } ?? "",
                ])
            }
            out.write(table.render())
        }
    }

    /// `watershed rota swap UNIT POSITION PERSON --from --to [--reason]`.
    struct Swap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "swap",
            abstract: "Put a person of the rota on a position for a span (a commander's token).")
        @Argument(help: "The unit (GB/T 2260, 451203).") var unit: String
        @Argument(help: "The duty position (county-duty-officer).") var position: String
        @Argument(help: "The rota's id of the person (p-wu-min).") var person: String
        @Option(help: ArgumentHelp("Start, RFC 3339 with its offset.", valueName: "time")) var from: String
        @Option(help: ArgumentHelp("End (not included), RFC 3339 with its offset.", valueName: "time")) var to: String
        @Option(help: "Why (换班, sick leave).") var reason: String?
        @OptionGroup var client: ClientOptions

        func run() async throws {
            guard let start = DrillScenario.parseTime(from) else {
                throw CommandExit.usage("--from: \"\(from)\" is not an RFC 3339 time with an offset")
            }
            guard let end = DrillScenario.parseTime(to) else {
                throw CommandExit.usage("--to: \"\(to)\" is not an RFC 3339 time with an offset")
            }
            let request = RotaOverrideRequest(
                unit: unit, dutyPosition: DutyPosition(rawValue: position), person: person, from: start, to: end,
                reason: reason)
            let done = try await client.withClient { try await $0.overrideRota(request) }
            CommandOutput.current.write(
                "\(done.override.person) holds \(ClientFormat.position(done.override.assignee.position, zh: client.chinese)) "
                    + "of \(done.override.assignee.unit) from \(client.time(done.override.from)) to "
                    + "\(client.time(done.override.to)) (seq \(done.seq))")
        }
    }
}
