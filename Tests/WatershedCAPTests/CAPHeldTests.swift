import Foundation
import GRDB
import Testing
import WatershedCAP
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedStore
import WatershedTestSupport
import WatershedWire

/// Held CAP messages (issue 15, item 6) against a real event log: a self-reference is refused at once, held
/// messages are indexed by what they wait for, bounded per peer, expire, and can be listed and dropped.
struct CAPHeldTests {
    static let now = CAPIngestTests.now
    /// Guangxi's provincial duty chief, a commander.
    static let commander = Identity(
        tokenID: "gx-commander", unit: "450000", dutyPosition: "provincial-duty-chief", roles: [.commander])

    /// OASIS example A.1 (an Alert, `hsas@dhs.gov,43b080713727,2003-04-02T14:39:01-05:00`).
    static func a1() throws -> CAPAlert {
        try CAPAlert(xml: try CAPIngestTests.fixture("01-oasis-A1-homeland-security-alert.xml"))
    }

    /// An Update of A.1's sender, `identifier`, referencing `references`.
    static func update(_ identifier: String, references: [CAPReference]) throws -> Data {
        var message = try a1()
        message.identifier = identifier
        message.msgType = .update
        message.references = references
        return Data(message.xmlDocument().utf8)
    }

    /// A reference to a message nobody has sent: `hsas@dhs.gov,<identifier>,2003-04-02T14:39:01-05:00`.
    static func missing(_ identifier: String) throws -> CAPReference {
        var message = try a1()
        message.identifier = identifier
        return message.reference
    }

