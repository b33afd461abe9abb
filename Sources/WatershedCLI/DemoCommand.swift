import ArgumentParser
import Foundation
import Synchronization
import WatershedClient
import WatershedCore
import WatershedPlaybooks
import WatershedServer
import WatershedWire

/// `watershed demo`: two provinces' servers as two processes, a joint drill played through them, both sides printed.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "See the whole job at once: Guangxi and Guangdong servers play the He River 2013 joint drill.",
        discussion: """
            Makes a CA per province (as `watershed certs`), starts a Guangxi (450000) and a Guangdong (440000) \
            server as two separate processes on free loopback ports, with temporary data directories and the real \
            peer port with mutual TLS, and starts the joint He River drill on Guangxi at a high clock factor. It \
            plays the participants: each task dispatched to one of them is acknowledged (and report tasks done) a \
            moment later; Guangdong's duty chief accepts the notification; Hezhou answers the reservoir release with \
            a follow-up. It prints what happens on both sides in drill time — notifications crossing, tasks \
            dispatched, acknowledgements — then the score, and stops both servers. Once every expectation is met or missed, the demo \
            ends the drill (a commander's `drill end`) rather than wait for its scheduled end. About 1.5 minutes at \
            ×1800.
            Run it from the repository (it reads playbooks/ and seeds/).
            """)

    @Option(help: "The playbooks folder.") var playbooks = "playbooks"
    @Option(help: "The seeds folder (holds 450000/ and 440000/).") var seeds = "seeds"
    @Option(help: "The scenario (a joint drill of 450000 with 440000).")
    var scenario = "seeds/450000/drills/he-river-2013-joint.yaml"
    @Option(
        name: .customLong("clock-factor"),
        help: ArgumentHelp("Drill seconds per wall second, 1…3600.", valueName: "n"))
    var clockFactor: Double = 1_800
    @Option(
        name: .customLong("reaction-ms"),
        help: ArgumentHelp("How long the played participants take to answer, in wall milliseconds.", valueName: "ms"))
    var reactionMs = 300
    @Option(
        name: .customLong("tolerance-ms"),
        help: ArgumentHelp(
            "Wall time allowed for the machine's latency: an expectation met later than its window by at most this "
                + "(times the clock factor, in drill time) does not fail the demo; the score still says missed.",
            valueName: "ms"))
    var toleranceMs = 2_000
    @Flag(help: "Keep the temporary folder (logs, data, certificates) and print where it is.") var keep = false
    @Flag(help: "Print the after-action timeline (every event of the drill on Guangxi) with the score.")
    var timeline = false
    @Flag(help: "Print escalations and overdue tasks too (left out by default: the played participants are quick).")
    var verbose = false
    @Option(
        name: .customLong("time-zone"),
        help: ArgumentHelp("Time zone of printed times (Asia/Shanghai is +08:00).", valueName: "zone"))
    var timeZone = "Asia/Shanghai"

    func validate() throws {
        guard DrillScenario.clockFactorRange.contains(clockFactor) else {
            throw ValidationError("--clock-factor: \(clockFactor) is outside 1…3600.")
        }
        guard TimeZone(identifier: timeZone) != nil else {
            throw ValidationError("--time-zone: unknown time zone \"\(timeZone)\" (e.g. Asia/Shanghai).")
        }
        guard reactionMs >= 0 else { throw ValidationError("--reaction-ms: must be 0 or more.") }
        guard toleranceMs >= 0 else { throw ValidationError("--tolerance-ms: must be 0 or more.") }
    }

    func run() async throws {
        for (flag, path) in [("--playbooks", playbooks), ("--seeds", seeds)] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw CommandExit.usage("\(flag): no folder \"\(path)\"; run `watershed demo` from the repository")
            }
        }
        let loaded: DrillScenario
        do {
            loaded = try DrillScenarioFile.load(file: scenario)
        } catch {
            throw CommandExit.invalid(error.description)
        }
        guard loaded.peers.contains("440000") else {
            throw CommandExit.usage("--scenario: \(scenario) is not a joint drill with Guangdong (peers: [\"440000\"])")
        }
        let demo = try Demo(
            playbooks: playbooks, seeds: seeds, scenario: loaded, clockFactor: clockFactor,
            reaction: .milliseconds(reactionMs), tolerance: .milliseconds(toleranceMs), keep: keep,
            timeline: timeline, verbose: verbose, time: LocalTime(timeZone: TimeZone(identifier: timeZone)!))
        try await demo.run()
    }
}

