import Foundation
import WatershedCore

/// A log that folds every commit into a ``FederationBook`` before its appender resumes, so that the federation's
/// and CAP ingest's reads (``PeerStore``, ``CAPStore``) answer from memory, the same way on every backend and every
/// node, and see an append as soon as it returns.
public protocol FederationBookKeeping: EventStore {
    /// The book, folded from the whole log when it was opened and from every commit since (any node's).
    var federation: FederationBook { get }

    /// The events with these seqs (ascending, each in the log), in seq order.
    ///
    /// - Throws: the store's errors; ``EventLogError/unreadableEvent(seq:reason:)`` for stored bytes that are not
    ///   an event.
    func events(seqs: [Int64]) async throws -> [StoredEvent]
}

extension FederationBookKeeping {
    public func outbox(for province: UnitCode, after: Int64, limit: Int) async throws -> [StoredEvent] {
        let seqs = federation.outbox(for: province, after: after, limit: limit)
        return seqs.isEmpty ? [] : try await events(seqs: seqs)
    }

    public func inboxCursor(for province: UnitCode) -> Int64 {
        federation.inboxCursor(for: province)
    }

    public func hasInbound(from province: UnitCode, event id: UUID) -> Bool {
        federation.hasInbound(from: province, event: id)
    }

    public func inboundIncidents(from province: UnitCode, origin: UUID?) -> [InboundIncident] {
        federation.inboundIncidents(from: province, origin: origin)
    }

    public func sharedIncidents(with province: UnitCode) -> [SharedIncident] {
        federation.sharedIncidents(with: province)
    }

    public func firstOutboxSeqs(for province: UnitCode) -> [UUID: Int64] {
        federation.firstOutboxSeqs(for: province)
    }

    public func capMessage(sender: String, identifier: String, sentUTC: String) -> CAPMessageRecord? {
        federation.capMessage(CAPIdentity(sender: sender, identifier: identifier, sentUTC: sentUTC))
    }

    public func heldCAPMessage(sender: String, identifier: String, sentUTC: String) -> HeldCAPMessage? {
        federation.heldCAPMessage(CAPIdentity(sender: sender, identifier: identifier, sentUTC: sentUTC))
    }

    public func heldCAPMessages(peer: UnitCode? = nil, includingRefused: Bool = false) -> [HeldCAPMessage] {
        federation.heldCAPMessages(peer: peer, includingRefused: includingRefused)
    }
}

/// Everything the server needs of its log, whichever backend: appends and reads, commit observers, and what the
/// federation and CAP ingest read and write.
public typealias ServerLog = FederationBookKeeping & PeerStore & CAPStore

extension EventStore {
    /// Every event of one incident, in seq order (read a page of 1,000 at a time).
    ///
    /// - Throws: the store's errors.
    public func allEvents(of incident: UUID) async throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        while true {
            let page = try await self.events(
                after: events.last?.seq ?? 0, limit: 1_000, incident: incident, exercise: nil)
            events += page
            if page.count < 1_000 { return events }
        }
    }
}
