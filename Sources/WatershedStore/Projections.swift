import Foundation
import GRDB
import WatershedCore

/// The projections of the log: incidents, response tasks, report obligations and peer notifications as tables,
/// updated by every append in the same transaction as its events (issue 3, "Event log"), so a reader never sees an
/// event without its projection or the reverse. They are views: rebuilding them from the events gives the same
/// rows (the `v2-projections` migration does exactly that for a log written before them).
///
/// | table | one row per | updated by |
/// | --- | --- | --- |
/// | `incident_view` | incident | `IncidentReported`, `LevelSet`, `IncidentClosed`, every event of it (`lastSeq`) |
/// | `task_view` | response task | `TaskDispatched` … `TaskRescheduled` (the task folded, ``ResponseTask``, without its history) |
/// | `obligation_view` | legal report obligation | `ObligationDue`, `ObligationMet`, its report task's cancellation |
/// | `peer_notification_view` | incident and neighbour | `PeerNotified` (and later deliveries) |
///
/// Times are stored as ``CanonicalJSON/timestamp(_:)`` text, which sorts in time order.
enum Projections {
    static func createTables(_ db: Database) throws {
        try db.execute(
            sql: """
                CREATE TABLE incident_view (
                    id TEXT PRIMARY KEY,
                    reference TEXT NOT NULL UNIQUE,
                    state TEXT NOT NULL,
                    level TEXT,
                    exercise BOOLEAN NOT NULL,
                    discoveredAt TEXT NOT NULL,
                    pollutant TEXT NOT NULL,
                    spillUnit TEXT NOT NULL,
                    reportedSeq INTEGER NOT NULL,
                    lastSeq INTEGER NOT NULL,
                    closedAt TEXT
                );
                CREATE TABLE task_view (
                    id TEXT PRIMARY KEY,
                    incident TEXT NOT NULL,
                    reference TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL,
                    state TEXT NOT NULL,
                    unit TEXT NOT NULL,
                    position TEXT NOT NULL,
                    exercise BOOLEAN NOT NULL,
                    obligation TEXT,
                    unowned BOOLEAN NOT NULL,
                    nextDeadline TEXT,
                    body BLOB NOT NULL,
                    lastSeq INTEGER NOT NULL
                );
                CREATE INDEX task_view_deadline ON task_view(nextDeadline) WHERE nextDeadline IS NOT NULL;
                CREATE INDEX task_view_assignee ON task_view(unit, position, state);
                CREATE INDEX task_view_incident ON task_view(incident, reference);
                CREATE TABLE obligation_view (
                    incident TEXT NOT NULL,
                    id TEXT NOT NULL,
                    report TEXT NOT NULL,
                    fromUnit TEXT NOT NULL,
                    dutyPosition TEXT NOT NULL,
                    dueBy TEXT,
                    latestDueBy TEXT NOT NULL,
                    state TEXT NOT NULL,
                    dueSeq INTEGER NOT NULL,
                    metSeq INTEGER,
                    PRIMARY KEY (incident, id)
                );
                CREATE TABLE peer_notification_view (
                    incident TEXT NOT NULL,
                    province TEXT NOT NULL,
                    requirement TEXT NOT NULL,
                    boundary TEXT NOT NULL,
                    crossingAt TEXT NOT NULL,
                    deadline TEXT NOT NULL,
                    delivery TEXT NOT NULL,
                    seq INTEGER NOT NULL,
                    PRIMARY KEY (incident, province)
                );
                """)
    }

