import Foundation
import Logging
import NIOCore
import PostgresNIO
import WatershedCore
import WatershedStore

/// One caller's part of a batch: its events, and the leader epoch its singleton was elected with, if any.
struct PendingAppend: Sendable {
    var events: [NewEvent]
    var fence: Int64?
    var condition: AppendCondition? = nil
}

/// One batch of appends in one PostgreSQL transaction (``PostgresEventLog``).
struct WriteContext: Sendable {
    let primary: PrimaryClient
    let logger: Logger

    /// Writes `work` (one event list per caller) in one transaction: locks the head row, numbers and chains the
    /// events from it, inserts them, moves the head (notifying `watershed_commit`) and commits. The connection runs
    /// with `synchronous_commit = on` (a startup parameter of the pool's connections).
    ///
    /// Every caller's events go in one `INSERT … SELECT FROM unnest(…)`: five round trips per batch whatever its
    /// size. Only a duplicate event id or claim (``WatershedStore/EventClaim``) can make that insert fail; then the
    /// batch is written again with each caller in a savepoint of its own, so that the caller with the duplicate fails
    /// alone (a claim with ``WatershedStore/EventLogError/claimed(_:)``).
    ///
    /// - Returns: one result per caller, in order: its stored events, or the error that kept them out.
    /// - Throws: when the transaction itself fails (connection, `COMMIT`): nothing of the batch is written, or — if
    ///   the connection dropped during `COMMIT` — the outcome is unknown.
    func write(_ work: [PendingAppend], beforeCommit: (@Sendable (PostgresConnection) async throws -> Void)?)
        async throws -> [Result<[StoredEvent], any Error>]
    {
        try await primary.using { connection in
            try await batch(work, on: connection, beforeCommit: beforeCommit)
        }
    }

    private func batch(
        _ work: [PendingAppend], on connection: PostgresConnection,
        beforeCommit: (@Sendable (PostgresConnection) async throws -> Void)?
    ) async throws -> [Result<[StoredEvent], any Error>] {
        do {
            return try await transaction(on: connection, beforeCommit: beforeCommit) { head in
                try await insertAll(work, after: head, on: connection)
            }
        } catch let error as PSQLError where error.code == .server {
            // One caller: its error is the batch's (a claim the log holds already named as such).
            guard work.count > 1 else { throw EventRows.claimError(error, events: work[0].events) }
            return try await transaction(on: connection, beforeCommit: beforeCommit) { head in
                try await insertEach(work, after: head, on: connection)
            }
        }
    }

