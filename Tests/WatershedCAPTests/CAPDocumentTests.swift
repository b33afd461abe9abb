import Foundation
import Testing
import WatershedCAP
import WatershedCore
import WatershedPlaybooks
import WatershedTestSupport

/// Incidents mapped to CAP 1.2 (``CAPDocument``): the 2012 Longjiang cadmium spill filed at level II, raised to I
/// by a follow-up, closed by its final report. Expected values are read off the mapping table (CAP 1.2 §3.2.2,
/// levels per the 2014 national plan) and the playbook, not computed by the code under test.
struct CAPDocumentTests {
    static let basin: Basin = {
        let peers = Fixtures.peersFile.path
        return try! PlaybookLoader().load(
            directory: Fixtures.playbooksDirectory.path,
            peersFile: FileManager.default.fileExists(atPath: peers) ? peers : nil
        ).basin
    }()

    /// 2012-01-15T08:00:00+08:00 = 2012-01-15T00:00:00Z = 1326585600.
    static let discovery = Date(timeIntervalSince1970: 1_326_585_600)
    static let incident = UUID(uuidString: "0C0D0E0F-0000-4000-8000-000000000001")!
    static let signature = ReportSignature(
        reportingUnit: "451203", signingOfficer: "Director Wei", contactName: "Li Ming", contactPhone: "0778-1234567")

    /// The Longjiang report: level II, 21 t of cadmium at the Lalang dam (km 0), Cd 0.4 mg/L measured there
    /// (80 times the 0.005 mg/L standard).
    static func report(exercise: Bool = false) -> InitialReport {
        InitialReport(
            discoveredAt: discovery, place: .river(id: "longjiang", km: 0),
            informationSource: "fish deaths reported by Lalang reservoir staff",
            cause: "cadmium discharge through karst caves", pollutant: "cadmium",
            release: .instantaneous(massKg: 21_000),
            monitoring: [
                MonitoringResult(
                    node: nil, sampledAt: discovery.addingTimeInterval(3_600), pollutant: "cadmium",
                    concentrationMgL: 0.4)
            ], level: .II, signature: signature, exercise: exercise)
    }

    static func stored(_ seq: Int64, _ type: EventType, _ payload: some Encodable, at: Date, exercise: Bool = false)
        throws -> StoredEvent
    {
        try StoredEvent(
            seq: seq,
            event: NewEvent(
                at: at, incident: incident, type: type,
                actor: .person(unit: "451203", position: "county-duty-officer", token: "T-1"), exercise: exercise,
                payload: try JSONValue(encoding: payload)),
            prevHash: StoredEvent.genesisHash, chain: { _, _ in "" })
    }

    /// Filed 10:00 (seq 1–3), level I at 2012-01-16 09:00 (seq 4–5), closed 2012-02-23 18:00 (seq 6–7).
    static func events(exercise: Bool = false) throws -> [StoredEvent] {
        let report = report(exercise: exercise)
        let plan = try #require(report.checked(in: basin, ownProvince: "450000").plan)
        let filed = discovery.addingTimeInterval(2 * 3_600)
        let raised = discovery.addingTimeInterval(25 * 3_600)
        let closed = Date(timeIntervalSince1970: 1_329_991_200)  // 2012-02-23T10:00:00Z = 18:00 +08:00
        let followUp = FollowUpReport(
            kind: .followUp, summary: "Cd above standard at Luodong", levelChange: LevelChange(to: .I, at: raised),
            signature: signature)
        let final = FollowUpReport(
            kind: .final, summary: "Liuzhou intakes compliant; response ended", signature: signature)
        return [
            try stored(
                1, .incidentReported, IncidentReportedPayload(reference: "GX-2012-0001", report: report), at: filed,
                exercise: exercise),
            try stored(2, .planComputed, plan, at: filed, exercise: exercise),
            try stored(
                3, .taskAcknowledged, ["task": "x"] as [String: String], at: filed.addingTimeInterval(60),
                exercise: exercise),
            try stored(4, .reportFiled, ReportFiledPayload(report: followUp), at: raised, exercise: exercise),
            try stored(5, .levelSet, LevelSetPayload(from: .II, to: .I, at: raised), at: raised, exercise: exercise),
            try stored(6, .reportFiled, ReportFiledPayload(report: final), at: closed, exercise: exercise),
            try stored(
                7, .incidentClosed, IncidentClosedPayload(reason: "finalReport"), at: closed, exercise: exercise),
        ]
    }

