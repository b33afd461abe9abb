import Foundation
import Logging
import ServiceLifecycle
import WatershedFederation

/// Plays running drills' injects at their drill times and ends drills at `endsAtMin` — a `Service` on the injected
/// wall clock, like the ``DeadlineScheduler`` (which fires a drill's task deadlines on the drill's clock).
///
/// What has been played is in the log (`DrillInjected`), so after a restart the first pass plays what came due
/// while the server was down, once each. The loop: play what is due, then sleep until the next inject or end, or
/// until a commit starts, plays or ends a drill.
struct DrillRunner: Service {
    let incidents: IncidentService
    let clock: any WallClock
    let logger: Logger
    private let wake = DeadlineScheduler.Wake()

    init(incidents: IncidentService, clock: any WallClock, logger: Logger) {
        self.incidents = incidents
        self.clock = clock
        self.logger = logger
    }

    func run() async throws {
        let wake = self.wake
        await incidents.onDrillsChanged { wake.signal() }
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let played = try await incidents.playDueDrills(wall: clock.now)
                    if played > 0 { logger.info("drill injects played", metadata: ["injects": "\(played)"]) }
                } catch {
                    logger.error("playing drill injects failed; retrying in 1 s", metadata: ["error": "\(error)"])
                    try? await clock.sleep(until: clock.now.addingTimeInterval(1))
                    continue
                }
                let next = await incidents.nextDrillWake()
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await wake.wait() }
                    if let next { group.addTask { try? await clock.sleep(until: next) } }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
    }
}
