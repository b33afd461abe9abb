import Foundation
import Testing

@testable import WatershedCore

/// The incident model's fold (``Incident``) as a table: one row per rule, each a few events after the opening
/// report and the state they must leave, worked out by hand from the rule written beside the row.
///
/// Every row opens GX-2026-0007 (seq 1) with an ungraded initial report signed by Yizhou District 451203 at
/// 2026-01-15 08:00 UTC, then applies its events as seqs 2, 3, … one minute apart.
@Suite struct IncidentModelTests {
    static let incident = UUID(uuidString: "00000000-0000-0000-0000-0000000000AA")!
    static let other = UUID(uuidString: "00000000-0000-0000-0000-0000000000BB")!
    static let task = UUID(uuidString: "00000000-0000-0000-0000-000000000001")!
    static let reportTask = UUID(uuidString: "00000000-0000-0000-0000-000000000002")!
    static let officer = EventActor.person(unit: "451203", position: "countyDutyOfficer", token: "t-451203")
    static let commander = EventActor.person(unit: "450000", position: "provincialDutyChief", token: "t-450000")
    static let start = CanonicalJSON.date(fromTimestamp: "2026-01-15T08:00:00.000Z")!

    static func minute(_ n: Int) -> Date { start.addingTimeInterval(Double(n) * 60) }

    static let report = InitialReport(
        discoveredAt: start, place: .river(id: "trib", km: 3), informationSource: "12369 hotline",
        cause: "tailings pond overflow", pollutant: "cadmium", release: .instantaneous(massKg: 100),
        signature: ReportSignature(
            reportingUnit: "451203", signingOfficer: "Director Wei", contactName: "Li Ming",
            contactPhone: "0778-1234567"))

    static let county = Assignee(unit: "451203", position: .countyDutyOfficer)
    static let policy = EscalationPolicy(ackMinutes: 15, repeats: 2)

    static func dispatched(_ id: UUID, number: Int, kind: ResponseTaskKind = .site, obligation: String? = nil)
        -> IncidentEvent
    {
        .task(
            .dispatched(
                TaskDispatched(
                    task: id, reference: "GX-2026-0007/T\(number)", number: number, kind: kind,
                    obligation: obligation, title: "task \(number)", assignee: county, startBy: nil, dueBy: nil,
                    policy: policy, chain: [], at: minute(1), ackBy: minute(16))))
    }

    static func obligation(_ id: String) -> ReportObligation {
        ReportObligation(
            id: id, report: .followUp, fromUnit: "451203", fromName: "Yizhou", dutyPosition: .countyDutyOfficer,
            recipients: [], anchor: .discovery, withinH: 24, dueBy: minute(24 * 60), latestDueBy: minute(24 * 60),
            majorPath: false, rule: "MEP Order No. 17 Art. 12", reason: "follow-up")
    }

    static func notification(_ province: UnitCode, crossing: Int) -> PeerNotification {
        PeerNotification(
            province: province, name: "Guangdong", requirement: .required, boundary: "main-gd",
            boundaryName: "Guangxi–Guangdong boundary", crossingAt: minute(crossing), peakMgL: nil,
            ratioToStandard: nil, deadline: minute(crossing - 60), agreement: "2013 Xijiang agreement", kind: nil)
    }

    static func acknowledgement(_ province: UnitCode, by: String? = nil, reference: String? = nil)
        -> PeerAcknowledgementPayload
    {
        PeerAcknowledgementPayload(province: province, by: by, peerReference: reference, at: minute(30))
    }

    /// What a row checks: the parts of ``Incident`` the rules move.
    struct Snapshot: Equatable, CustomStringConvertible {
        var state: Incident.State = .open
        var closedAtMinute: Int?
        var level: SeverityLevel?
        var levelChanges = 0
        var reports = 0
        var tasks: [String: TaskState] = [:]
        var obligations: [String: Incident.Obligation.State] = [:]
        var deliveries: [Incident.Notification.Delivery] = []
        var linked: [String] = []
        var timeline: [EventType] = [.incidentReported]
        var lastSeq: Int64 = 1

        init(
            state: Incident.State = .open, closedAtMinute: Int? = nil, level: SeverityLevel? = nil,
            levelChanges: Int = 0, reports: Int = 0, tasks: [String: TaskState] = [:],
            obligations: [String: Incident.Obligation.State] = [:], deliveries: [Incident.Notification.Delivery] = [],
            linked: [String] = [], timeline: [EventType] = [.incidentReported], lastSeq: Int64 = 1
        ) {
            (self.state, self.closedAtMinute, self.level, self.levelChanges) = (
                state, closedAtMinute, level, levelChanges
            )
            (self.reports, self.tasks, self.obligations, self.deliveries) = (reports, tasks, obligations, deliveries)
            (self.linked, self.timeline, self.lastSeq) = (linked, timeline, lastSeq)
        }

