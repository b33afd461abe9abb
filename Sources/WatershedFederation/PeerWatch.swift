import Foundation
import Logging
import ServiceLifecycle
import WatershedCore

/// Watches our notifications to neighbours against their deadlines and the links for silence (every 5 s on the
/// injected clock), and dispatches the phone and escalation tasks
/// (``FederatedIncidents/dispatchPeerCalls(names:now:)``,
/// ``FederatedIncidents/dispatchSilenceCalls(liveness:names:now:)``).
public struct PeerWatch: Service {
    package let incidents: any FederatedIncidents
    package let names: [UnitCode: String]
    package let liveness: PeerLiveness
    package let clock: any WallClock
    package let logger: Logger

    package init(
        incidents: any FederatedIncidents, names: [UnitCode: String], liveness: PeerLiveness, clock: any WallClock,
        logger: Logger
    ) {
        self.incidents = incidents
        self.names = names
        self.liveness = liveness
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var announced: Set<UnitCode> = []
            while !Task.isCancelled {
                // One time per pass, and the next pass 5 s after it: a clock moved during the pass wakes it at once.
                let now = clock.now
                do {
                    let calls = try await incidents.dispatchPeerCalls(names: names, now: now)
                    for call in calls { logger.notice("peer call dispatched", metadata: ["task": "\(call.reference)"]) }
                    let silences = try await incidents.dispatchSilenceCalls(liveness: liveness, names: names, now: now)
                    for call in silences.dispatched {
                        logger.warning("peer link silent: call dispatched", metadata: ["task": "\(call.reference)"])
                    }
                    for peer in silences.unplaced where !announced.contains(peer) {
                        logger.warning(
                            "peer link silent; no open incident shared with it to place the phone task on yet",
                            metadata: ["peer": "\(peer)"])
                    }
                    announced = Set(silences.unplaced)
                } catch {
                    logger.error("peer watch failed", metadata: ["error": "\(error)"])
                }
                try await clock.sleep(until: now.addingTimeInterval(5))
            }
        }
    }
}
