import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import WatershedFederation
import WatershedPostgres
import WatershedStore

/// What a server does with its data directory before it serves: make it private (0700), lock it against a second
/// server, open the event log (0600) and check the tail of its hash chain against the checkpoint (issue 15,
/// items 15–17).
enum DataDirectoryStartup {
    /// The `serve` flag that starts on a log whose chain does not hold (named in the refusal).
    static let overrideFlag = "--allow-broken-chain"

    /// Makes the data directory at `data` (mode 0700, narrowing an existing one) and takes its lock.
    ///
    /// - Returns: the lock, held until it is released or deinitialised.
    /// - Throws: ``ServerStartupError/dataDirectory(_:)`` naming the directory and, when another server holds the
    ///   lock, its pid.
    static func prepare(_ data: URL, logger: Logger) throws -> DataDirectoryLock {
        do {
            if let previous = try DataDirectory.prepare(data.path) {
                logger.notice(
                    "data directory narrowed to mode 0700",
                    metadata: ["data": "\(data.path)", "was": "\(String(previous, radix: 8))"])
            }
            return try DataDirectory.lock(data.path)
        } catch let error as DataDirectoryError {
            throw ServerStartupError.dataDirectory(error.description)
        }
    }

    /// Opens `<data>/watershed.sqlite` and verifies its chain from the checkpoint's newest mark to the head
    /// (``EventLog/verifyTail(checkpoint:)``).
    ///
    /// On a break (or a checkpoint file that cannot be read) the server refuses to start unless `allowBrokenChain`;
    /// then the break is logged at `error`, with the old checkpoint's newest mark, and the checkpoint starts over from
    /// the current head.
    ///
    /// - Returns: the log and the checkpointer, already holding the head (its first flush writes the file).
    /// - Throws: ``ServerStartupError/store(_:)`` when the log cannot be opened or read;
    ///   ``ServerStartupError/brokenChain(_:)`` naming the first bad seq and the three ways on.
    static func openLog(_ data: URL, database: DatabaseURL? = nil, allowBrokenChain: Bool, logger: Logger)
        async throws -> (any ServerLog, ChainCheckpointer)
    {
        let log: any ServerLog
        let location: String
        let verify: (ChainCheckpoint?) async throws -> ChainVerification
        if let database {
            let postgres: PostgresEventLog
            do {
                postgres = try await PostgresEventLog.open(database, logger: logger)
            } catch {
                throw ServerStartupError.store("\(error)")
            }
            (log, location) = (postgres, database.redacted)
            verify = { try await verifyMark($0, on: postgres) }
        } else {
            let sqlite: EventLog
            do {
                sqlite = try EventLog.open(path: data.appendingPathComponent("watershed.sqlite").path)
            } catch {
                throw ServerStartupError.store("\(error)")
            }
            (log, location) = (sqlite, "\(data.path)/watershed.sqlite")
            verify = { try sqlite.verifyTail(checkpoint: $0) }
        }
        var problem: (seq: Int64?, reason: String)?
        var checkpoint: ChainCheckpoint?
        do {
            checkpoint = try ChainCheckpoint.read(directory: data.path)
            switch try await verify(checkpoint) {
            case .intact(let count, let head):
                logger.info(
                    "event log chain verified",
                    metadata: [
                        "from_seq": "\(checkpoint?.latest?.seq ?? 1)", "head": "\(head)", "events": "\(count)",
                    ])
            case .broken(let seq, let reason):
                problem = (seq, reason)
            }
        } catch let error as ChainCheckpointError {
            problem = (nil, error.description)
        } catch {
            throw ServerStartupError.store("cannot read \(location): \(error)")
        }
        if let problem {
            let what =
                problem.seq.map { "the event log's hash chain is broken at seq \($0): \(problem.reason)" }
                ?? problem.reason
            guard allowBrokenChain else {
                throw ServerStartupError.brokenChain(
                    "\(what). Not starting. Check the whole log with `watershed audit verify --data \(data.path)`. "
                        + "After restoring the data directory from a backup, reset the checkpoint with "
                        + "`watershed audit checkpoint --reset --data \(data.path)`; to serve this log as it is, "
                        + "start with \(overrideFlag) (the checkpoint then starts over from its head).")
            }
            logger.error(
                "starting on a broken event log chain (\(overrideFlag)); the checkpoint starts over from the head",
                metadata: [
                    "problem": "\(what)",
                    "checkpoint_seq": "\(checkpoint?.latest?.seq ?? 0)",
                    "checkpoint_hash": "\(checkpoint?.latest?.hash ?? "none")",
                ])
            checkpoint = nil
        }
        let checkpointer = ChainCheckpointer(directory: data.path, checkpoint: checkpoint ?? ChainCheckpoint())
        do {
            checkpointer.observe(seq: try await log.head(), hash: try await log.headHash())
        } catch {
            throw ServerStartupError.store("cannot read \(location): \(error)")
        }
        return (log, checkpointer)
    }

