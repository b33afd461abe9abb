import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WatershedFederation

/// Fires task deadlines (acknowledgement, report due) on the injected wall clock — a `Service` in the server's
/// `ServiceGroup` (issue 4, "Scheduler").
///
/// Deadlines live in the tasks (folded from the log), not in the scheduler: after a restart the first pass fires
/// every deadline that passed while the server was down, each exactly once (a passed deadline's changes are in
/// the log, so the task no longer has it). The loop: fire what is due strictly before now, then sleep until just
/// after the earliest remaining deadline (1 ms after it: an acknowledgement *at* the deadline is in time) or until
/// a commit moves the deadlines, whichever comes first.
public struct DeadlineScheduler: Service {
    let incidents: IncidentService
    let clock: any WallClock
    let logger: Logger
    private let wake: Wake

    /// A wake-up signal that is never lost: a signal sent while nobody waits is kept for the next wait.
    final class Wake: Sendable {
        private struct State {
            var pending = false
            var waiter: CheckedContinuation<Void, Never>?
        }
        private let state = Mutex(State())

        func signal() {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiter {
                    state.waiter = nil
                    return waiter
                }
                state.pending = true
                return nil
            }
            waiter?.resume()
        }

        func wait() async {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state -> Bool in
                        if state.pending || Task.isCancelled {
                            state.pending = false
                            return true
                        }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                signal()
            }
        }
    }

    /// A scheduler for `incidents`' tasks on `clock`.
    public init(incidents: IncidentService, clock: any WallClock, logger: Logger) {
        self.incidents = incidents
        self.clock = clock
        self.logger = logger
        self.wake = Wake()
    }

    /// Asks the service to wake the scheduler after every commit that changes a task.
    func connect() async {
        let wake = self.wake
        await incidents.onDeadlinesChanged("scheduler") { wake.signal() }
    }

    public func run() async throws {
        await connect()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let fired = try await incidents.fireDeadlines(now: clock.now)
                    if fired > 0 { logger.info("deadlines passed", metadata: ["events": "\(fired)"]) }
                } catch {
                    logger.error("firing deadlines failed; retrying in 1 s", metadata: ["error": "\(error)"])
                    try? await clock.sleep(until: clock.now.addingTimeInterval(1))
                    continue
                }
                let next = await incidents.nextDeadline()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await wake.wait() }
                    if let next {
                        group.addTask { try? await clock.sleep(until: next.addingTimeInterval(0.001)) }
                    }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}
