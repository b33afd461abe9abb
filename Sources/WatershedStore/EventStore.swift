import Foundation
import WatershedCore

/// The log interface: what every backend of the event log keeps the same (DESIGN.md "Hash chain", "Rules that hold
/// everywhere"). Two implementations: ``EventLog`` (SQLite, embedded, the default) and the PostgreSQL log
/// (`WatershedPostgres`, several nodes on one database, issue 18); one contract test suite runs against both.
///
/// The guarantees, whichever the backend:
/// - **gapless `seq`** from 1, global (not per incident), and no reader that has seen seq N ever finds a seq below
///   N appear later: appends commit one at a time, in seq order;
/// - **the hash chain over the stored bytes**: `hash = SHA-256(prevHash ‖ bytes)` (``EventChain``), the bytes kept
///   exactly as written (a BLOB in SQLite, `bytea` in PostgreSQL — never re-encoded);
/// - **durable before return**: ``append(_:)`` returns after the commit is on disk (SQLite `synchronous = FULL`;
///   PostgreSQL `synchronous_commit = on`, and on the synchronous standby when one is configured);
/// - **group commit**: concurrent appends share a transaction, each caller's events contiguous and in its order, a
///   caller that fails (a duplicate event id) writing nothing without failing the others;
/// - **commit observers** see every committed event once, in seq order, in batches — on PostgreSQL including the
///   events other nodes committed.
public protocol EventStore: Sendable {
    /// Where the log is, for messages: the SQLite file's path, or the PostgreSQL URL without its password.
    var location: String { get }

    /// Appends `events` as one contiguous run and returns them as stored once durable.
    ///
    /// - Parameters:
    ///   - fence: for a singleton's writes (the scheduler, the peer links, the drill runner), the leader epoch this
    ///     node was elected with; the append is refused if another node has been elected since. `nil` for
    ///     everything else. The SQLite log is one node, always the leader: it ignores the fence.
    ///   - condition: what the log must still say when the events commit (``AppendCondition``), checked inside the
    ///     append's transaction; `nil` for none.
    /// - Returns: the stored events, same count and order as `events`, times rounded to milliseconds; `[]` for none.
    /// - Throws: the backend's error for a duplicate event id or a failed commit; ``WatershedCore/CanonicalJSONError``;
    ///   ``EventLogError/fenced(epoch:current:)``; ``EventLogError/stale(incident:expected:found:)``.
    func append(_ events: [NewEvent], fence: Int64?, condition: AppendCondition?) async throws -> [StoredEvent]

    /// Registers `observer` for every committed batch, in seq order. It must be quick and must not touch the log.
    func onCommit(_ observer: @escaping @Sendable ([StoredEvent]) -> Void)

    /// Up to `limit` events with `seq > after`, in seq order, optionally of one `incident` and only exercise
    /// (`true`) or real (`false`) events.
    ///
    /// - Throws: the backend's error; ``EventLogError/unreadableEvent(seq:reason:)``.
    func events(after: Int64, limit: Int, incident: UUID?, exercise: Bool?) async throws -> [StoredEvent]

    /// As ``events(after:limit:incident:exercise:)``, the stored bytes not decoded.
    func storedBytes(after: Int64, limit: Int, incident: UUID?, exercise: Bool?) async throws -> [StoredBytes]

    /// The event with this id, or `nil`.
    func event(id: UUID) async throws -> StoredEvent?

    /// The seq of the last committed event; 0 for an empty log.
    func head() async throws -> Int64

    /// The hash of the last committed event; 64 zeros for an empty log.
    func headHash() async throws -> String

    /// Recomputes the chain from the stored bytes (``ChainWalker``), with the checkpoint's marks if given.
    func verifyChain(checkpoint: ChainCheckpoint?) async throws -> ChainVerification
}

extension EventStore {
    /// ``append(_:fence:condition:)`` without a fence or a condition.
    public func append(_ events: [NewEvent]) async throws -> [StoredEvent] {
        try await append(events, fence: nil, condition: nil)
    }

    /// ``append(_:fence:condition:)`` without a condition.
    public func append(_ events: [NewEvent], fence: Int64?) async throws -> [StoredEvent] {
        try await append(events, fence: fence, condition: nil)
    }
}

/// What an append expects the log to hold when it commits (issue 18, "decisions made on a stale fold"): the last
/// event of `incident` is still seq `lastSeq` (0: the incident has none). A node decides on its own fold of the log;
/// another node may have committed to the same incident since (a final report closing it, a task acknowledged), and
/// then the decision is refused inside the append's transaction, to be taken again on the newer fold.
public struct AppendCondition: Sendable, Hashable {
    public var incident: UUID
    public var lastSeq: Int64

    public init(incident: UUID, lastSeq: Int64) {
        self.incident = incident
        self.lastSeq = lastSeq
    }

    /// Throws ``EventLogError/stale(incident:expected:found:)`` unless `found` is ``lastSeq``.
    public func check(found: Int64) throws {
        if found != lastSeq { throw EventLogError.stale(incident: incident, expected: lastSeq, found: found) }
    }
}

extension EventLog: EventStore {
    /// The SQLite file's path.
    public var location: String { writer.path }

    /// ``append(_:projecting:condition:)`` without a projection; the fence is ignored (one node, always the leader).
    public func append(_ events: [NewEvent], fence: Int64?, condition: AppendCondition?) async throws
        -> [StoredEvent]
    {
        try await append(events, projecting: nil, condition: condition)
    }
}
