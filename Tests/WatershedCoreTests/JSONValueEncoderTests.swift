import Foundation
import Testing

@testable import WatershedCore

/// ``JSONValue/init(encoding:)`` builds the value directly (``JSONValueEncoder``); it must give exactly what
/// `JSONEncoder` + ``JSONValue/parse(_:)`` gave (``JSONValue/init(encodingThroughText:)``), since the stored bytes and
/// their hashes are written from it. Values below are worked out by hand from the rules on ``JSONValueEncoder``.
@Suite struct JSONValueEncoderTests {
    /// Both paths' canonical bytes (bytes, not `==`: `.number(-0.0) == .number(0.0)`).
    static func bothPaths(_ value: some Encodable) throws -> (direct: String, text: String) {
        let direct = try CanonicalJSON.data(JSONValue(encoding: value))
        let text = try CanonicalJSON.data(JSONValue(encodingThroughText: value))
        return (String(decoding: direct, as: UTF8.self), String(decoding: text, as: UTF8.self))
    }

    struct Edges: Encodable {
        var date = Date(timeIntervalSince1970: 1_768_464_000.000_4)  // 2026-01-15T08:00:00.000Z after rounding
        var float: Float = 0.1
        var double = -0.0
        var big: Int64 = 9_007_199_254_740_993  // 2⁵³ + 1: no Double holds it; the nearest even is 2⁵³
        var unsigned: UInt8 = 255
        var data = Data([0xFF, 0x00, 0x41])
        var url = URL(string: "https://example.org/a?b=c")!
        var decimal = Decimal(string: "12.5")!
        var missing: String? = nil
        var present: String? = "x"
        var byInt: [Int: String] = [2: "two", 10: "ten"]
        var nested: [[Bool]] = [[true], []]
        var escaped = "a\"b\\c/\u{1}é"
    }

    @Test func edgeCasesGiveTheSameBytesOnBothPaths() throws {
        let (direct, text) = try Self.bothPaths(Edges())
        #expect(direct == text)
        #expect(
            direct
                == #"{"big":9007199254740992,"byInt":{"10":"ten","2":"two"},"data":"/wBB","date":"2026-01-15T08:00:00.000Z","#
                + #""decimal":12.5,"double":-0,"escaped":"a\"b\\c/\u0001é","float":0.1,"nested":[[true],[]],"#
                + #""present":"x","unsigned":255,"url":"https://example.org/a?b=c"}"#)
    }

    enum Shape: Codable, Equatable {
        case point(x: Double, label: String?)
        case empty
    }

    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    struct Wrapper: Encodable {
        var inner = Nothing()
        var shapes: [Shape] = [.point(x: 1.5, label: nil), .empty]
        var top: Date? = nil
    }

    /// Synthesised enums (nested keyed containers), a member that encodes nothing (`{}`), a `nil` left out.
    @Test func nestedContainersAndEmptyValues() throws {
        let (direct, text) = try Self.bothPaths(Wrapper())
        #expect(direct == text)
        #expect(direct == #"{"inner":{},"shapes":[{"point":{"x":1.5}},{"empty":{}}]}"#)
    }

    @Test func nonFiniteNumbersAreRefusedWithTheirPath() {
        struct Bad: Encodable { var values: [Double] = [1, .nan] }
        #expect(throws: EncodingError.self) { try JSONValue(encoding: Bad()) }
        do {
            _ = try JSONValue(encoding: Bad())
        } catch EncodingError.invalidValue(_, let context) {
            #expect(context.codingPath.map(\.stringValue) == ["values", "Index 1"])
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(throws: EncodingError.self) { try JSONValue(encoding: Float.infinity) }
    }

    @Test func topLevelFragments() throws {
        #expect(try JSONValue(encoding: 5) == .number(5))
        #expect(try JSONValue(encoding: "s") == .string("s"))
        #expect(try JSONValue(encoding: Optional<Int>.none) == .null)
        #expect(try JSONValue(encoding: [1, 2]) == .array([1, 2]))
        #expect(try Self.bothPaths(Float(1e-7)) == (direct: "1e-07", text: "1e-07"))
    }

    /// Every payload the incident rules write for an initial report (plan, tasks, obligations, notices), a follow-up
    /// with a level change and a final report: the same bytes on both paths.
    @Test func everyPayloadOfAnIncidentsLifeGivesTheSameBytes() throws {
        let rules = IncidentRulesTests.rules
        var all = try rules.initialReport(
            IncidentRulesTests.report(), reference: "GX-2012-0001", by: IncidentRulesTests.yizhou,
            now: IncidentRulesTests.filedAt, exercise: false)
        var incident = try IncidentRulesTests.opened()
        let at = IncidentRulesTests.filedAt.addingTimeInterval(3_600)
        let change = try rules.report(
            IncidentRulesTests.followUp(.followUp, levelTo: .III, at: at), on: incident,
            by: IncidentRulesTests.commander, now: at)
        incident = IncidentRulesTests.applying(change, to: incident, at: at)
        let final = try rules.report(
            IncidentRulesTests.followUp(.final, at: at.addingTimeInterval(600)), on: incident,
            by: IncidentRulesTests.commander, now: at.addingTimeInterval(600))
        all += change + final
        let types = Set(all.map(\.type))
        for expected: EventType in [.incidentReported, .planComputed, .obligationDue, .taskDispatched, .reportFiled] {
            #expect(types.contains(expected))
        }
        #expect(types.contains(.levelSet))
        #expect(types.contains(.incidentClosed))
        for event in all {
            let direct = try CanonicalJSON.data(event.payload())
            let text = try CanonicalJSON.data(event.payload(encoding: { try JSONValue(encodingThroughText: $0) }))
            #expect(direct == text, "\(event.type)")
        }
    }
}
