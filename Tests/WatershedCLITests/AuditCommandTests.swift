import Foundation
import GRDB
import Testing
import WatershedCLI
import WatershedCore
import WatershedStore

/// `watershed audit verify --data DIR` on real logs in a temporary folder.
@Suite struct AuditCommandTests {
    /// Runs `body` with a new data folder, removed afterwards.
    func withDataFolder(_ body: (String) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("watershed-audit-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await body(folder)
    }

    /// Three events in `<folder>/watershed.sqlite`.
    func threeEvents(_ folder: String) async throws -> (EventLog, [StoredEvent]) {
        let log = try EventLog.open(path: folder + "/watershed.sqlite")
        let stored = try await log.append(
            (1...3).map { number in
                NewEvent(
                    at: Date(timeIntervalSince1970: 1_768_464_000 + Double(number)), type: .taskAcknowledged,
                    actor: .system(component: "test"), payload: ["number": .number(Double(number))])
            })
        return (log, stored)
    }

    @Test func intactChain() async throws {
        try await withDataFolder { folder in
            let (_, stored) = try await threeEvents(folder)
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0, "\(result.err)")
            #expect(
                result.out == "chain intact: 3 events, head seq 3, head hash \(stored[2].hash)\n"
                    + "no checkpoint marks in \(folder)/chain-checkpoint.json: deleted newest events would not be "
                    + "noticed (a server writes it as the log grows)\n"
                    + "cap_held matches the log: 0 held CAP messages, as the CAPHeld, CAPHeldRefused, "
                    + "CAPHeldDropped and CAPReceived events say\n")
            #expect(result.err.isEmpty)
        }
    }

    /// `--expect SEQ:HASH` (what an after-action report prints): the events' own hashes pass, each named; another
    /// hash, or a seq past the head, is exit 1 naming the seq; a malformed one is a usage error.
    @Test func expectedEventsAreCheckedByTheirHash() async throws {
        try await withDataFolder { folder in
            let (_, stored) = try await threeEvents(folder)
            let ok = await runWatershed([
                "audit", "verify", "--data", folder, "--expect", "1:\(stored[0].hash)", "--expect",
                "3:\(stored[2].hash)",
            ])
            #expect(ok.code == 0, "\(ok.err)")
            #expect(
                ok.out.hasSuffix(
                    "seq 1 has hash \(stored[0].hash), as expected\nseq 3 has hash \(stored[2].hash), as expected\n"))
            let wrong = await runWatershed([
                "audit", "verify", "--data", folder, "--expect", "2:\(stored[0].hash)", "--expect",
                "4:\(stored[2].hash)",
            ])
            #expect(wrong.code == 1)
            #expect(
                wrong.err.contains(
                    "seq 2: the log has hash \(stored[1].hash), not \(stored[0].hash)\n  seq 4: the log has no such event"
                ))
            let malformed = await runWatershed(["audit", "verify", "--data", folder, "--expect", "2:ABC"])
            #expect(malformed.code == 2)
        }
    }

    @Test func emptyLogIsIntact() async throws {
        try await withDataFolder { folder in
            _ = try EventLog.open(path: folder + "/watershed.sqlite")
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0)
            #expect(
                result.out.hasPrefix(
                    "chain intact: 0 events, head seq 0, head hash \(String(repeating: "0", count: 64))\n"))
        }
    }

    /// One byte of seq 2's stored bytes changed with raw SQL: exit 1 and the message names seq 2.
    @Test func changedByteNamesTheSeq() async throws {
        try await withDataFolder { folder in
            let (log, stored) = try await threeEvents(folder)
            var bytes = stored[1].canonicalBytes
            let index = bytes.firstRange(of: Data(#""number":"#.utf8))!.upperBound
            bytes[index] = UInt8(ascii: "7")
            let tampered = bytes
            try await log.writer.writeWithoutTransaction { db in
                try db.execute(sql: "DROP TRIGGER event_no_update")
                try db.execute(sql: "UPDATE event SET bytes = ? WHERE seq = 2", arguments: [tampered])
            }
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(result.out.isEmpty)
            #expect(result.err.hasPrefix("chain broken at seq 2: hash mismatch"), "\(result.err)")
        }
    }

    @Test func missingLogIsAUsageError() async throws {
        try await withDataFolder { folder in
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 2)
            #expect(result.err.contains("no event log at \(folder)/watershed.sqlite"), "\(result.err)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/watershed.sqlite"))
        }
    }

    @Test func missingDataOptionIsAUsageError() async {
        let result = await runWatershed(["audit", "verify"])
        #expect(result.code == 2)
        #expect(result.err.contains("--data"), "\(result.err)")
    }

    @Test func fileThatIsNotALogIsRefused() async throws {
        try await withDataFolder { folder in
            try Data(String(repeating: "not sqlite\n", count: 200).utf8)
                .write(to: URL(fileURLWithPath: folder + "/watershed.sqlite"))
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(result.err.contains("not a database"), "\(result.err)")
        }
    }

    /// Ten events with a checkpoint holding a mark at each (as a server flushing after every commit keeps).
    func tenEventsWithCheckpoint(_ folder: String) async throws -> (EventLog, [StoredEvent]) {
        let log = try EventLog.open(path: folder + "/watershed.sqlite")
        let checkpointer = ChainCheckpointer(directory: folder, checkpoint: ChainCheckpoint())
        log.onCommit { checkpointer.observe($0) }
        var stored: [StoredEvent] = []
        for number in 1...10 {
            stored += try await log.append([
                NewEvent(
                    at: Date(timeIntervalSince1970: 1_768_464_000 + Double(number)), type: .taskAcknowledged,
                    actor: .system(component: "test"), payload: ["number": .number(Double(number))])
            ])
            try checkpointer.flush()
        }
        return (log, stored)
    }

    /// Raw SQL on the log, the append-only guards dropped first (as someone with the file could).
    func tamper(_ log: EventLog, _ body: @escaping @Sendable (Database) throws -> Void) async throws {
        try await log.writer.writeWithoutTransaction { db in
            try db.execute(sql: "DROP TRIGGER IF EXISTS event_no_update; DROP TRIGGER IF EXISTS event_no_delete")
            try body(db)
        }
    }

    @Test func intactChainWithCheckpoint() async throws {
        try await withDataFolder { folder in
            let (_, stored) = try await tenEventsWithCheckpoint(folder)
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0, "\(result.err)")
            #expect(
                result.out == "chain intact: 10 events, head seq 10, head hash \(stored[9].hash)\n"
                    + "checkpoint holds: 10 marks up to seq 10 match\n"
                    + "cap_held matches the log: 0 held CAP messages, as the CAPHeld, CAPHeldRefused, "
                    + "CAPHeldDropped and CAPReceived events say\n")
        }
    }

    /// Issue 15, item 16: the newest rows deleted — exit 1 naming seq 8, the first missing one, and the reset.
    @Test func deletedNewestRowsNameTheFirstMissingSeq() async throws {
        try await withDataFolder { folder in
            let (log, _) = try await tenEventsWithCheckpoint(folder)
            try await tamper(log) { db in try db.execute(sql: "DELETE FROM event WHERE seq >= 8") }
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(
                result.err.hasPrefix("chain broken at seq 8: the log ends at seq 7, but the checkpoint says seq 10"),
                "\(result.err)")
            #expect(result.err.contains("seqs 8…10 are missing"))
            #expect(result.err.contains("`watershed audit checkpoint --reset --data \(folder)`"))
        }
    }

    /// Issue 15, item 16: seq 4 rewritten with every hash after it recomputed — exit 1 naming seq 4.
    @Test func rewrittenEventWithRecomputedHashesNamesItsSeq() async throws {
        try await withDataFolder { folder in
            let (log, stored) = try await tenEventsWithCheckpoint(folder)
            var bytes = stored[3].canonicalBytes
            let index = bytes.firstRange(of: Data(#""number":"#.utf8))!.upperBound
            bytes[index] = UInt8(ascii: "9")
            var previous = stored[2].hash
            var rows: [(Int64, Data, String, String)] = []
            for event in stored[3...] {
                let eventBytes = event.seq == 4 ? bytes : event.canonicalBytes
                let hash = EventChain.hash(prevHash: previous, canonicalBytes: eventBytes)
                rows.append((event.seq, eventBytes, previous, hash))
                previous = hash
            }
            let rewritten = rows
            try await tamper(log) { db in
                for (seq, bytes, prevHash, hash) in rewritten {
                    try db.execute(
                        sql: "UPDATE event SET bytes = ?, prevHash = ?, hash = ? WHERE seq = ?",
                        arguments: [bytes, prevHash, hash, seq])
                }
            }
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(result.err.hasPrefix("chain broken at seq 4: hash "), "\(result.err)")
            #expect(result.err.contains("seq 4 was rewritten and the hashes after it recomputed"), "\(result.err)")
        }
    }

    /// Issue 15, item 16: the `exercise` column flipped (not covered by the hash) — exit 1 naming seq 5.
    @Test func flippedExerciseColumnNamesItsSeq() async throws {
        try await withDataFolder { folder in
            let (log, _) = try await tenEventsWithCheckpoint(folder)
            try await tamper(log) { db in try db.execute(sql: "UPDATE event SET exercise = 1 WHERE seq = 5") }
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 1)
            #expect(
                result.err == "chain broken at seq 5: the exercise column holds 1, but the stored bytes say 0\n",
                "\(result.err)")
        }
    }

    /// After a restore from an older backup: `audit checkpoint --reset` verifies the chain and sets the checkpoint
    /// to the restored head, and `audit verify` passes again; a running server's lock refuses the reset.
    @Test func resetAfterRestoreFromBackup() async throws {
        try await withDataFolder { folder in
            let (log, stored) = try await tenEventsWithCheckpoint(folder)
            // The "backup" held seqs 1…6: the newer ones are gone.
            try await tamper(log) { db in try db.execute(sql: "DELETE FROM event WHERE seq > 6") }
            #expect(await runWatershed(["audit", "verify", "--data", folder]).code == 1)

            let server = try DataDirectory.lock(folder)
            let locked = await runWatershed(["audit", "checkpoint", "--reset", "--data", folder])
            #expect(locked.code == 1)
            #expect(locked.err.contains("in use by process \(getpid())"), "\(locked.err)")
            server.release()

            let reset = await runWatershed(["audit", "checkpoint", "--reset", "--data", folder])
            #expect(reset.code == 0, "\(reset.err)")
            #expect(
                reset.out
                    == "checkpoint reset to seq 6, hash \(stored[5].hash) (was seq 10, hash \(stored[9].hash))\n")
            let verify = await runWatershed(["audit", "verify", "--data", folder])
            #expect(verify.code == 0, "\(verify.err)")
            #expect(verify.out.contains("checkpoint holds: 1 mark up to seq 6 match\n"), "\(verify.out)")
            let shown = await runWatershed(["audit", "checkpoint", "--data", folder])
            #expect(shown.out.hasSuffix("newest: seq 6\n"), "\(shown.out)")
        }
    }

    /// A reset refuses a chain that is broken in itself, and writes nothing.
    @Test func resetRefusesABrokenChain() async throws {
        try await withDataFolder { folder in
            let (log, _) = try await tenEventsWithCheckpoint(folder)
            let before = try Data(contentsOf: URL(fileURLWithPath: ChainCheckpoint.file(in: folder)))
            try await tamper(log) { db in try db.execute(sql: "DELETE FROM event WHERE seq = 3") }
            let reset = await runWatershed(["audit", "checkpoint", "--reset", "--data", folder])
            #expect(reset.code == 1)
            #expect(reset.err.contains("the chain itself is broken at seq 4"), "\(reset.err)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: ChainCheckpoint.file(in: folder))) == before)
        }
    }

    /// Two held CAP messages, one refused, stored as events with their `cap_held` rows: verify says they match.
    func twoHeld(_ folder: String) async throws -> EventLog {
        let log = try EventLog.open(path: folder + "/watershed.sqlite")
        for identifier in ["U-1", "U-2"] {
            try await log.holdCAPMessage(
                HeldCAPMessage(
                    sender: "hsas@dhs.gov", identifier: identifier, sentUTC: "2003-04-02T19:39:01-00:00",
                    peer: "440000", receivedAt: Date(timeIntervalSince1970: 1_768_464_000),
                    xml: Data("<alert><identifier>\(identifier)</identifier></alert>".utf8)),
                waitingFor: ["hsas@dhs.gov,A-1,2003-04-02T19:39:01-00:00"], exercise: false)
        }
        try await log.refuseHeldCAPMessage(
            CAPIdentity(sender: "hsas@dhs.gov", identifier: "U-2", sentUTC: "2003-04-02T19:39:01-00:00"),
            reason: "expired: held too long", at: Date(timeIntervalSince1970: 1_768_464_060),
            actor: .system(component: "cap-ingest"), exercise: false)
        return log
    }

    @Test func heldMessagesThatMatchTheirEvents() async throws {
        try await withDataFolder { folder in
            _ = try await twoHeld(folder)
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0, "\(result.err)")
            #expect(
                result.out.hasSuffix(
                    "cap_held matches the log: 2 held CAP messages, as the CAPHeld, CAPHeldRefused, CAPHeldDropped "
                        + "and CAPReceived events say\n"), "\(result.out)")
            #expect(result.err.isEmpty)
        }
    }

    /// A held message edited, deleted or added with raw SQL on the file: the chain is intact (it says so on standard
    /// output), but verify exits 1 naming the message's identity and what differs.
    @Test func heldMessagesChangedOutsideTheLogAreNamed() async throws {
        let cases = [
            (
                "UPDATE cap_held SET xml = CAST('<alert>edited</alert>' AS BLOB) WHERE identifier = 'U-1'",
                "hsas@dhs.gov,U-1,2003-04-02T19:39:01-00:00: the XML in cap_held (21 bytes) is not what event seq 1 "
                    + "holds (43 bytes): they differ from byte 7 on"
            ),
            (
                "UPDATE cap_held SET refusal = NULL WHERE identifier = 'U-2'",
                #"hsas@dhs.gov,U-2,2003-04-02T19:39:01-00:00: cap_held says waiting, the events say refused "#
                    + #"("expired: held too long")"#
            ),
            (
                "DELETE FROM cap_held WHERE identifier = 'U-2'",
                "hsas@dhs.gov,U-2,2003-04-02T19:39:01-00:00: missing from cap_held: event seq 2 (CAPHeld) holds it "
                    + "and no later event releases, refuses away or drops it"
            ),
            (
                """
                INSERT INTO cap_held (sender, identifier, sentUTC, peer, receivedAt, xml)
                VALUES ('hsas@dhs.gov', 'U-7', '2003-04-02T19:39:01-00:00', '440000', '2026-01-15T08:00:00.000Z',
                        CAST('<alert/>' AS BLOB))
                """,
                "hsas@dhs.gov,U-7,2003-04-02T19:39:01-00:00: in cap_held, but no event holds it: a row written "
                    + "outside the log"
            ),
        ]
        for (sql, line) in cases {
            try await withDataFolder { folder in
                let log = try await twoHeld(folder)
                try await log.writer.write { db in try db.execute(sql: sql) }
                let result = await runWatershed(["audit", "verify", "--data", folder])
                #expect(result.code == 1, "\(sql)")
                #expect(result.out.hasPrefix("chain intact: 3 events, head seq 3"), "\(result.out)")
                #expect(
                    result.err
                        == "cap_held differs from the log (1 problem): a held CAP message was written outside the "
                        + "event log\n  \(line)\n", "\(result.err)")
            }
        }
    }

    /// A log from before v6 with a held row (v6 taken out of the migrations table): verify checks the chain, says
    /// the row is not covered, and exits 0.
    @Test func heldMessagesBeforeV6AreListedAsNotCovered() async throws {
        try await withDataFolder { folder in
            let log = try EventLog.open(path: folder + "/watershed.sqlite")
            try await log.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO cap_held (sender, identifier, sentUTC, peer, receivedAt, xml)
                        VALUES ('hsas@dhs.gov', 'U-1', '2003-04-02T19:39:01-00:00', '440000',
                                '2026-01-15T08:00:00.000Z', CAST('<alert/>' AS BLOB));
                        DELETE FROM grdb_migrations WHERE identifier = 'v6-cap-held-events';
                        """)
            }
            let result = await runWatershed(["audit", "verify", "--data", folder])
            #expect(result.code == 0, "\(result.err)")
            #expect(
                result.out.hasSuffix(
                    "cap_held not checked: 1 held CAP message stored before migration v6-cap-held-events, covered by "
                        + "no event (a server of that version or later records them when it opens the log): "
                        + "hsas@dhs.gov,U-1,2003-04-02T19:39:01-00:00\n"), "\(result.out)")
        }
    }
}
