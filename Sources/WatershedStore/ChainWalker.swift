import Foundation
import WatershedCore

/// The chain check of one stored row after another, the same for every backend (``EventLog/verifyChain(checkpoint:)``
/// and the PostgreSQL log's): each backend reads its rows in seq order and hands them here.
///
/// For seq `first`, `first + 1`, …: the seq follows the previous one; `prevHash` equals the previous event's `hash`
/// (64 zeros for seq 1); `hash` equals SHA-256(`prevHash` ‖ stored bytes) (``EventChain``); the bytes decode as an
/// event; the backend's columns agree with it (`columns`); at each checkpoint mark's seq the hash is the mark's.
public struct ChainWalker: Sendable {
    private var expected: Int64
    private var previous: String?
    private var count = 0
    private let marks: [ChainCheckpoint.Mark]
    private var nextMark: Int

    /// Starts at seq `first`. `previous` is the hash seq `first - 1` must link to (`nil`: the first row's `prevHash`
    /// is taken as it is); `marks` are checkpoint marks, none below `first`, in seq order.
    public init(from first: Int64, previous: String?, marks: [ChainCheckpoint.Mark]) {
        self.expected = first
        self.previous = previous
        self.marks = marks
        self.nextMark = marks.startIndex
    }

    /// Checks the next stored row; `nil` when it holds, `.broken(seq:reason:)` at the first problem (stop there).
    ///
    /// - Parameter columns: the backend's check of its own columns (`id`, `at`, `incident`, `type`, `exercise`)
    ///   against the event the bytes decode to: a sentence naming the first column that differs, or `nil`.
    public mutating func check(
        seq: Int64, bytes: Data, prevHash: String, hash: String, columns: (StoredEvent) -> String?
    ) -> ChainVerification? {
        guard seq == expected else {
            return .broken(seq: seq, reason: "seq gap: expected seq \(expected), found \(seq)")
        }
        if let previous, prevHash != previous {
            return .broken(seq: seq, reason: "prevHash \(prevHash) is not the hash of seq \(seq - 1) (\(previous))")
        }
        let computed = EventChain.hash(prevHash: prevHash, canonicalBytes: bytes)
        guard computed == hash else {
            return .broken(
                seq: seq, reason: "hash mismatch: stored \(hash), computed from the stored bytes \(computed)")
        }
        let event: StoredEvent
        do {
            event = try StoredEvent(canonicalBytes: bytes, prevHash: prevHash, hash: hash)
        } catch {
            return .broken(seq: seq, reason: "stored bytes are not an event: \(EventLog.sentence(error))")
        }
        guard event.seq == seq else {
            return .broken(seq: seq, reason: "stored bytes are event seq \(event.seq), the row says seq \(seq)")
        }
        if let problem = columns(event) { return .broken(seq: seq, reason: problem) }
        if let broken = checkMark(seq: seq, hash: hash) { return broken }
        previous = hash
        expected += 1
        count += 1
        return nil
    }

    /// At a checkpoint mark's seq, the stored hash must be the mark's: a rewrite with every later hash recomputed is
    /// found between two marks.
    private mutating func checkMark(seq: Int64, hash: String) -> ChainVerification? {
        while nextMark < marks.endIndex, marks[nextMark].seq < seq { nextMark += 1 }
        guard nextMark < marks.endIndex, marks[nextMark].seq == seq else { return nil }
        let mark = marks[nextMark]
        guard hash == mark.hash else {
            let after = nextMark > marks.startIndex ? marks[nextMark - 1].seq : 0
            let place =
                after + 1 == seq ? "seq \(seq) was rewritten" : "an event in seqs \(after + 1)…\(seq) was rewritten"
            return .broken(
                seq: seq,
                reason: "hash \(hash) is not the checkpoint's \(mark.hash) for seq \(seq): \(place) "
                    + "and the hashes after it recomputed")
        }
        nextMark += 1
        return nil
    }

    /// The verdict once every row was checked: intact, or broken where the log ends before the newest mark
    /// (deleted newest rows).
    public func finish() -> ChainVerification {
        if let newest = marks.last, newest.seq >= expected { return Self.missing(after: expected - 1, newest: newest) }
        return .intact(count: count, head: expected - 1)
    }

    /// The log ends at `head`, before the newest checkpoint mark: the first missing seq, and which are missing.
    public static func missing(after head: Int64, newest: ChainCheckpoint.Mark) -> ChainVerification {
        let first = head + 1
        return .broken(
            seq: first,
            reason: "the log ends at seq \(head), but the checkpoint says seq \(newest.seq) was committed "
                + "(hash \(newest.hash)): "
                + (newest.seq == first ? "seq \(first) is" : "seqs \(first)…\(newest.seq) are") + " missing")
    }
}
