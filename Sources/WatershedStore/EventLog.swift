import Foundation
import GRDB
import WatershedCore

/// The event log: every event appended once, numbered by a gapless `seq` and linked by a SHA-256 hash chain, in
/// SQLite through GRDB (DESIGN.md "Hash chain", "Rules that hold everywhere").
///
/// Production opens a `DatabasePool` in WAL mode with ``open(path:maximumBatchSize:)``; tests may hand a
/// `DatabaseQueue` on a temporary file to ``init(_:maximumBatchSize:)``. Either way the writer runs with
/// `synchronous = FULL`, so an append that returned is on disk. Concurrent appends are group-committed: one
/// writer, one transaction per batch.
public struct EventLog: Sendable {
    /// A projection run inside the append's transaction with the caller's stored events (in seq order), so that
    /// incident, task and obligation tables commit atomically with the events. Throwing rolls back that caller's
    /// events and projection; the caller's `append` throws the same error.
    public typealias Projection = @Sendable (Database, [StoredEvent]) throws -> Void

    /// The database connection(s). Later issues read their projection tables through it and register their own
    /// migrations; never write to the `event` table except through ``append(_:projecting:)``.
    public let writer: any DatabaseWriter
    /// `true` when opened with ``openReadOnly(path:)``: reads and ``verifyChain()`` only.
    public let isReadOnly: Bool
    private let committer: GroupCommitter<PendingAppend>
    private let observers = CommitObservers()
    /// The federation's and CAP ingest's reads, folded from the log (empty on a read-only log).
    public let federation: FederationBook

    /// Wraps an open database: runs the migrations that have not run yet and sets `PRAGMA synchronous = FULL` on
    /// the writer (GRDB's `DatabasePool` sets NORMAL when it enables WAL, and SQLite refuses the pragma inside a
    /// transaction, so it is set outside one).
    ///
    /// - Parameters:
    ///   - writer: a `DatabasePool` (production) or `DatabaseQueue` (tests) on a file.
    ///   - maximumBatchSize: the most appends (calls, not events) written in one transaction; 1 writes each
    ///     append in its own transaction.
    /// - Throws: ``EventLogError/cannotOpen(path:reason:)`` when a migration or the pragma fails;
    ///   ``EventLogError/newerSchema(path:unknownMigrations:)`` for a file written by a newer Watershed.
    public init(_ writer: any DatabaseWriter, maximumBatchSize: Int = 1024) throws {
        let migrator = Self.migrator
        do {
            let known = Set(migrator.migrations)
            let applied = try writer.read { db in
                try db.tableExists("grdb_migrations") ? try migrator.appliedIdentifiers(db) : []
            }
            let unknown = applied.subtracting(known).sorted()
            if !unknown.isEmpty {
                throw EventLogError.newerSchema(path: writer.path, unknownMigrations: unknown)
            }
            try migrator.migrate(writer)
            try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError.cannotOpen(path: writer.path, reason: Self.sentence(error))
        }
        let book = FederationBook()
        do {
            try Self.foldBook(book, from: writer)
        } catch {
            throw EventLogError.cannotOpen(path: writer.path, reason: Self.sentence(error))
        }
        self.writer = writer
        self.isReadOnly = false
        self.federation = book
        let observers = self.observers
        observers.add { try? book.fold($0) }
        self.committer = GroupCommitter(maximumBatchSize: maximumBatchSize) { work, done in
            Self.write(work, to: writer, observers: observers, done: done)
        }
    }

    private init(readOnly queue: DatabaseQueue) {
        self.writer = queue
        self.isReadOnly = true
        self.federation = FederationBook()
        self.committer = GroupCommitter(maximumBatchSize: 1) { _, done in
            done(.failure(EventLogError.readOnly(path: queue.path)))
        }
    }

