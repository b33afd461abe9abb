import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedPlaybooks
import WatershedWire

/// `watershed drill check|start|list|join|end|score`: exercises from a terminal (issue 6).
struct DrillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drill",
        abstract: "Run drills: start a scenario, join it as a participant, end it and score it.",
        discussion: """
            A drill plays a scenario (seeds/<province>/drills/*.yaml, described in docs/drills.md) on its own \
            clock, faster than the wall clock; every event it makes is an exercise, marked [DRILL], and reaches \
            no neighbour the scenario does not name. A commander starts and ends it; each participant joins with \
            the drill token `drill start` prints for them.
              watershed drill check seeds/450000/drills/he-river-2013-joint.yaml
              watershed drill start seeds/450000/drills/he-river-2013-joint.yaml --token wsd-dev-commander-gx
              watershed drill join 3f2a9c1e --token wsd-drill-…
              watershed drill score 3f2a9c1e --token wsd-dev-viewer-gx
            """,
        subcommands: [Check.self, Start.self, List.self, Join.self, End.self, Score.self]
    )

    /// `watershed drill check FILE`: offline.
    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Check a scenario file offline: its shape, units, peers and reports (exit 1 on any problem).")
        @Argument(help: ArgumentHelp("The scenario file.", valueName: "file")) var file: String
        @Option(help: "The province that runs the drill (its seeds folder).") var province = "450000"
        @OptionGroup var basin: BasinOptions

        func run() async throws {
            let loaded = try basin.loadBasin()
            let scenario: DrillScenario
            do {
                scenario = try DrillScenarioFile.load(file: file, basin: loaded, province: province)
            } catch {
                throw CommandExit.invalid(error.description)
            }
            CommandOutput.current.write(
                "\(file): ok — \(scenario.title): \(scenario.injects.count) injects, "
                    + "\(scenario.expectations.count) expectations, \(scenario.participants.count) participants"
                    + (scenario.peers.isEmpty ? "" : ", with \(scenario.peers.joined(separator: ", "))"))
        }
    }

    /// `watershed drill start FILE`.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Start a drill from a scenario file (commander); prints each participant's join command.")
        @Argument(help: ArgumentHelp("The scenario file.", valueName: "file")) var file: String
        @Option(
            name: .customLong("clock-factor"),
            help: ArgumentHelp("Drill seconds per wall second, 1…3600 (default: the scenario's).", valueName: "n"))
        var clockFactor: Double?
        @Flag(help: "Print the API's JSON (with the tokens).") var json = false
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if let clockFactor, !DrillScenario.clockFactorRange.contains(clockFactor) {
                throw ValidationError("--clock-factor: \(clockFactor) is outside 1…3600.")
            }
        }

        func run() async throws {
            let scenario: DrillScenario
            do {
                scenario = try DrillScenarioFile.load(file: file)
            } catch {
                throw CommandExit.invalid(error.description)
            }
            let started = try await client.withClient {
                try await $0.startDrill(DrillStartRequest(scenario: scenario, clockFactor: clockFactor))
            }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(started))
                return
            }
            let drill = started.drill
            let time = client.time
            out.write("\(ClientFormat.drillMark) Drill \(drill.id.uuidString.lowercased()) started: \(drill.title)")
            out.write(
                "Drill clock: \(time(drill.clock.drillStart)) at ×\(DrillFormat.factor(drill.clock.factor)) "
                    + "(\(DrillFormat.pace(drill.clock.factor))); \(drill.injectsTotal) injects.")
            if !drill.peers.isEmpty {
                out.write(
                    "Neighbours taking part: \(drill.peers.joined(separator: ", ")) — their people join on their own "
                        + "server with their own tokens once the drill's incident reaches it.")
            }
            out.write("Each participant joins with:")
            let configuration = client.configuration
            for token in started.tokens {
                out.write(
                    "  \(token.unit)/\(token.dutyPosition.rawValue)" + (token.name.map { " (\($0))" } ?? "") + ":")
                var command = "    \(CommandName.current) drill join \(drill.id.uuidString.prefix(8).lowercased())"
                command += " --server \(configuration.server)"
                if let ca = configuration.caFile { command += " --ca \(ca)" }
                command += " --token \(token.token)"
                out.write(command)
            }
            out.write(
                "The tokens are shown only now; they reach this drill's exercise incidents only and stop at its end.")
        }
    }

    /// `watershed drill list`.
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List drills, newest first.")
        @Flag(help: "Print the API's JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let drills = try await client.withClient { try await $0.drills() }
            let out = CommandOutput.current
            if json {
                out.write(try ClientJSON.encode(drills))
                return
            }
            if drills.isEmpty {
                out.write("No drills.")
                return
            }
            var table = TextTable(["drill", "title", "state", "drill clock", "injects", "incidents"])
            for drill in drills {
                table.add([
                    String(drill.id.uuidString.prefix(8)).lowercased(),
                    drill.title + (drill.origin.map { " (run by \($0))" } ?? ""), drill.state,
                    "\(client.time(drill.clock.drillStart)) ×\(DrillFormat.factor(drill.clock.factor))",
                    "\(drill.injectsPlayed)/\(drill.injectsTotal)",
                    drill.incidents.map(\.reference).joined(separator: " "),
                ])
            }
            out.write(ClientFormat.drillMark + " drills")
            out.write(table.render())
        }
    }

    /// `watershed drill end ID`.
    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "end",
            abstract: "End a drill (commander): cancels its open tasks, closes its incidents, revokes its tokens.")
        @Argument(help: ArgumentHelp("The drill's id (8 or more of its first characters).", valueName: "id"))
        var id: String
        @Flag(help: "Print the API's JSON.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let drill = try await client.withClient { try await $0.endDrill(id) }
            if json {
                CommandOutput.current.write(try ClientJSON.encode(drill))
                return
            }
            CommandOutput.current.write(
                "\(ClientFormat.drillMark) Drill \(drill.id.uuidString.prefix(8).lowercased()) ended: \(drill.title). "
                    + "Score: watershed drill score \(drill.id.uuidString.prefix(8).lowercased())")
        }
    }

    /// `watershed drill score ID`.
    struct Score: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "score",
            abstract: "Score a drill from the event log: each expectation met or missed, and the timeline.")
        @Argument(help: ArgumentHelp("The drill's id (8 or more of its first characters).", valueName: "id"))
        var id: String
        @Flag(help: "Print the API's JSON.") var json = false
        @Flag(name: .customLong("no-timeline"), help: "Leave out the after-action timeline.") var noTimeline = false
        @Option(
            name: .customLong("peer-server"),
            help: ArgumentHelp(
                "A joint drill's neighbour's server, https://HOST[:PORT]: its side of the timeline is merged in.",
                valueName: "url"))
        var peerServer: String?
        @Option(name: .customLong("peer-token"), help: ArgumentHelp("A token on that server.", valueName: "secret"))
        var peerToken: String?
        @Option(name: .customLong("peer-ca"), help: ArgumentHelp("The CA of that server.", valueName: "file"))
        var peerCA: String?
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if peerServer == nil, peerToken != nil || peerCA != nil {
                throw ValidationError("--peer-token and --peer-ca go with --peer-server.")
            }
        }

        func run() async throws {
            let score = try await client.withClient { try await $0.drillScore(id) }
            var peer: DrillScore?
            if let peerServer {
                // The neighbour keeps the drill under the same id (mirrored from the incident it received).
                let configuration = WatershedClient.Configuration(server: peerServer, token: peerToken, caFile: peerCA)
                do {
                    peer = try await WatershedClient.with(configuration) {
                        try await $0.drillScore(score.drill.uuidString)
                    }
                } catch let error as WatershedClientError {
                    throw CommandExit(code: error.exitCode, message: "watershed: --peer-server: \(error.description)")
                }
            }
            let out = CommandOutput.current
            if json {
                if let peer {
                    out.write(try ClientJSON.encode(["own": score, "peer": peer]))
                } else {
                    out.write(try ClientJSON.encode(score))
                }
                return
            }
            for line in DrillFormat.score(score, time: client.time, timeline: false) { out.write(line) }
            if !noTimeline {
                for line in DrillFormat.timeline(own: score, peer: peer, time: client.time) { out.write(line) }
            }
        }
    }
}

