import Foundation
import NIOCore
import Synchronization
import WatershedCore
import WatershedFederation
import WatershedStore

/// One committed event as the stream sends it: the text frame
/// `{"type":"event","event":{…}}`, encoded once for every subscriber (DESIGN.md "Live stream").
public struct StreamFrame: Sendable {
    /// The event's global seq.
    public let seq: Int64
    /// Its incident, for the `incident` filter.
    public let incident: UUID?
    /// Whether it is an exercise event, for the `exercise` filter.
    public let exercise: Bool
    /// The frame's JSON text framed as one WebSocket text message (``WebSocketWire``), shared — not copied or
    /// re-framed — by every subscriber's connection. The JSON text itself is not kept beside it.
    let wire: ByteBuffer
    /// The size of the JSON text in bytes, as the per-subscriber byte budget counts it.
    public let byteCount: Int
    /// When the frame was made, right after its event committed: the start of the push lag (``ServerMetrics``).
    public let committedAt: ContinuousClock.Instant

    /// Encodes the frame for a stored event.
    public init(_ event: StoredEvent) throws {
        self.seq = event.seq
        self.incident = event.incident
        self.exercise = event.exercise
        let payload = try FeedFrame.payload(for: event)
        self.byteCount = payload.readableBytes
        self.wire = WebSocketWire.textMessage(payload, maxFrameSize: StreamSession.maxFrameSize)
        self.committedAt = .now
    }
}

/// Which events a subscriber wants.
public struct StreamFilter: Sendable, Hashable {
    /// Only this incident's events.
    public var incident: UUID?
    /// `true`: only exercise events; `false`: none; `nil`: all.
    public var exercise: Bool?

    /// Whether a frame passes.
    func matches(incident: UUID?, exercise: Bool) -> Bool {
        if let wanted = self.incident, incident != wanted { return false }
        if let wanted = self.exercise, exercise != wanted { return false }
        return true
    }
}

/// Fans committed events out to live subscribers, in seq order, each through a queue **bounded in
/// bytes and in frames**: a subscriber whose queued-but-unwritten frames would pass either budget
/// is cut off — its queue is emptied at once, so its memory goes back — and its session closes it
/// with 4001 `resume:<the last seq written to it>`. A slow client never slows the others (offering
/// a frame never waits) and memory never grows with it (DESIGN.md "Rules that hold everywhere").
///
/// The hub is a lock, not an actor: the log's commit observer (``EventLog/onCommit(_:)``) publishes each batch on the
/// writer's queue right after it commits, with no task hop between the commit and the subscribers' queues. Once a
/// subscriber is live (its backlog sent), the hub also writes for it: per publish, one task on each event loop writes
/// the new frames — framed once for everyone (``StreamFrame/wire``) — to every live connection of that loop, a flush
/// each. No task is woken per subscriber and nothing is encoded per subscriber.
public final class PushHub: Sendable {
    /// A subscriber's queue, which its session reads.
    public struct Subscription: Sendable {
        /// The subscriber's id.
        public let id: UInt64
        /// Frames, in seq order, and whether the hub cut the subscriber off.
        let queue: SubscriberQueue
    }

    private struct Subscriber {
        var filter: StreamFilter
        var queue: SubscriberQueue
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        /// The next seq to fan out; frames that arrive early wait here until the gap before them is filled.
        var nextSeq: Int64
        var waiting: [Int64: StreamFrame] = [:]
        /// Seqs that have no frame (see ``publish(_:)-events``) and are stepped over.
        var skipped: Set<Int64> = []
        var cutOffCount = 0
    }

    private let state: Mutex<State>
    /// Fired when the server shuts down: every stream closes with 1001 (``StreamDrain``).
    public let goingAway = GoingAway()
    /// Per-subscriber budget: frames queued and not yet written to its connection.
    public let frameBudget: Int
    /// Per-subscriber budget: bytes of frames queued and not yet written to its connection.
    public let byteBudget: Int

