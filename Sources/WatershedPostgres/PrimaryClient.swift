import Foundation
import Logging
import PostgresNIO
import Synchronization
import WatershedStore

/// The pool on the current primary, moved to another host when the primary is lost (issue 18, "Failover").
///
/// PostgresNIO's client takes one host. The log's URL may list several (`postgres://u@db1,db2/watershed`); at open
/// and after a connection-level failure the hosts are tried in turn and the first that answers
/// `pg_is_in_recovery() = false` becomes the primary (``PostgresHosts/primary(of:logger:)``). After a standby is
/// promoted, the next failed operation (an append, a read, the follower's one-second poll) finds it, a new pool is
/// made on it and the old one is closed. Appends are not retried by the log: an append that failed during the
/// switch reports its error, and its caller retries (with its `Idempotency-Key`).
final class PrimaryClient: Sendable {
    struct Current: Sendable {
        var client: PostgresClient
        var configuration: PostgresConnection.Configuration
        var run: Task<Void, Never>
        /// Raised at each move, so that concurrent failures move the pool once.
        var generation: Int
    }

    let url: DatabaseURL
    private let connections: Int
    private let logger: Logger
    private let current: Mutex<Current>
    private let moving = Mutex(false)

    init(url: DatabaseURL, configuration: PostgresConnection.Configuration, connections: Int, logger: Logger) {
        self.url = url
        self.connections = connections
        self.logger = logger
        let client = Self.client(url: url, configuration: configuration, connections: connections, logger: logger)
        current = Mutex(
            Current(client: client, configuration: configuration, run: Task { await client.run() }, generation: 0))
    }

    /// The pool on the primary as last found.
    var now: Current { current.withLock { $0 } }

    /// Stops the pool.
    func close() {
        current.withLock { $0.run.cancel() }
    }

    /// How long getting a connection from the pool may take before the primary is taken for lost: PostgresNIO's pool
    /// keeps a request waiting, without failing it, while its host refuses connections (a crashed primary).
    static let leaseLimit: Duration = .seconds(5)

    /// How long an operation may take once it has its connection, unless it says otherwise: a statement on a
    /// connection whose server crashed can stay unanswered (seen with `pg_ctl stop -m immediate` under load), and a
    /// transaction waiting for the head row lock behind a long one does not take this long.
    static let operationLimit: Duration = .seconds(15)

    /// No connection to the primary within ``leaseLimit``, or no answer within the operation's limit.
    struct TimedOut: Error, CustomStringConvertible {
        var description: String { "the database primary did not answer in time" }
    }

    /// Runs `body` on a connection of the current pool; if none is had within ``leaseLimit``, if `body` takes
    /// longer than `limit` (`nil`: no limit, for an audit's long read), or on a connection-level failure
    /// (``isConnectionLoss(_:)``), looks for the primary again (once, whoever else failed meanwhile) and rethrows. A
    /// body given up on may still finish on its own: an append's outcome is then unknown to its caller, as when a
    /// connection drops during `COMMIT`.
    func using<T: Sendable>(
        limit: Duration? = PrimaryClient.operationLimit,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let used = now
        do {
            return try await Self.leased(from: used.client, limit: limit, body)
        } catch {
            if Self.isConnectionLoss(error) { await relocate(from: used.generation) }
            throw error
        }
    }

