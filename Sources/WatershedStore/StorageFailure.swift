import GRDB

/// What went wrong under the event log when SQLite cannot read or write the data directory, or no PostgreSQL
/// primary answers — as opposed to an error of the request (a duplicate id, a projection's refusal). The server
/// answers each with 503 and counts it by kind (issue 15, item 18).
public enum StorageFailure: String, Sendable, CaseIterable {
    /// `SQLITE_FULL`: the disk (or the quota) is full.
    case full
    /// `SQLITE_IOERR`, `SQLITE_CANTOPEN`: the system refused a read, write or `fsync`.
    case io
    /// `SQLITE_BUSY`, `SQLITE_LOCKED`: the database stayed locked past the busy timeout.
    case busy
    /// `SQLITE_READONLY`: the file or its folder cannot be written.
    case readOnly = "read_only"
    /// `SQLITE_CORRUPT`, `SQLITE_NOTADB`: the file is damaged.
    case corrupt
    /// PostgreSQL: no primary answers (the connection was lost, refused or timed out; the log looked for the
    /// primary again). Unlike the others, a commit in flight may have gone in.
    case unreachable

    /// The kind of a storage error (a GRDB `DatabaseError` with one of the result codes above, extended codes
    /// included), or `nil` for any other error.
    public init?(_ error: any Error) {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_FULL: self = .full
        case .SQLITE_IOERR, .SQLITE_CANTOPEN: self = .io
        case .SQLITE_BUSY, .SQLITE_LOCKED: self = .busy
        case .SQLITE_READONLY: self = .readOnly
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: self = .corrupt
        default: return nil
        }
    }
}