    /// Creates a hub that starts after `head` (the log's last seq). A `PlanComputed` frame is tens
    /// of KB, so the byte budget is the one a slow client meets first.
    public init(head: Int64, frameBudget: Int = 4_096, byteBudget: Int = 8 << 20) {
        self.state = Mutex(State(nextSeq: head + 1))
        self.frameBudget = frameBudget
        self.byteBudget = byteBudget
    }

    /// The number of live subscribers.
    public var count: Int { state.withLock { $0.subscribers.count } }

    /// Subscribers cut off for falling behind since the hub started.
    public var cutOffCount: Int { state.withLock { $0.cutOffCount } }

    /// Adds a subscriber.
    public func subscribe(_ filter: StreamFilter) -> Subscription {
        let queue = SubscriberQueue(frameBudget: frameBudget, byteBudget: byteBudget)
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = Subscriber(filter: filter, queue: queue)
            return state.nextID
        }
        return Subscription(id: id, queue: queue)
    }

    /// Removes a subscriber (its session does this when it ends).
    public func remove(_ id: UInt64) {
        state.withLock { $0.subscribers.removeValue(forKey: id) }?.queue.finish()
    }

    /// Publishes committed events (any order; they go out in seq order). Offering a frame never waits, so this
    /// returns at once whatever the subscribers do.
    public func publish(_ frames: [StreamFrame]) { publish(frames, skipping: []) }

    private func publish(_ frames: [StreamFrame], skipping: [Int64]) {
        var drains = Drains()
        state.withLock { state in
            for frame in frames where frame.seq >= state.nextSeq { state.waiting[frame.seq] = frame }
            for seq in skipping where seq >= state.nextSeq { state.skipped.insert(seq) }
            while true {
                if state.skipped.remove(state.nextSeq) != nil {
                    state.nextSeq += 1
                    continue
                }
                guard let frame = state.waiting.removeValue(forKey: state.nextSeq) else { break }
                state.nextSeq += 1
                for (id, subscriber) in state.subscribers
                where subscriber.filter.matches(incident: frame.incident, exercise: frame.exercise) {
                    switch subscriber.queue.offer(frame) {
                    case .queued:
                        break
                    case .drain(let eventLoop):
                        drains.add(subscriber.queue, on: eventLoop)
                    case .cutOff:
                        // Cut off: its session closes it; it is no longer offered anything.
                        state.subscribers[id] = nil
                        state.cutOffCount += 1
                    }
                }
            }
        }
        // Outside the lock: one task per event loop writes to all of that loop's connections that have new frames.
        drains.run()
    }

    /// Publishes stored events as frames (the log's commit observer). An event whose bytes cannot be framed (never
    /// for bytes the log wrote) is stepped over rather than stalling every stream at its seq.
    public func publish(_ events: [StoredEvent]) {
        var frames: [StreamFrame] = []
        var skipped: [Int64] = []
        frames.reserveCapacity(events.count)
        for event in events {
            if let frame = try? StreamFrame(event) { frames.append(frame) } else { skipped.append(event.seq) }
        }
        publish(frames, skipping: skipped)
    }
}

/// The live subscribers that have new frames, grouped by their connection's event loop (a server has one loop per
/// core, so a publish schedules a task or two, not one per subscriber).
private struct Drains {
    private var loops: [(eventLoop: any EventLoop, queues: [SubscriberQueue])] = []

    mutating func add(_ queue: SubscriberQueue, on eventLoop: any EventLoop) {
        if let index = loops.firstIndex(where: { $0.eventLoop === eventLoop }) {
            loops[index].queues.append(queue)
        } else {
            loops.append((eventLoop, [queue]))
        }
    }

    func run() {
        for (eventLoop, queues) in loops {
            eventLoop.execute {
                for queue in queues { queue.drain() }
            }
        }
    }
}