    /// The checkpoint's newest mark against a shared log (issue 18, "the tail checkpoint"): the event at its seq
    /// must be there with its hash. A database restored from a backup older than what this node saw is then found at
    /// start; the whole chain is `watershed audit verify --database`'s to walk.
    ///
    /// - Throws: the log's errors.
    static func verifyMark(_ checkpoint: ChainCheckpoint?, on log: any EventStore) async throws -> ChainVerification {
        let head = try await log.head()
        guard let mark = checkpoint?.latest else { return .intact(count: 0, head: head) }
        let found = try await log.events(after: mark.seq - 1, limit: 1, incident: nil, exercise: nil).first
        guard let found, found.seq == mark.seq else {
            return .broken(
                seq: mark.seq,
                reason:
                    "this node saw seq \(mark.seq) committed, but the log's head is \(head) (restored from an older "
                    + "backup?)")
        }
        guard found.hash == mark.hash else {
            return .broken(
                seq: mark.seq, reason: "its hash is \(found.hash), but this node saw \(mark.hash) for it")
        }
        return .intact(count: 1, head: head)
    }
}

/// Holds the data directory for the server's life: writes the chain checkpoint every ``interval`` while the log
/// grows, and at shutdown writes it a last time and releases the directory's lock.
///
/// It is the first of the application's services, so it is shut down last — after the listeners and every service
/// that appends — and its last flush holds the final head.
struct DataDirectoryService: Service {
    let lock: DataDirectoryLock
    let checkpointer: ChainCheckpointer
    let logger: Logger
    /// Closes a shared log's connections (PostgreSQL), after the last flush.
    var closeLog: @Sendable () async -> Void = {}
    /// How often the checkpoint is written while the log grows: 1 s.
    var interval: Duration = .seconds(1)

    /// Whether the last flush failed, so that a run of failures is logged once.
    private final class FlushState: Sendable {
        let failing = Mutex(false)
    }

    func run() async throws {
        let state = FlushState()
        let checkpointer = self.checkpointer
        let logger = self.logger
        let interval = self.interval
        @Sendable func flush() {
            do {
                if let seq = try checkpointer.flush() {
                    if state.failing.withLock({ $0 }) {
                        logger.notice("chain checkpoint written again", metadata: ["seq": "\(seq)"])
                    }
                    logger.trace("chain checkpoint written", metadata: ["seq": "\(seq)"])
                }
                state.failing.withLock { $0 = false }
            } catch {
                // Logged once per run of failures (a full disk fails every second).
                let wasFailing = state.failing.withLock { failing in
                    defer { failing = true }
                    return failing
                }
                if !wasFailing {
                    logger.warning("cannot write the chain checkpoint", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { lock.release() }
        flush()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                flush()
            }
        }
        flush()
        await closeLog()
    }
}
