import ArgumentParser
import Foundation
import WatershedClient
import WatershedWire

/// `watershed incidents`: the incidents on a server, in the order reported.
struct IncidentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incidents",
        abstract: "List the incidents on a server: reference, level, where, pollutant, discovered, state.",
        discussion: """
            Exercises (drills) are marked [DRILL]. Exit 0 listed, 1 refused (e.g. the token), 2 usage, 3 cannot \
            connect or the certificate is not trusted.
              watershed incidents --server https://127.0.0.1:8443 --ca data/tls/ca.pem --token wsd-dev-viewer-gx
            """
    )

    @OptionGroup var client: ClientOptions

    @Option(help: ArgumentHelp("Only incidents in this state: open or closed.", valueName: "state"))
    var state: String?

    @Flag(help: "Print the API's JSON (an array of incidents) instead of a table.")
    var json = false

    func validate() throws {
        if let state, !["open", "closed"].contains(state) {
            throw ValidationError("--state: \"\(state)\" is not a state; use open or closed.")
        }
    }

    func run() async throws {
        let chinese = client.chinese && !json
        let (incidents, names) = try await client.withClient { api in
            (try await api.incidents(state: state), chinese ? await ClientNames.fetch(api) : nil)
        }
        let out = CommandOutput.current
        if json {
            out.write(try ClientJSON.encode(incidents))
        } else if incidents.isEmpty {
            out.write(
                chinese
                    ? "没有\(state.map { ClientNames.incidentState($0) } ?? "")事件。"
                    : "No incidents\(state.map { " \($0)" } ?? "").")
        } else {
            out.write(ClientFormat.incidentTable(incidents, time: client.time, zh: names))
        }
    }
}

/// `watershed incident …`: one incident.
struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "Show one incident on a server, or its after-action report.",
        subcommands: [Show.self, Report.self]
    )

    /// `watershed incident show ID`.
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show an incident: summary, tasks, report obligations, arrivals and timeline.",
            discussion: """
                Times print in local time with their offset (--time-zone); with --lang zh (or a Chinese locale) \
                everything prints in Chinese, names from the server's playbooks and units, except what people \
                wrote (the information source, the signing officer). Exit 0 shown, 1 refused \
                or no such incident, 2 usage, 3 cannot connect or the certificate is not trusted.
                  watershed incident show GX-2026-0001 --ca data/tls/ca.pem --token wsd-dev-viewer-gx
                """
        )

        @Argument(help: ArgumentHelp("The incident's reference (GX-2026-0001) or UUID.", valueName: "id"))
        var id: String

        @OptionGroup var client: ClientOptions

        @Flag(help: "Print the API's JSON (the incident with its plan, tasks, obligations and timeline).")
        var json = false

        func run() async throws {
            let chinese = client.chinese && !json
            let (view, names) = try await client.withClient { api in
                (try await api.incidentView(id), chinese ? await ClientNames.fetch(api) : nil)
            }
            let out = CommandOutput.current
            switch view {
            case .incident(let detail):
                out.write(
                    json
                        ? try ClientJSON.encode(detail)
                        : ClientFormat.incidentDetail(detail, time: client.time, zh: names))
            case .capThread(let thread):
                out.write(
                    json ? try ClientJSON.encode(thread) : ClientFormat.capThread(thread, time: client.time, zh: names))
            }
        }
    }
}