/// One subscriber's bounded queue, shared by the hub (which offers frames), the subscriber's session (which sends the
/// backlog, then attaches the connection) and the connection's event loop (which writes the queued frames). A lock
/// held only to move frames and counters — never while writing to a socket.
///
/// Frames count against the budgets from the moment they are offered until the connection has written them to its
/// socket (handed to the connection and unwritten frames still count). At most one batch, of at most
/// ``writeWindow`` bytes, is being written at a time: frames offered meanwhile wait, and go out together, with one
/// flush, when it is written.
final class SubscriberQueue: @unchecked Sendable {
    /// What offering a frame did.
    enum Offered {
        /// Queued; a write is already due or in progress, or the subscriber is not live yet.
        case queued
        /// Queued; the caller must have ``drain()`` run on this event loop.
        case drain(any EventLoop)
        /// The subscriber fell behind a budget (now or earlier); nothing more will be written to it.
        case cutOff
    }

    private enum State { case open, cutOff, finished }

    /// The most bytes handed to the connection in one batch (one frame at least): a slow subscriber holds at most
    /// this much in its connection's buffers, beyond which its frames wait in the queue, within the budgets.
    static let writeWindow = 256 << 10

    private let lock = NSLock()
    private let frameBudget: Int
    private let byteBudget: Int
    private var state = State.open
    private var queued: [StreamFrame] = []
    /// Offered and not yet written: bytes and frames.
    private var pendingBytes = 0
    private var pendingFrames = 0
    /// The connection, once the backlog has been sent; frames up to `skipThrough` were in the backlog.
    private var sink: LiveSink?
    private var metrics: ServerMetrics?
    private var skipThrough: Int64 = 0
    /// A drain is scheduled on the sink's event loop / a batch is being written.
    private var drainScheduled = false
    private var writing = false
    /// Event-loop only: inside ``pump(after:)``, and a batch whose write finished while it was.
    private var pumping = false
    private var completedInline: [StreamFrame]?
    /// The seq of the last frame handed to the connection: the resume point after a cut-off.
    private var handed: Int64 = 0
    /// Called once if the subscriber is cut off (``whenCutOff(_:)``); dropped when the subscription ends.
    private var onCutOff: (@Sendable () -> Void)?

    init(frameBudget: Int, byteBudget: Int) {
        self.frameBudget = frameBudget
        self.byteBudget = byteBudget
    }

    /// Whether the hub cut this subscriber off.
    var isCutOff: Bool { lock.withLock { state == .cutOff } }

    /// Offered and not yet written, bytes.
    var pendingByteCount: Int { lock.withLock { pendingBytes } }

    /// The seq of the last frame handed to the connection (backlog or live).
    var handedSeq: Int64 { lock.withLock { handed } }

    /// Records that the session handed the backlog's frames up to `seq` to the connection.
    func handed(through seq: Int64) { lock.withLock { handed = max(handed, seq) } }

    /// Queues a frame; `.cutOff` when the subscriber is (now) cut off. A frame larger than the whole byte budget is
    /// still accepted into an empty queue.
    func offer(_ frame: StreamFrame) -> Offered {
        let size = frame.byteCount
        var watcher: (@Sendable () -> Void)?
        let offered: Offered = lock.withLock {
            guard state == .open else { return .cutOff }
            if pendingFrames + 1 > frameBudget || (pendingFrames > 0 && pendingBytes + size > byteBudget) {
                state = .cutOff
                // The queued frames are dropped (and no longer count); a batch being written still does.
                for dropped in queued {
                    pendingBytes -= dropped.byteCount
                    pendingFrames -= 1
                }
                queued = []
                watcher = onCutOff
                onCutOff = nil
                return .cutOff
            }
            pendingBytes += size
            pendingFrames += 1
            queued.append(frame)
            guard let sink, !drainScheduled, !writing else { return .queued }
            drainScheduled = true
            return .drain(sink.eventLoop)
        }
        watcher?()
        return offered
    }