/// How drill commands print.
enum DrillFormat {
    /// `60`, `2.5`.
    static func factor(_ factor: Double) -> String {
        factor == factor.rounded() ? String(Int(factor)) : String(format: "%.1f", factor)
    }

    /// `a drill hour in 1 wall minute`.
    static func pace(_ clockFactor: Double) -> String {
        let seconds = 3_600 / clockFactor
        return seconds >= 60
            ? "a drill hour in \(factor(seconds / 60)) wall minutes"
            : "a drill hour in \(factor(seconds)) wall seconds"
    }

    /// Drill-minutes, `14 min`, `1 h 05 min`.
    static func minutes(_ value: Double) -> String {
        let total = Int(value.rounded())
        return total < 60 ? "\(total) min" : String(format: "%d h %02d min", total / 60, total % 60)
    }

    /// The after-action timeline in drill time; with a neighbour's side of a joint drill, both merged in drill-time
    /// order, each line naming its server's province.
    static func timeline(
        own: DrillScore, peer: DrillScore?, time: LocalTime, labels: (own: String, peer: String) = ("here", "peer")
    ) -> [String] {
        guard let peer else {
            return ["After-action timeline (drill time):"]
                + own.timeline.map { "  \(time($0.drillAt))  \($0.who): \($0.what)" }
        }
        let merged =
            own.timeline.map { (labels.own, $0) } + peer.timeline.map { (labels.peer, $0) }
        let sorted = merged.enumerated().sorted { a, b in
            a.element.1.drillAt != b.element.1.drillAt ? a.element.1.drillAt < b.element.1.drillAt : a.offset < b.offset
        }
        return ["After-action timeline of both provinces (drill time):"]
            + sorted.map { entry in
                let (side, line) = entry.element
                return "  \(time(line.drillAt))  [\(side)] \(line.who): \(line.what)"
            }
    }

    /// The score as lines: a headline, one line per expectation, then the timeline in drill time.
    static func score(_ score: DrillScore, time: LocalTime, timeline: Bool) -> [String] {
        var lines = [
            "\(ClientFormat.drillMark) \(score.title) — \(score.ended ? "ended" : "running"); "
                + "\(score.met) of \(score.total) expectations met"
        ]
        for result in score.results {
            let outcome = result.outcome.rawValue.uppercased().padding(toLength: 7, withPad: " ", startingAt: 0)
            var line = "  \(outcome) \(result.id): \(result.text) — due \(time(result.due))"
            if let at = result.at, let elapsed = result.elapsedMin {
                line += ", done \(time(at)) (\(minutes(elapsed)) after its start)"
            } else {
                line += result.outcome == .pending ? ", not yet" : ", never"
            }
            lines.append(line)
        }
        if timeline {
            lines.append("After-action timeline (drill time):")
            for entry in score.timeline {
                lines.append("  \(time(entry.drillAt))  \(entry.who): \(entry.what)")
            }
        }
        return lines
    }
}
