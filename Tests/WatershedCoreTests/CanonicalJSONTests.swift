import Foundation
import Testing
import WatershedCore

/// The stored form of events (DESIGN.md "Hash chain"): every expected byte string below is written by hand.
@Suite struct CanonicalJSONTests {
    /// 2026-01-15T08:00:00Z as seconds since 1970 (`date -u -d 2026-01-15T08:00:00Z +%s`).
    static let morning = Date(timeIntervalSince1970: 1_768_464_000)

    static func text(_ value: JSONValue) throws -> String {
        String(decoding: try CanonicalJSON.data(value), as: UTF8.self)
    }

    @Test func timesHaveThreeFractionalDigitsInUTC() {
        #expect(CanonicalJSON.timestamp(Self.morning) == "2026-01-15T08:00:00.000Z")
        #expect(CanonicalJSON.timestamp(Self.morning + 0.25) == "2026-01-15T08:00:00.250Z")
        #expect(CanonicalJSON.timestamp(Self.morning + 0.1234) == "2026-01-15T08:00:00.123Z")
        // Rounded to the nearest millisecond, carrying into the next second.
        #expect(CanonicalJSON.timestamp(Self.morning + 0.9996) == "2026-01-15T08:00:01.000Z")
        // `date -u -d 2024-02-29T12:00:00Z +%s` = 1709208000: a leap day.
        #expect(CanonicalJSON.timestamp(Date(timeIntervalSince1970: 1_709_208_000)) == "2024-02-29T12:00:00.000Z")
        #expect(CanonicalJSON.timestamp(Date(timeIntervalSince1970: -1)) == "1969-12-31T23:59:59.000Z")
        #expect(CanonicalJSON.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
    }

    @Test func timesParseWithAnOffset() {
        #expect(CanonicalJSON.date(fromTimestamp: "2026-01-15T08:00:00.000Z") == Self.morning)
        #expect(CanonicalJSON.date(fromTimestamp: "2026-01-15T16:00:00+08:00") == Self.morning)
        #expect(CanonicalJSON.date(fromTimestamp: "2026-01-15T03:30:00.5-04:30") == Self.morning + 0.5)
        #expect(CanonicalJSON.date(fromTimestamp: "2024-02-29T12:00:00Z") == Date(timeIntervalSince1970: 1_709_208_000))
        for bad in [
            "2026-01-15T08:00:00", "2026-01-15", "2026-02-30T08:00:00Z", "2026-13-01T08:00:00Z",
            "2026-01-15T08:00:00.Z", "2026-01-15T08:00:00Zjunk", "",
        ] {
            #expect(CanonicalJSON.date(fromTimestamp: bad) == nil, "\(bad)")
        }
    }

    /// A written time reads back as exactly the `Date` the log keeps (millisecond-rounded), for many fractions.
    @Test func writtenTimesReadBackExactly() {
        for step in 0..<2_000 {
            let date = Self.morning + Double(step) * 0.000_733_1 + Double(step * step) * 17.3
            let rounded = CanonicalJSON.roundedToMilliseconds(date)
            #expect(CanonicalJSON.date(fromTimestamp: CanonicalJSON.timestamp(date)) == rounded)
            #expect(CanonicalJSON.timestamp(rounded) == CanonicalJSON.timestamp(date))
        }
    }

