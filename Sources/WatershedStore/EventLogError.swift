import Foundation

/// Why the event log could not be opened, read or written.
public enum EventLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No file at `path` (only when opening read-only, which never creates one).
    case notFound(path: String)
    /// SQLite or the migrations failed while opening `path`; `reason` is SQLite's or the migrator's sentence.
    case cannotOpen(path: String, reason: String)
    /// The SQLite file or PostgreSQL database at `path` holds no event log (no `event` table).
    case notAnEventLog(path: String)
    /// The file at `path` was migrated by a newer Watershed: it has migrations this one does not know.
    case newerSchema(path: String, unknownMigrations: [String])
    /// The log at `path` was opened read-only and cannot take appends.
    case readOnly(path: String)
    /// A singleton's append carried the leader epoch `epoch`, but another node has led since (`current`): this node
    /// lost its leadership (paused, cut off) and must not act as leader (issue 18, "fencing").
    case fenced(epoch: Int64, current: Int64)
    /// The stored bytes of `seq` do not decode as an event (see `verifyChain()` for the whole chain).
    case unreadableEvent(seq: Int64, reason: String)
    /// An event claimed what an event in the log claimed already (``EventClaim``): the same CAP message applied, or
    /// the same neighbour's event stored, twice — perhaps by another node. Nothing of that append was written.
    case claimed(String)
    /// An append's ``AppendCondition`` did not hold: the incident's last event is seq `found`, not `expected` (another
    /// node, or another path of this one, committed to it since the decision). Nothing of that append was written.
    case stale(incident: UUID, expected: Int64, found: Int64)

    /// One sentence naming the file or seq and what is wrong.
    public var description: String {
        switch self {
        case .notFound(let path): return "no event log at \(path)"
        case .cannotOpen(let path, let reason): return "cannot open the event log at \(path): \(reason)"
        case .notAnEventLog(let path): return "\(path) is a database but holds no event log"
        case .newerSchema(let path, let unknown):
            return "\(path) was written by a newer Watershed (unknown migrations: "
                + unknown.joined(separator: ", ") + ")"
        case .readOnly(let path): return "the event log at \(path) is open read-only"
        case .fenced(let epoch, let current):
            return "this node led as epoch \(epoch), but epoch \(current) has taken over: the append was refused"
        case .unreadableEvent(let seq, let reason): return "event seq \(seq) cannot be read: \(reason)"
        case .claimed(let claim): return "the log holds \(claim) already: nothing was appended"
        case .stale(let incident, let expected, let found):
            return "incident \(incident.uuidString) changed (its last event is seq \(found), not \(expected)): "
                + "nothing was appended"
        }
    }
}

/// The result of recomputing the hash chain from the stored bytes.
public enum ChainVerification: Equatable, Sendable {
    /// Every event checked: `count` events, seqs 1…`head` without gaps, each hash recomputed from its stored bytes.
    /// An empty log is `.intact(count: 0, head: 0)`.
    case intact(count: Int, head: Int64)
    /// The first event that does not hold: its `seq` and a sentence saying what is wrong (a seq gap, a `prevHash`
    /// that is not the previous hash, a hash that does not match the stored bytes, bytes that are not that event, a
    /// column derived from the bytes that says otherwise, a hash that is not the checkpoint's for that seq, or — the
    /// seq after the head — events the checkpoint saw committed that are missing).
    case broken(seq: Int64, reason: String)
}