    /// `BEGIN`, the head locked, `body`, the head moved and notified, `COMMIT`; `ROLLBACK` on any error.
    private func transaction(
        on connection: PostgresConnection, beforeCommit: (@Sendable (PostgresConnection) async throws -> Void)?,
        _ body: ((seq: Int64, hash: String)) async throws -> (
            results: [Result<[StoredEvent], any Error>], head: Int64, hash: String
        )
    ) async throws -> [Result<[StoredEvent], any Error>] {
        try await connection.query("BEGIN", logger: logger)
        do {
            let start = try await PostgresEventLog.headLink(connection, logger: logger, lock: true)
            let (results, seq, hash) = try await body(start)
            if seq != start.seq {
                try await connection.query(
                    """
                    WITH moved AS (UPDATE event_head SET seq = \(seq), hash = \(hash) RETURNING seq)
                    SELECT pg_notify(\(PostgresEventLog.channel), seq::text) FROM moved
                    """, logger: logger)
            }
            if let beforeCommit { try await beforeCommit(connection) }
            try await connection.query("COMMIT", logger: logger)
            return results
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: logger)
            throw error
        }
    }

    /// Every caller's events in one statement. A caller whose events have no canonical form fails alone, before
    /// anything is sent.
    private func insertAll(
        _ work: [PendingAppend], after head: (seq: Int64, hash: String), on connection: PostgresConnection
    )
        async throws -> (results: [Result<[StoredEvent], any Error>], head: Int64, hash: String)
    {
        var (seq, link) = head
        var results: [Result<[StoredEvent], any Error>] = []
        var rows = EventRows()
        let epoch = try await leaderEpoch(for: work, on: connection)
        var lastSeqs = try await lastSeqs(for: work, on: connection)
        for append in work {
            do {
                try Self.checkFence(append.fence, epoch: epoch)
                try append.condition.map { try $0.check(found: lastSeqs[$0.incident] ?? 0) }
                let stored = try Self.chain(append.events, after: seq, link: link)
                for event in stored { if let incident = event.incident { lastSeqs[incident] = event.seq } }
                seq += Int64(stored.count)
                link = stored.last?.hash ?? link
                rows.add(stored, claims: append.events.map(EventClaim.of))
                results.append(.success(stored))
            } catch {
                results.append(.failure(error))
            }
        }
        if !rows.isEmpty { try await rows.insert(on: connection, logger: logger) }
        return (results, seq, link)
    }

    /// Each caller's events in a savepoint of its own: the slow path, after a duplicate id failed the batch.
    private func insertEach(
        _ work: [PendingAppend], after head: (seq: Int64, hash: String), on connection: PostgresConnection
    )
        async throws -> (results: [Result<[StoredEvent], any Error>], head: Int64, hash: String)
    {
        var (seq, link) = head
        var results: [Result<[StoredEvent], any Error>] = []
        let epoch = try await leaderEpoch(for: work, on: connection)
        var lastSeqs = try await lastSeqs(for: work, on: connection)
        for append in work {
            do {
                try Self.checkFence(append.fence, epoch: epoch)
                try append.condition.map { try $0.check(found: lastSeqs[$0.incident] ?? 0) }
                let stored = try Self.chain(append.events, after: seq, link: link)
                var rows = EventRows()
                rows.add(stored, claims: append.events.map(EventClaim.of))
                try await connection.query("SAVEPOINT append", logger: logger)
                do {
                    try await rows.insert(on: connection, logger: logger)
                    try await connection.query("RELEASE SAVEPOINT append", logger: logger)
                } catch let error as PSQLError where error.code == .server {
                    try await connection.query("ROLLBACK TO SAVEPOINT append", logger: logger)
                    throw EventRows.claimError(error, events: append.events)
                }
                for event in stored { if let incident = event.incident { lastSeqs[incident] = event.seq } }
                seq += Int64(stored.count)
                link = stored.last?.hash ?? link
                results.append(.success(stored))
            } catch let error as PSQLError where error.code != .server {
                throw error
            } catch {
                results.append(.failure(error))
            }
        }
        return (results, seq, link)
    }

    /// The current leader epoch, read with `FOR SHARE` when a caller in the batch is fenced (an election waits for
    /// this transaction); `nil` when none is.
    private func leaderEpoch(for work: [PendingAppend], on connection: PostgresConnection) async throws -> Int64? {
        guard work.contains(where: { $0.fence != nil }) else { return nil }
        for try await epoch in try await connection.query(
            "SELECT epoch FROM watershed_leader FOR SHARE", logger: logger
        ).decode(Int64.self) {
            return epoch
        }
        return 0
    }

    /// The last seq of each incident a caller in the batch has a condition on (``WatershedStore/AppendCondition``),
    /// read under the head lock (no append can commit meanwhile); the batch's own events are added as they are
    /// chained, so a later caller's condition sees an earlier caller's events.
    private func lastSeqs(for work: [PendingAppend], on connection: PostgresConnection) async throws -> [UUID: Int64] {
        let incidents = Array(Set(work.compactMap(\.condition?.incident)))
        guard !incidents.isEmpty else { return [:] }
        var found: [UUID: Int64] = [:]
        for try await (incident, seq) in try await connection.query(
            "SELECT incident, max(seq) FROM event WHERE incident = ANY(\(incidents)) GROUP BY incident", logger: logger
        ).decode((UUID, Int64).self) {
            found[incident] = seq
        }
        return found
    }

    /// Throws ``WatershedStore/EventLogError/fenced(epoch:current:)`` when `fence` is not the current epoch.
    private static func checkFence(_ fence: Int64?, epoch: Int64?) throws {
        if let fence, let epoch, fence != epoch { throw EventLogError.fenced(epoch: fence, current: epoch) }
    }

    /// `events` numbered from `seq + 1` and chained from `link`.
    private static func chain(_ events: [NewEvent], after seq: Int64, link: String) throws -> [StoredEvent] {
        var link = link
        return try events.enumerated().map { offset, event in
            let row = try StoredEvent(
                seq: seq + Int64(offset) + 1, event: event, prevHash: link, chain: EventChain.hash)
            link = row.hash
            return row
        }
    }
}

/// Rows for one `INSERT … SELECT FROM unnest(…)`, a column per array.
struct EventRows {
    var seq: [Int64] = []
    var id: [UUID] = []
    var at: [String] = []
    var incident: [String] = []
    var type: [String] = []
    var exercise: [Bool] = []
    var bytes: [ByteBuffer] = []
    var prevHash: [String] = []
    var hash: [String] = []
    /// ``WatershedStore/EventClaim`` of each event, `""` for none (stored as `NULL`).
    var claim: [String] = []

    var isEmpty: Bool { seq.isEmpty }

    mutating func add(_ stored: [StoredEvent], claims: [String?]) {
        claim += claims.map { $0 ?? "" }
        for row in stored {
            seq.append(row.seq)
            id.append(row.id)
            at.append(CanonicalJSON.timestamp(row.at))
            incident.append(row.incident?.uuidString ?? "")
            type.append(row.type.rawValue)
            exercise.append(row.exercise)
            bytes.append(ByteBuffer(bytes: row.canonicalBytes))
            prevHash.append(row.prevHash)
            hash.append(row.hash)
        }
    }

    func insert(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO event (seq, id, at, incident, type, exercise, bytes, prev_hash, hash, claim)
            SELECT s, i, a, NULLIF(n, '')::uuid, t, e, b, p, h, NULLIF(c, '')
            FROM unnest(\(seq)::bigint[], \(id)::uuid[], \(at)::text[], \(incident)::text[], \(type)::text[],
            \(exercise)::boolean[], \(bytes)::bytea[], \(prevHash)::text[], \(hash)::text[], \(claim)::text[])
            AS r(s, i, a, n, t, e, b, p, h, c)
            """, logger: logger)
    }

    /// ``WatershedStore/EventLogError/claimed(_:)`` for a unique violation of `event_claim_unique`, naming the
    /// claim of `events` that the log holds already (the first of them, if the server's detail does not say);
    /// `error` itself otherwise.
    static func claimError(_ error: PSQLError, events: [NewEvent]) -> any Error {
        guard error.serverInfo?[.constraintName] == "event_claim_unique" else { return error }
        let claims = events.compactMap(EventClaim.of)
        let detail = error.serverInfo?[.detail] ?? ""
        return EventLogError.claimed(claims.first { detail.contains($0) } ?? claims.first ?? detail)
    }
}
