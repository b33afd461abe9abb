import Foundation
import Testing
import WatershedCore

/// Which neighbours the peer watch must chase (``Incident/overdueNotifications(at:)``): one row per rule, on
/// GX-2026-0007 as ``IncidentModelTests`` opens it (08:00 UTC). A notification to Guangdong crossing at minute 600
/// (18:00) is due 60 minutes before, at minute 540 (17:00).
@Suite struct OverdueNotificationTests {
    struct Row: CustomTestStringConvertible, Sendable {
        var rule: String
        var events: [IncidentEvent]
        var exercise = false
        var atMinute: Int
        /// Overdue provinces with their deadline (minute) and delivery.
        var expected: [(UnitCode, Int, Incident.Notification.Delivery)]
        var testDescription: String { rule }
    }

    static func notified(_ province: UnitCode, crossing: Int) -> IncidentEvent {
        .peerNotified(PeerNotifiedPayload(pending: IncidentModelTests.notification(province, crossing: crossing)))
    }

    static let rows: [Row] = [
        Row(
            rule: "before its deadline nothing is overdue", events: [notified("440000", crossing: 600)], atMinute: 539,
            expected: []),
        Row(
            rule: "at its deadline a notification not received is overdue as such",
            events: [notified("440000", crossing: 600)], atMinute: 540, expected: [("440000", 540, .pending)]),
        Row(
            rule: "received but not accepted: overdue as not accepted, never as not received",
            events: [notified("440000", crossing: 600), .peerReceived(IncidentModelTests.acknowledgement("440000"))],
            atMinute: 541, expected: [("440000", 540, .received)]),
        Row(
            rule: "accepted: nothing to chase",
            events: [notified("440000", crossing: 600), .peerAccepted(IncidentModelTests.acknowledgement("440000"))],
            atMinute: 900, expected: []),
        Row(
            rule: "a second notification (a dam release warning due earlier) brings the deadline forward and keeps "
                + "the delivery reached",
            events: [
                notified("440000", crossing: 600), .peerReceived(IncidentModelTests.acknowledgement("440000")),
                notified("440000", crossing: 570),
            ], atMinute: 511, expected: [("440000", 510, .received)]),
        Row(
            rule: "each neighbour by its own deadline, earliest first",
            events: [notified("460000", crossing: 700), notified("440000", crossing: 600)], atMinute: 700,
            expected: [("440000", 540, .pending), ("460000", 640, .pending)]),
        Row(
            rule: "a closed incident owes nothing",
            events: [notified("440000", crossing: 600), .closed(IncidentClosedPayload(reason: "finalReport"))],
            atMinute: 900, expected: []),
        Row(
            rule: "a drill's notifications are part of the drill", events: [notified("440000", crossing: 600)],
            exercise: true, atMinute: 900, expected: []),
    ]

    @Test(arguments: rows) func rule(_ row: Row) throws {
        let opening = RecordedEvent(
            seq: 1, at: IncidentModelTests.start, incident: IncidentModelTests.incident,
            actor: IncidentModelTests.officer, exercise: row.exercise,
            event: .reported(IncidentReportedPayload(reference: "GX-2026-0007", report: IncidentModelTests.report)))
        let events = row.events.enumerated().map { index, event in
            RecordedEvent(
                seq: Int64(index + 2), at: IncidentModelTests.minute(index + 1), incident: IncidentModelTests.incident,
                actor: IncidentModelTests.commander, exercise: row.exercise, event: event)
        }
        let incident = try #require(Incident.fold([opening] + events))
        let overdue = incident.overdueNotifications(at: IncidentModelTests.minute(row.atMinute))
        #expect(overdue.map(\.province) == row.expected.map(\.0))
        #expect(overdue.map(\.deadline) == row.expected.map { IncidentModelTests.minute($0.1) })
        #expect(overdue.map(\.delivery) == row.expected.map(\.2))
    }
}
