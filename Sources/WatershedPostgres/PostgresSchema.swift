import Logging
import PostgresNIO
import WatershedStore

/// The PostgreSQL schema, as named migrations run in order at open, in one transaction under an advisory lock (so
/// that nodes starting together migrate once). Applied names are kept in `watershed_migration`; a database with a
/// name this Watershed does not know was migrated by a newer one and is refused
/// (``WatershedStore/EventLogError/newerSchema(path:unknownMigrations:)``), as the SQLite log refuses it.
///
/// A migration is never edited once shipped; change the schema by adding one after the last.
enum PostgresSchema {
    /// The advisory lock key that serialises migrations: `hashtext('watershed migrate')` would do as well; a fixed
    /// number is simpler to find in `pg_locks`.
    static let migrationLock: Int64 = 0x5741_5445_5253_4801

    /// `(name, statements)`, in order.
    static let migrations: [(String, [String])] = [
        (
            "v1-events",
            [
                // The append-only log. `bytes` are the canonical JSON the hash covers, as written (`bytea`, never
                // `jsonb`, which would re-encode them); the other columns repeat fields of the bytes for queries.
                """
                CREATE TABLE event (
                    seq bigint PRIMARY KEY,
                    id uuid NOT NULL UNIQUE,
                    at text NOT NULL,
                    incident uuid,
                    type text NOT NULL,
                    exercise boolean NOT NULL,
                    bytes bytea NOT NULL,
                    prev_hash text NOT NULL,
                    hash text NOT NULL
                )
                """,
                "CREATE INDEX event_incident ON event (incident, seq)",
                // The head: one row, locked by every append transaction (`SELECT … FOR UPDATE`), so that appends
                // commit one at a time in seq order and no reader ever sees seq N before N − 1.
                """
                CREATE TABLE event_head (
                    one boolean PRIMARY KEY DEFAULT true CHECK (one),
                    seq bigint NOT NULL,
                    hash text NOT NULL
                )
                """,
                "INSERT INTO event_head (one, seq, hash) VALUES (true, 0, '\(EventChain.genesis)')",
                """
                CREATE FUNCTION watershed_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'the event log is append-only'; END $$
                """,
                """
                CREATE TRIGGER event_no_update BEFORE UPDATE OR DELETE ON event
                FOR EACH ROW EXECUTE FUNCTION watershed_append_only()
                """,
                """
                CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event
                FOR EACH STATEMENT EXECUTE FUNCTION watershed_append_only()
                """,
            ]
        ),
        (
            "v2-leader",
            [
                // The leader epoch (``LeaderLease``): one row, its epoch raised by each node elected; singleton
                // appends carry the epoch they were elected with and are refused under another.
                """
                CREATE TABLE watershed_leader (
                    one boolean PRIMARY KEY DEFAULT true CHECK (one),
                    epoch bigint NOT NULL,
                    node text,
                    since timestamptz
                )
                """,
                "INSERT INTO watershed_leader (one, epoch) VALUES (true, 0)",
            ]
        ),
        (
            "v3-claims",
            [
                // What an event claims once for the whole log (``WatershedStore/EventClaim``): a CAP message's
                // identity, a neighbour's event id. Unique, so that two nodes cannot both append it.
                "ALTER TABLE event ADD COLUMN claim text",
                "ALTER TABLE event ADD CONSTRAINT event_claim_unique UNIQUE (claim)",
            ]
        ),
        (
            "v4-stream-tickets",
            [
                // Stream tickets, so that a ticket one node issued opens the stream on any node, once
                // (``PostgresEventLog/keepTicket(digest:identity:until:)``): by the ticket's SHA-256, never the
                // ticket itself. Not events: a ticket is a 30 s credential, not part of the incident record.
                """
                CREATE TABLE watershed_stream_ticket (
                    digest text PRIMARY KEY,
                    identity bytea NOT NULL,
                    expires_at timestamptz NOT NULL
                )
                """
            ]
        ),
    ]

    /// Runs the migrations not yet applied, refusing a database with unknown ones; with `apply: false` (an audit)
    /// only checks that the database holds an event log this Watershed knows, and changes nothing.
    ///
    /// - Throws: ``WatershedStore/EventLogError/newerSchema(path:unknownMigrations:)``;
    ///   ``WatershedStore/EventLogError/notAnEventLog(path:)`` (`apply: false`, no log there); the server's errors.
    static func migrate(_ connection: PostgresConnection, location: String, apply: Bool = true, logger: Logger)
        async throws
    {
        if !apply {
            var exists = false
            for try await found in try await connection.query(
                "SELECT to_regclass('watershed_migration') IS NOT NULL AND to_regclass('event') IS NOT NULL",
                logger: logger
            ).decode(Bool.self) {
                exists = found
            }
            guard exists else { throw EventLogError.notAnEventLog(path: location) }
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM watershed_migration", logger: logger)
                .decode(String.self)
            {
                applied.insert(name)
            }
            let unknown = applied.subtracting(migrations.map(\.0)).sorted()
            if !unknown.isEmpty { throw EventLogError.newerSchema(path: location, unknownMigrations: unknown) }
            return
        }
        try await connection.query("BEGIN", logger: logger)
        do {
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLock))", logger: logger)
            // Under the lock: `CREATE TABLE IF NOT EXISTS` is not safe against itself, and nodes starting together on
            // a new database would otherwise race on it (a unique violation in pg_type).
            try await connection.query(
                "CREATE TABLE IF NOT EXISTS watershed_migration (name text PRIMARY KEY, applied timestamptz NOT NULL)",
                logger: logger)
            var applied: Set<String> = []
            for try await name in try await connection.query("SELECT name FROM watershed_migration", logger: logger)
                .decode(String.self)
            {
                applied.insert(name)
            }
            let known = Set(migrations.map(\.0))
            let unknown = applied.subtracting(known).sorted()
            if !unknown.isEmpty {
                throw EventLogError.newerSchema(path: location, unknownMigrations: unknown)
            }
            for (name, statements) in migrations where !applied.contains(name) {
                for statement in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO watershed_migration (name, applied) VALUES (\(name), now())", logger: logger)
                logger.info("migrated", metadata: ["migration": "\(name)"])
            }
            try await connection.query("COMMIT", logger: logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }
}
