import Foundation
import HummingbirdWebSocket
import NIOCore
import Synchronization
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// One `/v1/stream` connection: the backlog after `after` from the log, one `caughtUp` frame,
/// then live events, in seq order with no gap and no duplicate (DESIGN.md "Live stream").
///
/// The session writes the backlog itself, a batch of frames per flush, then hands the connection to the hub
/// (``SubscriberQueue/attach(_:after:metrics:)``), which writes live frames from the connection's event loop. Every
/// frame is framed once for all connections (``WebSocketWire``) and written below hummingbird-websocket's frame
/// encoder (``FramedWriter``); pings, pongs and the close handshake stay hummingbird-websocket's.
///
/// A client that falls behind the hub's bounded queue is cut off: the frames not yet handed to the connection are
/// dropped, the frames already handed reach the client as it reads, and then a close frame with 4001
/// `resume:<the seq of the last frame handed>`. Its close handshake waits at most ``closeGrace`` for the client to
/// read that far; then the connection is dropped.
///
/// When the server shuts down (SIGTERM: ``StreamDrain`` fires the hub's ``GoingAway``), the stream closes with 1001
/// (going away, RFC 6455 §7.4.1) and `shutting down; resume:<seq>`: the client reconnects with `after` set to the last seq
/// it read, to this node or another. The close handshake waits at most ``shutdownGrace`` for the client's answer.
struct StreamSession {
    let log: any ServerLog
    let hub: PushHub
    let after: Int64
    let filter: StreamFilter
    var metrics: ServerMetrics?
    /// For a token whose rights can end while it streams (a drill participant's, when its drill ends): the reason
    /// they ended, or `nil` while they last. Asked every ``StreamWatch/revocationCheck`` on the connection's event
    /// loop (it must not block); the stream then closes with 4003.
    var revoked: (@Sendable () -> String?)? = nil

    /// Backlog page size (events read from the log at a time).
    static let page = 200
    /// Backlog bytes handed to the connection per flush; the next batch waits until these are written to the socket,
    /// so a client that reads slowly holds at most this much of its backlog in the server.
    static let backlogBatchBytes = 256 << 10
    /// Largest outbound frame; a longer message is sent as several frames (the server's
    /// `maxFrameSize`).
    static let maxFrameSize = 1 << 16
    /// How long a cut-off client has to read up to its 4001 close frame before it is dropped.
    static let closeGrace: Duration = .seconds(300)

    /// How long a shutting-down server waits for a client to answer its 1001 close frame.
    static let shutdownGrace: Duration = .seconds(2)

