import GRDB

extension EventLog {
    /// The schema, as named migrations run in order at open.
    ///
    /// A migration is never edited once shipped: stored logs have run it, and their hashes depend on what it made.
    /// Change the schema by registering a new migration after the last one (`v2-…`).
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        // The append-only event log. `seq` is the rowid, assigned by the writer (gapless, from 1); `bytes` are the
        // canonical JSON the hash is computed over; the other columns repeat fields of the bytes for queries.
        migrator.registerMigration("v1-events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE,
                        at TEXT NOT NULL,
                        incident TEXT,
                        type TEXT NOT NULL,
                        exercise BOOLEAN NOT NULL,
                        bytes BLOB NOT NULL,
                        prevHash TEXT NOT NULL,
                        hash TEXT NOT NULL
                    );
                    CREATE INDEX event_incident ON event(incident, seq);
                    CREATE TRIGGER event_no_update BEFORE UPDATE ON event
                    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    CREATE TRIGGER event_no_delete BEFORE DELETE ON event
                    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    """)
        }

        // Once the incident, task, obligation and peer-notification tables projected from the log (`*_view`); they
        // are read out of Core's `Incident` now (issue 16), and `v5-drop-projection-views` drops them. Kept, empty,
        // so that the migrations keep their names and order.
        migrator.registerMigration("v2-projections") { _ in }

        // Federation (issue 5): what is shared with which neighbour, the per-neighbour outbox, what neighbours sent
        // us (deduplicated by their event id) and the incidents they reported to us; rebuilt from any events.
        migrator.registerMigration("v3-peer-federation") { db in
            try PeerProjections.createTables(db)
            try PeerProjections.backfill(db)
        }

        // CAP 1.2 ingest (issue 5): applied messages by identity, and Updates/Cancels held for their referents.
        migrator.registerMigration("v4-cap") { db in
            try EventLog.createCAPTables(db)
        }

        // The `*_view` tables of `v2-projections`: nothing reads them since the incident model (issue 16) folds every
        // incident once, in Core, in memory (DESIGN.md "Read models"). What the federation read of `task_view` —
        // which task of a neighbour's incident is its notification task — moves to `peer_inbound.notificationTask`.
        migrator.registerMigration("v5-drop-projection-views") { db in
            try PeerProjections.addNotificationTask(db)
            try db.execute(
                sql: """
                    DROP TABLE IF EXISTS incident_view; DROP TABLE IF EXISTS task_view;
                    DROP TABLE IF EXISTS obligation_view; DROP TABLE IF EXISTS peer_notification_view;
                    """)
        }

        // Held CAP messages become events (`CAPHeld`, `CAPHeldRefused`, `CAPHeldDropped`) with `cap_held` their
        // projection, so that the chain and `audit verify` cover them: each row held before this migration gets its
        // events now, and a row left over for a message applied already is deleted (``recordHeldBeforeV6(_:)``).
        migrator.registerMigration(heldEventsMigration) { db in
            try EventLog.recordHeldBeforeV6(db)
        }

        // Later migrations go here, each under a new name.
        return migrator
    }

    /// The migration after which every `cap_held` row is the projection of events (``verifyHeldCAPMessages()``).
    public static let heldEventsMigration = "v6-cap-held-events"
}
