import Foundation
import Testing
import WatershedCore

/// Reading events straight from their stored bytes (``RecordedEvent/init(canonicalBytes:)``), as a server does at
/// start-up: the same events as the full reader, with a plan left in its bytes until it is read.
@Suite struct RecordedEventBytesTests {
    /// Stores `events` at seqs 1, 2, … (the hash is not what these tests are about).
    static func stored(_ events: [NewEvent]) throws -> [StoredEvent] {
        try events.enumerated().map { index, event in
            try StoredEvent(seq: Int64(index + 1), event: event, prevHash: StoredEvent.genesisHash) { _, _ in "h" }
        }
    }

    /// Every event of an initial report on the hand basin (the report, its plan, obligations, notifications and
    /// tasks), plus a drill event outside any incident with a drill time: read from the bytes, each equals what the
    /// full reader (``RecordedEvent/init(_:)``) makes of the same stored event.
    @Test func theBytesReadAsTheFullReaderReadsThem() throws {
        let decided = try IncidentRulesTests.rules.initialReport(
            IncidentRulesTests.report(), reference: "GX-2012-0001", by: IncidentRulesTests.yizhou,
            now: IncidentRulesTests.filedAt, exercise: false)
        var events = try decided.map {
            try NewEvent(
                at: IncidentRulesTests.filedAt, incident: IncidentRulesTests.incidentID,
                actor: IncidentRulesTests.yizhou.actor, event: $0)
        }
        events.append(
            NewEvent(
                at: IncidentRulesTests.filedAt, type: .drillEnded, actor: .system(component: "drill-runner"),
                exercise: true, drillAt: Date(timeIntervalSince1970: 1_326_600_000.25),
                payload: ["drill": .string(UUID().uuidString), "reason": "ended by the director"]))
        let stored = try Self.stored(events)
        #expect(stored.count > 5)
        for event in stored {
            let fast = try RecordedEvent(canonicalBytes: event.canonicalBytes)
            let full = try RecordedEvent(event)
            #expect(fast == full, "seq \(event.seq) \(event.type.rawValue)")
            #expect(fast.drillAt == event.drillAt && fast.incident == event.incident && fast.at == event.at)
        }
        guard case .planComputed(let record) = try RecordedEvent(canonicalBytes: stored[1].canonicalBytes).event else {
            Issue.record("seq 2 is not the plan")
            return
        }
        // The trib's reach A (km 0–36) belongs to Yizhou, 451203 (HandBasin).
        #expect(record.spillUnit == "451203")
        // The pollutant's names are read with the spill unit (HandBasin's cadmium has no Chinese name), the plan not.
        #expect(record.pollutantName == "Cadmium" && record.pollutantNameZh == nil)
        #expect(!record.isDecoded)
        // From km 3 of the trib the plume reaches its km 5 section first, then the dam at km 10.
        #expect(try record.document().arrivals.prefix(2).map(\.node) == ["trib-5", "trib-dam"])
        #expect(record.isDecoded)
    }

    /// A plan whose stored payload has a `spillUnit` but is no plan: the event still reads (the fold needs only the
    /// spill unit), the incident's plan reads as `nil`, and reading the plan throws — every time; the full reader
    /// refuses the event at once, naming its seq.
    @Test func aPlanIsReadOnlyWhenAskedFor() throws {
        let opening = try NewEvent(
            at: IncidentRulesTests.filedAt, incident: IncidentRulesTests.incidentID,
            actor: IncidentRulesTests.yizhou.actor,
            event: .reported(
                IncidentReportedPayload(reference: "GX-2012-0001", report: IncidentRulesTests.report())))
        let notAPlan = NewEvent(
            at: IncidentRulesTests.filedAt, incident: IncidentRulesTests.incidentID, type: .planComputed,
            actor: IncidentRulesTests.yizhou.actor, payload: ["spillUnit": "450222", "arrivals": "none"])
        let stored = try Self.stored([opening, notAPlan])
        let read = try stored.map { try RecordedEvent(canonicalBytes: $0.canonicalBytes) }
        let incident = try #require(Incident.fold(read))
        #expect(incident.spillUnit == "450222")
        #expect(incident.planRecord != nil && incident.plan == nil)
        guard case .planComputed(let record) = read[1].event else {
            Issue.record("seq 2 is not a plan")
            return
        }
        #expect(throws: DecodingError.self) { try record.document() }
        #expect(throws: DecodingError.self) { try record.document() }
        #expect(throws: RecordedEventError.self) { try RecordedEvent(stored[1]) }
    }

