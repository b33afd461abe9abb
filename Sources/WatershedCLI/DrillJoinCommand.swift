import ArgumentParser
import Foundation
import Synchronization
import WatershedClient
import WatershedCore
import WatershedWire

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension DrillCommand {
    /// `watershed drill join ID`: the participant's terminal view.
    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "join",
            abstract: "Join a drill as your token's unit and duty position: injects, your tasks, a prompt.",
            discussion: """
                Shows the drill clock, each inject as it arrives (with the terminal bell), your tasks with their \
                deadlines counting down in drill time, and a prompt for commands:
                  tasks               your open tasks, with time left in drill time
                  ack N | start N | done N      work task N (its number, T3 → 3, or its reference)
                  decline N REASON    decline task N, passing it up the chain
                  report FILE         file a follow-up report (JSON, as `watershed report followup`) on the drill's incident
                  clock | help | quit
                It reconnects by itself and resumes after the last event it showed, so nothing is missed; it \
                ends with the score when the drill ends. Works in tmux; --plain for a pipe.
                """)
        @Argument(help: ArgumentHelp("The drill's id (8 or more of its first characters).", valueName: "id"))
        var id: String
        @Flag(help: "No bell, colour or status refresh (the default when standard output is not a terminal).")
        var plain = false
        @Option(help: ArgumentHelp("Seconds between status lines on a terminal (0: none).", valueName: "seconds"))
        var refresh = 15
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let terminal = JoinTerminal(plain: plain || isatty(STDOUT_FILENO) == 0)
            try await client.withClient { connection in
                let session = try await JoinSession.open(
                    client: connection, drill: id, time: client.time, terminal: terminal)
                try await session.run(refresh: terminal.plain ? 0 : refresh)
            }
        }
    }
}

/// Writes the join view: lines above a prompt that is drawn again after each.
final class JoinTerminal: Sendable {
    let plain: Bool
    private let lock = Mutex(())

    init(plain: Bool) { self.plain = plain }

    /// A line (above the prompt); `alert` rings the bell on a terminal.
    func line(_ text: String, alert: Bool = false) {
        lock.withLock { _ in
            var out = plain ? "" : "\r\u{1B}[K"
            if alert, !plain { out += "\u{07}\u{1B}[1m" + text + "\u{1B}[0m\n" } else { out += text + "\n" }
            if !plain { out += "drill> " }
            CommandOutput.standardOutput(out)
        }
    }

    func prompt() {
        guard !plain else { return }
        lock.withLock { _ in CommandOutput.standardOutput("drill> ") }
    }
}

