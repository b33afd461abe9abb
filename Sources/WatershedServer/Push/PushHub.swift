import Foundation
import NIOCore
import Synchronization
import WatershedCore

/// One committed event as the stream sends it: the text frame
/// `{"type":"event","event":{…}}`, encoded once for every subscriber (DESIGN.md "Live stream").
public struct StreamFrame: Sendable {
    /// The event's global seq.
    public let seq: Int64
    /// Its incident, for the `incident` filter.
    public let incident: UUID?
    /// Whether it is an exercise event, for the `exercise` filter.
    public let exercise: Bool
    /// The UTF-8 JSON text of the frame, shared (not copied) by every subscriber's connection.
    public let payload: ByteBuffer
    /// When the frame was made, right after its event committed: the start of the push lag (``ServerMetrics``).
    public let committedAt: ContinuousClock.Instant

    /// Encodes the frame for a stored event.
    public init(_ event: StoredEvent) throws {
        self.seq = event.seq
        self.incident = event.incident
        self.exercise = event.exercise
        self.payload = try Self.payload(for: event)
        self.committedAt = .now
    }

    /// The JSON text of the frame.
    public var text: String { String(buffer: payload) }

    /// The frame's size in bytes, as the per-subscriber byte budget counts it.
    public var byteCount: Int { payload.readableBytes }

    /// `{"type":"event","event":<the event as JSON>}`: the event's stored canonical bytes with its `hash` and
    /// `prevHash` added (the same fields as the event's `Codable` form), spliced rather than re-encoded, so that
    /// nothing is encoded between the commit and the push.
    public static func payload(for event: StoredEvent) throws -> ByteBuffer {
        let canonical = event.canonicalBytes
        guard canonical.count >= 2, canonical.first == UInt8(ascii: "{"), canonical.last == UInt8(ascii: "}") else {
            throw StreamFrameError.notAnObject(seq: event.seq)
        }
        let prefix = #"{"type":"event","event":"#
        let suffix = #","hash":""# + event.hash + #"","prevHash":""# + event.prevHash + #""}}"#
        var buffer = ByteBuffer()
        buffer.reserveCapacity(prefix.utf8.count + canonical.count + suffix.utf8.count)
        buffer.writeString(prefix)
        buffer.writeBytes(canonical.dropLast())
        if canonical.count == 2 {
            // `{}`: no field before the hash, so no comma either.
            buffer.writeString(String(suffix.dropFirst()))
        } else {
            buffer.writeString(suffix)
        }
        return buffer
    }
}

/// Why an event could not be framed.
public enum StreamFrameError: Error, Equatable {
    /// Its stored bytes are not a JSON object.
    case notAnObject(seq: Int64)
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
/// writer's queue right after it commits, with no task hop between the commit and the subscribers' queues.
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
                    if !subscriber.queue.offer(frame) {
                        // Cut off: its session closes it; it is no longer offered anything.
                        state.subscribers[id] = nil
                        state.cutOffCount += 1
                    }
                }
            }
        }
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

/// One subscriber's bounded queue, shared by the hub (which offers frames) and the subscriber's
/// session (which takes them in batches and reports each one written). A lock held only to move
/// frames and counters — never while writing to a socket — so there is no actor hop per frame.
/// Frames count against the budgets from the moment they are offered until the session has
/// written them to its connection (taken but unwritten frames still count).
final class SubscriberQueue: @unchecked Sendable {
    /// What the session gets when it asks for frames.
    enum Next: Sendable {
        /// Frames, in seq order.
        case frames([StreamFrame])
        /// The subscriber fell behind a budget; nothing more will come.
        case cutOff
        /// The subscriber was removed (or the waiting task cancelled).
        case finished
    }

    private enum State { case open, cutOff, finished }

    private let lock = NSLock()
    private let frameBudget: Int
    private let byteBudget: Int
    private var state = State.open
    private var queued: [StreamFrame] = []
    /// Offered and not yet written: bytes and frames.
    private var pendingBytes = 0
    private var pendingFrames = 0
    private var taker: CheckedContinuation<Next, Never>?
    private var cutOffWatcher: CheckedContinuation<Bool, Never>?

    init(frameBudget: Int, byteBudget: Int) {
        self.frameBudget = frameBudget
        self.byteBudget = byteBudget
    }

    /// Whether the hub cut this subscriber off.
    var isCutOff: Bool { lock.withLock { state == .cutOff } }

    /// Offered and not yet written, bytes.
    var pendingByteCount: Int { lock.withLock { pendingBytes } }

    /// Queues a frame; returns `false` when the subscriber is (now) cut off. A frame larger than the
    /// whole byte budget is still accepted into an empty queue.
    func offer(_ frame: StreamFrame) -> Bool {
        let size = frame.byteCount
        var wake: (CheckedContinuation<Next, Never>, Next)?
        var watcher: CheckedContinuation<Bool, Never>?
        let accepted: Bool = lock.withLock {
            guard state == .open else { return false }
            if pendingFrames + 1 > frameBudget || (pendingFrames > 0 && pendingBytes + size > byteBudget) {
                state = .cutOff
                queued = []
                if let taker { wake = (taker, .cutOff) }
                taker = nil
                watcher = cutOffWatcher
                cutOffWatcher = nil
                return false
            }
            pendingBytes += size
            pendingFrames += 1
            if let taker {
                wake = (taker, .frames([frame]))
                self.taker = nil
            } else {
                queued.append(frame)
            }
            return true
        }
        if let (continuation, next) = wake { continuation.resume(returning: next) }
        watcher?.resume(returning: true)
        return accepted
    }

    /// Ends the subscription (the hub removed it).
    func finish() {
        let (taker, watcher): (CheckedContinuation<Next, Never>?, CheckedContinuation<Bool, Never>?) =
            lock.withLock {
                if state == .open { state = .finished }
                queued = []
                defer {
                    self.taker = nil
                    self.cutOffWatcher = nil
                }
                return (self.taker, self.cutOffWatcher)
            }
        taker?.resume(returning: .finished)
        watcher?.resume(returning: false)
    }

    /// Takes every queued frame, waiting for one if there are none. Each taken frame must be passed
    /// to ``written(_:)`` once written (or skipped). Returns `.finished` if the task is cancelled.
    func next() async -> Next {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Next, Never>) in
                let now: Next? = lock.withLock {
                    if !queued.isEmpty {
                        defer { queued = [] }
                        return .frames(queued)
                    }
                    switch state {
                    case .cutOff: return .cutOff
                    case .finished: return .finished
                    case .open:
                        if Task.isCancelled { return .finished }
                        taker = continuation
                        return nil
                    }
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let taker = lock.withLock {
                defer { self.taker = nil }
                return self.taker
            }
            taker?.resume(returning: .finished)
        }
    }

    /// A taken frame has been written to the connection (or skipped): it no longer counts.
    func written(_ frame: StreamFrame) {
        lock.withLock {
            pendingBytes -= frame.byteCount
            pendingFrames -= 1
        }
    }

    /// Waits until the subscriber is cut off (`true`), or removed or the task cancelled (`false`).
    func cutOff() async -> Bool {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now: Bool? = lock.withLock {
                    switch state {
                    case .cutOff: return true
                    case .finished: return false
                    case .open:
                        if Task.isCancelled { return false }
                        cutOffWatcher = continuation
                        return nil
                    }
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            let watcher = lock.withLock {
                defer { self.cutOffWatcher = nil }
                return self.cutOffWatcher
            }
            watcher?.resume(returning: false)
        }
    }
}
