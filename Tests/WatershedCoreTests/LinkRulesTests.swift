import Foundation
import Testing
import WatershedCore

/// Linking two reports of the same spill (``IncidentRules/link(_:to:)``), one row per rule, on incidents opened
/// as ``IncidentRulesTests`` opens GX-2012-0001.
@Suite struct LinkRulesTests {
    static func incident(_ id: String, reference: String, exercise: Bool = false, linkedTo: UUID? = nil) throws
        -> Incident
    {
        let uuid = UUID(uuidString: id)!
        var events = [
            RecordedEvent(
                seq: 1, at: IncidentRulesTests.filedAt, incident: uuid, actor: IncidentRulesTests.commander.actor,
                exercise: exercise,
                event: .reported(IncidentReportedPayload(reference: reference, report: IncidentRulesTests.report())))
        ]
        if let linkedTo {
            events.append(
                RecordedEvent(
                    seq: 2, at: IncidentRulesTests.filedAt, incident: uuid, actor: IncidentRulesTests.commander.actor,
                    exercise: exercise,
                    event: .linked(IncidentLinkedPayload(linked: linkedTo, reference: "GX-2012-0002"))))
        }
        return try #require(Incident.fold(events))
    }

    static let a = "00000000-0000-0000-0000-00000000000A"
    static let b = "00000000-0000-0000-0000-00000000000B"

    /// Two real incidents: each gets an `IncidentLinked` naming the other, the path's incident first.
    @Test func twoReportsOfOneSpillAreLinkedBothWays() throws {
        let first = try Self.incident(Self.a, reference: "GX-2012-0001")
        let second = try Self.incident(Self.b, reference: "GX-2012-0002")
        let events = try IncidentRulesTests.rules.link(first, to: second)
        #expect(events.map(\.incident) == [first.id, second.id])
        #expect(
            events.map(\.event) == [
                .linked(IncidentLinkedPayload(linked: second.id, reference: "GX-2012-0002")),
                .linked(IncidentLinkedPayload(linked: first.id, reference: "GX-2012-0001")),
            ])
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var rule: String
        var second: String
        var secondExercise = false
        var firstLinkedToSecond = false
        var kind: DomainError.Kind
        var code: String
        var testDescription: String { rule }
    }

    @Test(arguments: [
        Refusal(rule: "an incident is not linked to itself", second: a, kind: .conflict, code: "same_incident"),
        Refusal(
            rule: "a drill's incident is not linked to a real one (drills stay apart)", second: b,
            secondExercise: true, kind: .invalid, code: "exercise_mismatch"),
        Refusal(
            rule: "a pair is linked once", second: b, firstLinkedToSecond: true, kind: .conflict,
            code: "already_linked"),
    ])
    func refused(_ row: Refusal) throws {
        let first = try Self.incident(
            Self.a, reference: "GX-2012-0001", linkedTo: row.firstLinkedToSecond ? UUID(uuidString: Self.b) : nil)
        let second = try Self.incident(row.second, reference: "GX-2012-0002", exercise: row.secondExercise)
        do {
            _ = try IncidentRulesTests.rules.link(first, to: second)
            Issue.record("linked")
        } catch {
            #expect(error.kind == row.kind)
            #expect(error.code == row.code)
            #expect(error.field == "incident")
        }
    }
}
