import Foundation
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
    /// The JSON text of the frame.
    public let text: String

    /// Encodes the frame for a stored event.
    public init(_ event: StoredEvent) throws {
        self.seq = event.seq
        self.incident = event.incident
        self.exercise = event.exercise
        self.text = try Self.text(for: event)
    }

    /// `{"type":"event","event":<the event as JSON>}`.
    public static func text(for event: StoredEvent) throws -> String {
        let body = try JSONResponse.encoder.encode(event)
        return #"{"type":"event","event":"# + String(decoding: body, as: UTF8.self) + "}"
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

/// Fans committed events out to live subscribers, in seq order, each through a **bounded**
/// buffer: a subscriber that falls behind by more than its capacity is cut off (its stream
/// finishes) and told to resume from the last seq it was given, so a slow client never slows
/// the others and memory never grows with it.
public actor PushHub {
    /// A subscriber's stream and what ended it.
    public struct Subscription: Sendable {
        /// The subscriber's id.
        public let id: UInt64
        /// Frames, in seq order.
        public let frames: AsyncStream<StreamFrame>
    }

    private struct Subscriber {
        var filter: StreamFilter
        var continuation: AsyncStream<StreamFrame>.Continuation
        var overflowed = false
    }

    private var subscribers: [UInt64: Subscriber] = [:]
    private var nextID: UInt64 = 0
    /// The next seq to fan out; frames that arrive early wait here until the gap before them is filled.
    private var nextSeq: Int64
    private var waiting: [Int64: StreamFrame] = [:]
    /// Per-subscriber capacity, frames.
    public let capacity: Int

    /// Creates a hub that starts after `head` (the log's last seq).
    public init(head: Int64, capacity: Int = 4_096) {
        self.nextSeq = head + 1
        self.capacity = capacity
    }

    /// The number of live subscribers.
    public var count: Int { subscribers.count }

    /// Adds a subscriber.
    public func subscribe(_ filter: StreamFilter) -> Subscription {
        nextID += 1
        let (stream, continuation) = AsyncStream<StreamFrame>.makeStream(bufferingPolicy: .bufferingOldest(capacity))
        subscribers[nextID] = Subscriber(filter: filter, continuation: continuation)
        return Subscription(id: nextID, frames: stream)
    }

    /// Removes a subscriber (its connection's handler does this when it ends); returns whether it
    /// had been cut off for falling behind.
    @discardableResult
    public func remove(_ id: UInt64) -> Bool {
        guard let subscriber = subscribers.removeValue(forKey: id) else { return false }
        subscriber.continuation.finish()
        return subscriber.overflowed
    }

    /// Publishes committed events (any order; they go out in seq order).
    public func publish(_ frames: [StreamFrame]) {
        for frame in frames where frame.seq >= nextSeq { waiting[frame.seq] = frame }
        while let frame = waiting.removeValue(forKey: nextSeq) {
            nextSeq += 1
            for (id, subscriber) in subscribers
            where !subscriber.overflowed
                && subscriber.filter.matches(incident: frame.incident, exercise: frame.exercise)
            {
                if case .dropped = subscriber.continuation.yield(frame) {
                    subscribers[id]?.overflowed = true
                    subscriber.continuation.finish()
                }
            }
        }
    }
}
