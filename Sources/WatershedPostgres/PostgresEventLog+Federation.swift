import Foundation
import Logging
import PostgresNIO
import WatershedCore
import WatershedStore

extension PostgresEventLog: FederationBookKeeping, PeerStore {
    /// Folds every event up to `head` that the book reads into `book`, a page of 2,000 at a time, in seq order;
    /// events of the ``FederationBook/markerTypes`` (plans most of all) without reading their bytes.
    ///
    /// - Throws: PostgresNIO's errors; ``EventLogError/unreadableEvent(seq:reason:)``; ``RecordedEventError``.
    static func foldBook(
        _ book: FederationBook, through head: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws {
        let full = FederationBook.eventTypes.subtracting(FederationBook.markerTypes).map(\.rawValue)
        let markers = FederationBook.markerTypes.map(\.rawValue)
        var after: Int64 = 0
        while after < head {
            let rows = try await connection.query(
                """
                SELECT seq, type, incident, CASE WHEN type = ANY(\(markers)) THEN NULL ELSE bytes END, prev_hash, hash
                FROM event WHERE seq > \(after) AND seq <= \(head) AND type = ANY(\(full + markers))
                ORDER BY seq LIMIT 2000
                """, logger: logger)
            var entries: [FederationBook.Entry] = []
            for try await (seq, type, incident, bytes, prevHash, hash) in rows.decode(
                (Int64, String, UUID?, Data?, String, String).self)
            {
                guard let bytes else {
                    entries.append(
                        .marker(seq: seq, type: EventType(rawValue: type) ?? .planComputed, incident: incident))
                    continue
                }
                do {
                    entries.append(.event(try StoredEvent(canonicalBytes: bytes, prevHash: prevHash, hash: hash)))
                } catch {
                    throw EventLogError.unreadableEvent(seq: seq, reason: sentence(error))
                }
            }
            try book.fold(entries: entries)
            guard let last = entries.last, entries.count == 2_000 else { return }
            after = last.seq
        }
    }

    public func events(seqs: [Int64]) async throws -> [StoredEvent] {
        guard !seqs.isEmpty else { return [] }
        let logger = self.logger
        return try await primary.using { connection in
            let rows = try await connection.query(
                "SELECT seq, bytes, prev_hash, hash FROM event WHERE seq = ANY(\(seqs)) ORDER BY seq", logger: logger)
            var events: [StoredEvent] = []
            for try await (seq, bytes, prevHash, hash) in rows.decode((Int64, Data, String, String).self) {
                do {
                    events.append(try StoredEvent(canonicalBytes: bytes, prevHash: prevHash, hash: hash))
                } catch {
                    throw EventLogError.unreadableEvent(seq: seq, reason: Self.sentence(error))
                }
            }
            return events
        }
    }
}
