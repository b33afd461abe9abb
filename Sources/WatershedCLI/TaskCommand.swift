import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

/// `watershed task ack|start|done|decline ID`: works a response task.
struct TaskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "task",
        abstract: "Work a task: acknowledge, start, complete or decline it.",
        discussion: """
            A task may be worked by a token of its assignee's unit and duty position, by a position it was \
            escalated to, or by a commander. Exit 0 done, 1 refused (not yours, already done, unknown task), \
            2 usage, 3 cannot connect or the certificate is not trusted.
              watershed task ack GX-2026-0001/T3 --ca data/tls/ca.pem --token wsd-dev-officer-yizhou
              watershed task decline GX-2026-0001/T3 --reason "no boat available" --token …
            """,
        subcommands: [Ack.self, Start.self, Done.self, Decline.self]
    )

    /// What every task subcommand takes.
    struct TaskOptions: ParsableArguments {
        @Argument(help: ArgumentHelp("The task's reference (GX-2026-0001/T3) or UUID.", valueName: "id"))
        var id: String

        @Flag(help: "Print the API's JSON (the task as it stands after).")
        var json = false
    }

    static func work(_ action: TaskAction, reason: String? = nil, task: TaskOptions, client: ClientOptions)
        async throws
    {
        let chinese = client.chinese && !task.json
        let (worked, names) = try await client.withClient { api in
            (try await api.work(task: task.id, action, reason: reason), chinese ? await ClientNames.fetch(api) : nil)
        }
        let out = CommandOutput.current
        if task.json {
            out.write(try ClientJSON.encode(worked))
            return
        }
        if let names {
            let what: String =
                switch action {
                case .ack: "已确认"
                case .start: "已开始"
                case .done: "已完成"
                case .decline:
                    worked.unowned
                        ? "已拒绝；上级没有可以转交的人：无人承办" : "已拒绝；转交 \(names.assignee(worked.assignee))"
                }
            out.write("\(worked.reference) \(what) — \(worked.titleZh ?? worked.title)")
            out.write(
                "状态 \(worked.state.nameZh)，承办 \(names.assignee(worked.assignee))，"
                    + ClientNames.deadline(worked, time: client.time))
            return
        }
        let what: String =
            switch action {
            case .ack: "acknowledged"
            case .start: "started"
            case .done: "done"
            case .decline:
                worked.unowned
                    ? "declined; nobody above to pass it to: it is UNOWNED"
                    : "declined; passed to \(ClientFormat.assignee(worked.assignee))"
            }
        out.write("\(worked.reference) \(what) — \(worked.title)")
        out.write(
            "State \(worked.state.words), assignee \(ClientFormat.assignee(worked.assignee)), "
                + ClientFormat.deadline(worked, time: client.time))
    }

    /// `watershed task ack ID`.
    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ack", abstract: "Acknowledge a task: you have it (stops its escalation).")
        @OptionGroup var task: TaskOptions
        @OptionGroup var client: ClientOptions
        func run() async throws { try await TaskCommand.work(.ack, task: task, client: client) }
    }

    /// `watershed task start ID`.
    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start", abstract: "Start a task: work on it has begun.")
        @OptionGroup var task: TaskOptions
        @OptionGroup var client: ClientOptions
        func run() async throws { try await TaskCommand.work(.start, task: task, client: client) }
    }

    /// `watershed task done ID`.
    struct Done: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "done", abstract: "Complete a task.")
        @OptionGroup var task: TaskOptions
        @OptionGroup var client: ClientOptions
        func run() async throws { try await TaskCommand.work(.done, task: task, client: client) }
    }

    /// `watershed task decline ID --reason TEXT`.
    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decline",
            abstract: "Decline a task your unit cannot take; it passes up the duty chain with your reason.")
        @OptionGroup var task: TaskOptions
        @Option(help: ArgumentHelp("Why your unit cannot take it (shown to the next assignee).", valueName: "text"))
        var reason: String
        @OptionGroup var client: ClientOptions

        func validate() throws {
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--reason: say why your unit cannot take the task.")
            }
        }

        func run() async throws { try await TaskCommand.work(.decline, reason: reason, task: task, client: client) }
    }
}
