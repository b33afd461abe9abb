import Foundation
import Testing
import WatershedCAP
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedStore
import WatershedTestSupport

/// CAP ingest (``CAPIngest``) against a real event log on a temporary SQLite file.
struct CAPIngestTests {
    static let now = Date(timeIntervalSince1970: 1_768_464_000)  // 2026-01-15T08:00:00Z

    static func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: Fixtures.capFixtures.appendingPathComponent(name))
    }

    static let update03 = "03-oasis-A3-earthquake-update-with-references.xml"

    /// The message fixture 03 references, which the fixtures do not have: TriNet's first message on the same
    /// earthquake, `trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00`, made from fixture 03 itself.
    static func referent() throws -> Data {
        var alert = try CAPAlert(xml: try fixture(update03))
        alert.identifier = "TRI13970876.1"
        alert.sent = try #require(CAPTime(text: "2003-06-11T20:30:00-07:00"))
        alert.msgType = .alert
        alert.references = []
        return Data(alert.xmlDocument().utf8)
    }

    static func withLogFolder<T>(_ body: (String) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-cap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder.appendingPathComponent("watershed.sqlite").path)
    }

    /// The answer document is CAP 1.2 that validates, of the given type, referencing `reference` when given.
    static func checkAnswer(
        _ answer: CAPIngest.Answer, _ type: CAPAlert.MessageType, references reference: String? = nil
    ) throws -> CAPAlert {
        #expect(try Fixtures.capSchemaProblems(answer.document) == nil)
        let document = try CAPAlert(xml: Data(answer.document.utf8))
        #expect(document.msgType == type)
        #expect(document.sender == "watershed.450000.gov.cn")
        if let reference { #expect(document.references.map(\.description) == [reference]) }
        return document
    }

    /// The same message sent eight times at once (a neighbour's retries crossing): every answer is 200 — applied once,
    /// duplicate seven times — and the log has one `CAPReceived` (the live fuzzer saw 2 × 500 with an empty body).
    /// The same for an Update whose referent is absent: held once, duplicate seven times.
    @Test func theSameMessageAtOnceIsAppliedOnce() async throws {
        try await Self.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000")
            for (document, applied) in [
                (try Self.fixture("02-oasis-A2-severe-thunderstorm-warning.xml"), true),
                (try Self.fixture(Self.update03), false),
            ] {
                let answers = try await withThrowingTaskGroup(of: CAPIngest.Answer.self) { group in
                    for _ in 0..<8 {
                        group.addTask { try await ingest.ingest(document, from: "440000", now: Self.now) }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.filter { $0.outcome == .duplicate }.count == 7)
                if applied {
                    #expect(answers.allSatisfy { $0.httpStatus == 200 })
                } else {
                    #expect(answers.filter { $0.httpStatus == 202 }.count == 1)
                    #expect(answers.filter { $0.httpStatus == 200 }.count == 7)
                }
            }
            let events = try log.events(after: 0, limit: 100)
            #expect(events.filter { $0.type == .capReceived }.count == 1)
        }
    }

    /// Fixture 03, whose referent is absent, is held in the store (a `CAPHeld` event, seq 1, and its row); it survives
    /// a restart (the log closed and opened again) and is applied — once — when its referent is ingested.
    @Test func heldUpdateSurvivesRestartAndIsAppliedOnce() async throws {
        let update = try Self.fixture(Self.update03)
        let referent = "trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"
        try await Self.withLogFolder { path in
            do {
                let log = try EventLog.open(path: path)
                let ingest = CAPIngest(log: log, province: "450000")
                let held = try await ingest.ingest(update, from: "440000", now: Self.now)
                #expect(held.outcome == .held(waitingFor: [referent]))
                #expect(held.httpStatus == 202)
                let ack = try Self.checkAnswer(
                    held, .ack, references: "trinet@caltech.edu,TRI13970876.2,2003-06-11T20:56:00-07:00")
                #expect(ack.note?.contains(referent) == true)
                #expect(try log.head() == 1)
                // Sent again while held: nothing more.
                #expect(try await ingest.ingest(update, from: "440000", now: Self.now).outcome == .duplicate)
                #expect(try log.heldCAPMessages().count == 1)
            }

            // Restart: a new log on the same file.
            let log = try EventLog.open(path: path)
            let held = try log.heldCAPMessages()
            #expect(held.count == 1)
            #expect(held.first?.identifier == "TRI13970876.2")
            #expect(held.first?.peer == "440000")
            let ingest = CAPIngest(log: log, province: "450000")
            let applied = try await ingest.ingest(try Self.referent(), from: "440000", now: Self.now)
            #expect(applied.outcome == .applied([2, 3]))
            #expect(applied.httpStatus == 200)
            _ = try Self.checkAnswer(applied, .ack, references: referent)

            let all = try log.events(after: 0, limit: 10)
            #expect(all.map(\.type) == [.capHeld, .capReceived, .capReceived])
            #expect(all[0].incident == nil && all[0].actor == .peer(province: "440000"))
            let events = Array(all.dropFirst())
            #expect(events[0].incident != nil && events[0].incident == events[1].incident)
            #expect(events.allSatisfy { $0.actor == .peer(province: "440000") && !$0.exercise })
            let first = try events[0].payload.decode(CAPReceivedPayload.self)
            let second = try events[1].payload.decode(CAPReceivedPayload.self)
            #expect(first.msgType == "Alert" && !first.wasHeld)
            #expect(second.msgType == "Update" && second.wasHeld)
            #expect(second.identifier == "TRI13970876.2")
            #expect(second.references.map { "\($0.sender),\($0.identifier),\($0.sent)" } == [referent])
            // Stored exactly as received.
            #expect(Data(second.xml.utf8) == update)
            #expect(try log.heldCAPMessages().isEmpty)

            // Once: both again are duplicates, also after another restart.
            #expect(try await ingest.ingest(update, from: "440000", now: Self.now).outcome == .duplicate)
            #expect(try await ingest.ingest(try Self.referent(), from: "440000", now: Self.now).outcome == .duplicate)
            let reopened = try EventLog.open(path: path)
            #expect(
                try await CAPIngest(log: reopened, province: "450000").ingest(update, from: "440000", now: Self.now)
                    .outcome == .duplicate)
            #expect(try reopened.head() == 3)
            #expect(try reopened.verifyChain() == .intact(count: 3, head: 3))
        }
    }

    /// The four OASIS examples ingest: three Alerts start three incidents, fixture 03 is held (its `CAPHeld` is seq 3).
    @Test func oasisExamplesIngest() async throws {
        try await Self.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000")
            var outcomes: [CAPIngest.Outcome] = []
            for name in CAPParsingTests.examples {
                outcomes.append(try await ingest.ingest(try Self.fixture(name), from: "440000", now: Self.now).outcome)
            }
            #expect(
                outcomes == [
                    .applied([1]), .applied([2]),
                    .held(waitingFor: ["trinet@caltech.edu,TRI13970876.1,2003-06-11T20:30:00-07:00"]), .applied([4]),
                ])
            let incidents = try log.events(after: 0, limit: 10).compactMap(\.incident)
            #expect(Set(incidents).count == 3)
        }
    }

    /// Refusals, each a CAP Error naming why, nothing appended; a Test is acknowledged, not applied.
    @Test func refusals() async throws {
        try await Self.withLogFolder { path in
            let log = try EventLog.open(path: path)
            let ingest = CAPIngest(log: log, province: "450000")
            let a1 = try CAPAlert(xml: try Self.fixture(CAPParsingTests.examples[0]))
            let a4 = try CAPAlert(xml: try Self.fixture(CAPParsingTests.examples[3]))
            #expect(
                try await ingest.ingest(Data(a1.xmlDocument().utf8), from: "440000", now: Self.now).outcome
                    == .applied([1]))
            #expect(
                try await ingest.ingest(Data(a4.xmlDocument().utf8), from: "440000", now: Self.now).outcome
                    == .applied([2]))

            func cancel(_ identifier: String, references: [CAPReference]) -> Data {
                var message = a1
                message.identifier = identifier
                message.msgType = .cancel
                message.references = references
                return Data(message.xmlDocument().utf8)
            }

            // A Cancel that references nothing.
            let nothing = try await ingest.ingest(cancel("C-1", references: []), from: "440000", now: Self.now)
            #expect(nothing.httpStatus == 422)
            guard case .refused(let why) = nothing.outcome else {
                Issue.record("not refused: \(nothing.outcome)")
                return
            }
            #expect(why.contains("references nothing"))
            let error = try Self.checkAnswer(nothing, .error, references: "hsas@dhs.gov,C-1,2003-04-02T14:39:01-05:00")
            #expect(error.note == why)

            // A Cancel that references two incidents.
            let both = try await ingest.ingest(
                cancel("C-2", references: [a1.reference, a4.reference]), from: "440000", now: Self.now)
            #expect(both.httpStatus == 422)
            if case .refused(let reason) = both.outcome {
                #expect(reason.contains("2 different incidents"))
            } else {
                Issue.record("not refused: \(both.outcome)")
            }
            _ = try Self.checkAnswer(both, .error)
            #expect(try log.head() == 2)

            // A Cancel of one: applied to that incident.
            let one = try await ingest.ingest(cancel("C-3", references: [a4.reference]), from: "440000", now: Self.now)
            #expect(one.outcome == .applied([3]))
            let events = try log.events(after: 0, limit: 10)
            #expect(events[2].incident == events[1].incident)

            // Not CAP 1.2: 400 with an Error that references nothing (the message could not be read).
            let garbage = try await ingest.ingest(Data("<html><body/></html>".utf8), from: "440000", now: Self.now)
            #expect(garbage.httpStatus == 400)
            #expect(try Self.checkAnswer(garbage, .error).references.isEmpty)

            // A Test message: acknowledged, not applied.
            var test = a1
            test.identifier = "T-1"
            test.status = .test
            let acknowledged = try await ingest.ingest(Data(test.xmlDocument().utf8), from: "440000", now: Self.now)
            #expect(acknowledged.outcome == .acknowledged)
            #expect(try Self.checkAnswer(acknowledged, .ack).status == .test)
            #expect(try log.head() == 3)

            // An Exercise alert becomes an exercise event.
            var drill = a1
            drill.identifier = "X-1"
            drill.status = .exercise
            #expect(
                try await ingest.ingest(Data(drill.xmlDocument().utf8), from: "440000", now: Self.now).outcome
                    == .applied([4]))
            #expect(try log.events(after: 3, limit: 1).first?.exercise == true)
        }
    }
}
