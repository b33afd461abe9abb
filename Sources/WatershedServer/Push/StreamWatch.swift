import NIOCore
import Synchronization

/// Why a live stream ends (``StreamSession``), besides an error.
enum StreamOutcome: Sendable, Equatable {
    /// The client closed the connection or its inbound side ended.
    case clientLeft
    /// The hub cut the subscriber off for falling behind its budget: close with 4001 `resume:<seq>`.
    case cutOff
    /// The connection neither spoke nor took data for ``StreamLiveness/deadAfter``: dropped without a close frame.
    case dead
    /// The server is shutting down: close with 1001 `shutting down; resume:<seq>`.
    case shuttingDown
    /// The token's rights ended (a drill over, a token revoked): close with 4003 and this reason.
    case revoked(String)
}

/// Watches one live stream for whatever ends it other than its client — a cut-off, a dead connection, lost rights,
/// the server going away — **without a task of its own**: one repeated timer on the connection's event loop pings
/// the client every ``StreamLiveness/pingEvery`` and asks ``StreamLiveness`` whether it is dead (and, for a token
/// whose rights can end, asks that every ``revocationCheck``); the cut-off and the shutdown signal call back. The
/// first of these to happen completes ``ended``; the rest are then let go (issue 22: these were four child tasks
/// per connection, each an allocation of its own held for the connection's life).
///
/// The session also ends the watch itself (``end(_:)``, ``fail(_:)``) when its client leaves or its backlog fails,
/// and when it returns: a watch lives — its timer and the shutdown signal hold it — until it ends, and ending it
/// cancels the timer and lets go of the signal (the queue's callback goes with the subscription).
final class StreamWatch: Sendable {
    /// How often a revocable token's rights are asked about.
    static let revocationCheck: TimeAmount = .seconds(1)

    /// What ends the stream, completed once: by the first of the watched conditions, ``end(_:)`` or ``fail(_:)``.
    let ended: EventLoopFuture<StreamOutcome>

    private struct State {
        var done = false
        var timer: RepeatedTask?
        var goingAwayID: UInt64?
    }

    private let promise: EventLoopPromise<StreamOutcome>
    private let state = Mutex(State())
    private let goingAway: GoingAway

    private init(eventLoop: any EventLoop, goingAway: GoingAway) {
        promise = eventLoop.makePromise()
        ended = promise.futureResult
        self.goingAway = goingAway
    }

    /// Starts watching a stream on `eventLoop`.
    ///
    /// - Parameters:
    ///   - queue: the subscriber's queue; its cut-off ends the watch with ``StreamOutcome/cutOff``.
    ///   - goingAway: the server's shutdown signal (``StreamOutcome/shuttingDown``).
    ///   - revoked: for a token whose rights can end, the reason they ended or `nil` while they last
    ///     (``StreamOutcome/revoked(_:)``); asked on the event loop, so it must not block.
    ///   - ping: writes a ping to the client; on the event loop.
    ///   - probe: when the client last sent bytes and its TCP acknowledged-byte count (``LiveSink/probe()``).
    static func start(
        on eventLoop: any EventLoop, queue: SubscriberQueue, goingAway: GoingAway,
        revoked: (@Sendable () -> String?)?, ping: @escaping @Sendable () -> Void,
        probe: @escaping @Sendable () -> EventLoopFuture<(lastInbound: NIODeadline, bytesAcked: UInt64?)>
    ) -> StreamWatch {
        let watch = StreamWatch(eventLoop: eventLoop, goingAway: goingAway)
        // The timer ticks at the shorter period; a ping and a liveness look every `pingEvery / tick` ticks.
        let (seconds, attoseconds) = StreamLiveness.pingEvery.components
        let pingEvery = TimeAmount.nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let tick = revoked == nil ? pingEvery : Self.revocationCheck
        let ticksPerPing = max(1, pingEvery.nanoseconds / tick.nanoseconds)
        // The timer's own state, on the event loop only: the liveness rule's memory and the ticks so far.
        let looks = NIOLoopBoundBox.makeBoxSendingValue(
            (liveness: StreamLiveness(start: eventLoop.now), ticks: Int64(0)), eventLoop: eventLoop)
        let timer = eventLoop.scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            if let reason = revoked?() { return watch.end(.revoked(reason)) }
            looks.value.ticks += 1
            guard looks.value.ticks % ticksPerPing == 0 else { return }
            ping()
            probe().hop(to: eventLoop).assumeIsolated().whenSuccess { lastInbound, acked in
                if looks.value.liveness.isDead(now: eventLoop.now, lastInbound: lastInbound, bytesAcked: acked) {
                    watch.end(.dead)
                }
            }
        }
        let keep = watch.state.withLock { state in
            state.timer = timer
            return !state.done
        }
        if !keep { timer.cancel() }
        queue.whenCutOff { watch.end(.cutOff) }
        if let id = goingAway.whenFired({ watch.end(.shuttingDown) }) {
            let keep = watch.state.withLock { state in
                state.goingAwayID = id
                return !state.done
            }
            if !keep { goingAway.forget(id) }
        }
        return watch
    }

    /// Ends the watch with `outcome`, unless it has ended.
    func end(_ outcome: StreamOutcome) { finish(.success(outcome)) }

    /// Ends the watch with `error`, unless it has ended.
    func fail(_ error: any Error) { finish(.failure(error)) }

    /// Waits for ``ended``; a cancelled task ends the watch with `CancellationError`.
    func outcome() async throws -> StreamOutcome {
        try await withTaskCancellationHandler {
            try await ended.get()
        } onCancel: {
            fail(CancellationError())
        }
    }

    private func finish(_ result: Result<StreamOutcome, any Error>) {
        let taken: (timer: RepeatedTask?, goingAwayID: UInt64?)? = state.withLock { state in
            guard !state.done else { return nil }
            state.done = true
            defer {
                state.timer = nil
                state.goingAwayID = nil
            }
            return (state.timer, state.goingAwayID)
        }
        guard let taken else { return }
        taken.timer?.cancel()
        if let id = taken.goingAwayID { goingAway.forget(id) }
        promise.completeWith(result)
    }
}