/// One run of the demo.
final class Demo: Sendable {
    let playbooks: String
    let seeds: String
    let scenario: DrillScenario
    let clockFactor: Double
    let reaction: Duration
    /// Wall time allowed for the machine's latency (``DemoVerdict``).
    let tolerance: Duration
    let keep: Bool
    let timeline: Bool
    let verbose: Bool
    let time: LocalTime
    let folder: URL
    let started = ContinuousClock.now
    private let processes = Mutex<[Process]>([])
    /// Tasks dispatched on each side, by id (to name them in later lines).
    private let dispatched = Mutex<[UUID: TaskDispatched]>([:])

    init(
        playbooks: String, seeds: String, scenario: DrillScenario, clockFactor: Double, reaction: Duration,
        tolerance: Duration, keep: Bool, timeline: Bool, verbose: Bool, time: LocalTime
    ) throws {
        self.playbooks = URL(fileURLWithPath: playbooks).standardizedFileURL.path
        self.seeds = URL(fileURLWithPath: seeds).standardizedFileURL.path
        self.scenario = scenario
        self.clockFactor = clockFactor
        self.reaction = reaction
        self.tolerance = tolerance
        self.keep = keep
        self.timeline = timeline
        self.verbose = verbose
        self.time = time
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-demo-\(UUID().uuidString)")
    }

    struct Side: Sendable {
        let code: String
        let name: String
        let port: Int
        let peerPort: Int
        let data: URL
        var caFile: String { data.appendingPathComponent("tls/ca.pem").path }
        var server: String { "https://127.0.0.1:\(port)" }
    }

    func say(_ line: String) { CommandOutput.current.write(line) }

    func run() async throws {
        defer { stopServers() }
        let gx = Side(
            code: "450000", name: "GX", port: try LoopbackPort.free(), peerPort: try LoopbackPort.free(),
            data: folder.appendingPathComponent("trial/450000"))
        let gd = Side(
            code: "440000", name: "GD", port: try LoopbackPort.free(), peerPort: try LoopbackPort.free(),
            data: folder.appendingPathComponent("trial/440000"))
        say("Watershed demo: \(scenario.title)")
        say(
            "Certificates: one CA per province, server and peer-client certificates (as `watershed certs`) in \(folder.path)/trial"
        )
        try TrialCertificates.make(
            [
                .init(code: gx.code, peerURL: "wss://127.0.0.1:\(gx.peerPort)"),
                .init(code: gd.code, peerURL: "wss://127.0.0.1:\(gd.peerPort)"),
            ], in: folder.appendingPathComponent("trial"))
        for side in [gx, gd] { try startServer(side) }
        let gxCommander = try WatershedClient(
            .init(server: gx.server, token: "wsd-dev-commander-gx", caFile: gx.caFile))
        let gdCommander = try WatershedClient(
            .init(server: gd.server, token: "wsd-dev-commander-gd", caFile: gd.caFile))
        var clients = [gxCommander, gdCommander]
        do {
            try await play(gx: gx, gd: gd, gxCommander: gxCommander, gdCommander: gdCommander, clients: &clients)
        } catch {
            for client in clients { try? await client.shutdown() }
            throw error
        }
        // The clients close their connections first, so that the servers' graceful shutdown waits for nobody.
        for client in clients { try? await client.shutdown() }
    }

