import AsyncHTTPClient
import Foundation
import Logging
import ServiceLifecycle
import WatershedCore
import WatershedFederation

/// Sends the texts tasks call for to the duty rota's holders (issue 19, "SMS out"; docs/sms.md) — one of the leader's
/// singletons, so one node sends.
///
/// Each pass: the texts due and not settled in the log (``IncidentService/textsDue(policy:now:)``); for each, the
/// holder of its position now (``DutyRota/holder(of:at:)``; a position nobody holds on the rota gets no text), the
/// text (``TaskTextMessage``) through the gateway, then `TaskTextSent` with the person's id and the number's keyed
/// hash (``NumberHasher``). A failed attempt is retried with backoff (1 s, doubling, at most 60 s), its first
/// failure recorded as `TaskTextFailed`; a text whose delivery the network reported failed is sent again after 30 s; dispatch and escalation go on meanwhile (they are the scheduler's). A text
/// unsent for ``undeliverableAfter`` is given up: ``IncidentService/giveUpOnText(_:reason:minutes:now:)``, which asks
/// the duty chief to phone. Then it sleeps until the next retry, reminder or give-up, or until a commit changes a task.
///
/// The gateway taking a text and its `TaskTextSent` are two steps: a node that dies between them sends that text
/// again when the next leader passes (at least once, never lost).
struct TextSender: Service {
    let incidents: IncidentService
    let gateway: KannelGateway
    let hasher: NumberHasher
    let policy: TextPolicy
    /// Seconds a text may stay unsent before it is given up.
    let undeliverableAfter: TimeInterval
    let clock: any WallClock
    let metrics: ServerMetrics
    let logger: Logger

    /// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … 60 s.
    static func backoff(after attempts: Int) -> TimeInterval {
        min(60, pow(2, Double(max(0, attempts - 1))))
    }

