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

        // The projections (``Projections``), rebuilt from any events already in the log.
        migrator.registerMigration("v2-projections") { db in
            try Projections.createTables(db)
            try Projections.backfill(db)
        }

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

        // Later migrations go here, each under a new name.
        return migrator
    }
}
