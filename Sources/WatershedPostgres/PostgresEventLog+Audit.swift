import Foundation
import PostgresNIO
import WatershedCore
import WatershedStore

extension PostgresEventLog {
    /// Recomputes the whole chain from the stored bytes, in seq order (``ChainWalker``, as the SQLite log does), and
    /// then checks that `event_head` names the last event's seq and hash.
    ///
    /// - Returns: `.intact(count:head:)` or `.broken(seq:reason:)` naming the first bad seq.
    /// - Throws: the server's errors.
    public func verifyChain(checkpoint: ChainCheckpoint? = nil) async throws -> ChainVerification {
        try await client.withConnection { connection in
            // One snapshot for the rows and the head row.
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let verdict = try await walk(connection, checkpoint: checkpoint)
                try await connection.query("ROLLBACK", logger: logger)
                return verdict
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private func walk(_ connection: PostgresConnection, checkpoint: ChainCheckpoint?) async throws
        -> ChainVerification
    {
        let rows = try await connection.query(
            """
            SELECT seq, id, at, incident, type, exercise, bytes, prev_hash, hash FROM event ORDER BY seq
            """, logger: logger)
        var walker = ChainWalker(from: 1, previous: EventChain.genesis, marks: checkpoint?.marks ?? [])
        var last = (seq: Int64(0), hash: EventChain.genesis)
        for try await (seq, id, at, incident, type, exercise, bytes, prevHash, hash) in rows.decode(
            (Int64, UUID, String, UUID?, String, Bool, Data, String, String).self)
        {
            let broken = walker.check(seq: seq, bytes: bytes, prevHash: prevHash, hash: hash) { event in
                let derived: [(String, String, String)] = [
                    ("id", id.uuidString, event.id.uuidString),
                    ("at", at, CanonicalJSON.timestamp(event.at)),
                    ("incident", incident?.uuidString ?? "NULL", event.incident?.uuidString ?? "NULL"),
                    ("type", type, event.type.rawValue),
                    ("exercise", "\(exercise)", "\(event.exercise)"),
                ]
                return derived.first { $0.1 != $0.2 }.map {
                    "the \($0.0) column holds \($0.1), but the stored bytes say \($0.2)"
                }
            }
            if let broken { return broken }
            last = (seq, hash)
        }
        let verdict = walker.finish()
        guard case .intact = verdict else { return verdict }
        let head = try await Self.headLink(connection, logger: logger)
        guard head.seq == last.seq, head.hash == last.hash else {
            return .broken(
                seq: last.seq + 1,
                reason: "event_head says seq \(head.seq) hash \(head.hash), but the last event is seq \(last.seq) "
                    + "hash \(last.hash)")
        }
        return verdict
    }
}
