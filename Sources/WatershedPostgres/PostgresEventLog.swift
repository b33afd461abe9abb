import Foundation
import Logging
import NIOSSL
import PostgresNIO
import Synchronization
import WatershedCore
import WatershedStore

/// The event log on PostgreSQL (issue 18): the same interface and guarantees as the SQLite log (``EventStore``),
/// shared by several Watershed nodes on one database.
///
/// - **Order**: every append transaction locks the one row of `event_head` (`SELECT … FOR UPDATE`) before it
///   numbers its events, and updates it before it commits; so appends from all nodes commit one at a time in seq
///   order, seqs are gapless, and a reader that has seen seq N never later finds an N − 1 appear (the skipped-event
///   failure reported against sequence-based event stores: Marten, Eventuous, SQLStreamStore).
/// - **Durable**: the pool's connections run with `synchronous_commit = on` (a startup parameter), whatever the
///   server's or the database's default, so `COMMIT` returns once the WAL is flushed — and, when
///   `synchronous_standby_names` names a standby, once that standby has flushed it too (PostgreSQL 15
///   documentation §20.5.1, §27.2.8).
/// - **Group commit**: concurrent appends of this node share a transaction (``GroupCommitter``) and one `INSERT`; a
///   caller that fails (a duplicate event id) writes nothing and the others commit (``WriteContext``).
/// - **The chain** is kept over the stored bytes in `bytea` (``EventChain``); ``verifyChain(checkpoint:)`` walks it
///   as the SQLite log does (``ChainWalker``), and checks that `event_head` names the last event.
/// - **Every node sees every commit**: the commit observers get each committed event once, in seq order, whichever
///   node appended it (``CommitFollower``): each commit `NOTIFY`s `watershed_commit` in its transaction, each node
///   `LISTEN`s on a connection of its own (not from the pool) and also polls every second.
///
/// A commit whose answer is lost (the connection drops during `COMMIT`) may have committed: the append throws and
/// the event may be in the log — what an `Idempotency-Key` on the retry is for.
public final class PostgresEventLog: EventStore {
    /// The address, its password never shown (``DatabaseURL/redacted``).
    public let url: DatabaseURL
    public var location: String { url.redacted }
    /// The pool on the current primary (moved after a failover).
    let primary: PrimaryClient
    let logger: Logger
    /// The current primary's address, for connections of their own (the listener, the leader lease).
    var connection: PostgresConnection.Configuration { primary.now.configuration }
    private let committer: GroupCommitter<PendingAppend>
    private let follower: CommitFollower
    private let tasks: Mutex<[Task<Void, Never>]>
    /// The listening connection, closed by ``close()``: ending its task alone does not end its notifications.
    private let listening = ListeningConnection()
    /// Run inside each append transaction before `COMMIT`: the tests hold a transaction open here.
    package let beforeCommit = CommitHook()
    /// The federation's and CAP ingest's reads, folded from the log and from every node's commits.
    public let federation: FederationBook

    /// The `NOTIFY` channel of committed heads.
    static let channel = "watershed_commit"

    private init(
        url: DatabaseURL, primary: PrimaryClient, head: Int64, book: FederationBook, maximumBatchSize: Int,
        logger: Logger
    ) {
        self.url = url
        self.federation = book
        self.primary = primary
        self.logger = logger
        self.follower = CommitFollower(after: head)
        self.tasks = Mutex([])
        let box = WriteContext(primary: primary, logger: logger)
        let follower = self.follower
        let hold = self.beforeCommit
        follower.add { try? book.fold($0) }
        self.committer = GroupCommitter(
            maximumBatchSize: maximumBatchSize,
            writeAsync: { work in
                let results = try await box.write(work, beforeCommit: hold.current)
                follower.deliverLocal(results.flatMap { (try? $0.get()) ?? [] })
                return results
            })
    }