    func play(
        gx: Side, gd: Side, gxCommander: WatershedClient, gdCommander: WatershedClient,
        clients: inout [WatershedClient]
    ) async throws {
        for (side, client) in [(gx, gxCommander), (gd, gdCommander)] {
            try await waitUntilUp(side, client)
            say(
                "\(side.name) server (\(side.code)) up: people \(side.server), peers wss://127.0.0.1:\(side.peerPort) "
                    + "(mutual TLS), pid \(pid(of: side))")
        }

        // The drill starts once Guangxi's link to Guangdong is up (else the notification waits for the link's retry).
        let linked = ContinuousClock.now + .seconds(30)
        var up = false
        while !up, ContinuousClock.now < linked {
            up = ((try? await gxCommander.metrics()) ?? "").contains("watershed_peer_link_up{peer=\"440000\"} 1")
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        say(
            up
                ? "GX → GD peer link up (mutual TLS; watershed_peer_link_up on GX's /metrics)"
                : "GX → GD peer link not up after 30 s; going on (the notification waits for the link)")
        let start = try await gxCommander.startDrill(DrillStartRequest(scenario: scenario, clockFactor: clockFactor))
        let drill = start.drill
        say(
            "\(ClientFormat.drillMark) Drill \(drill.id.uuidString.prefix(8).lowercased()) started on GX at "
                + "×\(DrillFormat.factor(drill.clock.factor)) (\(DrillFormat.pace(drill.clock.factor))); drill clock "
                + "\(time(drill.clock.drillStart)); ends at drill-minute \(DrillFormat.factor(scenario.endsAtMin ?? 0))"
        )
        say("")
        var participants: [String: WatershedClient] = [:]
        for token in start.tokens {
            participants["\(token.unit)/\(token.dutyPosition.rawValue)"] = try WatershedClient(
                .init(server: gx.server, token: token.token, caFile: gx.caFile))
        }
        let players = participants
        clients += players.values

        let clock = drill.clock
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await gxCommander.follow(after: max(drill.sinceSeq - 1, 0), exercise: .only) { update in
                    guard case .event(let event) = update else { return .proceed }
                    await self.onGuangxi(event, clock: clock, drill: drill.id, players: players)
                    if event.type == .drillEnded { return .stop }
                    // Once nothing is pending, the rest of the scenario can change no score: end it.
                    if [.reportFiled, .taskDone, .peerAccepted, .drillInjected].contains(event.type),
                        let score = try? await gxCommander.drillScore(drill.id.uuidString),
                        !score.results.contains(where: { $0.outcome == .pending })
                    {
                        self.say("GX — every expectation is decided: the commander ends the drill")
                        _ = try? await gxCommander.endDrill(drill.id.uuidString)
                    }
                    return .proceed
                }
            }
            group.addTask {
                try await gdCommander.follow(exercise: .only) { update in
                    guard case .event(let event) = update else { return .proceed }
                    await self.onGuangdong(event, clock: clock, commander: gdCommander)
                    return event.type == .drillEnded ? .stop : .proceed
                }
            }
            // Guangxi's side ends with the drill; Guangdong's once the close has crossed (or 15 s later).
            try await group.next()
            let deadline = ContinuousClock.now + .seconds(15)
            group.addTask { try await Task.sleep(until: deadline) }
            try await group.next()
            group.cancelAll()
        }
        say("")
        let score = try await gxCommander.drillScore(drill.id.uuidString)
        for line in DrillFormat.score(score, time: time, timeline: false) { say(line) }
        if timeline {
            let peer = try? await gdCommander.drillScore(drill.id.uuidString)
            for line in DrillFormat.timeline(own: score, peer: peer, time: time, labels: ("GX", "GD")) { say(line) }
        }
        let mirrored = try await gdCommander.drills().first { $0.id == drill.id }
        say(
            "GD's copy of the drill: \(mirrored.map { "\($0.state), incidents \($0.incidents.map(\.reference).joined(separator: " "))" } ?? "none")"
        )
        let elapsed = ContinuousClock.now - started
        say(
            "Done in \(elapsed.components.seconds) s; both servers stopped."
                + (timeline ? "" : " The after-action timeline: watershed demo --timeline."))
        if keep { say("Kept: \(folder.path) (logs: \(folder.path)/450000.log, 440000.log)") }
        let verdict = DemoVerdict.judge(score, factor: clockFactor, tolerance: tolerance)
        for line in verdict.lines { say(line) }
        guard verdict.passed else {
            throw CommandExit.invalid(
                "the demo missed \(verdict.failed.count) of \(score.total) expectations "
                    + "(\(verdict.failed.joined(separator: ", "))); a slower clock gives the machine more time: "
                    + "--clock-factor \(Int(clockFactor / 3))")
        }
    }

    // MARK: Printing and playing

    /// A sentence for an event, naming tasks by reference; `nil` for an escalation or overdue unless `--verbose`.
    func describe(_ event: StoredEvent) -> String? {
        if !verbose, [.taskOverdue, .taskEscalated, .taskUnowned, .taskCancelled].contains(event.type) { return nil }
        if case .task(.dispatched(let task))? = (try? RecordedEvent(event))?.event {
            dispatched.withLock { $0[task.task] = task }
        }
        return DrillScoring.describe(event, tasks: dispatched.withLock { $0 })
    }

    func line(_ side: String, _ event: StoredEvent, clock: DrillClock, _ text: String) {
        let at = event.drillAt ?? clock.drillTime(atWall: event.at)
        say("\(side) \(time(at)) │ \(text)")
    }

    /// Guangxi's events; tasks for a participant are answered after the reaction time.
    func onGuangxi(_ event: StoredEvent, clock: DrillClock, drill: UUID, players: [String: WatershedClient]) async {
        switch event.type {
        case .planComputed, .obligationDue, .obligationMet, .peerEventReceived, .drillStarted: return
        case .drillInjected:
            var inject: DrillInjectedPayload?
            if case .drillInjected(let payload)? = (try? RecordedEvent(event))?.event { inject = payload }
            line(
                "GX", event, clock: clock,
                "INJECT \(inject.map { String($0.index + 1) } ?? ""): \(inject?.summary ?? "")")
            if inject?.kind == .complication, let hezhou = players["451100/city-duty-chief"],
                let incident = event.incident
            {
                // Hezhou warns downstream of the release with a follow-up, which Guangdong receives.
                let json = """
                    {"kind": "followUp", "summary": "Hemianshi reservoir is releasing; Guangdong (Fengkai) warned \
                    before the release reaches the boundary; sampling at Fulong every hour.", "monitoring": [],
                    "measuresTaken": ["Guangdong's duty office warned of the release"],
                    "signature": {"reportingUnit": "451100", "signingOfficer": "Hezhou duty chief",
                    "contactName": "Hezhou duty office", "contactPhone": "0774-0000000"}}
                    """
                guard let report = try? WatershedClient.decoder.decode(FollowUpReport.self, from: Data(json.utf8))
                else { return }
                Task {
                    try? await Task.sleep(for: reaction)
                    _ = try? await hezhou.fileReport(report, on: incident.uuidString)
                }
            }
        default:
            guard let text = describe(event) else { return }
            if case .task(.dispatched(let task))? = (try? RecordedEvent(event))?.event {
                if let player = players["\(task.assignee.unit)/\(task.assignee.position.rawValue)"] {
                    Task {
                        try? await Task.sleep(for: reaction)
                        _ = try? await player.work(task: task.reference, .ack)
                        if task.kind == .report {
                            try? await Task.sleep(for: reaction)
                            _ = try? await player.work(task: task.reference, .done)
                        }
                    }
                }
            }
            line("GX", event, clock: clock, text)
        }
    }

    /// Guangdong's events; its duty chief accepts the neighbour's notification after the reaction time.
    func onGuangdong(_ event: StoredEvent, clock: DrillClock, commander: WatershedClient) async {
        switch event.type {
        case .planComputed, .obligationDue, .obligationMet: return
        case .peerEventReceived:
            guard case .peerEventReceived(let received)? = (try? RecordedEvent(event))?.event,
                [.reportFiled, .levelSet, .incidentClosed, .peerNotified].contains(received.event.type)
            else { return }
            line(
                "GD", event, clock: clock,
                "from \(received.province): \(DrillScoring.describe(received.event, tasks: [:]))")
        default:
            guard let text = describe(event) else { return }
            if case .task(.dispatched(let task))? = (try? RecordedEvent(event))?.event {
                // Guangdong's duty chief accepts the notification; its units acknowledge their tasks (a commander
                // may work any task).
                Task {
                    try? await Task.sleep(for: reaction)
                    _ = try? await commander.work(task: task.reference, .ack)
                }
            }
            line("GD", event, clock: clock, text)
        }
    }

    // MARK: Processes

    /// This executable (to start the servers with): `/proc/self/exe` on Linux, else the first argument.
    static var executable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }

    func startServer(_ side: Side) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = [
            "serve", "--province", side.code, "--port", "\(side.port)", "--peer-port", "\(side.peerPort)", "--data",
            side.data.path, "--playbooks", playbooks, "--seeds", seeds, "--log-level", "warning",
        ]
        let log = folder.appendingPathComponent("\(side.code).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes.withLock { $0.append(process) }
    }

    func pid(of side: Side) -> String {
        processes.withLock { list in
            list.first { $0.arguments?.contains(side.code) ?? false }.map { String($0.processIdentifier) } ?? "?"
        }
    }

    func waitUntilUp(_ side: Side, _ client: WatershedClient) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if (try? await client.drills()) != nil { return }
            let running = processes.withLock { list in
                list.first { $0.arguments?.contains(side.code) ?? false }?.isRunning ?? false
            }
            if !running { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = (try? String(contentsOf: folder.appendingPathComponent("\(side.code).log"), encoding: .utf8)) ?? ""
        throw CommandExit(
            code: 1, message: "watershed demo: the \(side.name) server did not start; its log:\n" + log.suffix(2_000))
    }

    /// Stops both servers (SIGTERM: a graceful shutdown) and removes the folder unless kept.
    func stopServers() {
        let list = processes.withLock { list in
            defer { list = [] }
            return list
        }
        for process in list where process.isRunning { process.terminate() }
        for process in list { process.waitUntilExit() }
        if !keep { try? FileManager.default.removeItem(at: folder) }
    }
}