    /// Serves the stream on an upgraded connection; `channel` is the connection (its pipeline gets a ``FramedWriter``).
    ///
    /// A client whose `after` is beyond the committed head is closed at once with
    /// ``StreamMessage/aheadCloseCode`` (4002) and `ahead:<head>:<hash of seq 1>`: answering `caughtUp` would let it
    /// drop the next events as already seen.
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async throws {
        if let reason = try await aheadReason() {
            try await outbound.close(.unknown(StreamMessage.aheadCloseCode), reason: reason)
            return
        }
        let sink = try await LiveSink.install(on: channel)
        // Subscribe before reading the head, so every event after the head reaches the subscription.
        let subscription = hub.subscribe(filter)
        let queue = subscription.queue
        // Pings every 10 s; a connection that neither speaks nor takes data for 30 s is dead. A slow reader is not:
        // it falls behind its budget and gets 4001 (StreamLiveness). The watch has no task: a timer and callbacks.
        let watch = StreamWatch.start(
            on: sink.eventLoop, queue: queue, goingAway: hub.goingAway, revoked: revoked, ping: { sink.ping() },
            probe: { sink.probe() })
        // Whatever happens, the watch ends (its timer stops) when the session does.
        defer { watch.end(.clientLeft) }
        let outcome: StreamOutcome
        do {
            // Two child tasks: the inbound side, read for as long as the stream lasts, and the backlog, which ends
            // when the subscriber goes live. Each reports to the watch; the first outcome wins.
            outcome = try await withThrowingDiscardingTaskGroup { group in
                // Inbound frames are read (and dropped) so pings, pongs and the close handshake are handled.
                group.addTask {
                    do {
                        for try await _ in inbound.messages(maxSize: 1 << 16) {}
                        watch.end(.clientLeft)
                    } catch {
                        watch.fail(error)
                    }
                }
                group.addTask {
                    do {
                        try await sendBacklog(queue: queue, sink: sink)
                    } catch {
                        watch.fail(error)
                    }
                }
                let first = try await watch.outcome()
                // A cut-off cancels the backlog in progress: what was not yet handed to the connection is not sent,
                // and the queue's mark names the last frame that was.
                group.cancelAll()
                return first
            }
        } catch {
            hub.remove(subscription.id)
            throw error
        }
        hub.remove(subscription.id)
        if case .dead = outcome {
            metrics?.streamDeadDropped.increment()
            try await channel.close()
            return
        }
        if case .revoked(let reason) = outcome {
            // The reason is ASCII and under the 123 bytes a close reason may hold (RFC 6455 §5.5).
            try await outbound.close(.unknown(StreamMessage.rightsLostCloseCode), reason: reason)
            return
        }
        if case .shuttingDown = outcome {
            try await closeForShutdown(outbound: outbound, sink: sink, resume: queue.handedSeq)
            return
        }
        guard case .cutOff = outcome else { return }
        let resume = queue.handedSeq
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await outbound.close(.unknown(4001), reason: "resume:\(resume)")
                // Accepted is not written: the close frame waits behind the frames already handed to the connection,
                // and returning now would start hummingbird-websocket's 15 s close timeout, whose channel close
                // discards whatever the client has not read yet — the close frame with it.
                try await sink.closeWritten.waitCancellably()
                return true
            }
            group.addTask {
                try await Task.sleep(for: Self.closeGrace)
                return false
            }
            let first = try await group.next() ?? false
            group.cancelAll()
            return first
        }
        if !closed { throw StreamSessionError.clientDidNotRead(resume: resume) }
    }

    /// 1001 `shutting down; resume:<seq>`, then up to ``shutdownGrace`` for the client's close frame (a client that
    /// does not answer is dropped when the connection closes).
    private func closeForShutdown(outbound: WebSocketOutboundWriter, sink: LiveSink, resume: Int64) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await outbound.close(.goingAway, reason: "shutting down; resume:\(resume)")
                try await sink.closeWritten.waitCancellably()
            }
            group.addTask { try await Task.sleep(for: Self.shutdownGrace) }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// `ahead:<head>:<hash of seq 1>` when `after` is beyond the committed head, else `nil`.
    func aheadReason() async throws -> String? {
        let head = try await log.head()
        guard after > head else { return nil }
        let first =
            try await log.storedBytes(after: 0, limit: 1, incident: nil, exercise: nil).first?.hash
            ?? String(repeating: "0", count: 64)
        return "ahead:\(head):\(first)"
    }

    /// The backlog and `caughtUp`, in batches of about ``backlogBatchBytes`` with a flush each; then the subscriber
    /// goes live.
    private func sendBacklog(queue: SubscriberQueue, sink: LiveSink) async throws {
        let head = try await log.head()
        var cursor = after
        var batch: [ByteBuffer] = []
        var batchBytes = 0
        var batchLast = after
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let wires = batch
            batch = []
            batchBytes = 0
            let written = sink.eventLoop.flatSubmit { sink.writeAndFlush(wires) }
            queue.handed(through: batchLast)
            try await written.waitCancellably()
        }
        while cursor < head {
            let events = try await log.storedBytes(
                after: cursor, limit: Self.page, incident: filter.incident, exercise: filter.exercise)
            for event in events where event.seq <= head {
                let wire = WebSocketWire.textMessage(
                    try FeedFrame.payload(for: event), maxFrameSize: Self.maxFrameSize)
                batch.append(wire)
                batchBytes += wire.readableBytes
                batchLast = event.seq
                if batchBytes >= Self.backlogBatchBytes { try await flush() }
            }
            guard let last = events.last, events.count == Self.page, last.seq < head else { break }
            cursor = last.seq
        }
        batch.append(
            WebSocketWire.textMessage(
                ByteBuffer(string: #"{"type":"caughtUp","head":\#(head)}"#), maxFrameSize: Self.maxFrameSize))
        batchLast = max(batchLast, head)
        try await flush()
        queue.attach(sink, after: head, metrics: metrics)
    }

    /// Writes one text message in frames of at most ``maxFrameSize`` bytes (``FeedFrame/write(_:to:maxFrameSize:)``).
    static func write(_ payload: ByteBuffer, to outbound: WebSocketOutboundWriter) async throws {
        try await FeedFrame.write(payload, to: outbound, maxFrameSize: maxFrameSize)
    }
}

/// Why a stream session ended without its close handshake.
enum StreamSessionError: Error {
    /// A cut-off client did not read up to its 4001 close frame within the grace period.
    case clientDidNotRead(resume: Int64)
}

extension EventLoopFuture where Value == Void {
    /// Waits for the future; if the task is cancelled first, throws `CancellationError` at once (what the future
    /// stands for goes on).
    func waitCancellably() async throws {
        let waiter = CancellableWaiter()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
                waiter.set(continuation)
                self.whenComplete { waiter.resume(with: $0) }
            }
        } onCancel: {
            waiter.resume(with: .failure(CancellationError()))
        }
    }
}

/// A continuation resumed once, by whichever comes first.
private final class CancellableWaiter: Sendable {
    private enum State {
        case waiting
        case set(CheckedContinuation<Void, Error>)
        case done(Result<Void, Error>)
    }

    private let state = Mutex<State>(.waiting)

    func set(_ continuation: CheckedContinuation<Void, Error>) {
        let early: Result<Void, Error>? = state.withLock { state in
            if case .done(let result) = state { return result }
            state = .set(continuation)
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    func resume(with result: Result<Void, Error>) {
        let continuation: CheckedContinuation<Void, Error>? = state.withLock { state in
            switch state {
            case .waiting:
                state = .done(result)
                return nil
            case .set(let continuation):
                state = .done(result)
                return continuation
            case .done:
                return nil
            }
        }
        continuation?.resume(with: result)
    }
}