    /// Opens the log at `url`: finds the primary among its hosts, migrates, and starts following commits.
    ///
    /// - Parameters:
    ///   - maximumBatchSize: the most appends (calls) written in one transaction.
    ///   - connections: the most pooled connections (the listening connection is one more).
    ///   - migrating: `false` for an audit: the database must already hold an event log, and nothing is changed.
    /// - Throws: ``WatershedStore/EventLogError/notAnEventLog(path:)`` (`migrating: false`, no log there);
    ///   ``WatershedStore/EventLogError/cannotOpen(path:reason:)`` when no host accepts writes or a migration fails;
    ///   ``WatershedStore/EventLogError/newerSchema(path:unknownMigrations:)``.
    public static func open(
        _ url: DatabaseURL, maximumBatchSize: Int = 1024, connections: Int = 8, migrating: Bool = true,
        logger: Logger = Logger(label: "watershed.postgres")
    ) async throws -> PostgresEventLog {
        let configuration: PostgresConnection.Configuration
        let head: Int64
        let book = FederationBook()
        do {
            let (found, connection) = try await PostgresHosts.primary(of: url, logger: logger)
            configuration = found
            do {
                try await PostgresSchema.migrate(
                    connection, location: url.redacted, apply: migrating, logger: logger)
                head = try await Self.headLink(connection, logger: logger).seq
                if migrating { try await Self.foldBook(book, through: head, on: connection, logger: logger) }
                try? await connection.close()
            } catch {
                try? await connection.close()
                throw error
            }
        } catch let error as EventLogError {
            throw error
        } catch {
            throw EventLogError.cannotOpen(path: url.redacted, reason: sentence(error))
        }
        let primary = PrimaryClient(url: url, configuration: configuration, connections: connections, logger: logger)
        let log = PostgresEventLog(
            url: url, primary: primary, head: head, book: book, maximumBatchSize: maximumBatchSize, logger: logger)
        log.startFollowing()
        return log
    }

    /// Stops following and closes the pool's connections. Appends after this fail.
    public func close() async {
        let tasks = self.tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        follower.wake.finish()
        follower.close()
        for task in tasks { task.cancel() }
        await listening.close()
        // The fetch loop and the tick end at once; the listener once its connection is closed (not awaited: a
        // PostgresNIO notification sequence was seen not to end on cancellation).
        for task in tasks.dropLast() { await task.value }
        primary.close()
    }

    deinit {
        for task in tasks.withLock({ $0 }) { task.cancel() }
        primary.close()
    }

    // MARK: Appending

    /// Appends `events` (``EventStore/append(_:fence:)``). With a `fence`, the transaction reads the leader epoch
    /// with `FOR SHARE` — so a node's election (which updates it) waits for fenced appends in flight, and fenced
    /// appends after it see the new epoch — and refuses this caller's events if the epoch is not `fence`
    /// (``LeaderLease``).
    ///
    /// Returns once this node's commit observers (its ``federation`` book first) have been handed the events, so
    /// that this node's reads see its own append — within 5 s (``CommitFollower/waitDelivered(through:limit:)``).
    public func append(_ events: [NewEvent], fence: Int64?, condition: AppendCondition?) async throws
        -> [StoredEvent]
    {
        if events.isEmpty { return [] }
        let stored = try await committer.append(PendingAppend(events: events, fence: fence, condition: condition))
        // Outside the committer, so that the next batch is not held up: another node's commit in between makes the
        // fetch loop read the gap before these reach the observers.
        if let last = stored.last { await follower.waitDelivered(through: last.seq) }
        return stored
    }

    public func onCommit(_ observer: @escaping @Sendable ([StoredEvent]) -> Void) {
        follower.add(observer)
    }

    /// The head row as the transaction sees it.
    static func headLink(_ connection: PostgresConnection, logger: Logger, lock: Bool = false) async throws
        -> (seq: Int64, hash: String)
    {
        let sql = "SELECT seq, hash FROM event_head" + (lock ? " FOR UPDATE" : "")
        for try await (seq, hash) in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
            .decode((Int64, String).self)
        {
            return (seq, hash)
        }
        throw EventLogError.cannotOpen(path: "event_head", reason: "the head row is missing")
    }

    // MARK: Following other nodes' commits