    func run() async throws {
        // A gateway that is down is known in 3 s, not the default 10 (the connection pool retries a refused connect
        // until its timeout).
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton,
            configuration: .init(timeout: .init(connect: .seconds(3), read: .seconds(10))))
        let wake = DeadlineScheduler.Wake()
        await incidents.onDeadlinesChanged("texts") { wake.signal() }
        await cancelWhenGracefulShutdown {
            var state = State()
            while !Task.isCancelled {
                let next = await pass(&state, client: client)
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { await wake.wait() }
                    if let next { group.addTask { try? await clock.sleep(until: next) } }
                    await group.next()
                    group.cancelAll()
                }
            }
        }
        try await client.shutdown()
    }

    /// What the sender remembers between passes (lost on a restart or a change of leader: the next one starts its
    /// retries afresh, and the log says what was sent).
    struct State {
        /// Per text: when to try again, attempts so far, the last failure.
        var retries: [String: (at: Date, attempts: Int, reason: String)] = [:]
        /// Texts whose position nobody holds, logged once.
        var unheld: Set<String> = []
    }

    /// One pass; returns when the next should be, at the latest.
    func pass(_ state: inout State, client: HTTPClient) async -> Date? {
        let now = clock.now
        let pending = await incidents.textsDue(policy: policy, now: now)
        // The rota as it stands, with the swaps made through the API.
        let rota = await incidents.rota ?? DutyRota()
        let keys = Set(pending.map(\.text.due.key))
        // Only the texts still due are remembered: a settled text, or a task gone past its step, is forgotten.
        state.retries = state.retries.filter { keys.contains($0.key) }
        state.unheld.formIntersection(keys)
        var wakeAt = await incidents.nextTextTime(policy: policy, after: now).map { [$0] } ?? []
        var unreachable: SMSGatewayError?
        for item in pending where !Task.isCancelled {
            let key = item.text.due.key
            let task = item.text.task
            guard let person = (item.drillPhones ?? rota).holder(of: item.text.due.to, at: item.now) else {
                if state.unheld.insert(key).inserted {
                    logger.info(
                        "no text: nobody holds the position on the duty rota",
                        metadata: ["task": "\(task.reference)", "position": "\(item.text.due.to)"])
                }
                continue
            }
            let giveUpAt = item.unsentSinceWall.addingTimeInterval(undeliverableAfter)
            if now >= giveUpAt {
                await giveUp(item, reason: state.retries[key]?.reason ?? item.failure, now: now)
                continue
            }
            if state.retries[key] == nil, item.failedBefore {
                // A failure the log holds and this sender did not see happen (a delivery report's — the phone off
                // or out of coverage — or one from before a restart): sent again after 30 s, not at once.
                state.retries[key] = (now.addingTimeInterval(30), 0, item.failure ?? "")
            }
            if let retry = state.retries[key], retry.at > now {
                wakeAt += [retry.at, giveUpAt]
                continue
            }
            let message = TaskTextMessage(
                task: task, occasion: item.text.due.occasion, ackBy: item.text.due.ackBy, now: item.now,
                drill: item.exercise)
            do {
                // A gateway that did not answer this pass is not asked again in it: each try would wait for its
                // connection timeout.
                if let unreachable { throw unreachable }
                let accepted = try await gateway.send(message.text, to: person.mobile, key: key, client: client)
                let sent = TaskTextSent(
                    task: task.id, key: key, occasion: item.text.due.occasion, to: item.text.due.to, person: person.id,
                    numberHash: hasher(person.mobile), code: message.code, segments: message.segments,
                    queued: accepted == .queued, at: clock.now)
                state.retries[key] = nil
                metrics.text(accepted == .queued ? "queued" : "sent")
                try await incidents.recordText([.textSent(sent)], incident: item.incident, now: clock.now)
                logger.info(
                    "text sent",
                    metadata: [
                        "task": "\(task.reference)", "position": "\(item.text.due.to)", "person": "\(person.id)",
                    ])
            } catch let error as SMSGatewayError {
                if case .unreachable = error { unreachable = error }
                let attempts = (state.retries[key]?.attempts ?? 0) + 1
                let reason = error.description.withoutNumbers
                let retryAt = clock.now.addingTimeInterval(Self.backoff(after: attempts))
                state.retries[key] = (retryAt, attempts, reason)
                wakeAt += [retryAt, giveUpAt]
                metrics.text("failed")
                logger.warning(
                    "text not sent; retrying",
                    metadata: ["task": "\(task.reference)", "attempt": "\(attempts)", "error": "\(reason)"])
                if attempts == 1, !item.failedBefore {
                    let failed = TaskTextFailed(task: task.id, key: key, reason: reason, final: false, at: clock.now)
                    try? await incidents.recordText([.textFailed(failed)], incident: item.incident, now: clock.now)
                }
            } catch {
                // The gateway took it but the log did not: try the append (and so the text) again in a second.
                logger.error(
                    "text sent but not recorded; trying again",
                    metadata: ["task": "\(task.reference)", "error": "\(error)"])
                wakeAt.append(clock.now.addingTimeInterval(1))
            }
        }
        return wakeAt.min()
    }

    /// Gives up on a text: its final failure and, once per task, the duty chief's call.
    func giveUp(_ item: PendingText, reason: String?, now: Date) async {
        let minutes = Int((undeliverableAfter / 60).rounded(.up))
        let why = reason ?? item.text.task.reference + "'s text was not sent"
        do {
            let call = try await incidents.giveUpOnText(item, reason: why, minutes: minutes, now: now)
            metrics.text("undeliverable")
            logger.warning(
                "text undeliverable: given up",
                metadata: [
                    "task": "\(item.text.task.reference)", "position": "\(item.text.due.to)",
                    "call": "\(call.map { "\($0.reference) for \($0.assignee)" } ?? "none")",
                ])
        } catch {
            logger.error(
                "giving up on a text failed", metadata: ["task": "\(item.text.task.reference)", "error": "\(error)"])
        }
    }
}
