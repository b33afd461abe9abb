import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore
import WatershedTestSupport

/// `verifyChain()` recomputes the chain from the stored bytes and names the first bad seq.
@Suite struct ChainVerificationTests {
    /// Ten events in a fresh log at `path`.
    static func tenEvents(_ path: String) async throws -> (EventLog, [StoredEvent]) {
        let log = try EventLog.open(path: path)
        let stored = try await log.append((1...10).map { numbered(writer: 0, number: $0, incident: incidentID) })
        return (log, stored)
    }

    /// Lets the test change stored rows with raw SQL, as someone with the file could.
    static func dropGuards(_ log: EventLog) throws {
        try log.writer.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER event_no_update; DROP TRIGGER event_no_delete")
        }
    }

    @Test func freshLogIsIntact() async throws {
        try await withTemporaryFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            #expect(try log.verifyChain() == .intact(count: 0, head: 0))
            _ = try await log.append([numbered(writer: 0, number: 1)])
            #expect(try log.verifyChain() == .intact(count: 1, head: 1))
        }
    }

    @Test func rowsCannotBeChangedThroughSQLWhileTheGuardsStand() async throws {
        try await withTemporaryFolder { folder in
            let (log, _) = try await Self.tenEvents(folder + "/watershed.sqlite")
            #expect(throws: DatabaseError.self) {
                try log.writer.write { db in try db.execute(sql: "UPDATE event SET type = 'TaskDone' WHERE seq = 3") }
            }
            #expect(throws: DatabaseError.self) {
                try log.writer.write { db in try db.execute(sql: "DELETE FROM event WHERE seq = 10") }
            }
            #expect(try log.verifyChain() == .intact(count: 10, head: 10))
        }
    }

    @Test(arguments: [1, 6, 10])
    func oneFlippedByteNamesItsSeq(seq: Int) async throws {
        try await withTemporaryFolder { folder in
            let (log, stored) = try await Self.tenEvents(folder + "/watershed.sqlite")
            try Self.dropGuards(log)
            var tampered = stored[seq - 1].canonicalBytes
            // Flip one bit of the digit in `"number":N`, the payload, keeping the JSON valid.
            let index = tampered.firstRange(of: Data(#""number":"#.utf8))!.upperBound
            tampered[index] ^= 0x01
            let bytes = tampered
            try await log.writer.write { db in
                try db.execute(sql: "UPDATE event SET bytes = ? WHERE seq = ?", arguments: [bytes, seq])
            }
            guard case .broken(let brokenSeq, let reason) = try log.verifyChain() else {
                Issue.record("chain reported intact")
                return
            }
            #expect(brokenSeq == Int64(seq))
            #expect(reason.hasPrefix("hash mismatch"))
        }
    }

    /// Rewriting an event's bytes and its hash consistently breaks the next link instead.
    @Test func rewrittenHashBreaksTheNextLink() async throws {
        try await withTemporaryFolder { folder in
            let (log, stored) = try await Self.tenEvents(folder + "/watershed.sqlite")
            try Self.dropGuards(log)
            var tampered = stored[5].canonicalBytes
            let index = tampered.firstRange(of: Data(#""number":"#.utf8))!.upperBound
            tampered[index] = UInt8(ascii: "9")
            let hash = EventChain.hash(prevHash: stored[5].prevHash, canonicalBytes: tampered)
            let bytes = tampered
            try await log.writer.write { db in
                try db.execute(sql: "UPDATE event SET bytes = ?, hash = ? WHERE seq = 6", arguments: [bytes, hash])
            }
            guard case .broken(let seq, let reason) = try log.verifyChain() else {
                Issue.record("chain reported intact")
                return
            }
            #expect(seq == 7)
            #expect(reason.hasPrefix("prevHash"))
        }
    }

    @Test func missingRowIsAGap() async throws {
        try await withTemporaryFolder { folder in
            let (log, _) = try await Self.tenEvents(folder + "/watershed.sqlite")
            try Self.dropGuards(log)
            try await log.writer.write { db in try db.execute(sql: "DELETE FROM event WHERE seq = 4") }
            #expect(try log.verifyChain() == .broken(seq: 5, reason: "seq gap: expected seq 4, found 5"))
        }
    }

    /// Bytes copied from another event (valid hash chain rebuilt over them) still do not say this row's seq.
    @Test func bytesOfAnotherSeqAreNamed() async throws {
        try await withTemporaryFolder { folder in
            let (log, stored) = try await Self.tenEvents(folder + "/watershed.sqlite")
            try Self.dropGuards(log)
            let bytes = stored[8].canonicalBytes
            let hash = EventChain.hash(prevHash: stored[9].prevHash, canonicalBytes: bytes)
            try await log.writer.write { db in
                try db.execute(sql: "UPDATE event SET bytes = ?, hash = ? WHERE seq = 10", arguments: [bytes, hash])
            }
            guard case .broken(let seq, let reason) = try log.verifyChain() else {
                Issue.record("chain reported intact")
                return
            }
            #expect(seq == 10)
            #expect(reason.contains("stored bytes are event seq 9"))
        }
    }

    /// A checkpoint with a mark at every event of `stored` (what a server flushing after each commit would keep).
    static func everyMark(_ stored: [StoredEvent]) -> ChainCheckpoint {
        var checkpoint = ChainCheckpoint()
        for event in stored { checkpoint.record(.init(seq: event.seq, hash: event.hash)) }
        return checkpoint
    }

    /// Issue 15, item 16: the `exercise` column decides whether a drill token sees an event, and is not hashed; a
    /// flipped one is named by its seq.
    @Test func flippedExerciseColumnNamesItsSeq() async throws {
        try await withTemporaryFolder { folder in
            let (log, _) = try await Self.tenEvents(folder + "/watershed.sqlite")
            try Self.dropGuards(log)
            try await log.writer.write { db in try db.execute(sql: "UPDATE event SET exercise = 1 WHERE seq = 4") }
            #expect(
                try log.verifyChain()
                    == .broken(seq: 4, reason: "the exercise column holds 1, but the stored bytes say 0"))
        }
    }

    /// Every other column derived from the bytes is checked too; each change names seq 3.
    @Test(arguments: [
        ("type", "'TaskDone'"), ("incident", "NULL"), ("at", "'2026-01-15T08:00:09.000Z'"), ("exercise", "2"),
    ])
    func changedDerivedColumnNamesItsSeq(column: String, value: String) async throws {
        try await withTemporaryFolder { folder in
            let (log, _) = try await Self.tenEvents(folder + "/watershed.sqlite")
            try Self.dropGuards(log)
            try await log.writer.write { db in
                try db.execute(sql: "UPDATE event SET \(column) = \(value) WHERE seq = 3")
            }
            guard case .broken(let seq, let reason) = try log.verifyChain() else {
                Issue.record("chain reported intact after changing \(column)")
                return
            }
            #expect(seq == 3)
            #expect(reason.hasPrefix("the \(column) column holds"), "\(reason)")
        }
    }

    /// Deleting the newest rows leaves a chain that is consistent with itself; the checkpoint names the first
    /// missing seq, in the whole check and in the start-up tail check.
    @Test func deletedNewestRowsAreFoundByTheCheckpoint() async throws {
        try await withTemporaryFolder { folder in
            let (log, stored) = try await Self.tenEvents(folder + "/watershed.sqlite")
            let checkpoint = Self.everyMark(stored)
            try Self.dropGuards(log)
            try await log.writer.write { db in try db.execute(sql: "DELETE FROM event WHERE seq >= 9") }
            #expect(try log.verifyChain() == .intact(count: 8, head: 8))
            let expected = ChainVerification.broken(
                seq: 9,
                reason: "the log ends at seq 8, but the checkpoint says seq 10 was committed (hash \(stored[9].hash)): "
                    + "seqs 9…10 are missing")
            #expect(try log.verifyChain(checkpoint: checkpoint) == expected)
            #expect(try log.verifyTail(checkpoint: checkpoint) == expected)
        }
    }

    /// Rewriting seq 6 and recomputing every hash after it: intact without a checkpoint, seq 6 named with one.
    @Test func rewriteWithRecomputedHashesIsFoundByTheCheckpoint() async throws {
        try await withTemporaryFolder { folder in
            let (log, stored) = try await Self.tenEvents(folder + "/watershed.sqlite")
            var checkpoint = Self.everyMark(stored)
            try Self.dropGuards(log)
            var tampered = stored[5].canonicalBytes
            let index = tampered.firstRange(of: Data(#""number":"#.utf8))!.upperBound
            tampered[index] = UInt8(ascii: "9")
            var previous = stored[4].hash
            var rows: [(Int64, Data, String, String)] = []
            for event in stored[5...] {
                let bytes = event.seq == 6 ? tampered : event.canonicalBytes
                let hash = EventChain.hash(prevHash: previous, canonicalBytes: bytes)
                rows.append((event.seq, bytes, previous, hash))
                previous = hash
            }
            let rewritten = rows
            try await log.writer.write { db in
                for (seq, bytes, prevHash, hash) in rewritten {
                    try db.execute(
                        sql: "UPDATE event SET bytes = ?, prevHash = ?, hash = ? WHERE seq = ?",
                        arguments: [bytes, prevHash, hash, seq])
                }
            }
            #expect(try log.verifyChain() == .intact(count: 10, head: 10))
            guard case .broken(let seq, let reason) = try log.verifyChain(checkpoint: checkpoint) else {
                Issue.record("a rewrite with recomputed hashes passed the checkpoint")
                return
            }
            #expect(seq == 6)
            #expect(reason.contains("seq 6 was rewritten"), "\(reason)")
            // The start-up check compares the newest mark: seq 10's hash changed with the rewrite.
            guard case .broken(let tailSeq, _) = try log.verifyTail(checkpoint: checkpoint) else {
                Issue.record("the tail check passed a rewritten chain")
                return
            }
            #expect(tailSeq == 10)
            // With marks at seqs 3 and 10 only, the rewrite is placed between them.
            checkpoint = ChainCheckpoint()
            checkpoint.record(.init(seq: 3, hash: stored[2].hash))
            checkpoint.record(.init(seq: 10, hash: stored[9].hash))
            guard case .broken(let sparseSeq, let sparseReason) = try log.verifyChain(checkpoint: checkpoint) else {
                Issue.record("a rewrite passed sparse marks")
                return
            }
            #expect(sparseSeq == 10)
            #expect(sparseReason.contains("an event in seqs 4…10 was rewritten"), "\(sparseReason)")
        }
    }

    /// An intact log passes its own checkpoint, the tail check counts from the newest mark, and a log that grew past
    /// the checkpoint passes too.
    @Test func intactLogPassesItsCheckpoint() async throws {
        try await withTemporaryFolder { folder in
            let (log, stored) = try await Self.tenEvents(folder + "/watershed.sqlite")
            var checkpoint = ChainCheckpoint()
            checkpoint.record(.init(seq: 7, hash: stored[6].hash))
            #expect(try log.verifyChain(checkpoint: checkpoint) == .intact(count: 10, head: 10))
            #expect(try log.verifyTail(checkpoint: checkpoint) == .intact(count: 4, head: 10))
            #expect(try log.verifyTail(checkpoint: nil) == .intact(count: 10, head: 10))
            checkpoint.record(.init(seq: 8, hash: String(repeating: "a", count: 64)))
            guard case .broken(let seq, _) = try log.verifyTail(checkpoint: checkpoint) else {
                Issue.record("a mark with another hash passed")
                return
            }
            #expect(seq == 8)
        }
    }
}