/// One participant's view of one drill.
actor JoinSession {
    let client: WatershedClient
    let terminal: JoinTerminal
    let time: LocalTime
    let me: Identity
    private(set) var drill: DrillSummary
    private var incidents: [UUID: String] = [:]
    private var dispatched: [UUID: TaskDispatched] = [:]
    private var mine: [ResponseTask] = []
    private var ended = false

    private init(client: WatershedClient, terminal: JoinTerminal, time: LocalTime, me: Identity, drill: DrillSummary) {
        self.client = client
        self.terminal = terminal
        self.time = time
        self.me = me
        self.drill = drill
        for incident in drill.incidents { incidents[incident.id] = incident.reference }
    }

    /// Reads who the token is and the drill.
    static func open(client: WatershedClient, drill id: String, time: LocalTime, terminal: JoinTerminal)
        async throws -> JoinSession
    {
        let me = try await client.me()
        let drill = try await client.drill(id)
        return JoinSession(client: client, terminal: terminal, time: time, me: me, drill: drill)
    }

    var drillNow: Date { drill.clock.drillTime(atWall: Date()) }

    var clockLine: String {
        "\(ClientFormat.drillMark) drill clock \(time(drillNow)) ×\(DrillFormat.factor(drill.clock.factor))"
    }

    /// Follows the stream and the prompt until the drill ends or the participant quits.
    func run(refresh: Int) async throws {
        terminal.line(
            "\(ClientFormat.drillMark) \(drill.title) — you are \(me.unit)/\(me.dutyPosition.rawValue) "
                + "(\(me.tokenID)). Type `help` for commands.")
        terminal.line(clockLine + (drill.state == "ended" ? " — this drill has ENDED" : ""))
        let input = JoinInput.lines()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.follow() }
            group.addTask {
                for await line in input {
                    if await self.command(line) == false { return }
                }
            }
            if refresh > 0 {
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: .seconds(refresh))
                        await self.status()
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    private func follow() async throws {
        try await client.follow(after: max(drill.sinceSeq - 1, 0), exercise: .only) { update in
            await self.handle(update)
        }
    }

    private func handle(_ update: StreamUpdate) async -> StreamDecision {
        switch update {
        case .event(let event):
            await show(event)
            return ended ? .stop : .proceed
        case .caughtUp:
            await refreshTasks()
            terminal.line("— live (\(time(drillNow)) drill time)")
            printTasks()
        case .disconnected(let reason, let after, _):
            terminal.line("— reconnecting (\(reason)); resuming after seq \(after)")
        case .reconnected:
            terminal.line("— reconnected")
        }
        return .proceed
    }

    /// Whether an event belongs to this drill.
    private func belongs(_ event: StoredEvent) -> Bool {
        if let incident = event.incident, incidents[incident] != nil { return true }
        if let incident = event.incident, case .reported(let reported)? = (try? RecordedEvent(event))?.event,
            reported.drill?.drill == drill.id
        {
            incidents[incident] = reported.reference
            return true
        }
        guard event.incident == nil else { return false }
        switch (try? RecordedEvent(event))?.event {
        case .drillStarted(let started): return started.drill == drill.id
        case .drillInjected(let injected): return injected.drill == drill.id
        case .drillEnded(let ended): return ended.drill == drill.id
        default: return false
        }
    }

    private func show(_ event: StoredEvent) async {
        guard belongs(event) else { return }
        let at = event.drillAt ?? drill.clock.drillTime(atWall: event.at)
        let stamp = "[\(time(at))]"
        let recorded = try? RecordedEvent(event)
        if case .task(let change)? = recorded?.event {
            if case .dispatched(let task) = change { dispatched[task.task] = task }
            let text = DrillScoring.describe(event, tasks: dispatched)
            let isMine = dispatched[change.task].map { isFor($0.assignee) } ?? false
            var escalatedToMe = false
            if case .escalated(let escalation) = change { escalatedToMe = isFor(escalation.to) }
            if isMine || escalatedToMe {
                let fresh: Bool
                switch change {
                case .dispatched, .escalated, .overdue: fresh = true
                default: fresh = false
                }
                terminal.line("\(stamp) YOUR TASK: \(text)", alert: fresh)
                await refreshTasks()
            } else {
                terminal.line("\(stamp) \(text)")
            }
            return
        }
        switch event.type {
        case .drillInjected:
            var inject: DrillInjectedPayload?
            if case .drillInjected(let payload)? = recorded?.event { inject = payload }
            terminal.line(
                "\(stamp) INJECT \(inject.map { String($0.index + 1) } ?? "?") (\(inject?.kind.rawValue ?? "")): "
                    + (inject?.summary ?? ""), alert: true)
        case .drillEnded:
            ended = true
            terminal.line("\(stamp) \(DrillScoring.describe(event, tasks: dispatched))", alert: true)
            do {
                let score = try await client.drillScore(drill.id.uuidString)
                for line in DrillFormat.score(score, time: time, timeline: false) { terminal.line(line) }
            } catch {
                terminal.line(
                    "The score cannot be read now (\(error)); ask: watershed drill score \(drill.id.uuidString.prefix(8).lowercased())"
                )
            }
        default:
            terminal.line("\(stamp) \(DrillScoring.describe(event, tasks: dispatched))")
        }
    }

    private func isFor(_ assignee: Assignee) -> Bool {
        assignee.unit == me.unit && assignee.position == me.dutyPosition
    }

    private func refreshTasks() async {
        guard
            let tasks = try? await client.tasks(assignee: "\(me.unit)/\(me.dutyPosition.rawValue)")
        else { return }
        mine = tasks.filter { incidents[$0.incident] != nil && $0.state.isOpen }
    }

    private func printTasks() {
        if mine.isEmpty {
            terminal.line("Your tasks: none open.")
            return
        }
        terminal.line("Your tasks (\(mine.count) open):")
        let now = drillNow
        for task in mine {
            let deadline: (String, Date?) =
                task.state == .dispatched
                ? ("ack by", task.ackBy) : task.startBy != nil ? ("start by", task.startBy) : ("due by", task.dueBy)
            var line = "  \(task.number). \(task.reference) [\(task.state.words)] \(task.title)"
            if let at = deadline.1 {
                let left = at.timeIntervalSince(now) / 60
                line +=
                    " — \(deadline.0) \(time(at)) "
                    + (left >= 0 ? "(in \(DrillFormat.minutes(left)))" : "(OVERDUE by \(DrillFormat.minutes(-left)))")
            }
            terminal.line(line)
        }
    }

    private func status() {
        let next = mine.compactMap { $0.state == .dispatched ? $0.ackBy : ($0.startBy ?? $0.dueBy) }.min()
        var line = clockLine + " · \(mine.count) open task(s)"
        if let next {
            line += " · next deadline in \(DrillFormat.minutes(max(0, next.timeIntervalSince(drillNow) / 60)))"
        }
        terminal.line(line)
    }

    /// Runs one typed command; `false` to quit.
    func command(_ raw: String) async -> Bool {
        let words = raw.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = words.first?.lowercased() else {
            terminal.prompt()
            return true
        }
        do {
            switch verb {
            case "quit", "exit", "q":
                return false
            case "help", "?":
                for line in [
                    "tasks · ack N · start N · done N · decline N REASON · report FILE · clock · quit",
                    "N is the task's number (T3 → 3) or its reference.",
                ] { terminal.line(line) }
            case "clock":
                terminal.line(clockLine)
            case "tasks":
                await refreshTasks()
                printTasks()
            case "ack", "start", "done", "decline":
                guard words.count >= 2 else { throw JoinUsage("\(verb) needs a task number, e.g. `\(verb) 3`") }
                let action = TaskAction(rawValue: verb)!
                let reason = words.dropFirst(2).joined(separator: " ")
                if action == .decline, reason.isEmpty { throw JoinUsage("decline needs a reason: `decline 3 no boat`") }
                let worked = try await client.work(
                    task: try reference(words[1]), action, reason: action == .decline ? reason : nil)
                terminal.line("\(worked.reference) \(worked.state.words) — \(worked.title)")
                await refreshTasks()
            case "report":
                guard words.count == 2 else { throw JoinUsage("report needs a file: `report followup.json`") }
                guard let incident = drill.incidents.first?.id ?? incidents.keys.first else {
                    throw JoinUsage("the drill has no incident yet")
                }
                let data = try Data(contentsOf: URL(fileURLWithPath: words[1]))
                let report = try WatershedClient.decoder.decode(FollowUpReport.self, from: data)
                let filed = try await client.fileReport(report, on: incident.uuidString)
                terminal.line("\(ClientFormat.report(report.kind)) report filed on \(filed.incident.reference)")
            default:
                throw JoinUsage("unknown command \"\(verb)\"; type `help`")
            }
        } catch let error as JoinUsage {
            terminal.line(error.message)
        } catch let error as WatershedClientError {
            terminal.line("refused: \(error.description)")
        } catch {
            terminal.line("cannot: \(error)")
        }
        return true
    }

    /// A typed task: its number among my tasks (`3`), or a reference.
    private func reference(_ text: String) throws -> String {
        if let number = Int(text.trimmingCharacters(in: CharacterSet(charactersIn: "Tt"))),
            !text.contains("/")
        {
            let matches = mine.filter { $0.number == number }
            if matches.count == 1 { return matches[0].reference }
            // Not one of mine (yet): T-number on the drill's first incident.
            if let incident = drill.incidents.first?.reference ?? incidents.values.first {
                return "\(incident)/T\(number)"
            }
            throw JoinUsage("no task \(number) here; type `tasks`")
        }
        return text
    }
}

struct JoinUsage: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Standard input as lines, read on a thread of its own (a blocking read must not hold a cooperative thread).
enum JoinInput {
    static func lines() -> AsyncStream<String> {
        AsyncStream { continuation in
            let thread = Thread {
                while let line = readLine(strippingNewline: true) { continuation.yield(line) }
                continuation.finish()
            }
            thread.start()
        }
    }
}
