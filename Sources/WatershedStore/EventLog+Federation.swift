import Foundation
import GRDB
import WatershedCore

extension EventLog: FederationBookKeeping {
    /// Folds every event the book reads into `book`, a page of 2,000 at a time, in seq order; events of the
    /// ``FederationBook/markerTypes`` (plans most of all) without reading their bytes.
    ///
    /// - Throws: `DatabaseError`; ``EventLogError/unreadableEvent(seq:reason:)``; ``RecordedEventError``.
    static func foldBook(_ book: FederationBook, from writer: any DatabaseWriter) throws {
        let full = FederationBook.eventTypes.subtracting(FederationBook.markerTypes).map { "'\($0.rawValue)'" }
        let markers = FederationBook.markerTypes.map { "'\($0.rawValue)'" }
        let sql = """
            SELECT seq, type, incident,
                CASE WHEN type IN (\(markers.joined(separator: ","))) THEN NULL ELSE bytes END AS bytes, prevHash, hash
            FROM event WHERE seq > ? AND type IN (\((full + markers).joined(separator: ","))) ORDER BY seq LIMIT 2000
            """
        var after: Int64 = 0
        while true {
            let entries: [FederationBook.Entry] = try writer.read { db in
                try Row.fetchAll(db, sql: sql, arguments: [after]).map { row in
                    let seq: Int64 = row["seq"]
                    guard let bytes: Data = row["bytes"] else {
                        let type = EventType(rawValue: row["type"]) ?? .planComputed
                        let incident = (row["incident"] as String?).flatMap(UUID.init(uuidString:))
                        return .marker(seq: seq, type: type, incident: incident)
                    }
                    do {
                        return .event(
                            try StoredEvent(canonicalBytes: bytes, prevHash: row["prevHash"], hash: row["hash"]))
                    } catch {
                        throw EventLogError.unreadableEvent(seq: seq, reason: "\(error)")
                    }
                }
            }
            try book.fold(entries: entries)
            guard let last = entries.last, entries.count == 2_000 else { return }
            after = last.seq
        }
    }

    /// The events with these seqs, in seq order.
    ///
    /// - Throws: `DatabaseError`; ``EventLogError/unreadableEvent(seq:reason:)``.
    public func events(seqs: [Int64]) throws -> [StoredEvent] {
        guard !seqs.isEmpty else { return [] }
        return try writer.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT seq, bytes, prevHash, hash FROM event WHERE seq IN ("
                    + seqs.map(String.init).joined(separator: ",") + ") ORDER BY seq"
            ).map(Self.storedEvent)
        }
    }
}
