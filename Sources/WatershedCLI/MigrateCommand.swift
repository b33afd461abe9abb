import ArgumentParser
import Foundation
import Logging
import WatershedPostgres
import WatershedStore

/// `watershed migrate --from DIR --to postgres://…`: copies a server's SQLite event log into PostgreSQL with its
/// seqs, stored bytes and hashes (issue 18).
///
/// Takes the data directory's lock (a running server: exit 1 naming its pid), verifies the SQLite chain against the
/// checkpoint first (broken: exit 1, nothing copied), opens the database (migrating its schema), and copies the
/// events after the database's head in pages of 1,000, each page one transaction that must continue the database's
/// chain. A database that already holds the first N events of the log (an interrupted copy) is continued; one that
/// holds other events is refused (exit 1) and nothing is written. Prints what was copied, the head seq and hash, and
/// the command that verifies the copy. The federation's and CAP's tables are not copied: they are projections of the
/// events.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Copy a data directory's event log into PostgreSQL, seqs and hashes as they are.",
        discussion: """
            Stop the server first: the data directory is locked while the copy runs. The SQLite chain is verified \
            before anything is copied. Running it again after an interruption continues where it stopped; a \
            database holding other events is refused. Check the copy with `watershed audit verify --database URL`.
            """
    )

    @Option(help: ArgumentHelp("The server's data directory (holding watershed.sqlite).", valueName: "dir"))
    var from: String

    @Option(
        help: ArgumentHelp(
            "The PostgreSQL database: postgres://user[:password]@host[:port]/database.", valueName: "url"))
    var to: String

    func run() async throws {
        let url: DatabaseURL
        do {
            url = try DatabaseURL(to)
        } catch {
            throw CommandExit.usage("migrate: --to: \(error)")
        }
        let path = try AuditCommand.logPath(from, command: "migrate")
        let lock: DataDirectoryLock
        do {
            lock = try DataDirectory.lock(from)
        } catch {
            throw CommandExit.invalid("migrate: \(error); stop the server first")
        }
        defer { lock.release() }
        let source: EventLog
        let checkpoint: ChainCheckpoint?
        do {
            checkpoint = try ChainCheckpoint.read(directory: from)
            source = try EventLog.openReadOnly(path: path)
        } catch {
            throw CommandExit.invalid("migrate: \(error)")
        }
        let sourceHead: Int64
        switch try source.verifyChain(checkpoint: checkpoint) {
        case .broken(let seq, let reason):
            throw CommandExit.invalid(
                "migrate: the log at \(path) is broken at seq \(seq): \(reason); nothing copied "
                    + "(see `watershed audit verify --data \(from)`)")
        case .intact(_, let head):
            sourceHead = head
        }
        var logger = Logger(label: "watershed.migrate")
        logger.logLevel = .error
        let target: PostgresEventLog
        do {
            target = try await PostgresEventLog.open(url, connections: 2, logger: logger)
        } catch {
            throw CommandExit.invalid("migrate: \(error)")
        }
        do {
            try await copy(from: source, sourceHead: sourceHead, to: target, path: path)
            await target.close()
        } catch {
            await target.close()
            throw error
        }
    }

    private func copy(from source: EventLog, sourceHead: Int64, to target: PostgresEventLog, path: String)
        async throws
    {
        let out = CommandOutput.current
        let start = try await target.head()
        let startHash = try await target.headHash()
        if start > 0 {
            let same = try source.storedBytes(after: start - 1, limit: 1).first
            guard start <= sourceHead, same?.hash == startHash else {
                throw CommandExit.invalid(
                    "migrate: \(target.location) holds other events (head seq \(start), hash \(startHash)) than "
                        + "\(path) (head seq \(sourceHead)); nothing copied — give an empty database")
            }
        }
        var head = start
        do {
            while true {
                let page = try source.storedBytes(after: head, limit: 1_000)
                if page.isEmpty { break }
                head = try await target.importStored(page)
            }
        } catch {
            throw CommandExit.invalid(
                "migrate: copied up to seq \(head) of \(sourceHead), then: \(error); run it again to continue")
        }
        let hash = try await target.headHash()
        if head == start {
            out.write("nothing to copy: \(target.location) already has the \(head) events of \(path)")
        } else {
            out.write(
                "copied \(head - start) \(head - start == 1 ? "event" : "events") (seqs \(start + 1)…\(head)) "
                    + "from \(path) to \(target.location)")
        }
        out.write("head seq \(head), head hash \(hash)")
        out.write("verify it: \(CommandName.current) audit verify --database '\(target.location)'")
    }
}