    /// An Update whose `references` name itself: 400 at once, a CAP Error saying so, nothing held or appended.
    @Test func anUpdateThatReferencesItselfIs400() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000")
            var message = try Self.a1()
            message.identifier = "SELF-1"
            message.msgType = .update
            message.references = [message.reference]
            let answer = try await ingest.ingest(Data(message.xmlDocument().utf8), from: "440000", now: Self.now)
            #expect(answer.httpStatus == 400)
            guard case .refused(let why) = answer.outcome else {
                Issue.record("not refused: \(answer.outcome)")
                return
            }
            #expect(why.contains("references itself"))
            #expect(try CAPIngestTests.checkAnswer(answer, .error).note == why)
            #expect(try log.heldCAPMessages(includingRefused: true).isEmpty)
            #expect(try log.head() == 0)
        }
    }

    /// Three held per peer at most: the fourth Update from 440000 is a CAP Error (429), not stored (no event); 460000
    /// may still hold one. The byte bound: two documents of equal size fit in twice their size, a third does not.
    @Test func heldMessagesAreBoundedPerPeer() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000", limits: .init(maxHeldPerPeer: 3))
            for index in 1...3 {
                let answer = try await ingest.ingest(
                    try Self.update("U-\(index)", references: [try Self.missing("GONE-\(index)")]), from: "440000",
                    now: Self.now)
                #expect(answer.httpStatus == 202)
            }
            let fourth = try await ingest.ingest(
                try Self.update("U-4", references: [try Self.missing("GONE-4")]), from: "440000", now: Self.now)
            #expect(fourth.httpStatus == 429)
            #expect(try CAPIngestTests.checkAnswer(fourth, .error).note?.contains("limit is 3 messages") == true)
            #expect(try log.heldCAPMessages().count == 3)
            #expect(try log.heldCAPMessages(peer: "440000").map(\.identifier) == ["U-1", "U-2", "U-3"])
            let other = try await ingest.ingest(
                try Self.update("U-4", references: [try Self.missing("GONE-4")]), from: "460000", now: Self.now)
            #expect(other.httpStatus == 202)
            // Four `CAPHeld` events: three from 440000, one from 460000.
            #expect(try log.events(after: 0, limit: 10).map(\.type) == Array(repeating: .capHeld, count: 4))
        }
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            // U-1, U-2, U-3 and GONE-1…3 are the same length, so the three documents are the same size.
            let size = try Self.update("U-1", references: [try Self.missing("GONE-1")]).count
            #expect(try Self.update("U-3", references: [try Self.missing("GONE-3")]).count == size)
            let ingest = CAPIngest(log: log, province: "450000", limits: .init(maxHeldBytesPerPeer: 2 * size))
            for index in 1...2 {
                let answer = try await ingest.ingest(
                    try Self.update("U-\(index)", references: [try Self.missing("GONE-\(index)")]), from: "440000",
                    now: Self.now)
                #expect(answer.httpStatus == 202)
            }
            let third = try await ingest.ingest(
                try Self.update("U-3", references: [try Self.missing("GONE-3")]), from: "440000", now: Self.now)
            #expect(third.httpStatus == 429)
            #expect(try log.heldCAPMessages().count == 2)
        }
    }

    /// 600 Updates held for one missing Alert: an unrelated Alert is applied without looking at them (the issue
    /// measured about 4 s with 600 held, 0.03 s with none; the bound here is 1 s on a busy 2-core machine), and the
    /// missing Alert then releases all 600, in order of receipt. (Seqs 1…600 are the `CAPHeld` events, 601 the
    /// unrelated Alert, 602 the awaited one, 603…1202 the released Updates.)
    @Test func sixHundredHeldDoNotSlowAnUnrelatedAlert() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000", limits: .init(maxHeldPerPeer: 1_000))
            let awaited = try Self.missing("FIRST")
            for index in 0..<600 {
                let answer = try await ingest.ingest(
                    try Self.update(String(format: "U-%03d", index), references: [awaited]), from: "440000",
                    now: Self.now.addingTimeInterval(Double(index)))
                #expect(answer.httpStatus == 202)
            }
            let unrelated = Data(try Self.a1().xmlDocument().utf8)
            let clock = ContinuousClock()
            let started = clock.now
            let applied = try await ingest.ingest(unrelated, from: "440000", now: Self.now.addingTimeInterval(600))
            let elapsed = clock.now - started
            #expect(applied.outcome == .applied([601]))
            #expect(elapsed < .seconds(1), "\(elapsed)")

            var first = try Self.a1()
            first.identifier = "FIRST"
            let released = try await ingest.ingest(
                Data(first.xmlDocument().utf8), from: "440000", now: Self.now.addingTimeInterval(601))
            #expect(released.outcome == .applied(Array(602...1_202)))
            #expect(try log.heldCAPMessages().isEmpty)
            let events = try log.events(after: 602, limit: 1_000)
            let identifiers = try events.map { try $0.payload.decode(CAPReceivedPayload.self).identifier }
            #expect(identifiers == (0..<600).map { String(format: "U-%03d", $0) })
        }
    }

    /// Held for an hour with a lifetime of one hour: the next ingest expires it (refused "expired", kept for the
    /// answer), sending it again is a CAP Error saying so, and its referent arriving applies only the referent.
    /// (Seq 1 is its `CAPHeld`, 2 its `CAPHeldRefused`, 3 the unrelated Alert, 4 the referent.)
    @Test func heldMessagesExpire() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000", limits: .init(heldLifetime: 3_600))
            let update = try Self.update("U-1", references: [try Self.missing("LATE")])
            #expect(try await ingest.ingest(update, from: "440000", now: Self.now).httpStatus == 202)
            // 59 min 59 s later it still waits.
            #expect(
                try await ingest.heldMessages(now: Self.now.addingTimeInterval(3_599)).map(\.refusal) == [nil])
            let unrelated = Data(try Self.a1().xmlDocument().utf8)
            #expect(
                try await ingest.ingest(unrelated, from: "440000", now: Self.now.addingTimeInterval(3_600)).outcome
                    == .applied([3]))
            #expect(try log.heldCAPMessages().isEmpty)
            let expired = try #require(try log.heldCAPMessages(includingRefused: true).first)
            #expect(expired.refusal?.hasPrefix("expired: held since 2026-01-15T08:00:00.000Z") == true)

            let again = try await ingest.ingest(update, from: "440000", now: Self.now.addingTimeInterval(3_700))
            #expect(again.httpStatus == 422)
            #expect(try CAPIngestTests.checkAnswer(again, .error).note?.hasPrefix("expired") == true)

            var late = try Self.a1()
            late.identifier = "LATE"
            #expect(
                try await ingest.ingest(
                    Data(late.xmlDocument().utf8), from: "440000", now: Self.now.addingTimeInterval(3_800)
                ).outcome == .applied([4]))
            #expect(try log.head() == 4)
        }
    }

    /// Fixture 03 held: listed with its id — the first 16 hex digits of SHA-256 of
    /// `trinet@caltech.edu,TRI13970876.2,2003-06-12T03:56:00-00:00` (its sent, 20:56 at −07:00, in UTC), worked out
    /// with `printf %s '…' | sha256sum` — then dropped; its referent arriving afterwards applies only the referent.
    @Test func aHeldMessageIsListedAndDropped() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000")
            let update = try CAPIngestTests.fixture(CAPIngestTests.update03)
            #expect(try await ingest.ingest(update, from: "440000", now: Self.now).httpStatus == 202)
            let listed = try await ingest.heldMessages(now: Self.now)
            #expect(listed.count == 1)
            let entry = try #require(listed.first)
            #expect(entry.id == "69725ec10ca37c73")
            #expect(entry.peer == "440000")
            #expect(entry.msgType == "Update")
            #expect(entry.sent == "2003-06-12T03:56:00-00:00")
            #expect(entry.waitingFor == ["trinet@caltech.edu,TRI13970876.1,2003-06-12T03:30:00-00:00"])
            #expect(entry.expiresAt == Self.now.addingTimeInterval(72 * 3_600))
            #expect(entry.bytes == update.count)
            #expect(entry.refusal == nil)

            #expect(try await ingest.drop(id: "0000000000000000", by: Self.commander, now: Self.now) == nil)
            #expect(try log.head() == 1)
            #expect(try await ingest.drop(id: "69725ec10ca37c73", by: Self.commander, now: Self.now) == entry)
            #expect(try await ingest.heldMessages(now: Self.now).isEmpty)
            let referent = try await ingest.ingest(try CAPIngestTests.referent(), from: "440000", now: Self.now)
            #expect(referent.outcome == .applied([3]))
            #expect(try log.head() == 3)
        }
    }

    /// What ingest does to held messages is in the log, each with its actor: a CAP Exercise Update held (an exercise
    /// `CAPHeld` by the peer, waiting for its referent in UTC), a Cancel refused when its referents turn out to span
    /// two incidents (`CAPHeldRefused` by its peer), the Update expiring (`CAPHeldRefused` by `cap-ingest`), the
    /// Cancel dropped by a commander (`CAPHeldDropped` by their token, `by` their unit and position); `cap_held` is
    /// the fold of those events throughout.
    @Test func holdsRefusalsExpiriesAndDropsAreEvents() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000")
            var exercise = try Self.a1()
            exercise.identifier = "X-U"
            exercise.msgType = .update
            exercise.status = .exercise
            exercise.references = [try Self.missing("LATE-X")]
            let exerciseXML = Data(exercise.xmlDocument().utf8)
            #expect(try await ingest.ingest(exerciseXML, from: "440000", now: Self.now).httpStatus == 202)
            let held = try #require(try log.events(after: 0, limit: 1).first)
            #expect(held.type == .capHeld && held.incident == nil && held.exercise)
            #expect(held.actor == .peer(province: "440000"))
            #expect(
                try RecordedEvent(held).event
                    == .capHeld(
                        CAPHeldPayload(
                            peer: "440000", sender: "hsas@dhs.gov", identifier: "X-U",
                            sentUTC: "2003-04-02T19:39:01-00:00", receivedAt: Self.now,
                            xml: String(decoding: exerciseXML, as: UTF8.self),
                            waitingFor: ["hsas@dhs.gov,LATE-X,2003-04-02T19:39:01-00:00"])))

            var second = try Self.a1()
            second.identifier = "B-1"
            var cancel = try Self.a1()
            cancel.identifier = "C-1"
            cancel.msgType = .cancel
            cancel.references = [try Self.a1().reference, second.reference]
            #expect(
                try await ingest.ingest(Data(cancel.xmlDocument().utf8), from: "460000", now: Self.now).httpStatus
                    == 202)
            let first = Data(try Self.a1().xmlDocument().utf8)
            #expect(try await ingest.ingest(first, from: "440000", now: Self.now).outcome == .applied([3]))
            let b1 = Data(second.xmlDocument().utf8)
            #expect(try await ingest.ingest(b1, from: "440000", now: Self.now).outcome == .applied([4]))
            let refused = try #require(try log.events(after: 4, limit: 1).first)
            #expect(refused.type == .capHeldRefused && refused.actor == .peer(province: "460000") && !refused.exercise)
            guard case .capHeldRefused(let refusal) = try RecordedEvent(refused).event else {
                Issue.record("not a CAPHeldRefused: \(refused.type)")
                return
            }
            #expect(refusal.identifier == "C-1")
            #expect(refusal.reason.hasPrefix("the Cancel references messages of 2 different incidents"))
            try Self.checkIntact(log, rows: 2)

            let later = Self.now.addingTimeInterval(73 * 3_600)
            let listed = try await ingest.heldMessages(now: later)
            #expect(listed.map(\.identifier) == ["X-U", "C-1"])
            let expired = try #require(try log.events(after: 5, limit: 1).first)
            #expect(expired.type == .capHeldRefused && expired.exercise)
            #expect(expired.actor == .system(component: "cap-ingest"))
            #expect(expired.at == later)
            guard case .capHeldRefused(let expiry) = try RecordedEvent(expired).event else {
                Issue.record("not a CAPHeldRefused: \(expired.type)")
                return
            }
            #expect(expiry.identifier == "X-U")
            #expect(expiry.reason.hasPrefix("expired: held since 2026-01-15T08:00:00.000Z"))

            let id = try #require(listed.last?.id)
            #expect(try await ingest.drop(id: id, by: Self.commander, now: later)?.identifier == "C-1")
            let dropped = try #require(try log.events(after: 6, limit: 1).first)
            #expect(dropped.actor == .person(unit: "450000", position: "provincial-duty-chief", token: "gx-commander"))
            #expect(
                try RecordedEvent(dropped).event
                    == .capHeldDropped(
                        CAPHeldDroppedPayload(
                            identity: CAPIdentity(
                                sender: "hsas@dhs.gov", identifier: "C-1", sentUTC: "2003-04-02T19:39:01-00:00"),
                            by: Assignee(unit: "450000", position: "provincial-duty-chief"),
                            reason: "dropped by a commander")))
            #expect(try log.head() == 7)
            try Self.checkIntact(log, rows: 1)
        }
    }

    /// `cap_held` is the fold of the events, with `rows` rows.
    static func checkIntact(_ log: EventLog, rows: Int) throws {
        let verification = try log.verifyHeldCAPMessages()
        #expect(verification.covered && verification.rows == rows && verification.held == rows)
        #expect(verification.problems == [])
    }

    /// A `cap_held` row of a message applied already, written outside the log (no event holds it; neither a hold nor
    /// the v6 migration leaves one): ingest reads held messages from the fold of the events (the log's
    /// `FederationBook`, issue 18), so after a restart the row is neither shown nor applied a second time and
    /// nothing is appended; `audit verify` still reports the row.
    @Test func aRowWrittenOutsideTheLogIsIgnoredAndReported() async throws {
        try await CAPIngestTests.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let update = try Self.update("U-1", references: [try Self.a1().reference])
            let alert = Data(try Self.a1().xmlDocument().utf8)
            let first = CAPIngest(log: log, province: "450000")
            #expect(try await first.ingest(alert, from: "440000", now: Self.now).outcome == .applied([1]))
            #expect(try await first.ingest(update, from: "440000", now: Self.now).outcome == .applied([2]))
            // A hold committed after its release writes no row.
            try await log.holdCAPMessage(
                HeldCAPMessage(
                    sender: "hsas@dhs.gov", identifier: "U-1", sentUTC: "2003-04-02T19:39:01-00:00", peer: "440000",
                    receivedAt: Self.now, xml: update), waitingFor: [], exercise: false)
            #expect(try log.heldCAPMessages().isEmpty)
            try await log.writer.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO cap_held (sender, identifier, sentUTC, peer, receivedAt, xml)
                        VALUES ('hsas@dhs.gov', 'U-1', '2003-04-02T19:39:01-00:00', '440000',
                                '2026-01-15T08:00:00.000Z', ?)
                        """, arguments: [update])
            }
            #expect(try log.verifyHeldCAPMessages().problems.map(\.identity?.identifier) == ["U-1"])

            let restarted = CAPIngest(log: log, province: "450000")
            #expect(try await restarted.heldMessages(now: Self.now).isEmpty)
            #expect(try await restarted.ingest(update, from: "440000", now: Self.now).outcome == .duplicate)
            #expect(try log.head() == 3)
            #expect(try log.verifyHeldCAPMessages().problems.map(\.identity?.identifier) == ["U-1"])
        }
    }
}
