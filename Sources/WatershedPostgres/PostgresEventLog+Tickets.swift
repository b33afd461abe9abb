import Foundation
import PostgresNIO

extension PostgresEventLog {
    /// Keeps a stream ticket (issue 18, "stream tickets work on any node"): its SHA-256 `digest`, the identity it
    /// carries (JSON), and its expiry. Expired tickets are deleted on the way.
    ///
    /// - Throws: PostgresNIO's errors.
    public func keepTicket(digest: String, identity: Data, until: Date) async throws {
        let logger = self.logger
        try await primary.using { connection in
            try await connection.query(
                "DELETE FROM watershed_stream_ticket WHERE expires_at < now() - interval '1 minute'", logger: logger)
            try await connection.query(
                """
                INSERT INTO watershed_stream_ticket (digest, identity, expires_at)
                VALUES (\(digest), \(ByteBuffer(data: identity)), \(until))
                """, logger: logger)
        }
    }

    /// Takes a ticket: deletes it and returns its identity when it was there and expires after `now`; `nil`
    /// otherwise. One statement (`DELETE … RETURNING`), so that two nodes given the same ticket at once cannot
    /// both redeem it.
    ///
    /// - Throws: PostgresNIO's errors.
    public func takeTicket(digest: String, now: Date) async throws -> Data? {
        let logger = self.logger
        return try await primary.using { connection in
            let rows = try await connection.query(
                "DELETE FROM watershed_stream_ticket WHERE digest = \(digest) RETURNING identity, expires_at",
                logger: logger)
            for try await (identity, expiresAt) in rows.decode((Data, Date).self) where expiresAt > now {
                return identity
            }
            return nil
        }
    }
}
