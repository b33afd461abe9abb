import Foundation
import Logging
import ServiceLifecycle
import WatershedPostgres
import WatershedStore

/// The leader epoch this task's appends are fenced with (``WatershedStore/EventStore/append(_:fence:)``): set
/// around the singletons while this node leads, `nil` everywhere else (a request's appends are never fenced).
enum LeaderFence {
    @TaskLocal static var epoch: Int64?
}

/// The singletons — the deadline scheduler, the peer watch, the drill runner and the peer links (with their
/// outboxes) — run on one node at a time (issue 18, "One of each singleton").
///
/// On the SQLite log there is one node: they simply run. On PostgreSQL a ``WatershedPostgres/LeaderLease`` decides:
/// when this node is elected it first folds the log to the head it finds (so that it decides on everything the
/// last leader did), then runs them with their appends fenced by its epoch (``LeaderFence``); when it loses the
/// lease it cancels them and waits for them to end. A leader paused past its lease (SIGSTOP) and resumed finds its
/// singletons' appends refused (``WatershedStore/EventLogError/fenced(epoch:current:)``) until it learns it lost.
struct LeaderSingletons: Service {
    let services: [any Service]
    /// `nil`: always the leader (SQLite).
    let lease: LeaderLease?
    let log: any EventStore
    let incidents: IncidentService
    let metrics: ServerMetrics
    let logger: Logger

    /// This node in `watershed_leader.node`: the host name and the process id.
    static let nodeName = "\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier)"

    func run() async throws {
        guard let lease else {
            // A service that returns ends the server (ServiceGroup): with nothing to run, wait for the shutdown.
            metrics.leading(true)
            if services.isEmpty { try? await gracefulShutdown() }
            try await Self.runAll(services)
            return
        }
        let leaseTask = Task { await lease.run() }
        let (services, log, incidents, metrics, logger) = (services, log, incidents, metrics, logger)
        metrics.leading(false)
        await cancelWhenGracefulShutdown {
            var running: Task<Void, Never>?
            // Ends when the shutdown cancels this task.
            for await change in lease.changes {
                switch change {
                case .elected(let epoch):
                    logger.notice("elected leader: running the singletons", metadata: ["epoch": "\(epoch)"])
                    metrics.leading(true, epoch: epoch)
                    running = Task {
                        await Self.lead(epoch: epoch, services, log: log, incidents: incidents, logger: logger)
                    }
                case .lost:
                    logger.warning("lost the leader lease: stopping the singletons")
                    metrics.leading(false)
                    running?.cancel()
                    await running?.value
                    running = nil
                }
            }
            running?.cancel()
            await running?.value
        }
        leaseTask.cancel()
        await leaseTask.value
    }

    /// While this node leads (until cancelled): folds the log to the head it finds, then runs the singletons fenced
    /// by `epoch`. The head is asked again every second until the database answers, and singletons that fail are
    /// started again a second later: a leader that has stopped its singletons would leave them stopped everywhere.
    static func lead(
        epoch: Int64, _ services: [any Service], log: any EventStore, incidents: IncidentService, logger: Logger
    ) async {
        var head: Int64?
        while head == nil, !Task.isCancelled {
            do {
                head = try await log.head()
            } catch {
                logger.warning("elected, but cannot read the log's head yet", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
        guard let head else { return }
        await incidents.waitFolded(through: head)
        while !Task.isCancelled {
            do {
                try await LeaderFence.$epoch.withValue(epoch) { try await runAll(services) }
                return
            } catch is CancellationError {
                return
            } catch {
                logger.error("a singleton failed; starting them again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Runs every service until all end (or one throws).
    static func runAll(_ services: [any Service]) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services { group.addTask { try await service.run() } }
            try await group.waitForAll()
        }
    }
}
