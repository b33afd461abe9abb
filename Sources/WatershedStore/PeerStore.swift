import Foundation
import WatershedCore

/// What the peer links read from the store (issue 16: the federation works on Core's decisions and a narrow store
/// interface): the outbox each neighbour is sent, the inbox cursor each resumes from, and the incidents shared
/// either way. Appends go through the incident service (``FederatedIncidents`` in WatershedFederation), never
/// through this interface.
///
/// Both logs implement it from their ``FederationBook`` (``FederationBookKeeping``), folded from the log, the same
/// on every backend and every node (issue 18).
public protocol PeerStore: Sendable {
    /// The events queued for `province` after its cursor `after`, in seq order, at most `limit`.
    ///
    /// - Throws: the store's errors; ``EventLogError`` for an unreadable event.
    func outbox(for province: UnitCode, after: Int64, limit: Int) async throws -> [StoredEvent]

    /// The highest origin seq stored from `province` (0 if none): where its link resumes.
    ///
    /// - Throws: the store's errors.
    func inboxCursor(for province: UnitCode) throws -> Int64

    /// Whether the neighbour's event `id` is already stored.
    ///
    /// - Throws: the store's errors.
    func hasInbound(from province: UnitCode, event id: UUID) throws -> Bool

    /// The incidents `province` reported to us (all, or only the one with this origin incident).
    ///
    /// - Throws: the store's errors.
    func inboundIncidents(from province: UnitCode, origin: UUID?) throws -> [InboundIncident]

    /// Our incidents shared with `province`, in the order they were shared.
    ///
    /// - Throws: the store's errors.
    func sharedIncidents(with province: UnitCode) throws -> [SharedIncident]

    /// The first outbox seq of each incident shared with `province`: an incident counts as *received* once the
    /// neighbour's cursor reaches it.
    ///
    /// - Throws: the store's errors.
    func firstOutboxSeqs(for province: UnitCode) throws -> [UUID: Int64]
}

extension PeerStore {
    /// Every incident `province` reported to us.
    ///
    /// - Throws: the store's errors.
    public func inboundIncidents(from province: UnitCode) throws -> [InboundIncident] {
        try inboundIncidents(from: province, origin: nil)
    }
}

extension EventLog: PeerStore {}
