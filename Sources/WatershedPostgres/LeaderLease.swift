import Foundation
import Logging
import PostgresNIO
import Synchronization

/// One leader among the nodes on a database (issue 18, "One of each singleton"): the node holding a session
/// advisory lock runs the deadline scheduler, the peer links and outbox sender, the drill runner and the peer watch;
/// the others wait to take over.
///
/// - **Election**: every node tries `pg_try_advisory_lock` on a connection of its own every second. The node that
///   gets it raises `watershed_leader.epoch` in the same step and is told ``Change/elected(epoch:)``.
/// - **Takeover within 5 s**: a node that dies loses its session, and PostgreSQL frees its lock at once. A node that
///   is paused (SIGSTOP) or cut off keeps its TCP connection, so the leader's lock session runs with
///   `idle_session_timeout` (``idleTimeout``, 3 s): the leader pings every second, and a leader that stops pinging
///   has its session ended by the server, its lock freed, and another node elected within about a second more.
/// - **Fencing**: a leader that comes back after losing its lock learns it only at its next ping; until then its
///   singletons may still try to write. Their appends carry the epoch it was elected with
///   (``PostgresEventLog/append(_:fence:)``) and are refused under a newer one, inside the append transaction.
///   Because the election's update and the fenced appends' `FOR SHARE` read take the same row lock, every fenced
///   append is either before the election or refused; and the new leader reads the log to its head after being
///   elected, before it acts.
public final class LeaderLease: Sendable {
    /// What the lease tells its node.
    public enum Change: Sendable, Equatable {
        /// This node leads, with this epoch (fence its singletons' appends with it).
        case elected(epoch: Int64)
        /// This node no longer leads: stop the singletons.
        case lost
    }

    /// The advisory lock key (one per database).
    static let lockKey: Int64 = 0x5741_5445_5253_4802
    /// How long the server lets the lock session sit idle before it ends it (and frees the lock).
    public static let idleTimeout = "3s"
    /// How long the leader waits for its ping's answer before it takes its session for lost. Not what bounds a
    /// takeover (that is ``idleTimeout`` and the others' one-second polls); long enough that a busy machine does not
    /// give up a healthy session (2 s did, in CI).
    static let pingLimit: Duration = .seconds(5)

    private let configuration: PostgresConnection.Configuration
    private let node: String
    private let logger: Logger
    private let paused = Mutex(false)
    /// Every change, in order.
    public let changes: AsyncStream<Change>
    private let continuation: AsyncStream<Change>.Continuation

    /// A lease for `node` (a name shown in `watershed_leader.node`) on the database `log` is on.
    public init(log: PostgresEventLog, node: String) {
        var configuration = log.connection
        configuration.options.additionalStartupParameters = [
            ("application_name", "watershed lease \(node)")
        ]
        self.configuration = configuration
        self.node = node
        self.logger = log.logger
        (changes, continuation) = AsyncStream.makeStream(of: Change.self)
    }

    /// Stops pinging while `true`, as a paused process would (the tests' SIGSTOP).
    package func pause(_ value: Bool) { paused.withLock { $0 = value } }

    /// Contends for the lock until the task is cancelled; tells ``changes`` whenever this node is elected or loses.
    public func run() async {
        var leading = false
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 0, logger: logger)
                defer { Task { try? await connection.close() } }
                while !Task.isCancelled {
                    if !paused.withLock({ $0 }) {
                        if leading {
                            try await ping(connection)
                        } else if let epoch = try await elect(on: connection) {
                            leading = true
                            continuation.yield(.elected(epoch: epoch))
                        }
                    }
                    try await Task.sleep(for: .seconds(1))
                }
            } catch {
                logger.debug("leader lease connection lost", metadata: ["error": "\(error)"])
            }
            if leading {
                leading = false
                continuation.yield(.lost)
            }
            try? await Task.sleep(for: .seconds(1))
        }
        continuation.finish()
    }

    /// Why the lease gave up on its connection: the ping did not come back in time.
    struct PingTimedOut: Error {}

    /// `SELECT 1` on the lock connection, given up after ``pingLimit``: a session the server ended
    /// (`idle_session_timeout`, `pg_terminate_backend`) can leave PostgresNIO's next query waiting forever rather
    /// than failing, so the answer is awaited in a task of its own, and the connection closed when it does not come.
    private func ping(_ connection: PostgresConnection) async throws {
        let logger = self.logger
        try await bounded(connection) { try await connection.query("SELECT 1", logger: logger) }
    }

    /// Runs `body` on the lock connection, given up after ``pingLimit`` (the connection then closed and
    /// ``PingTimedOut`` thrown): every query of the lease, the election's too — a session the server ended while
    /// this node was slow to come back to it (`idle_session_timeout` on a busy machine) left the next query waiting
    /// forever, and the node never contended again.
    private func bounded(_ connection: PostgresConnection, _ body: @escaping @Sendable () async throws -> Void)
        async throws
    {
        let answered = FirstAnswer()
        let ok = await withCheckedContinuation { continuation in
            answered.set(continuation)
            Task {
                let done = (try? await body()) != nil
                answered.resume(done)
            }
            Task {
                try? await Task.sleep(for: Self.pingLimit)
                answered.resume(false)
            }
        }
        guard ok else {
            try? await connection.close()
            throw PingTimedOut()
        }
    }

    /// Takes the lock if free, and then raises the epoch: the new epoch, or `nil` when another node holds the lock.
    private func elect(on connection: PostgresConnection) async throws -> Int64? {
        let logger = self.logger
        let node = self.node
        let epoch = ElectedEpoch()
        try await bounded(connection) {
            var locked = false
            for try await value in try await connection.query(
                "SELECT pg_try_advisory_lock(\(Self.lockKey))", logger: logger
            ).decode(Bool.self) {
                locked = value
            }
            guard locked else { return }
            // Only the leader's session is ended when idle: a waiting node that is slow between tries is not.
            try await connection.query(
                PostgresQuery(unsafeSQL: "SET idle_session_timeout = '\(Self.idleTimeout)'"), logger: logger)
            for try await value in try await connection.query(
                "UPDATE watershed_leader SET epoch = epoch + 1, node = \(node), since = now() RETURNING epoch",
                logger: logger
            ).decode(Int64.self) {
                epoch.set(value)
            }
        }
        return epoch.value
    }
}

/// A continuation resumed once, by whichever answer comes first.
private final class FirstAnswer: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation.withLock { $0 = continuation } }

    func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
}

/// The epoch an election raised, if it did.
private final class ElectedEpoch: Sendable {
    private let stored = Mutex<Int64?>(nil)
    func set(_ epoch: Int64) { stored.withLock { $0 = epoch } }
    var value: Int64? { stored.withLock { $0 } }
}
