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
        let logger = self.logger
        return try await primary.using(limit: nil) { connection in
            // One snapshot for the rows and the head row.
            try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                let verdict = try await self.walk(connection, checkpoint: checkpoint)
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

extension PostgresEventLog {
    /// Why ``importStored(_:)`` refused a page.
    public struct ImportRefused: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Appends events already stored in another log (`watershed migrate`), with their seqs, bytes and hashes as they
    /// are: the page must continue this log's chain (its first seq the head's next, its first `prevHash` the head's
    /// hash) and hold together (seqs in a row, each `hash` SHA-256 of its `prevHash` and bytes, each `prevHash` the
    /// hash before). One transaction under the head lock, so the page is all in or all out.
    ///
    /// - Returns: the new head seq.
    /// - Throws: ``ImportRefused`` naming the seq that does not continue or does not hold; the server's errors.
    public func importStored(_ page: [StoredBytes]) async throws -> Int64 {
        guard let first = page.first else { return try await head() }
        var events: [StoredEvent] = []
        events.reserveCapacity(page.count)
        var link = first.prevHash
        for (offset, stored) in page.enumerated() {
            guard stored.seq == first.seq + Int64(offset), stored.prevHash == link,
                EventChain.hash(prevHash: stored.prevHash, canonicalBytes: stored.canonicalBytes) == stored.hash
            else {
                throw ImportRefused(
                    description: "seq \(stored.seq) does not hold: its seq, prevHash or hash is not "
                        + "the one the chain before it gives")
            }
            do {
                events.append(
                    try StoredEvent(canonicalBytes: stored.canonicalBytes, prevHash: stored.prevHash, hash: stored.hash)
                )
            } catch {
                throw ImportRefused(description: "seq \(stored.seq) is not an event: \(Self.sentence(error))")
            }
            link = stored.hash
        }
        let logger = self.logger
        let page = events
        return try await primary.using { connection in
            try await connection.query("BEGIN", logger: logger)
            do {
                let head = try await Self.headLink(connection, logger: logger, lock: true)
                guard first.seq == head.seq + 1, first.prevHash == head.hash else {
                    throw ImportRefused(
                        description:
                            "seq \(first.seq) (prevHash \(first.prevHash)) does not follow this log's head, "
                            + "seq \(head.seq) hash \(head.hash)")
                }
                var rows = EventRows()
                rows.add(page, claims: page.map { EventClaim.of(type: $0.type, payload: $0.payload) })
                try await rows.insert(on: connection, logger: logger)
                let last = page[page.count - 1]
                try await connection.query(
                    """
                    WITH moved AS (UPDATE event_head SET seq = \(last.seq), hash = \(last.hash) RETURNING seq)
                    SELECT pg_notify(\(Self.channel), seq::text) FROM moved
                    """, logger: logger)
                try await connection.query("COMMIT", logger: logger)
                return last.seq
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