    /// `body` on a connection of `client`, or ``TimedOut`` when none came within ``leaseLimit`` or `body` took
    /// longer than `limit` (the task is then cancelled).
    private static func leased<T: Sendable>(
        from client: PostgresClient, limit: Duration?,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> T
    ) async throws -> T {
        let answer = FirstResult<T>()
        return try await withCheckedThrowingContinuation { continuation in
            answer.set(continuation)
            let work = Task {
                do {
                    let value = try await client.withConnection { connection in
                        answer.leased()
                        return try await body(connection)
                    }
                    answer.resume(.success(value))
                } catch {
                    answer.resume(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: leaseLimit)
                if !answer.wasLeased, answer.resume(.failure(TimedOut())) {
                    work.cancel()
                    return
                }
                guard let limit else { return }
                try? await Task.sleep(for: limit - leaseLimit)
                if answer.resume(.failure(TimedOut())) { work.cancel() }
            }
        }
    }

    /// Finds the primary among the URL's hosts and moves the pool there, unless another caller already moved it
    /// past `generation` or is moving it now.
    func relocate(from generation: Int) async {
        let start = moving.withLock { moving -> Bool in
            if moving { return false }
            moving = true
            return true
        }
        guard start else { return }
        defer { moving.withLock { $0 = false } }
        guard now.generation == generation else { return }
        let url = self.url
        let logger = self.logger
        let search = Task { try await PostgresHosts.primary(of: url, logger: logger) }
        let timer = Task {
            try? await Task.sleep(for: .seconds(15))
            search.cancel()
        }
        defer { timer.cancel() }
        guard let (configuration, probe) = try? await search.value else {
            logger.warning("no primary among the database hosts yet", metadata: ["database": "\(url.redacted)"])
            return
        }
        try? await probe.close()
        let client = Self.client(url: url, configuration: configuration, connections: connections, logger: logger)
        let run = Task { await client.run() }
        let old = current.withLock { current -> Task<Void, Never> in
            let old = current.run
            current = Current(client: client, configuration: configuration, run: run, generation: generation + 1)
            return old
        }
        old.cancel()
        logger.notice(
            "the database primary is now \(configuration.host ?? configuration.unixSocketPath ?? "?")",
            metadata: ["database": "\(url.redacted)"])
    }

    /// A failure of the connection or of the server as a whole (not of one statement): the primary may have gone.
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is TimedOut { return true }
        guard let error = error as? PSQLError else { return false }
        switch error.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return true
        case .server:
            // read_only_sql_transaction (a demoted primary, a standby), admin/crash shutdown, cannot connect now,
            // and the connection exceptions (class 08).
            let state = error.serverInfo?[.sqlState] ?? ""
            return ["25006", "57P01", "57P02", "57P03"].contains(state) || state.hasPrefix("08")
        default:
            return false
        }
    }

    /// A pool on the host `configuration` names, with `synchronous_commit = on` on every connection: a startup
    /// parameter is a session setting, which wins over the server's and the database's default, so `COMMIT` returns
    /// once the WAL is flushed, and on the synchronous standby if any.
    private static func client(
        url: DatabaseURL, configuration: PostgresConnection.Configuration, connections: Int, logger: Logger
    ) -> PostgresClient {
        var pool = PostgresClient.Configuration(
            host: configuration.host ?? "localhost", port: configuration.port ?? 5432, username: url.user,
            password: url.password, database: url.database, tls: PostgresHosts.clientTLS(url.sslMode))
        if let socket = configuration.unixSocketPath {
            pool = PostgresClient.Configuration(
                unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        }
        pool.options.additionalStartupParameters = [("synchronous_commit", "on")]
        pool.options.maximumConnections = max(1, connections)
        pool.options.connectTimeout = .seconds(5)
        return PostgresClient(configuration: pool, backgroundLogger: logger)
    }
}

/// A continuation resumed once, by whichever result comes first; and whether the connection was had.
private final class FirstResult<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
    private let hasConnection = Mutex(false)

    /// The body got its connection: the limit no longer applies.
    func leased() { hasConnection.withLock { $0 = true } }
    var wasLeased: Bool { hasConnection.withLock { $0 } }

    func set(_ continuation: CheckedContinuation<T, any Error>) { self.continuation.withLock { $0 = continuation } }

    /// Resumes with `result` if nothing did yet; whether it did.
    @discardableResult
    func resume(_ result: Result<T, any Error>) -> Bool {
        guard let continuation = continuation.withLock({ $0.take() }) else { return false }
        continuation.resume(with: result)
        return true
    }
}

extension StorageFailure {
    /// ``StorageFailure/unreachable`` for an error that means no primary answered
    /// (``PrimaryClient/isConnectionLoss(_:)``, after the log looked for the primary again); `nil` for any other
    /// error.
    public init?(postgres error: any Error) {
        guard PrimaryClient.isConnectionLoss(error) else { return nil }
        self = .unreachable
    }
}