    /// Opens (creating it if missing) the log at `path`, normally `<data>/watershed.sqlite`, as a WAL
    /// `DatabasePool`, and migrates it.
    ///
    /// The file and its `-wal` and `-shm` files are readable by the owner only (mode 0600, issue 15, item 15): a
    /// missing file is made empty with that mode before SQLite opens it (SQLite gives the WAL files the mode of the
    /// database file), and existing ones are narrowed to it.
    ///
    /// - Throws: ``EventLogError/cannotOpen(path:reason:)`` when the folder does not exist, the file is not an
    ///   SQLite database, cannot be written or its mode cannot be set; the errors of ``init(_:maximumBatchSize:)``.
    public static func open(path: String, maximumBatchSize: Int = 1024) throws -> EventLog {
        let folder = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        if !folder.isEmpty,
            !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) || !isFolder.boolValue
        {
            throw EventLogError.cannotOpen(path: path, reason: "the folder \(folder) does not exist")
        }
        try makePrivate(path)
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw EventLogError.cannotOpen(path: path, reason: sentence(error))
        }
        return try EventLog(pool, maximumBatchSize: maximumBatchSize)
    }

    /// Makes the database file at `path` (empty, mode 0600) if it is missing, and narrows it and its `-wal` and
    /// `-shm` files, where they exist, to mode 0600.
    ///
    /// - Throws: ``EventLogError/cannotOpen(path:reason:)`` naming the file and the system's reason.
    static func makePrivate(_ path: String) throws {
        let mode = DataDirectory.fileMode
        let descriptor = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            throw EventLogError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, mode) == 0 else {
            throw EventLogError.cannotOpen(
                path: path, reason: "cannot set its mode to 0600: \(String(cString: strerror(errno)))")
        }
        for suffix in ["-wal", "-shm"] where FileManager.default.fileExists(atPath: path + suffix) {
            guard chmod(path + suffix, mode) == 0 else {
                throw EventLogError.cannotOpen(
                    path: path + suffix, reason: "cannot set its mode to 0600: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Opens an existing log read-only, for audits: never creates the file, never migrates.
    ///
    /// - Throws: ``EventLogError/notFound(path:)`` when there is no file; ``EventLogError/cannotOpen(path:reason:)``
    ///   when SQLite cannot read it (not a database, no permission); ``EventLogError/notAnEventLog(path:)`` when it
    ///   has no `event` table.
    public static func openReadOnly(path: String) throws -> EventLog {
        guard FileManager.default.fileExists(atPath: path) else { throw EventLogError.notFound(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let queue: DatabaseQueue
        let hasEvents: Bool
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            hasEvents = try queue.read { db in try db.tableExists("event") }
        } catch {
            throw EventLogError.cannotOpen(path: path, reason: sentence(error))
        }
        guard hasEvents else { throw EventLogError.notAnEventLog(path: path) }
        return EventLog(readOnly: queue)
    }

    // MARK: Appending

    /// Appends `events` as one contiguous run, in the given order, and returns them as stored, after the
    /// transaction that holds them has committed to disk (`synchronous = FULL`).
    ///
    /// Seqs continue from the head without gaps; each event's `prevHash` is the previous event's `hash`. The
    /// `projection`, if any, runs in the same transaction with exactly these stored events. Concurrent calls are
    /// batched into one transaction (see ``init(_:maximumBatchSize:)``); each call is isolated by a savepoint, so
    /// a call that fails (its projection throws, an event id already in the log, a payload with no canonical form)
    /// writes nothing and the others in its batch go on. If the transaction itself fails (the commit, the disk),
    /// every call in the batch throws and nothing of the batch is written. An empty `events` returns `[]` at once.
    ///
    /// - Returns: the stored events, same count and order as `events`, times rounded to milliseconds.
    /// - Throws: the projection's error; `DatabaseError` (e.g. `SQLITE_CONSTRAINT` for a duplicate id, I/O
    ///   errors); ``WatershedCore/CanonicalJSONError``; ``EventLogError/readOnly(path:)`` on a read-only log.
    public func append(
        _ events: [NewEvent], projecting projection: Projection?, condition: AppendCondition? = nil
    ) async throws -> [StoredEvent] {
        if isReadOnly { throw EventLogError.readOnly(path: writer.path) }
        if events.isEmpty { return [] }
        return try await committer.append(
            PendingAppend(events: events, projection: projection, condition: condition))
    }

    /// One transaction on the writer's queue, then `done` on that queue. Not cancellable: once a batch is handed to
    /// SQLite, every caller learns whether it committed. The commit observers see the batch's events on the
    /// writer's queue right after the commit, before `done` (so before any caller resumes).
    private static func write(
        _ work: [PendingAppend], to writer: any DatabaseWriter, observers: CommitObservers,
        done: @escaping @Sendable (Result<GroupCommitter<PendingAppend>.Results, any Error>) -> Void
    ) {
        writer.asyncWriteWithoutTransaction { db in
            do {
                var results: GroupCommitter<PendingAppend>.Results = []
                try db.inTransaction(.immediate) {
                    results = try insert(work, in: db)
                    return .commit
                }
                observers.notify(results.flatMap { (try? $0.get()) ?? [] })
                done(.success(results))
            } catch {
                done(.failure(error))
            }
        }
    }

    /// Registers `observer` to be called with the events of every committed batch, in seq order, on the writer's
    /// queue right after the transaction commits and before any appender resumes — so whatever must follow every
    /// commit (the live stream's hub, metrics) cannot be forgotten by a new appender, and adds no task hop. Batches
    /// come one at a time, in commit order. The observer must be quick and must not block or touch the log.
    public func onCommit(_ observer: @escaping @Sendable ([StoredEvent]) -> Void) {
        observers.add(observer)
    }

    /// One caller's part of a batch.
    struct PendingAppend: Sendable {
        var events: [NewEvent]
        var projection: Projection?
        var condition: AppendCondition? = nil
    }

    /// Inserts each pending append in its own savepoint, continuing the chain from the last committed event, and
    /// returns one result per append. Runs inside the batch's transaction.
    static func insert(_ work: [PendingAppend], in db: Database) throws -> [Result<[StoredEvent], any Error>] {
        var (seq, prevHash) = try lastLink(db)
        var results: [Result<[StoredEvent], any Error>] = []
        results.reserveCapacity(work.count)
        // Compiled once per batch, and again after an append failed: a failed step leaves its error on the
        // statement, which would report it again to the next append.
        var compiled: Statement?
        for append in work {
            var stored: [StoredEvent] = []
            stored.reserveCapacity(append.events.count)
            do {
                try db.inSavepoint {
                    if let condition = append.condition {
                        try condition.check(
                            found: Int64.fetchOne(
                                db, sql: "SELECT max(seq) FROM event WHERE incident = ?",
                                arguments: [condition.incident.uuidString]) ?? 0)
                    }
                    let statement = try compiled ?? db.makeStatement(sql: insertSQL)
                    compiled = statement
                    var nextSeq = seq
                    var link = prevHash
                    for event in append.events {
                        nextSeq += 1
                        let row = try StoredEvent(seq: nextSeq, event: event, prevHash: link, chain: EventChain.hash)
                        try statement.execute(arguments: [
                            row.seq, row.id.uuidString, CanonicalJSON.timestamp(row.at), row.incident?.uuidString,
                            row.type.rawValue, row.exercise, row.canonicalBytes, row.prevHash, row.hash,
                        ])
                        link = row.hash
                        stored.append(row)
                        try PeerProjections.project(row, in: db)
                    }
                    try append.projection?(db, stored)
                    return .commit
                }
                seq += Int64(stored.count)
                prevHash = stored.last?.hash ?? prevHash
                results.append(.success(stored))
            } catch {
                compiled = nil
                // An error that made SQLite abandon the whole transaction fails the whole batch.
                if !db.isInsideTransaction { throw error }
                results.append(.failure(error))
            }
        }
        return results
    }

    private static let insertSQL = """
        INSERT INTO event (seq, id, at, incident, type, exercise, bytes, prevHash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    /// The head seq and hash: `(0, 64 zeros)` for an empty log.
    private static func lastLink(_ db: Database) throws -> (seq: Int64, hash: String) {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM event ORDER BY seq DESC LIMIT 1") else {
            return (0, EventChain.genesis)
        }
        return (row["seq"], row["hash"])
    }

    // MARK: Reading

    /// Every event of one incident, in seq order (read a page of 1,000 at a time).
    ///
    /// - Throws: as ``events(after:limit:incident:exercise:)``.
    public func events(of incident: UUID) throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        while true {
            let page = try self.events(after: events.last?.seq ?? 0, limit: 1_000, incident: incident)
            events += page
            if page.count < 1_000 { return events }
        }
    }

    /// Up to `limit` events with `seq > after`, in seq order, optionally only those of one `incident` and only
    /// exercise (`exercise: true`) or only real (`false`) events. With filters, skipped seqs are not gaps.
    ///
    /// - Parameters:
    ///   - after: the last seq the reader has (0 for all).
    ///   - limit: the most events returned; 0 or less returns none.
    /// - Throws: `DatabaseError`; ``EventLogError/unreadableEvent(seq:reason:)`` for stored bytes that are not an
    ///   event.
    public func events(after: Int64, limit: Int, incident: UUID? = nil, exercise: Bool? = nil) throws
        -> [StoredEvent]
    {
        guard limit > 0 else { return [] }
        let (sql, arguments) = Self.page(after: after, limit: limit, incident: incident, exercise: exercise)
        return try writer.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.storedEvent)
        }
    }

    /// As ``events(after:limit:incident:exercise:)``, but the events' stored bytes as they are, not decoded: what
    /// the live stream's backlog sends (``StoredBytes``). Decoding is most of the cost of reading an event back
    /// (parsing its JSON into fields), and the stream only splices the bytes.
    ///
    /// - Throws: `DatabaseError`.
    public func storedBytes(after: Int64, limit: Int, incident: UUID? = nil, exercise: Bool? = nil) throws
        -> [StoredBytes]
    {
        guard limit > 0 else { return [] }
        let (sql, arguments) = Self.page(after: after, limit: limit, incident: incident, exercise: exercise)
        return try writer.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                StoredBytes(seq: row["seq"], canonicalBytes: row["bytes"], prevHash: row["prevHash"], hash: row["hash"])
            }
        }
    }

    /// The query of a page of events after `after`, with the filters.
    private static func page(after: Int64, limit: Int, incident: UUID?, exercise: Bool?) -> (
        String, StatementArguments
    ) {
        var sql = "SELECT seq, bytes, prevHash, hash FROM event WHERE seq > ?"
        var arguments: StatementArguments = [after]
        if let incident {
            sql += " AND incident = ?"
            arguments += [incident.uuidString]
        }
        if let exercise {
            sql += " AND exercise = ?"
            arguments += [exercise]
        }
        sql += " ORDER BY seq LIMIT ?"
        arguments += [limit]
        return (sql, arguments)
    }

    /// The event with this id, or `nil`.
    ///
    /// - Throws: `DatabaseError`; ``EventLogError/unreadableEvent(seq:reason:)``.
    public func event(id: UUID) throws -> StoredEvent? {
        try writer.read { db in
            try Row.fetchOne(
                db, sql: "SELECT seq, bytes, prevHash, hash FROM event WHERE id = ?", arguments: [id.uuidString]
            ).map(Self.storedEvent)
        }
    }

    /// The seq of the last committed event; 0 for an empty log.
    ///
    /// - Throws: `DatabaseError`.
    public func head() throws -> Int64 {
        try writer.read { db in try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event") ?? 0 }
    }

    /// The hash of the last committed event (64 lowercase hex characters); 64 zeros for an empty log.
    ///
    /// - Throws: `DatabaseError`.
    public func headHash() throws -> String {
        try writer.read { db in try Self.lastLink(db).hash }
    }

    static func storedEvent(_ row: Row) throws -> StoredEvent {
        let seq: Int64 = row["seq"]
        do {
            return try StoredEvent(canonicalBytes: row["bytes"], prevHash: row["prevHash"], hash: row["hash"])
        } catch {
            throw EventLogError.unreadableEvent(seq: seq, reason: sentence(error))
        }
    }

    /// A one-line description of an error from SQLite, the migrator or a decoder.
    package static func sentence(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return error.message ?? "\(error.resultCode)"
        }
        if let error = error as? DecodingError {
            switch error {
            case .dataCorrupted(let context), .keyNotFound(_, let context), .typeMismatch(_, let context),
                .valueNotFound(_, let context):
                let path = context.codingPath.map(\.stringValue).joined(separator: ".")
                return (path.isEmpty ? "" : path + ": ") + context.debugDescription
            @unknown default:
                return "\(error)"
            }
        }
        return "\(error)"
    }
}

/// One committed event as stored, not decoded: its seq, its canonical bytes (the JSON object the log wrote) and its
/// link in the hash chain (``StoredEvent`` has the same four, plus the fields read from the bytes).
public struct StoredBytes: Sendable, Hashable {
    /// Position in the log.
    public let seq: Int64
    /// The exact stored bytes, canonical JSON.
    public let canonicalBytes: Data
    /// The previous event's hash, 64 lowercase hex characters.
    public let prevHash: String
    /// SHA-256 of `prevHash` ‖ `canonicalBytes`, 64 lowercase hex characters.
    public let hash: String

    /// The stored form of `event`.
    public init(_ event: StoredEvent) {
        self.init(seq: event.seq, canonicalBytes: event.canonicalBytes, prevHash: event.prevHash, hash: event.hash)
    }

    /// The four stored columns.
    public init(seq: Int64, canonicalBytes: Data, prevHash: String, hash: String) {
        self.seq = seq
        self.canonicalBytes = canonicalBytes
        self.prevHash = prevHash
        self.hash = hash
    }
}