    private func startFollowing() {
        let follower = self.follower
        let fetch = Task { [weak self] in
            for await _ in follower.wakes {
                guard let self else { return }
                await self.catchUp()
            }
        }
        let tick = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                follower.wake.yield()
            }
        }
        let primary = self.primary
        let logger = self.logger
        let listen = Task {
            while !Task.isCancelled {
                do {
                    let connection = try await PostgresConnection.connect(
                        configuration: primary.now.configuration, id: 0, logger: logger)
                    defer { Task { try? await connection.close() } }
                    guard await listening.set(connection) else { return }
                    try await connection.listen(on: Self.channel) { notifications in
                        for try await _ in notifications { follower.wake.yield() }
                    }
                } catch {
                    if Task.isCancelled { return }
                    logger.debug("listen connection lost; the poll covers it", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        tasks.withLock { $0 += [fetch, tick, listen] }
    }

    /// Reads and delivers every event after the last delivered one, a page at a time.
    private func catchUp() async {
        while true {
            let after = follower.delivered
            guard let page = try? await events(after: after, limit: 1_000, incident: nil, exercise: nil) else {
                return
            }
            follower.deliverFetched(page)
            if page.count < 1_000 { return }
        }
    }

    // MARK: Reading

    public func events(after: Int64, limit: Int, incident: UUID? = nil, exercise: Bool? = nil) async throws
        -> [StoredEvent]
    {
        try await storedBytes(after: after, limit: limit, incident: incident, exercise: exercise).map { stored in
            do {
                return try StoredEvent(
                    canonicalBytes: stored.canonicalBytes, prevHash: stored.prevHash, hash: stored.hash)
            } catch {
                throw EventLogError.unreadableEvent(seq: stored.seq, reason: Self.sentence(error))
            }
        }
    }

    public func storedBytes(after: Int64, limit: Int, incident: UUID? = nil, exercise: Bool? = nil) async throws
        -> [StoredBytes]
    {
        guard limit > 0 else { return [] }
        var sql = "SELECT seq, bytes, prev_hash, hash FROM event WHERE seq > $1"
        var binds = PostgresBindings()
        binds.append(after)
        if let incident {
            binds.append(incident)
            sql += " AND incident = $\(binds.count)"
        }
        if let exercise {
            binds.append(exercise)
            sql += " AND exercise = $\(binds.count)"
        }
        binds.append(Int64(limit))
        sql += " ORDER BY seq LIMIT $\(binds.count)"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        let logger = self.logger
        return try await primary.using { connection in
            let rows = try await connection.query(query, logger: logger)
            var page: [StoredBytes] = []
            for try await (seq, bytes, prevHash, hash) in rows.decode((Int64, Data, String, String).self) {
                page.append(StoredBytes(seq: seq, canonicalBytes: bytes, prevHash: prevHash, hash: hash))
            }
            return page
        }
    }

    public func event(id: UUID) async throws -> StoredEvent? {
        let logger = self.logger
        return try await primary.using { connection in
            let rows = try await connection.query(
                "SELECT bytes, prev_hash, hash FROM event WHERE id = \(id)", logger: logger)
            for try await (bytes, prevHash, hash) in rows.decode((Data, String, String).self) {
                return try StoredEvent(canonicalBytes: bytes, prevHash: prevHash, hash: hash)
            }
            return nil
        }
    }

    public func head() async throws -> Int64 {
        let logger = self.logger
        return try await primary.using { try await Self.headLink($0, logger: logger).seq }
    }

    public func headHash() async throws -> String {
        let logger = self.logger
        return try await primary.using { try await Self.headLink($0, logger: logger).hash }
    }

    /// One sentence for an error from PostgreSQL or PostgresNIO: the server's message where there is one (PSQLError's
    /// own description hides it on purpose).
    public static func sentence(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return message + (error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return EventLog.sentence(error)
    }
}

/// The follower's listening connection, so that closing the log closes it (and ends its notification sequence).
final class ListeningConnection: Sendable {
    private let state = Mutex<(connection: PostgresConnection?, closed: Bool)>((nil, false))

    /// Keeps `connection`; `false` (and the connection closed) when the log is closed already.
    func set(_ connection: PostgresConnection) async -> Bool {
        let open = state.withLock { state -> Bool in
            if state.closed { return false }
            state.connection = connection
            return true
        }
        if !open { try? await connection.close() }
        return open
    }

    /// Closes the connection kept, and any set later.
    func close() async {
        let connection = state.withLock { state -> PostgresConnection? in
            state.closed = true
            defer { state.connection = nil }
            return state.connection
        }
        try? await connection?.close()
    }
}

/// What the tests run inside the next append transactions before `COMMIT` (`pg_sleep`, to hold one open).
package final class CommitHook: Sendable {
    private let hook = Mutex<(@Sendable (PostgresConnection) async throws -> Void)?>(nil)

    package func set(_ hook: (@Sendable (PostgresConnection) async throws -> Void)?) {
        self.hook.withLock { $0 = hook }
    }

    var current: (@Sendable (PostgresConnection) async throws -> Void)? { hook.withLock { $0 } }
}
