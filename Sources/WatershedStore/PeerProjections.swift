import Foundation
import GRDB
import WatershedCore

/// The federation's projections (issue 5), updated by every append in the same transaction as its events (the
/// store's only tables derived from the log: incidents themselves are read out of Core's `Incident`, in memory):
///
/// | table | one row per | updated by |
/// | --- | --- | --- |
/// | `peer_share` | our incident and a neighbour it is shared with | `PeerNotified`, `PeerReceived`, `PeerAccepted` |
/// | `peer_outbox` | event of ours a neighbour must get | `PeerNotified` (the incident's earlier shared events), then every shared event of the incident |
/// | `peer_inbox` | event a neighbour sent us, by its id | `IncidentReported` with an origin, `PeerEventReceived` |
/// | `peer_inbound` | incident a neighbour reported to us | `IncidentReported` with an origin; its notification task dispatched (`notificationTask`) and acknowledged (*accepted*) |
///
/// Putting an event in the outbox in the transaction that commits it is what makes delivery survive any restart:
/// the link sends the outbox after the neighbour's own cursor, in seq order (``EventLog/outbox(for:after:limit:)``).
public enum PeerProjections {
    /// The event types a neighbour is sent for an incident shared with it: the reports, the level, the plan, the end.
    public static let sharedTypes: [EventType] = [
        .incidentReported, .planComputed, .reportFiled, .levelSet, .incidentClosed,
    ]