    /// The spill unit and the pollutant are the plan's own, at its top level: not a `spillUnit` or `pollutant` inside
    /// an arrival or a string that mentions one; an escaped spill unit reads as what it stands for, and a pollutant
    /// whose strings hold braces, brackets and escaped quotes reads whole.
    @Test(
        arguments: [
            (["spillUnit": "450222"] as JSONValue, "450222", nil, nil),
            (
                [
                    "arrivals": [
                        ["spillUnit": "999999", "note": #"say "spillUnit":"888888""#, "pollutant": ["name": "Lead"]]
                    ],
                    "notes": ["}{\\", "[["], "pollutant": ["name": "Cadmium", "nameZh": "镉", "limits": [0.005, 0.01]],
                    "spillUnit": "450222", "tasks": [["spillUnit": "777777"]],
                ] as JSONValue, "450222", "Cadmium", "镉"
            ),
            (["containment": .null, "spillUnit": "45\u{0}222"] as JSONValue, "45\u{0}222", nil, nil),
            (
                ["pollutant": ["name": #"Benzene "}{]["#, "note": "a\\"], "spillUnit": "450222"] as JSONValue, "450222",
                #"Benzene "}{]["#, nil
            ),
        ] as [(JSONValue, String, String?, String?)])
    func theSpillUnitAndPollutantAreThePlans(payload: JSONValue, spillUnit: String, name: String?, nameZh: String?)
        throws
    {
        let event = NewEvent(
            at: IncidentRulesTests.filedAt, incident: IncidentRulesTests.incidentID, type: .planComputed,
            actor: .person(unit: "451203", position: "countyDutyOfficer", token: #"t-"payload":1"#), payload: payload)
        let stored = try Self.stored([event])[0]
        let read = try RecordedEvent(canonicalBytes: stored.canonicalBytes)
        guard case .planComputed(let record) = read.event else {
            Issue.record("not a plan")
            return
        }
        #expect(record.spillUnit == spillUnit)
        #expect(record.pollutantName == name && record.pollutantNameZh == nameZh)
        #expect(read.actor == event.actor && read.seq == 1 && read.id == event.id)
    }

    /// A log read page by page on every core is folded in log order, each event once; an event that cannot be read
    /// throws, and nothing after it is folded.
    @Test func pagesAreFoldedInOrder() throws {
        let events = try (1...1_000).map { number in
            try NewEvent(
                at: IncidentRulesTests.filedAt, incident: IncidentRulesTests.incidentID,
                actor: .system(component: "test"), event: .closed(IncidentClosedPayload(reason: "number \(number)")))
        }
        let bytes = try Self.stored(events).map(\.canonicalBytes)
        var pages = stride(from: 0, to: bytes.count, by: 300).map { Array(bytes[$0..<min(bytes.count, $0 + 300)]) }
        var folded: [Int64] = []
        let next = { pages.isEmpty ? nil : pages.removeFirst() }
        try RecordedEvent.fold(pages: next) { folded.append($0.seq) }
        #expect(folded == Array(1...1_000))

        var broken = bytes
        broken[641] = Data("{}".utf8)
        pages = [Array(broken[0..<500]), Array(broken[500...])]
        folded = []
        #expect(throws: DecodingError.self) {
            try RecordedEvent.fold(pages: next) { folded.append($0.seq) }
        }
        // The first page is folded while the second is read; the second, which holds the bad event, is not.
        #expect(folded == Array(1...500))
    }

    /// Bytes that are not an event fail as the full reader says: not an object, an unknown type, a missing seq.
    @Test(arguments: [
        "[]",
        #"{"actor":{"component":"x","kind":"system"},"at":"2026-01-15T08:00:00.000Z","exercise":false,"#
            + #""id":"00000000-0000-0000-0000-000000000001","payload":{},"seq":1,"type":"SomethingElse"}"#,
        #"{"actor":{"component":"x","kind":"system"},"at":"2026-01-15T08:00:00.000Z","exercise":false,"#
            + #""id":"00000000-0000-0000-0000-000000000001","payload":{},"type":"IncidentClosed"}"#,
    ])
    func bytesThatAreNotAnEventThrow(text: String) {
        #expect(throws: DecodingError.self) { try RecordedEvent(canonicalBytes: Data(text.utf8)) }
    }
}