        init(_ incident: Incident) {
            state = incident.state
            closedAtMinute = incident.closedAt.map { Int($0.timeIntervalSince(IncidentModelTests.start) / 60) }
            level = incident.level
            levelChanges = incident.levelChanges
            reports = incident.reports.count
            tasks = Dictionary(uniqueKeysWithValues: incident.tasks.map { ($0.reference, $0.state) })
            obligations = Dictionary(
                incident.obligations.map { ($0.obligation.id, $0.state) }, uniquingKeysWith: { $1 })
            deliveries = incident.notifications.map(\.delivery)
            linked = incident.linked.map(\.reference)
            timeline = incident.timeline.map(\.type)
            lastSeq = incident.lastSeq
        }

        var description: String {
            "\(state) closed@\(closedAtMinute.map(String.init) ?? "-") level \(level.map { "\($0)" } ?? "-")×\(levelChanges) "
                + "reports \(reports) tasks \(tasks) obligations \(obligations) deliveries \(deliveries) "
                + "linked \(linked) timeline \(timeline.map(\.rawValue)) last \(lastSeq)"
        }
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var events: [IncidentEvent]
        var expected: Snapshot
        /// Who files each event (the commander for level changes and closing, the county otherwise).
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(
            rule: "an ungraded initial report opens the incident, open and without a level", events: [],
            expected: Snapshot()),
        Row(
            rule: "LevelSet sets the level and counts the change",
            events: [.levelSet(LevelSetPayload(from: nil, to: .III, at: minute(1)))],
            expected: Snapshot(level: .III, levelChanges: 1, timeline: [.incidentReported, .levelSet], lastSeq: 2)),
        Row(
            rule: "two level changes: the later level stands, both are counted",
            events: [
                .levelSet(LevelSetPayload(from: nil, to: .III, at: minute(1))),
                .levelSet(LevelSetPayload(from: .III, to: .I, at: minute(2))),
            ],
            expected: Snapshot(
                level: .I, levelChanges: 2, timeline: [.incidentReported, .levelSet, .levelSet], lastSeq: 3)),
        Row(
            rule: "a dispatched task is open as dispatched; its acknowledgement makes it acknowledged",
            events: [
                dispatched(task, number: 1),
                .task(.acknowledged(TaskAcknowledged(task: task, by: county, at: minute(2)))),
            ],
            expected: Snapshot(
                tasks: ["GX-2026-0007/T1": .acknowledged],
                timeline: [.incidentReported, .taskDispatched, .taskAcknowledged], lastSeq: 3)),
        Row(
            rule: "a change of a task the incident never dispatched changes nothing but the timeline",
            events: [.task(.acknowledged(TaskAcknowledged(task: other, by: county, at: minute(2))))],
            expected: Snapshot(timeline: [.incidentReported, .taskAcknowledged], lastSeq: 2)),
        Row(
            rule: "ObligationMet meets the due obligation of that id",
            events: [
                .obligationDue(obligation("followUp-451203")),
                .obligationMet(.init(obligation: "followUp-451203", filedAt: minute(2))),
            ],
            expected: Snapshot(
                obligations: ["followUp-451203": .met], timeline: [.incidentReported, .obligationDue, .obligationMet],
                lastSeq: 3)),
        Row(
            rule: "cancelling a report task cancels its obligation still due (nobody is to file it any more)",
            events: [
                .obligationDue(obligation("followUp-451203")),
                dispatched(reportTask, number: 2, kind: .report, obligation: "followUp-451203"),
                .task(.cancelled(TaskCancelled(task: reportTask, reason: "levelChanged", at: minute(3)))),
            ],
            expected: Snapshot(
                tasks: ["GX-2026-0007/T2": .cancelled], obligations: ["followUp-451203": .cancelled],
                timeline: [.incidentReported, .obligationDue, .taskDispatched, .taskCancelled], lastSeq: 4)),
        Row(
            rule: "a met obligation stays met when its report task is cancelled afterwards",
            events: [
                .obligationDue(obligation("followUp-451203")),
                dispatched(reportTask, number: 2, kind: .report, obligation: "followUp-451203"),
                .obligationMet(.init(obligation: "followUp-451203", filedAt: minute(3))),
                .task(.cancelled(TaskCancelled(task: reportTask, reason: "incidentClosed", at: minute(4)))),
            ],
            expected: Snapshot(
                tasks: ["GX-2026-0007/T2": .cancelled], obligations: ["followUp-451203": .met],
                timeline: [.incidentReported, .obligationDue, .taskDispatched, .obligationMet, .taskCancelled],
                lastSeq: 5)),
        Row(
            rule: "a notification is pending, received once the neighbour's server stored it, accepted by its officer",
            events: [
                .peerNotified(PeerNotifiedPayload(pending: notification("440000", crossing: 600))),
                .peerReceived(acknowledgement("440000")),
                .peerAccepted(acknowledgement("440000", by: "440000/provincialDutyChief", reference: "GD-2026-0003")),
            ],
            expected: Snapshot(
                deliveries: [.accepted], timeline: [.incidentReported, .peerNotified, .peerReceived, .peerAccepted],
                lastSeq: 4)),
        Row(
            rule: "a second notification to the same neighbour starts where delivery to it has got to",
            events: [
                .peerNotified(PeerNotifiedPayload(pending: notification("440000", crossing: 600))),
                .peerReceived(acknowledgement("440000")),
                .peerNotified(PeerNotifiedPayload(pending: notification("440000", crossing: 540))),
            ],
            expected: Snapshot(
                deliveries: [.received, .received],
                timeline: [.incidentReported, .peerNotified, .peerReceived, .peerNotified], lastSeq: 4)),
        Row(
            rule: "an acknowledgement from another neighbour leaves this one's delivery alone",
            events: [
                .peerNotified(PeerNotifiedPayload(pending: notification("440000", crossing: 600))),
                .peerReceived(acknowledgement("460000")),
            ],
            expected: Snapshot(
                deliveries: [.pending], timeline: [.incidentReported, .peerNotified, .peerReceived], lastSeq: 3)),
        Row(
            rule: "a follow-up report is kept in the order filed",
            events: [
                .reportFiled(
                    ReportFiledPayload(
                        report: FollowUpReport(kind: .followUp, summary: "intake closed", signature: report.signature))
                )
            ],
            expected: Snapshot(reports: 1, timeline: [.incidentReported, .reportFiled], lastSeq: 2)),
        Row(
            rule: "IncidentLinked records the other incident",
            events: [.linked(IncidentLinkedPayload(linked: other, reference: "GX-2026-0008"))],
            expected: Snapshot(linked: ["GX-2026-0008"], timeline: [.incidentReported, .incidentLinked], lastSeq: 2)),
        Row(
            rule: "IncidentClosed closes it at the event's time",
            events: [.closed(IncidentClosedPayload(reason: "finalReport"))],
            expected: Snapshot(
                state: .closed, closedAtMinute: 1, timeline: [.incidentReported, .incidentClosed], lastSeq: 2)),
    ]