    static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE peer_share (
                    incident TEXT NOT NULL,
                    province TEXT NOT NULL,
                    notifiedSeq INTEGER NOT NULL,
                    receivedSeq INTEGER,
                    acceptedSeq INTEGER,
                    PRIMARY KEY (incident, province)
                );
                CREATE TABLE peer_outbox (
                    province TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    incident TEXT NOT NULL,
                    PRIMARY KEY (province, seq)
                ) WITHOUT ROWID;
                CREATE TABLE peer_inbox (
                    province TEXT NOT NULL,
                    originEvent TEXT NOT NULL,
                    originSeq INTEGER NOT NULL,
                    originIncident TEXT,
                    localSeq INTEGER NOT NULL,
                    PRIMARY KEY (province, originEvent)
                );
                CREATE INDEX peer_inbox_cursor ON peer_inbox(province, originSeq);
                CREATE TABLE peer_inbound (
                    province TEXT NOT NULL,
                    originIncident TEXT NOT NULL,
                    originReference TEXT NOT NULL,
                    localIncident TEXT NOT NULL UNIQUE,
                    acceptedSeq INTEGER,
                    acceptedBy TEXT,
                    acceptedAt TEXT,
                    PRIMARY KEY (province, originIncident)
                );
                """)
    }

    /// Rebuilds the tables from the events already in the log.
    static func backfill(_ db: Database) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT bytes, prevHash, hash FROM event ORDER BY seq")
        var notificationTasks: Set<UUID> = []
        while let row = try rows.next() {
            let event = try StoredEvent(canonicalBytes: row["bytes"], prevHash: row["prevHash"], hash: row["hash"])
            try project(event, in: db, notificationTasks: false)
            guard TaskChange.eventTypes.contains(event.type),
                let change = try? TaskChange(eventType: event.type, payload: event.payload)
            else { continue }
            if case .dispatched(let dispatched) = change, dispatched.kind == .notification {
                notificationTasks.insert(dispatched.task)
            } else if let by = acknowledgedBy(change), let incident = event.incident,
                notificationTasks.contains(change.task)
            {
                try updateAccepted(incident: incident, by: by, event: event, in: db)
            }
        }
    }

    /// The `v5` migration: `peer_inbound.notificationTask`, the task that asks our duty officer to accept the
    /// neighbour's notification (acknowledging it is *accepted*), filled from the `TaskDispatched` events in the log.
    static func addNotificationTask(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE peer_inbound ADD COLUMN notificationTask TEXT")
        let rows = try Row.fetchCursor(
            db, sql: "SELECT bytes, prevHash, hash FROM event WHERE type = 'TaskDispatched' ORDER BY seq")
        while let row = try rows.next() {
            let event = try StoredEvent(canonicalBytes: row["bytes"], prevHash: row["prevHash"], hash: row["hash"])
            try projectNotificationTask(event, in: db)
        }
    }

    /// Records a neighbour's incident's notification task (`peer_inbound.notificationTask`) when `event` dispatches
    /// one, and marks the incident *accepted* when `event` acknowledges it.
    private static func projectNotificationTask(_ event: StoredEvent, in db: Database) throws {
        guard let incident = event.incident, TaskChange.eventTypes.contains(event.type),
            let change = try? TaskChange(eventType: event.type, payload: event.payload)
        else { return }
        if case .dispatched(let dispatched) = change {
            guard dispatched.kind == .notification else { return }
            try db.execute(
                sql:
                    "UPDATE peer_inbound SET notificationTask = ? WHERE localIncident = ? AND notificationTask IS NULL",
                arguments: [dispatched.task.uuidString, incident.uuidString])
        } else if let by = acknowledgedBy(change) {
            try db.execute(
                sql: """
                    UPDATE peer_inbound SET acceptedSeq = ?, acceptedBy = ?, acceptedAt = ?
                    WHERE localIncident = ? AND notificationTask = ? AND acceptedSeq IS NULL
                    """,
                arguments: [
                    event.seq, "\(by.unit)/\(by.position.rawValue)", CanonicalJSON.timestamp(event.at),
                    incident.uuidString, change.task.uuidString,
                ])
        }
    }

    /// Who acknowledged a task by this change (acknowledging, starting or completing it), if it does.
    static func acknowledgedBy(_ change: TaskChange) -> Assignee? {
        switch change {
        case .acknowledged(let payload): payload.by
        case .started(let payload): payload.by
        case .done(let payload): payload.by
        default: nil
        }
    }

    /// Applies one committed event to the peer tables.
    /// `notificationTasks: false` leaves `peer_inbound.notificationTask` alone (the `v3` backfill runs before the
    /// column exists, and works out acceptance itself).
    static func project(_ event: StoredEvent, in db: Database, notificationTasks: Bool = true) throws {
        if notificationTasks { try projectNotificationTask(event, in: db) }
        // A neighbour's event is known by its id whether or not it belongs to an incident of ours.
        if event.type == .peerEventReceived, let payload = try? event.payload.decode(PeerEventReceivedPayload.self) {
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO peer_inbox (province, originEvent, originSeq, originIncident, localSeq)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    payload.province, payload.event.id.uuidString, payload.event.seq,
                    payload.event.incident?.uuidString, event.seq,
                ])
            return
        }
        guard let incident = event.incident?.uuidString else { return }
        switch event.type {
        case .incidentReported:
            // Only a neighbour's incident carries `origin`; our own skip decoding the whole report here.
            guard let value = event.payload["origin"], let origin = try? value.decode(IncidentOrigin.self) else {
                break
            }
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO peer_inbound (province, originIncident, originReference, localIncident)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [origin.province, origin.incident.uuidString, origin.reference, incident])
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO peer_inbox (province, originEvent, originSeq, originIncident, localSeq)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    origin.province, origin.event.uuidString, origin.seq, origin.incident.uuidString, event.seq,
                ])
        case .peerNotified:
            // An exercise's PeerNotified exists only for a neighbour its drill names (the incident service filters
            // them, DESIGN.md "Rules that hold everywhere"); it leaves as an exercise.
            guard let payload = try? event.payload.decode(PeerNotifiedPayload.self) else { return }
            let province = payload.notification.province
            try db.execute(
                sql: "INSERT OR IGNORE INTO peer_share (incident, province, notifiedSeq) VALUES (?, ?, ?)",
                arguments: [incident, province, event.seq])
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO peer_outbox (province, seq, incident)
                    SELECT ?, seq, incident FROM event
                    WHERE incident = ? AND type IN (\(sharedTypes.map { "'\($0.rawValue)'" }.joined(separator: ",")))
                    """,
                arguments: [province, incident])
        case .peerReceived, .peerAccepted:
            guard let payload = try? event.payload.decode(PeerAcknowledgementPayload.self) else { return }
            let column = event.type == .peerReceived ? "receivedSeq" : "acceptedSeq"
            try db.execute(
                sql: "UPDATE peer_share SET \(column) = ? WHERE incident = ? AND province = ? AND \(column) IS NULL",
                arguments: [event.seq, incident, payload.province])
        default:
            break
        }
        if sharedTypes.contains(event.type) {
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO peer_outbox (province, seq, incident)
                    SELECT province, ?, incident FROM peer_share WHERE incident = ?
                    """,
                arguments: [event.seq, incident])
        }
    }

    private static func updateAccepted(incident: UUID, by: Assignee, event: StoredEvent, in db: Database) throws {
        try db.execute(
            sql: """
                UPDATE peer_inbound SET acceptedSeq = ?, acceptedBy = ?, acceptedAt = ?
                WHERE localIncident = ? AND acceptedSeq IS NULL
                """,
            arguments: [
                event.seq, "\(by.unit)/\(by.position.rawValue)", CanonicalJSON.timestamp(event.at),
                incident.uuidString,
            ])
    }
}

/// A neighbour's incident we mirror, as `peer_inbound` holds it.
public struct InboundIncident: Sendable, Hashable {
    /// The neighbour.
    public var province: UnitCode
    /// Its incident's UUID on its server.
    public var originIncident: UUID
    /// Its reference there.
    public var originReference: String
    /// Our incident.
    public var localIncident: UUID
    /// When our duty officer acknowledged the notification (*accepted*), and who.
    public var acceptedAt: Date?
    public var acceptedBy: String?
}

/// One of our incidents shared with a neighbour, as `peer_share` holds it.
public struct SharedIncident: Sendable, Hashable {
    public var incident: UUID
    public var province: UnitCode
    /// The seq of the `PeerNotified` that shared it.
    public var notifiedSeq: Int64
    /// The seqs of our `PeerReceived` / `PeerAccepted`, once recorded.
    public var receivedSeq: Int64?
    public var acceptedSeq: Int64?

    public init(
        incident: UUID, province: UnitCode, notifiedSeq: Int64, receivedSeq: Int64? = nil, acceptedSeq: Int64? = nil
    ) {
        self.incident = incident
        self.province = province
        self.notifiedSeq = notifiedSeq
        self.receivedSeq = receivedSeq
        self.acceptedSeq = acceptedSeq
    }
}
