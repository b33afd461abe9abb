import ArgumentParser

/// `watershed plan …`: plans a spill offline from the playbooks.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan a spill offline: receptors, arrival times, tasks, obligations, peer notifications."
    )
}