    /// Rebuilds every projection from the events already in the log (for a log written before the tables).
    static func backfill(_ db: Database) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT bytes, prevHash, hash FROM event ORDER BY seq")
        while let row = try rows.next() {
            try project(
                StoredEvent(canonicalBytes: row["bytes"], prevHash: row["prevHash"], hash: row["hash"]), in: db,
                peers: false)
        }
    }

    /// Applies one committed event. Events of a type no projection follows change only `incident_view.lastSeq`;
    /// a payload that does not decode (never for an event the server wrote) leaves the projections as they were.
    /// `peers: false` leaves the federation's tables alone (the `v2-projections` backfill runs before they exist).
    static func project(_ event: StoredEvent, in db: Database, peers: Bool = true) throws {
        if peers { try PeerProjections.project(event, in: db) }
        guard let incident = event.incident?.uuidString else { return }
        switch event.type {
        case .incidentReported:
            guard let payload = try? event.payload.decode(IncidentReportedPayload.self) else { break }
            try db.execute(
                sql: """
                    INSERT INTO incident_view (id, reference, state, level, exercise, discoveredAt, pollutant,
                        spillUnit, reportedSeq, lastSeq)
                    VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    incident, payload.reference, payload.report.level?.description, event.exercise,
                    CanonicalJSON.timestamp(payload.report.discoveredAt), payload.report.pollutant,
                    payload.report.signature.reportingUnit, event.seq, event.seq,
                ])
        case .levelSet:
            guard let payload = try? event.payload.decode(LevelSetPayload.self) else { break }
            try db.execute(
                sql: "UPDATE incident_view SET level = ? WHERE id = ?", arguments: [payload.to.description, incident])
        case .incidentClosed:
            try db.execute(
                sql: "UPDATE incident_view SET state = 'closed', closedAt = ? WHERE id = ?",
                arguments: [CanonicalJSON.timestamp(event.at), incident])
        case .planComputed:
            if let spillUnit = event.payload["spillUnit"], case .string(let unit) = spillUnit {
                try db.execute(sql: "UPDATE incident_view SET spillUnit = ? WHERE id = ?", arguments: [unit, incident])
            }
        case .obligationDue:
            guard let obligation = try? event.payload.decode(ReportObligation.self) else { break }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO obligation_view (incident, id, report, fromUnit, dutyPosition, dueBy,
                        latestDueBy, state, dueSeq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, 'due', ?)
                    """,
                arguments: [
                    incident, obligation.id, obligation.report.rawValue, obligation.fromUnit,
                    obligation.dutyPosition.rawValue, obligation.dueBy.map(CanonicalJSON.timestamp),
                    CanonicalJSON.timestamp(obligation.latestDueBy), event.seq,
                ])
        case .obligationMet:
            guard let payload = try? event.payload.decode(ObligationMetPayload.self) else { break }
            try db.execute(
                sql: "UPDATE obligation_view SET state = 'met', metSeq = ? WHERE incident = ? AND id = ?",
                arguments: [event.seq, incident, payload.obligation])
        case .peerNotified:
            guard let payload = try? event.payload.decode(PeerNotifiedPayload.self) else { break }
            let notification = payload.notification
            // A later notification to the same neighbour (a dam release warning) keeps the delivery the link has
            // reached — the link carries the incident's events in order, and *received* / *accepted* are recorded
            // once per incident — and the earlier of the two deadlines while it is not accepted.
            try db.execute(
                sql: """
                    INSERT INTO peer_notification_view (incident, province, requirement, boundary,
                        crossingAt, deadline, delivery, seq)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (incident, province) DO UPDATE SET
                        requirement = excluded.requirement, boundary = excluded.boundary,
                        crossingAt = excluded.crossingAt, deadline = MIN(deadline, excluded.deadline),
                        seq = excluded.seq
                    """,
                arguments: [
                    incident, notification.province, notification.requirement.rawValue, notification.boundary,
                    CanonicalJSON.timestamp(notification.crossingAt), CanonicalJSON.timestamp(notification.deadline),
                    payload.delivery, event.seq,
                ])
        default:
            if TaskChange.eventTypes.contains(event.type),
                let change = try? TaskChange(eventType: event.type, payload: event.payload)
            {
                try projectTask(change, event: event, incident: incident, in: db, peers: peers)
            }
        }
        try db.execute(sql: "UPDATE incident_view SET lastSeq = ? WHERE id = ?", arguments: [event.seq, incident])
    }

    /// The task row's `body`: the task's state without its history, as plain JSON (not canonical: it is not hashed,
    /// and is read back only here).
    private static let encoder = CanonicalJSON.makeEncoder()
    private static let decoder = CanonicalJSON.makeDecoder()

    private static func projectTask(
        _ change: TaskChange, event: StoredEvent, incident: String, in db: Database, peers: Bool
    ) throws {
        var task: ResponseTask
        if case .dispatched(let dispatched) = change {
            guard let id = event.incident else { return }
            task = ResponseTask(incident: id, dispatched: dispatched)
        } else {
            guard
                let body = try Data.fetchOne(
                    db, sql: "SELECT body FROM task_view WHERE id = ?", arguments: [change.task.uuidString]),
                var folded = try? decoder.decode(ResponseTask.self, from: body)
            else { return }
            folded.apply(change)
            task = folded
        }
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO task_view (id, incident, reference, kind, state, unit, position, exercise,
                    obligation, unowned, nextDeadline, body, lastSeq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                task.id.uuidString, incident, task.reference, task.kind.rawValue, task.state.rawValue,
                task.assignee.unit, task.assignee.position.rawValue, event.exercise, task.obligation, task.unowned,
                task.nextDeadline.map(CanonicalJSON.timestamp), try encoder.encode(task.withoutHistory), event.seq,
            ])
        if peers, task.kind == .notification, let by = PeerProjections.acknowledgedBy(change) {
            try PeerProjections.notificationAcknowledged(task, by: by, event: event, in: db)
        }
        if case .cancelled = change, let obligation = task.obligation {
            try db.execute(
                sql: "UPDATE obligation_view SET state = 'cancelled' WHERE incident = ? AND id = ? AND state = 'due'",
                arguments: [incident, obligation])
        }
    }
}
