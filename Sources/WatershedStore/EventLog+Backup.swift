import Foundation
import GRDB

extension EventLog {
    /// Writes a consistent copy of the log to `path` with SQLite's `VACUUM INTO` (SQLite documentation, "VACUUM",
    /// §"VACUUM INTO"): one read transaction, so the copy is the log as of one commit, whatever a running server
    /// appends meanwhile (WAL lets the reader and the writer go on side by side); the copy is a single file, compact,
    /// without `-wal`. Works on a log opened read-only (``openReadOnly(path:)``), which is how `watershed audit
    /// backup` opens a running server's log.
    ///
    /// - Returns: the copy's head seq.
    /// - Throws: ``EventLogError/cannotOpen(path:reason:)`` naming `path` when SQLite cannot write it (it must not
    ///   exist: `VACUUM INTO` refuses to overwrite a database).
    @discardableResult
    public func backup(to path: String) throws -> Int64 {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw EventLogError.cannotOpen(path: path, reason: "it exists already; a backup is written to a new file")
        }
        do {
            try writer.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [path])
            }
        } catch {
            throw EventLogError.cannotOpen(path: path, reason: "\(error)")
        }
        return try EventLog.openReadOnly(path: path).head()
    }
}