    @Test func longjiangMessages() throws {
        let alerts = CAPDocument.alerts(for: try Self.events(), basin: Self.basin, province: "450000")
        #expect(alerts.count == 3)
        #expect(alerts.map(\.msgType) == [.alert, .update, .update])
        #expect(
            alerts.map(\.identifier) == [
                "urn:watershed:450000:GX-2012-0001:1", "urn:watershed:450000:GX-2012-0001:4",
                "urn:watershed:450000:GX-2012-0001:6",
            ])
        #expect(alerts.allSatisfy { $0.sender == "watershed.450000.gov.cn" && $0.status == .actual })
        #expect(
            alerts.map(\.sent.text) == [
                "2012-01-15T10:00:00+08:00", "2012-01-16T09:00:00+08:00", "2012-02-23T18:00:00+08:00",
            ])
        #expect(alerts[0].references.isEmpty)
        #expect(alerts[1].references == [alerts[0].reference])
        #expect(alerts[2].references == [alerts[0].reference, alerts[1].reference])
        #expect(alerts.allSatisfy { $0.incidents == "GX-2012-0001" && $0.scope == .restricted })

        let first = alerts[0].info[0]
        #expect(first.categories == [.env])
        // Level II → Severe; Cd 0.4 mg/L > 0.005 → Observed; the Lalang dam is at the spill point (km 0), so
        // its task's latest start is at or before discovery, 2 h before `sent` → Immediate.
        #expect(first.severity == .severe)
        #expect(first.certainty == .observed)
        #expect(first.urgency == .immediate)
        #expect(first.responseTypes == [.avoid, .monitor])  // the plan reaches Liuzhou's intakes
        #expect(first.onset?.text == "2012-01-15T08:00:00+08:00")
        #expect(first.parameter("pollutant") == "cadmium")
        #expect(first.parameter("CAS") == "7440-43-9")
        #expect(first.parameter("concentrationMgL") == "0.4")
        #expect(first.parameter("ratioToStandard") == "80")
        #expect(first.parameter("standardMgL") == "0.005")
        #expect(first.parameter("river") == "longjiang")
        #expect(first.parameter("chainageKm") == "0")
        #expect(first.parameter("severityLevel") == "II")
        #expect(first.parameter("massKg") == "21000")
        // The spill circle at the first point of the Lalang–Yizhou reach line, [108.43, 24.56] (playbook).
        let spill = first.areas[0]
        #expect(spill.circles == [CAPCircle(center: CAPPoint(lat: 24.56, lon: 108.43), radiusKm: 1)])
        #expect(spill.geocodes == [CAPValue("GB/T 2260", "451203")])
        let path = try #require(first.areas.dropFirst().first)
        #expect(!path.polygons.isEmpty)
        for ring in path.polygons {
            #expect(ring.count >= 4 && ring.first == ring.last)
        }
        #expect(path.geocodes.contains(CAPValue("GB/T 2260", "450222")))  // Liucheng reach of the Longjiang

        // Raised to level I → Extreme.
        #expect(alerts[1].info[0].severity == .extreme)
        #expect(alerts[1].info[0].parameter("severityLevel") == "I")
        // Closed: an Update with AllClear, urgency Past, certainty Observed; severity stays with the level.
        let last = alerts[2].info[0]
        #expect(last.responseTypes == [.allClear])
        #expect(last.urgency == .past)
        #expect(last.certainty == .observed)
        #expect(last.severity == .extreme)
        #expect(last.headline?.hasPrefix("Closed: ") == true)

        for alert in alerts {
            #expect(try Fixtures.capSchemaProblems(alert.xmlDocument()) == nil)
            #expect(try CAPAlert(xml: Data(alert.xmlDocument().utf8)) == alert)
        }
    }

    @Test func exerciseIsMarked() throws {
        let alerts = CAPDocument.alerts(for: try Self.events(exercise: true), basin: Self.basin, province: "450000")
        #expect(alerts.count == 3)
        #expect(alerts.allSatisfy { $0.status == .exercise && $0.note?.contains("Exercise") == true })
        #expect(alerts[0].info[0].headline?.hasPrefix("EXERCISE: ") == true)
        #expect(try Fixtures.capSchemaProblems(alerts[0].xmlDocument()) == nil)
    }

    /// The severity table: level I–IV, then Art. 4 triggers, then the grading hint.
    @Test(arguments: [
        (SeverityLevel?.some(.I), [Art4Trigger](), SeverityLevel?.none, CAPInfo.Severity.extreme),
        (.II, [], nil, .severe),
        (.III, [.heavyMetals], nil, .moderate),  // a graded incident follows its level (DOMAIN.md §2)
        (.IV, [], nil, .minor),
        (nil, [.heavyMetals], .IV, .severe),  // ungraded with an Art. 4 trigger: on the II/I path
        (nil, [], .III, .moderate),
        (nil, [], nil, .unknown),
    ])
    func severity(level: SeverityLevel?, triggers: [Art4Trigger], hint: SeverityLevel?, expected: CAPInfo.Severity) {
        #expect(CAPDocument.severity(level: level, triggers: triggers, hint: hint) == expected)
    }

    /// The urgency table, around the plan's earliest latest-start.
    @Test func urgency() throws {
        let plan = try #require(Self.report().checked(in: Self.basin, ownProvince: "450000").plan)
        let earliest = try #require(plan.tasks.map(\.latestStart).min())
        #expect(CAPDocument.urgency(closed: false, plan: plan, sent: earliest) == .immediate)
        #expect(CAPDocument.urgency(closed: false, plan: plan, sent: earliest.addingTimeInterval(-1_800)) == .expected)
        #expect(CAPDocument.urgency(closed: false, plan: plan, sent: earliest.addingTimeInterval(-3_600)) == .expected)
        #expect(CAPDocument.urgency(closed: false, plan: plan, sent: earliest.addingTimeInterval(-3_601)) == .future)
        #expect(CAPDocument.urgency(closed: true, plan: plan, sent: earliest) == .past)
        #expect(CAPDocument.urgency(closed: false, plan: nil, sent: earliest) == .unknown)
    }

    /// Certainty: a measured concentration above the standard makes it Observed; at or below, Likely.
    @Test func certainty() {
        func result(_ mgL: Double) -> MonitoringResult {
            MonitoringResult(node: nil, sampledAt: Self.discovery, pollutant: "cadmium", concentrationMgL: mgL)
        }
        let limits = ["cadmium": 0.005]
        #expect(CAPDocument.certainty(closed: false, monitoring: [], limits: limits) == .likely)
        #expect(CAPDocument.certainty(closed: false, monitoring: [result(0.005)], limits: limits) == .likely)
        #expect(CAPDocument.certainty(closed: false, monitoring: [result(0.0051)], limits: limits) == .observed)
        #expect(CAPDocument.certainty(closed: true, monitoring: [], limits: limits) == .observed)
    }

    /// A two-point line buffered by 1 km: a closed ring of 5 points, 1 km either side (lat 24.56 ± 1/110.574°).
    @Test func bufferOfAStraightLine() throws {
        let ring = try #require(
            CAPGeometry.buffer([LngLat(lng: 108.43, lat: 24.56), LngLat(lng: 108.50, lat: 24.56)], halfWidthKm: 1))
        #expect(ring.count == 5)
        #expect(ring.first == ring.last)
        // 1 / 110.574 = 0.009044 degrees of latitude.
        #expect(ring[0] == CAPPoint(lat: 24.56904, lon: 108.43))
        #expect(ring[2] == CAPPoint(lat: 24.55096, lon: 108.5))
    }
}
