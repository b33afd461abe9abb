import Foundation
import HummingbirdWebSocket
import NIOCore
import WatershedCore
import WatershedStore

/// One `/v1/stream` connection: the backlog after `after` from the log, one `caughtUp` frame,
/// then live events, in seq order with no gap and no duplicate (DESIGN.md "Live stream").
///
/// A client that falls behind the hub's bounded queue is cut off: the frame being written when that
/// happens is abandoned, the frames already written to the connection reach the client as it reads,
/// and then a close frame with 4001 `resume:<the seq of the last frame written>`. Its close
/// handshake waits at most ``closeGrace`` for the client to read that far; then the connection is
/// dropped. While its socket is full, every write waits, so nothing more is queued for it.
struct StreamSession {
    let log: EventLog
    let hub: PushHub
    let after: Int64
    let filter: StreamFilter
    var metrics: ServerMetrics?

    /// Backlog page size (events read from the log at a time).
    static let page = 200
    /// Largest outbound frame; a longer message is sent as several frames (the server's
    /// `maxFrameSize`).
    static let maxFrameSize = 1 << 16
    /// How long a cut-off client has to read up to its 4001 close frame before it is dropped.
    static let closeGrace: Duration = .seconds(300)

    private enum Outcome: Sendable {
        case clientLeft, cutOff, hubFinished
    }

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        // Subscribe before reading the head, so every event after the head reaches the subscription.
        let subscription = hub.subscribe(filter)
        let queue = subscription.queue
        let mark = SentMark(after)
        let outcome: Outcome
        do {
            outcome = try await withThrowingTaskGroup(of: Outcome.self) { group in
                // Inbound frames are read (and dropped) so pings, pongs and the close handshake are handled.
                group.addTask {
                    for try await _ in inbound.messages(maxSize: 1 << 16) {}
                    return .clientLeft
                }
                group.addTask { await queue.cutOff() ? .cutOff : .clientLeft }
                group.addTask {
                    try await send(queue: queue, outbound: outbound, mark: mark)
                    return queue.isCutOff ? .cutOff : .hubFinished
                }
                let first = try await group.next() ?? .clientLeft
                // A cut-off cancels the write in progress: whatever was not yet handed to the
                // connection is not sent, and `mark` names the last frame that was.
                group.cancelAll()
                return first
            }
        } catch {
            hub.remove(subscription.id)
            throw error
        }
        hub.remove(subscription.id)
        guard case .cutOff = outcome else { return }
        let resume = mark.seq
        let closed = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await outbound.close(.unknown(4001), reason: "resume:\(resume)")
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

    /// Backlog, `caughtUp`, then live frames until the queue ends.
    private func send(queue: SubscriberQueue, outbound: WebSocketOutboundWriter, mark: SentMark) async throws {
        let head = try log.head()
        var cursor = after
        while cursor < head {
            let events = try log.events(
                after: cursor, limit: Self.page, incident: filter.incident, exercise: filter.exercise)
            for event in events where event.seq <= head {
                try await Self.write(try StreamFrame.payload(for: event), to: outbound)
                mark.set(event.seq)
            }
            guard let last = events.last, events.count == Self.page, last.seq < head else { break }
            cursor = last.seq
        }
        mark.set(max(mark.seq, head))
        try await outbound.writeTextMessage(#"{"type":"caughtUp","head":\#(head)}"#)
        while case .frames(let frames) = await queue.next() {
            for frame in frames {
                if frame.seq > head {
                    try await Self.write(frame.payload, to: outbound)
                    mark.set(frame.seq)
                    metrics?.pushLagSeconds.record(ContinuousClock.now - frame.committedAt)
                }
                queue.written(frame)
            }
        }
    }

    /// Writes one text message, in frames of at most ``maxFrameSize`` bytes. The slices share the
    /// frame's storage, so a frame encoded once is never copied per subscriber.
    static func write(_ payload: ByteBuffer, to outbound: WebSocketOutboundWriter) async throws {
        try await outbound.withTextMessageWriter { writer in
            var rest = payload
            repeat {
                let slice = rest.readSlice(length: min(maxFrameSize, rest.readableBytes))!
                try await writer(slice)
            } while rest.readableBytes > 0
        }
    }
}

/// Why a stream session ended without its close handshake.
enum StreamSessionError: Error {
    /// A cut-off client did not read up to its 4001 close frame within the grace period.
    case clientDidNotRead(resume: Int64)
}

/// The seq of the last frame handed to the connection, shared by the session's tasks.
final class SentMark: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    init(_ value: Int64) { self.value = value }

    var seq: Int64 { lock.withLock { value } }

    func set(_ seq: Int64) { lock.withLock { value = seq } }
}
