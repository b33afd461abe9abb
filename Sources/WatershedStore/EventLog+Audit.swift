import Foundation
import GRDB
import WatershedCore

/// Auditing the log: the hash chain recomputed from the stored bytes, against the checkpoint (`watershed audit
/// verify`, and the tail checked at every start).
extension EventLog {
    /// Recomputes the whole chain from the stored bytes (never from a re-encoding), in seq order, reading one row at
    /// a time, and reports the first event that does not hold.
    ///
    /// Checks, for seq 1, 2, …: the seq follows the previous one; `prevHash` equals the previous event's `hash`
    /// (64 zeros for seq 1); `hash` equals SHA-256(`prevHash` ‖ stored bytes); the bytes decode as an event with
    /// that seq and id; every column derived from the bytes (`id`, `at`, `incident`, `type`, `exercise` — the last
    /// decides what a drill token sees, and is not itself hashed) holds exactly what the bytes say. With a
    /// `checkpoint` (``ChainCheckpoint``), also: the event at each mark's seq still has the mark's hash (so a
    /// rewrite with every later hash recomputed is found between two marks), and the log reaches the newest mark
    /// (so deleted newest rows are found).
    ///
    /// - Returns: `.intact(count:head:)` or `.broken(seq:reason:)` naming the first bad seq.
    /// - Throws: `DatabaseError` when the file cannot be read.
    public func verifyChain(checkpoint: ChainCheckpoint? = nil) throws -> ChainVerification {
        try writer.read { db in
            try Self.walk(db, from: 1, previous: EventChain.genesis, marks: checkpoint?.marks ?? [])
        }
    }

    /// Verifies the tail of the chain, from the checkpoint's newest mark to the head: what a server checks at start
    /// (issue 15, item 16). The event at the mark's seq must exist with the mark's hash, and every later event is
    /// checked as ``verifyChain(checkpoint:)`` checks it. Without a mark (no checkpoint yet) the whole chain is
    /// verified.
    ///
    /// - Returns: `.intact(count:head:)`, `count` being the events checked (from the mark's seq on), or
    ///   `.broken(seq:reason:)` naming the first bad seq.
    /// - Throws: `DatabaseError` when the file cannot be read.
    public func verifyTail(checkpoint: ChainCheckpoint?) throws -> ChainVerification {
        guard let mark = checkpoint?.latest else { return try verifyChain() }
        return try writer.read { db in
            let head = try Int64.fetchOne(db, sql: "SELECT max(seq) FROM event") ?? 0
            if head < mark.seq { return ChainWalker.missing(after: head, newest: mark) }
            return try Self.walk(db, from: mark.seq, previous: nil, marks: [mark])
        }
    }

    /// Walks the events from seq `first` on (``ChainWalker``). `previous` is the hash seq `first - 1` must link to
    /// (`nil`: the first row's `prevHash` is taken as it is); `marks` are checkpoint marks, none below `first`.
    private static func walk(_ db: Database, from first: Int64, previous: String?, marks: [ChainCheckpoint.Mark])
        throws -> ChainVerification
    {
        let rows = try Row.fetchCursor(
            db,
            sql: """
                SELECT seq, id, at, incident, type, exercise, bytes, prevHash, hash FROM event WHERE seq >= ?
                ORDER BY seq
                """,
            arguments: [first])
        var walker = ChainWalker(from: first, previous: previous, marks: marks)
        while let row = try rows.next() {
            let seq: Int64 = row["seq"]
            let broken = walker.check(seq: seq, bytes: row["bytes"], prevHash: row["prevHash"], hash: row["hash"]) {
                event in
                let id: DatabaseValue = row["id"]
                guard id == event.id.uuidString.databaseValue else {
                    return "stored bytes are event seq \(event.seq) id \(event.id.uuidString), "
                        + "the row says seq \(seq) id \(id)"
                }
                return derivedColumnProblem(row, event)
            }
            if let broken { return broken }
        }
        return walker.finish()
    }

    /// The first column of `row` derived from the stored bytes that does not hold what `event` (decoded from them)
    /// says, as a sentence; `nil` when all hold. Compared as SQLite values, so that a `1` stored as text, or a `2`
    /// in the boolean `exercise`, is a difference too.
    private static func derivedColumnProblem(_ row: Row, _ event: StoredEvent) -> String? {
        let derived: [(String, DatabaseValue)] = [
            ("at", CanonicalJSON.timestamp(event.at).databaseValue),
            ("incident", event.incident?.uuidString.databaseValue ?? .null),
            ("type", event.type.rawValue.databaseValue),
            ("exercise", event.exercise.databaseValue),
        ]
        for (column, expected) in derived {
            let stored: DatabaseValue = row[column]
            if stored != expected {
                return "the \(column) column holds \(stored), but the stored bytes say \(expected)"
            }
        }
        return nil
    }
}