    /// Makes the subscriber live: from now on its frames are written to `sink` by its event loop. Frames up to `head`
    /// (the backlog's last seq) are not written, as they were sent with the backlog.
    func attach(_ sink: LiveSink, after head: Int64, metrics: ServerMetrics?) {
        let schedule: Bool = lock.withLock {
            guard state == .open else { return false }
            self.sink = sink
            self.metrics = metrics
            skipThrough = head
            handed = max(handed, head)
            guard !queued.isEmpty, !drainScheduled, !writing else { return false }
            drainScheduled = true
            return true
        }
        if schedule { sink.eventLoop.execute { self.drain() } }
    }

    /// Writes the queued frames (up to ``writeWindow`` bytes) to the connection with one flush, unless a batch is
    /// being written (then they go when it is written). On the sink's event loop only.
    func drain() {
        lock.withLock { drainScheduled = false }
        pump(after: [])
    }

    /// Counts `written` as written, then hands the queued frames, if any, to the connection; again each time a
    /// batch is written at once (a loop, so that a connection that keeps up does not recurse). On the event loop.
    private func pump(after written: [StreamFrame]) {
        pumping = true
        defer { pumping = false }
        var written = written
        while let (sink, batch, skipThrough, metrics) = take(after: written) {
            let now = ContinuousClock.now
            let fresh = batch.lazy.filter { $0.seq > skipThrough }
            if let metrics {
                for frame in fresh { metrics.pushLagSeconds.record(now - frame.committedAt) }
            }
            // Written, or failed because the connection is gone (its session ends when its inbound side does).
            sink.writeAndFlush(fresh.map(\.wire)).whenComplete { _ in self.completed(batch) }
            guard let done = completedInline else { return }
            completedInline = nil
            written = done
        }
    }

    /// A batch was written: within ``pump(after:)`` (the write finished during its flush) or later.
    private func completed(_ batch: [StreamFrame]) {
        if pumping {
            completedInline = batch
        } else {
            pump(after: batch)
        }
    }

    /// Under the lock: counts `written` as written and takes the queued frames for writing, if the subscriber is live,
    /// not cut off and has no batch being written.
    private func take(after written: [StreamFrame]) -> (LiveSink, [StreamFrame], Int64, ServerMetrics?)? {
        lock.withLock {
            if !written.isEmpty {
                writing = false
                for frame in written {
                    pendingBytes -= frame.byteCount
                    pendingFrames -= 1
                }
            }
            guard state == .open, let sink, !writing, !queued.isEmpty else { return nil }
            // At most about `writeWindow` bytes at a time: what is handed to the connection stays there until the
            // socket takes it, whereas queued frames are dropped the moment a slow subscriber is cut off.
            var count = 0
            var bytes = 0
            while count < queued.count, count == 0 || bytes < Self.writeWindow {
                bytes += queued[count].wire.readableBytes
                count += 1
            }
            let batch = Array(queued.prefix(count))
            queued.removeFirst(count)
            writing = true
            handed = max(handed, batch[batch.count - 1].seq)
            return (sink, batch, skipThrough, metrics)
        }
    }

    /// Ends the subscription (the hub removed it); a ``whenCutOff(_:)`` callback not yet called never is.
    func finish() {
        lock.withLock {
            if state == .open { state = .finished }
            queued = []
            onCutOff = nil
        }
    }

    /// Calls `callback` once when the subscriber is cut off — at once if it has been, never if the subscription has
    /// ended. It is called on the thread that cut the subscriber off (the hub's publisher), outside the queue's lock.
    func whenCutOff(_ callback: @escaping @Sendable () -> Void) {
        let now: Bool = lock.withLock {
            switch state {
            case .cutOff: return true
            case .finished: return false
            case .open:
                onCutOff = callback
                return false
            }
        }
        if now { callback() }
    }
}
