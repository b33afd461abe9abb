import Foundation
import GRDB
import WatershedCore

/// What `cap_held` holds against what the log says it must hold (``EventLog/verifyHeldCAPMessages()``).
public struct HeldCAPVerification: Sendable, Hashable {
    /// Whether the log has run the migration `v6-cap-held-events` (``EventLog/heldEventsMigration``): only then is
    /// every row the projection of events. A log opened read-only that has not (a server older than v6 wrote it, and
    /// no v6 server has opened it since) is not checked: its rows are listed in ``uncovered``.
    public var covered: Bool
    /// The rows in `cap_held`.
    public var rows: Int
    /// The held messages the events say there are (``HeldCAPLedger``); equal to ``rows`` when nothing differs.
    public var held: Int
    /// Each row that differs from the events — missing, added, or with other XML bytes, refusal, peer or receipt
    /// time — and each event of the four types whose payload cannot be read; in identity order. Empty when `cap_held`
    /// is the fold of the events (and when not ``covered``).
    public var problems: [HeldCAPProblem]
    /// When not ``covered``: the identities of the rows, held before v6 and covered by no event; otherwise empty.
    public var uncovered: [CAPIdentity]

    /// Whether `cap_held` is what the events say (or, not ``covered``, was not checked).
    public var holds: Bool { problems.isEmpty }
}

/// One way `cap_held` differs from the events.
public struct HeldCAPProblem: Sendable, Hashable, CustomStringConvertible {
    /// The held message's identity (sender, identifier, sent in UTC); `nil` for an event whose payload cannot be read.
    public var identity: CAPIdentity?
    /// What differs, as a sentence.
    public var reason: String

    public init(identity: CAPIdentity?, reason: String) {
        self.identity = identity
        self.reason = reason
    }

    /// `sender,identifier,sentUTC: reason`, or the reason alone.
    public var description: String { identity.map { "\($0): \(reason)" } ?? reason }
}

extension EventLog {
    /// Compares `cap_held` with the fold of the log's `CAPHeld`, `CAPHeldRefused`, `CAPHeldDropped` and `CAPReceived`
    /// events (``HeldCAPLedger``), row by row: each message the events hold must have its row with the same XML
    /// bytes, refusal, peer and `receivedAt`, and no other row may exist. So a held message edited, added or deleted
    /// in the file outside the log is found, named by its identity.
    ///
    /// Reads in one transaction (a server may keep writing). The events are found by the `type` column, which
    /// ``verifyChain(checkpoint:)`` checks against the stored bytes: call it first, as `watershed audit verify` does.
    ///
    /// - Returns: the comparison; not ``HeldCAPVerification/covered`` for a log that has not run
    ///   ``heldEventsMigration`` (its rows are listed, not checked).
    /// - Throws: `DatabaseError` when the file cannot be read.
    public func verifyHeldCAPMessages() throws -> HeldCAPVerification {
        try writer.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM cap_held").map(Self.heldMessage)
            let migrated =
                try db.tableExists("grdb_migrations")
                && (try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM grdb_migrations WHERE identifier = ?)",
                    arguments: [Self.heldEventsMigration]) ?? false)
            guard migrated else {
                return HeldCAPVerification(
                    covered: false, rows: rows.count, held: 0, problems: [], uncovered: rows.map(\.identity).sorted())
            }
            var ledger = HeldCAPLedger()
            var problems: [HeldCAPProblem] = []
            let types = HeldCAPLedger.eventTypes.map { "'\($0.rawValue)'" }.sorted().joined(separator: ",")
            let events = try Row.fetchCursor(
                db, sql: "SELECT seq, bytes FROM event WHERE type IN (\(types)) ORDER BY seq")
            while let row = try events.next() {
                let seq: Int64 = row["seq"]
                do {
                    ledger.apply(try RecordedEvent(canonicalBytes: row["bytes"]))
                } catch {
                    problems.append(
                        HeldCAPProblem(
                            identity: nil, reason: "event seq \(seq) cannot be read: \(Self.sentence(error))"))
                }
            }
            problems += Self.differences(rows: rows, ledger: ledger)
            return HeldCAPVerification(
                covered: true, rows: rows.count, held: ledger.held.count, problems: problems, uncovered: [])
        }
    }

    /// The rows that differ from `ledger`, in identity order.
    static func differences(rows: [HeldCAPMessage], ledger: HeldCAPLedger) -> [HeldCAPProblem] {
        let byIdentity = Dictionary(rows.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
        var problems: [HeldCAPProblem] = []
        for identity in Set(byIdentity.keys).union(ledger.held.keys).sorted() {
            switch (byIdentity[identity], ledger.held[identity]) {
            case (nil, let entry?):
                problems.append(
                    HeldCAPProblem(
                        identity: identity,
                        reason:
                            "missing from cap_held: event seq \(entry.heldSeq) (CAPHeld) holds it and no later event "
                            + "releases, refuses away or drops it"))
            case (_?, nil):
                let why =
                    ledger.applied.contains(identity)
                    ? "its CAPReceived applied it, which removes it from hold"
                    : "no event holds it"
                problems.append(
                    HeldCAPProblem(identity: identity, reason: "in cap_held, but \(why): a row written outside the log")
                )
            case (let row?, let entry?):
                for difference in differences(row, entry) {
                    problems.append(HeldCAPProblem(identity: identity, reason: difference))
                }
            case (nil, nil):
                break
            }
        }
        return problems
    }

    /// How one row differs from its entry, one sentence per column.
    private static func differences(_ row: HeldCAPMessage, _ entry: HeldCAPLedger.Entry) -> [String] {
        var found: [String] = []
        let xml = Data(entry.xml.utf8)
        if row.xml != xml {
            let at =
                zip(row.xml, xml).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                ?? min(
                    row.xml.count, xml.count)
            found.append(
                "the XML in cap_held (\(row.xml.count) bytes) is not what event seq \(entry.heldSeq) holds "
                    + "(\(xml.count) bytes): they differ from byte \(at) on")
        }
        if row.refusal != entry.refusal {
            found.append(
                "cap_held says \(row.refusal.map { "refused (\"\($0)\")" } ?? "waiting"), the events say "
                    + (entry.refusal.map { "refused (\"\($0)\")" } ?? "waiting"))
        }
        if row.peer != entry.peer {
            found.append("cap_held says peer \(row.peer), event seq \(entry.heldSeq) says \(entry.peer)")
        }
        if CanonicalJSON.timestamp(row.receivedAt) != CanonicalJSON.timestamp(entry.receivedAt) {
            found.append(
                "cap_held says received at \(CanonicalJSON.timestamp(row.receivedAt)), event seq \(entry.heldSeq) "
                    + "says \(CanonicalJSON.timestamp(entry.receivedAt))")
        }
        return found
    }
}
