import ArgumentParser
import Foundation
import WatershedStore

extension AuditCommand {
    /// `watershed audit backup --data DIR FILE`: a consistent copy of a data directory's event log while its server
    /// runs (issue 20, "a documented, tested SQLite backup and restore that works while the server runs").
    ///
    /// Opens `<DIR>/watershed.sqlite` read-only (no lock: the server goes on appending) and writes FILE with SQLite's
    /// `VACUUM INTO` (``WatershedStore/EventLog/backup(to:)``): the log as of one commit, one file. Prints the copy's
    /// head seq and chain head hash; exit 0. Exit 1 when FILE exists or cannot be written; exit 2 without a log in DIR.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Copy a data directory's event log to FILE, consistently, while its server runs.",
            discussion: """
                The TLS files in DIR/tls are not in the copy: back them up with the configuration. Restore with \
                `watershed audit restore FILE --data DIR` (server stopped).
                """)
        @Option(help: ArgumentHelp("The server's data directory.", valueName: "dir")) var data: String
        @Argument(help: ArgumentHelp("The backup file to write (must not exist).", valueName: "file")) var file: String

        func run() async throws {
            let path = try AuditCommand.logPath(data, command: "audit backup")
            do {
                let log = try EventLog.openReadOnly(path: path)
                let head = try log.backup(to: file)
                let copy = try EventLog.openReadOnly(path: file)
                CommandOutput.current.write(
                    "backup written: \(file) — head seq \(head), chain head hash \(head > 0 ? try copy.headHash() : "none")"
                )
            } catch {
                throw CommandExit.invalid("audit backup: \(error)")
            }
        }
    }

    /// `watershed audit restore FILE --data DIR`: puts a backup in place of a data directory's log, server stopped.
    ///
    /// Takes the directory's lock (a running server: exit 1 naming its pid), verifies the backup's whole chain
    /// (broken: exit 1, nothing changed), copies it beside the log and renames it over `watershed.sqlite` (removing
    /// the old `-wal` and `-shm`), then sets the chain checkpoint to the restored head — the events committed after
    /// the backup are gone, and the old checkpoint would refuse the start. Clients that saw later seqs are told so by
    /// the stream (close 4002, "ahead of the log": they start over from the seq they are given). Exit 0.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Restore a data directory's event log from a backup (server stopped).")
        @Option(help: ArgumentHelp("The data directory to restore into (created if missing).", valueName: "dir"))
        var data: String
        @Argument(help: ArgumentHelp("The backup file (`watershed audit backup`).", valueName: "file")) var file: String

        func run() async throws {
            let out = CommandOutput.current
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            let lock: DataDirectoryLock
            do {
                lock = try DataDirectory.lock(data)
            } catch {
                throw CommandExit.invalid("audit restore: \(error)")
            }
            defer { lock.release() }
            let head: Int64
            do {
                let backup = try EventLog.openReadOnly(path: file)
                switch try backup.verifyChain() {
                case .broken(let seq, let reason):
                    throw CommandExit.invalid(
                        "audit restore: the backup's chain is broken at seq \(seq): \(reason); nothing was changed")
                case .intact(_, let found): head = found
                }
                let target = (data as NSString).appendingPathComponent("watershed.sqlite")
                let temporary = target + ".restoring"
                try? FileManager.default.removeItem(atPath: temporary)
                try FileManager.default.copyItem(atPath: file, toPath: temporary)
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: temporary))
                try handle.synchronize()
                try handle.close()
                for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
                guard rename(temporary, target) == 0 else {
                    throw CommandExit.invalid("audit restore: cannot rename \(temporary) to \(target): errno \(errno)")
                }
                _ = chmod(target, 0o600)
            } catch let exit as CommandExit {
                throw exit
            } catch {
                throw CommandExit.invalid("audit restore: \(error)")
            }
            out.write("restored \(file) into \(data): head seq \(head)")
            let reset = try AuditCommand.resetCheckpoint(data, command: "audit restore")
            out.write("checkpoint reset to \(reset)")
        }
    }
}