    @Test(arguments: rows) func rule(_ row: Row) {
        var events = [
            RecordedEvent(
                seq: 1, at: Self.start, incident: Self.incident, actor: Self.officer,
                event: .reported(IncidentReportedPayload(reference: "GX-2026-0007", report: Self.report)))
        ]
        for (index, event) in row.events.enumerated() {
            events.append(
                RecordedEvent(
                    seq: Int64(index + 2), at: Self.minute(index + 1), incident: Self.incident, actor: Self.commander,
                    event: event))
        }
        let incident = Incident.fold(events)
        #expect(incident.map(Snapshot.init) == row.expected)
        #expect(incident?.reference == "GX-2026-0007")
        #expect(incident?.spillUnit == "451203", "the reporting unit until a plan names the spill's unit")
    }

    /// Events that are not this incident's, or come before its report, do not change it.
    @Test func eventsOfOtherIncidentsAreIgnored() throws {
        let opening = RecordedEvent(
            seq: 5, at: Self.start, incident: Self.incident, actor: Self.officer,
            event: .reported(IncidentReportedPayload(reference: "GX-2026-0007", report: Self.report)))
        var incident = try #require(Incident(opening: opening))
        incident.apply(
            RecordedEvent(
                seq: 6, at: Self.minute(1), incident: Self.other, actor: Self.commander,
                event: .closed(IncidentClosedPayload(reason: "finalReport"))))
        incident.apply(
            RecordedEvent(
                seq: 4, at: Self.minute(1), incident: Self.incident, actor: Self.commander,
                event: .closed(IncidentClosedPayload(reason: "finalReport"))))
        #expect(incident.state == .open)
        #expect(incident.lastSeq == 5)
        #expect(incident.timeline.count == 1)
        // Only an `IncidentReported` opens one.
        #expect(
            Incident(
                opening: RecordedEvent(
                    seq: 1, at: Self.start, incident: Self.incident, actor: Self.officer,
                    event: .closed(IncidentClosedPayload(reason: "finalReport")))) == nil)
    }

    /// A stored event is read once into its type; a payload of the wrong shape names its seq and type.
    @Test func storedPayloadsAreReadIntoTheirType() throws {
        let level = LevelSetPayload(from: nil, to: .II, at: Self.minute(3))
        let new = try NewEvent(
            at: Self.minute(3), incident: Self.incident, actor: Self.commander, event: .levelSet(level))
        #expect(new.type == .levelSet)
        #expect(new.typed == .levelSet(level))
        let stored = try StoredEvent(seq: 7, event: new, prevHash: StoredEvent.genesisHash) { _, _ in "h" }
        // Read back from the bytes (as at start-up): the same payload.
        let read = try StoredEvent(
            canonicalBytes: stored.canonicalBytes, prevHash: stored.prevHash, hash: stored.hash)
        #expect(try RecordedEvent(read).event == .levelSet(level))
        // Taken as built after an append: the same, nothing decoded.
        #expect(try RecordedEvent(stored, appended: new).event == .levelSet(level))

        let wrong = NewEvent(
            at: Self.minute(3), incident: Self.incident, type: .levelSet, actor: Self.commander,
            payload: ["to": "V", "at": "2026-01-15T08:03:00.000Z"])
        let bad = try StoredEvent(seq: 8, event: wrong, prevHash: StoredEvent.genesisHash) { _, _ in "h" }
        let error = #expect(throws: RecordedEventError.self) { try RecordedEvent(bad) }
        #expect(error?.seq == 8)
        #expect(error?.type == .levelSet)
    }

    /// A neighbour's CAP thread opens an incident like any other (issue 16): our reference, discovered at the
    /// Alert's `sent` (2003-04-02T14:39:01-05:00 is 19:39:01Z), reported by the peer; a Cancel withdraws it.
    @Test func aCAPAlertOpensAnIncidentAndItsCancelWithdrawsIt() throws {
        func message(_ type: String, id: String, sent: String, reference: String?) -> IncidentEvent {
            .capReceived(
                CAPReceivedPayload(
                    peer: "440000", sender: "hsas@dhs.gov", identifier: id, sent: sent, status: "Actual", msgType: type,
                    references: [], headline: type == "Alert" ? "Code ORANGE" : nil, wasHeld: false, xml: "<alert/>",
                    reference: reference))
        }
        let guangdong = EventActor.peer(province: "440000")
        let alert = RecordedEvent(
            seq: 3, at: Self.start, incident: Self.incident, actor: guangdong,
            event: message("Alert", id: "43b080713727", sent: "2003-04-02T14:39:01-05:00", reference: "GX-2003-0001"))
        var incident = try #require(Incident(opening: alert))
        #expect(incident.reference == "GX-2003-0001")
        #expect(incident.discoveredAt == CanonicalJSON.date(fromTimestamp: "2003-04-02T19:39:01.000Z"))
        #expect(incident.spillUnit == "440000")
        #expect(incident.initialReport == nil)
        #expect(incident.cap?.headline == "Code ORANGE")
        #expect(incident.isOpen)
        incident.apply(
            RecordedEvent(
                seq: 4, at: Self.minute(1), incident: Self.incident, actor: guangdong,
                event: message("Cancel", id: "43b080713728", sent: "2003-04-02T16:00:00-05:00", reference: nil)))
        #expect(incident.state == .cancelled)
        #expect(incident.closedAt == Self.minute(1))
        #expect(incident.cap?.messages.map(\.msgType) == ["Alert", "Cancel"])
        #expect(
            incident.timeline.map(\.summary) == [
                "440000 CAP Alert (Actual): Code ORANGE", "440000 CAP Cancel (Actual)",
            ])
        // A thread stored before references were recorded is known by `CAP-` and the start of its UUID.
        let old = RecordedEvent(
            seq: 5, at: Self.start, incident: Self.other, actor: guangdong,
            event: message("Alert", id: "x", sent: "2003-04-02T14:39:01-05:00", reference: nil))
        #expect(Incident(opening: old)?.reference == "CAP-00000000")
    }
}
