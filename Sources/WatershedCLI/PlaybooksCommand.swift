import ArgumentParser

/// `watershed playbooks …`: offline work on playbooks.
struct PlaybooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "playbooks",
        abstract: "Check river, park and sea playbooks offline.",
        subcommands: []
    )
}
