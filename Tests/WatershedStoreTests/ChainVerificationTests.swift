import Foundation
import GRDB
import Testing
import WatershedCore
import WatershedStore

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
}
