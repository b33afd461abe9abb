import Foundation
import HummingbirdWebSocket
import WatershedCore
import WatershedStore

/// One `/v1/stream` connection: the backlog after `after` from the log, one `caughtUp` frame,
/// then live events, in seq order with no gap and no duplicate (DESIGN.md "Live stream").
/// A client that falls behind the hub's bounded buffer is closed with 4001 `resume:<seq>`.
struct StreamSession {
    let log: EventLog
    let hub: PushHub
    let after: Int64
    let filter: StreamFilter

    /// Backlog page size.
    static let page = 500

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        // Subscribe before reading the head, so every event after the head reaches the subscription.
        let subscription = await hub.subscribe(filter)
        var lastSent = after
        do {
            let head = try log.head()
            var cursor = after
            while cursor < head {
                let events = try log.events(
                    after: cursor, limit: Self.page, incident: filter.incident, exercise: filter.exercise)
                for event in events where event.seq <= head {
                    try await outbound.writeTextMessage(try StreamFrame.text(for: event))
                    lastSent = event.seq
                }
                guard let last = events.last, events.count == Self.page, last.seq < head else { break }
                cursor = last.seq
            }
            lastSent = max(lastSent, head)
            try await outbound.writeTextMessage(#"{"type":"caughtUp","head":\#(head)}"#)
            // Inbound frames are read (and dropped) so pings, pongs and the close handshake are handled;
            // the live loop ends when the client goes, or when the hub cuts a subscriber that fell behind.
            let startedAt = lastSent
            let final = try await withThrowingTaskGroup(of: Int64?.self) { group in
                group.addTask {
                    for try await _ in inbound.messages(maxSize: 1 << 16) {}
                    return nil
                }
                group.addTask {
                    var sent = startedAt
                    for await frame in subscription.frames where frame.seq > head {
                        try await outbound.writeTextMessage(frame.text)
                        sent = frame.seq
                    }
                    return sent
                }
                let first = try await group.next() ?? nil
                group.cancelAll()
                return first
            }
            if let final { lastSent = final }
        } catch {
            await hub.remove(subscription.id)
            throw error
        }
        if await hub.remove(subscription.id) {
            try await outbound.close(.unknown(4001), reason: "resume:\(lastSent)")
        }
    }
}