    @Test func keysSortedNoWhitespaceNestedChineseAndSlashes() throws {
        let value: JSONValue = [
            "zeta": 1,
            "alpha": ["b": true, "a": nil],
            "Beta": "长江/珠江",
            "url": "https://example.org/a/b",
            "list": [1.5, "x", [], [:]],
        ]
        #expect(
            try Self.text(value)
                == #"{"Beta":"长江/珠江","alpha":{"a":null,"b":true},"list":[1.5,"x",[],{}],"url":"https://example.org/a/b","zeta":1}"#
        )
    }

    /// Keys sort by UTF-8 bytes: upper case before `_` before lower case, `a10` before `a9`, `é` last.
    @Test func keysSortByCodePoint() throws {
        let value: JSONValue = ["b": 1, "B": 2, "a10": 3, "a9": 4, "_": 5, "é": 6, "z": 7]
        #expect(try Self.text(value) == #"{"B":2,"_":5,"a10":3,"a9":4,"b":1,"z":7,"é":6}"#)
    }

    @Test func stringsEscapeOnlyQuotesBackslashesAndControls() throws {
        let value: JSONValue = .string("a\"b\\c/d\n\t\u{1}\u{1f}\u{7f}水")
        #expect(try Self.text(value) == #""a\"b\\c/d\n\t\u0001\u001f"# + "\u{7f}水\"")
    }

    @Test(arguments: [
        (5.0, "5"), (-3.0, "-3"), (0.1, "0.1"), (2.5, "2.5"), (-0.0, "-0"), (100.0, "100"),
        (123_456_789_012_345.0, "123456789012345"), (1e16, "1e+16"), (1e-7, "1e-07"), (1.5e300, "1.5e+300"),
    ])
    func numbersAsJSONEncoderWritesThem(number: Double, expected: String) throws {
        #expect(try Self.text(.number(number)) == expected)
        // The claim in CanonicalJSON's documentation: the same spelling as Foundation's JSONEncoder.
        #expect(String(decoding: try JSONEncoder().encode(number), as: UTF8.self) == expected)
    }

    @Test func nonFiniteNumbersAreRefusedWithTheirPath() {
        #expect(throws: CanonicalJSONError.nonFiniteNumber(path: "$.a[1]")) {
            try CanonicalJSON.data(["a": [1, .number(.nan)]])
        }
        #expect(throws: CanonicalJSONError.nonFiniteNumber(path: "$")) {
            try CanonicalJSON.data(.number(.infinity))
        }
    }

    /// Today our writer and JSONEncoder with sorted keys and unescaped slashes agree on this sample.
    @Test func agreesWithJSONEncoderSortedKeys() throws {
        let value: JSONValue = ["river": "龙江", "km": 12.5, "sites": [["id": "S/1", "n": 3]], "ok": false]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(try CanonicalJSON.data(value) == (try encoder.encode(value)))
    }

    static let eventID = UUID(uuidString: "6F1C2D3E-0000-4000-8000-000000000001")!
    static let incidentID = UUID(uuidString: "6F1C2D3E-0000-4000-8000-000000000002")!

    static let report = NewEvent(
        id: eventID, at: morning + 0.25, incident: incidentID, type: .incidentReported,
        actor: .person(unit: "450100", position: "city-duty-chief", token: "T-0042"),
        payload: ["river": "龙江", "km": 12.5, "source": "https://example.org/reports/7"])

    @Test func eventBytes() throws {
        let bytes = String(decoding: try Self.report.canonicalBytes(seq: 1), as: UTF8.self)
        let expected =
            #"{"actor":{"kind":"person","position":"city-duty-chief","token":"T-0042","unit":"450100"},"#
            + #""at":"2026-01-15T08:00:00.250Z","exercise":false,"id":"6F1C2D3E-0000-4000-8000-000000000001","#
            + #""incident":"6F1C2D3E-0000-4000-8000-000000000002","#
            + #""payload":{"km":12.5,"river":"龙江","source":"https://example.org/reports/7"},"#
            + #""seq":1,"type":"IncidentReported"}"#
        #expect(bytes == expected)
    }

    /// A drill event outside any incident: `drillAt` is written, `incident` is left out (not `null`).
    @Test func drillEventBytesOmitTheMissingIncident() throws {
        let event = NewEvent(
            id: Self.eventID, at: Self.morning, type: .drillStarted, actor: .system(component: "drill-runner"),
            exercise: true, drillAt: Date(timeIntervalSince1970: 1_709_208_000))
        let bytes = String(decoding: try event.canonicalBytes(seq: 42), as: UTF8.self)
        let expected =
            #"{"actor":{"component":"drill-runner","kind":"system"},"at":"2026-01-15T08:00:00.000Z","#
            + #""drillAt":"2024-02-29T12:00:00.000Z","exercise":true,"id":"6F1C2D3E-0000-4000-8000-000000000001","#
            + #""payload":{},"seq":42,"type":"DrillStarted"}"#
        #expect(bytes == expected)
    }

    static func stored(_ event: NewEvent, seq: Int64 = 7) throws -> StoredEvent {
        try StoredEvent(seq: seq, event: event, prevHash: String(repeating: "a", count: 64)) { _, _ in
            String(repeating: "b", count: 64)
        }
    }

    @Test func storedEventReadsBackFromItsBytes() throws {
        let original = try Self.stored(Self.report)
        let read = try StoredEvent(
            canonicalBytes: original.canonicalBytes, prevHash: original.prevHash, hash: original.hash)
        #expect(read == original)
        #expect(read.seq == 7)
        #expect(read.at == Self.morning + 0.25)
        #expect(read.payload["river"] == "龙江")
    }

    @Test func storedEventRoundTripsThroughJSON() throws {
        let peer = NewEvent(
            at: Self.morning + 0.0004, incident: Self.incidentID, type: .peerAccepted,
            actor: .peer(province: "440000"), exercise: true, drillAt: Self.morning + 3600.0016,
            payload: ["notification": "N-1", "accepted": true, "n": [1, 2.25, nil]])
        let original = try Self.stored(peer)
        // Times are kept at millisecond precision.
        #expect(original.at == Self.morning)
        #expect(original.drillAt == Date(timeIntervalSince1970: 1_768_467_600.002))
        for encoder in [JSONEncoder(), CanonicalJSON.makeEncoder()] {
            let data = try encoder.encode(original)
            let decoded = try JSONDecoder().decode(StoredEvent.self, from: data)
            #expect(decoded == original)
            #expect(decoded.canonicalBytes == original.canonicalBytes)
        }
        let wire = String(decoding: try CanonicalJSON.makeEncoder().encode(original), as: UTF8.self)
        #expect(wire.contains(#""drillAt":"2026-01-15T09:00:00.002Z""#))
        #expect(wire.contains(#""hash":"bbbb"#))
    }

    @Test func actorShapes() throws {
        #expect(
            try CanonicalJSON.encode(EventActor.person(unit: "450100", position: "city-duty-chief", token: "T-1"))
                == Data(#"{"kind":"person","position":"city-duty-chief","token":"T-1","unit":"450100"}"#.utf8))
        #expect(
            try CanonicalJSON.encode(EventActor.peer(province: "440000"))
                == Data(#"{"kind":"peer","province":"440000"}"#.utf8))
        #expect(
            try CanonicalJSON.encode(EventActor.system(component: "scheduler"))
                == Data(#"{"component":"scheduler","kind":"system"}"#.utf8))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(EventActor.self, from: Data(#"{"kind":"robot"}"#.utf8))
        }
    }

    struct Sample: Codable, Equatable {
        var when: Date
        var massKg: Double
        var note: String?
    }

    @Test func payloadFromAnyEncodable() throws {
        let sample = Sample(when: Self.morning, massKg: 21_000, note: nil)
        let value = try JSONValue(encoding: sample)
        #expect(value == ["when": "2026-01-15T08:00:00.000Z", "massKg": 21_000])
        #expect(try value.decode(Sample.self) == sample)
    }

    @Test func eventTypesAreDesignNames() {
        let names = [
            "IncidentReported", "LevelSet", "ReportFiled", "PlanComputed", "TaskDispatched", "TaskAcknowledged",
            "TaskStarted", "TaskDone", "TaskDeclined", "TaskCancelled", "TaskOverdue", "TaskEscalated",
            "ObligationDue", "ObligationMet", "PeerNotified", "PeerReceived", "PeerAccepted", "IncidentLinked",
            "IncidentClosed", "DrillStarted", "DrillInjected", "DrillEnded", "TaskUnowned", "TaskRescheduled",
            "PeerEventReceived", "CAPReceived", "CAPHeld", "CAPHeldRefused", "CAPHeldDropped", "ReportForwarded",
            "TaskTextSent", "TaskTextDelivered", "TaskTextFailed", "RotaOverridden",
            "TokenIssued", "TokenRevoked",
        ]
        #expect(EventType.allCases.map(\.rawValue) == names)
    }
}
