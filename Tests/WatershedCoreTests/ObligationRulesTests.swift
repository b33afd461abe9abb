import Foundation
import Testing
import WatershedCore

/// Who meets which report obligation, and when it is late (MEP Order No. 17 Art. 3; issue 17, "Reporting"): each
/// obligation is met by its own unit's report; the province's report to MEE is due 1 h after it receives the county's
/// (when that report is filed), and is met by forwarding it or by the province's own report; a report after its
/// deadline meets it late, by the difference at the millisecond.
///
/// The hand basin's cadmium spill in Yizhou (451203) is on the II/I path (Art. 4(3) heavy metals), discovered at
/// 08:00 China Standard Time (00:00 UTC): the county's initial report is due 10:00 (2 h); the province's
/// `initial-450000-mee` is counted from receipt. Every value below is worked out by hand from those rules.
@Suite struct ObligationRulesTests {
    static let rules = IncidentRulesTests.rules
    static let county = IncidentRulesTests.yizhou
    static let commander = IncidentRulesTests.commander
    static let countyID = "initial-451203"
    static let provinceID = "initial-450000-mee"

    /// `"09:45"` (China Standard Time) on the day of the spill; `seconds` adds to it.
    static func time(_ hhmm: String, seconds: Double = 0) -> Date {
        let parts = hhmm.split(separator: ":").compactMap { Double($0) }
        return HandBasin.spillTime.addingTimeInterval((parts[0] - 8) * 3_600 + parts[1] * 60 + seconds)
    }

    /// The incident the initial report signed as `unit`, filed by `holder` at `at`, opens (seqs 1, 2, …).
    static func opened(signedAs unit: UnitCode, by holder: TokenHolder, at: Date) throws -> Incident {
        let events = try rules.initialReport(
            IncidentRulesTests.report(signedBy: unit), reference: "GX-2012-0001", by: holder, now: at, exercise: false)
        return try #require(
            Incident.fold(
                events.enumerated().map { index, event in
                    RecordedEvent(
                        seq: Int64(index + 1), at: at, incident: IncidentRulesTests.incidentID, actor: holder.actor,
                        event: event)
                }))
    }

    static func obligation(_ id: String, of incident: Incident) throws -> Incident.Obligation {
        try #require(incident.currentObligations.first { $0.obligation.id == id }, "no obligation \(id)")
    }

    // MARK: Each obligation is met by its own unit's report

    struct Filing: Sendable, CustomTestStringConvertible {
        var rule: String
        var signedAs: UnitCode
        var byCommander: Bool
        var at: String
        var atSeconds: Double = 0
        /// The county's obligation: met, and late by (seconds), or due.
        var county: (met: Bool, lateBy: Double?)
        /// The province's: met or due, and its `dueBy` (nil before receipt).
        var province: (met: Bool, dueBy: Date?)
        var testDescription: String { rule }
    }

    @Test(arguments: [
        Filing(
            rule: "the county files as itself at 08:30: its own met on time (due 10:00); province's due 09:30",
            signedAs: "451203", byCommander: false, at: "08:30", county: (true, nil),
            province: (false, time("09:30"))),
        Filing(
            rule: "a commander filing as the county meets the county's, not the province's (due 09:30)",
            signedAs: "451203", byCommander: true, at: "08:30", county: (true, nil), province: (false, time("09:30"))),
        Filing(
            rule: "a commander filing as the province meets the province's; the county's stays due, no receipt yet",
            signedAs: "450000", byCommander: true, at: "08:30", county: (false, nil), province: (true, nil)),
        Filing(
            rule: "the county files at 10:12: met late by 12 min (720 s); province's due 1 h after receipt, 11:12",
            signedAs: "451203", byCommander: false, at: "10:12", county: (true, 720), province: (false, time("11:12"))),
        Filing(
            rule: "at 10:00:00.000, its deadline to the millisecond: on time",
            signedAs: "451203", byCommander: false, at: "10:00", county: (true, nil), province: (false, time("11:00"))),
        Filing(
            rule: "at 10:00:00.001: late by 1 ms",
            signedAs: "451203", byCommander: false, at: "10:00", atSeconds: 0.001, county: (true, 0.001),
            province: (false, time("11:00", seconds: 0.001))),
    ])
    func theInitialReportMeetsTheObligationOfTheUnitItIsSignedAs(_ row: Filing) throws {
        let holder = row.byCommander ? Self.commander : Self.county
        let at = Self.time(row.at, seconds: row.atSeconds)
        let incident = try Self.opened(signedAs: row.signedAs, by: holder, at: at)
        let county = try Self.obligation(Self.countyID, of: incident)
        #expect(county.obligation.dueBy == Self.time("10:00"))
        #expect(county.state == (row.county.met ? .met : .due))
        #expect(county.lateBy == row.county.lateBy)
        #expect(county.metAt == (row.county.met ? at : nil))
        let province = try Self.obligation(Self.provinceID, of: incident)
        #expect(province.state == (row.province.met ? .met : .due))
        #expect(province.obligation.dueBy == row.province.dueBy)
        #expect(province.lateBy == nil)
        // The obligation still due has its report task; the met one has none.
        let reportTasks = incident.tasks.compactMap(\.obligation)
        #expect(reportTasks.contains(Self.countyID) == !row.county.met)
        #expect(reportTasks.contains(Self.provinceID) == !row.province.met)
    }

    // MARK: The province forwards the county's report

    struct Forwarding: Sendable, CustomTestStringConvertible {
        var rule: String
        var at: String
        var atSeconds: Double = 0
        var lateBy: Double?
        var testDescription: String { rule }
    }

    /// County files at 08:30 → the province's report to MEE is due 09:30 (Art. 3: 1 h after receipt).
    @Test(arguments: [
        Forwarding(rule: "forwarded at 09:20: met on time", at: "09:20"),
        Forwarding(rule: "forwarded at 09:30:00.000, the deadline to the millisecond: on time", at: "09:30"),
        Forwarding(rule: "forwarded at 09:45: met late by 15 min (900 s)", at: "09:45", lateBy: 900),
        Forwarding(rule: "forwarded at 10:42: met late by 1 h 12 min (4,320 s)", at: "10:42", lateBy: 4_320),
    ])
    func forwardingTheCountysReportMeetsTheProvincesObligation(_ row: Forwarding) throws {
        let incident = try Self.opened(signedAs: "451203", by: Self.county, at: Self.time("08:30"))
        let at = Self.time(row.at, seconds: row.atSeconds)
        let events = try Self.rules.forward(report: nil, to: "MEE", on: incident, by: Self.commander, now: at)
        guard case .reportForwarded(let forwarded) = events.first else {
            Issue.record("ReportForwarded does not come first: \(events.map(\.type))")
            return
        }
        #expect(
            forwarded
                == ReportForwardedPayload(
                    reportSeq: incident.reportedSeq, report: .initial, reportingUnit: "451203", from: "450000",
                    to: "MEE"))
        #expect(
            events.dropFirst().first
                == .obligationMet(
                    ObligationMetPayload(
                        obligation: Self.provinceID, reportSeq: incident.reportedSeq, filedAt: at, unit: "450000")))
        let after = IncidentRulesTests.applying(events, to: incident, at: at)
        let province = try Self.obligation(Self.provinceID, of: after)
        #expect(province.state == .met)
        #expect(province.metAt == at)
        #expect(province.lateBy == row.lateBy)
        #expect(province.metLate == (row.lateBy != nil))
        // Its report task is done with it; the county's obligation is untouched (met at 08:30 on time).
        #expect(after.tasks.first { $0.obligation == Self.provinceID }?.state == .done)
        #expect(try Self.obligation(Self.countyID, of: after).metAt == Self.time("08:30"))
        #expect(after.forwards.map(\.forwarded) == [forwarded])
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var rule: String
        var signedAs: UnitCode
        var report: Int64?
        var to: String
        var forwardTwice = false
        var kind: DomainError.Kind
        var code: String
        var field: String
        var testDescription: String { rule }
    }

    @Test(arguments: [
        Refusal(
            rule: "a seq that is no report of the incident: 404", signedAs: "451203", report: 99, to: "MEE",
            kind: .notFound, code: "unknown_report", field: "report"),
        Refusal(
            rule: "a seq of an event that is not a report (the plan, seq 2): 404", signedAs: "451203", report: 2,
            to: "MEE", kind: .notFound, code: "unknown_report", field: "report"),
        Refusal(
            rule: "the same report to the same recipient twice: 409", signedAs: "451203", report: nil, to: "MEE",
            forwardTwice: true, kind: .conflict, code: "already_forwarded", field: "to"),
        Refusal(
            rule: "only the province's own report: nothing to forward, 409", signedAs: "450000", report: nil,
            to: "MEE", kind: .conflict, code: "nothing_to_forward", field: "report"),
        Refusal(
            rule: "the province's own report named by seq: 409", signedAs: "450000", report: 1, to: "MEE",
            kind: .conflict, code: "nothing_to_forward", field: "report"),
        Refusal(
            rule: "an unknown recipient: 422", signedAs: "451203", report: nil, to: "MOE", kind: .invalid,
            code: "invalid_field", field: "to"),
    ])
    func forwardingIsRefused(_ row: Refusal) throws {
        let holder = row.signedAs == "451203" ? Self.county : Self.commander
        var incident = try Self.opened(signedAs: row.signedAs, by: holder, at: Self.time("08:30"))
        if row.forwardTwice {
            let first = try Self.rules.forward(
                report: row.report, to: row.to, on: incident, by: Self.commander, now: Self.time("09:00"))
            incident = IncidentRulesTests.applying(first, to: incident, at: Self.time("09:00"))
        }
        let error = #expect(throws: DomainError.self) {
            try Self.rules.forward(
                report: row.report, to: row.to, on: incident, by: Self.commander, now: Self.time("09:10"))
        }
        #expect(error?.kind == row.kind)
        #expect(error?.code == row.code)
        #expect(error?.field == row.field)
    }

    // MARK: Follow-up reports

    struct FollowUp: Sendable, CustomTestStringConvertible {
        var rule: String
        var signedAs: UnitCode
        var at: String
        var province: (met: Bool, lateBy: Double?)
        var testDescription: String { rule }
    }

    /// County files at 08:30 → province's due 09:30.
    @Test(arguments: [
        FollowUp(
            rule: "the province's own report (signed as 450000) at 09:50 meets it late by 20 min", signedAs: "450000",
            at: "09:50", province: (true, 1_200)),
        FollowUp(
            rule: "the province's own report at 09:25 meets it on time", signedAs: "450000", at: "09:25",
            province: (true, nil)),
        FollowUp(
            rule: "the county's follow-up, even filed by the commander, does not meet the province's",
            signedAs: "451203", at: "09:25", province: (false, nil)),
    ])
    func aFollowUpMeetsOnlyTheObligationsOfItsSigningUnit(_ row: FollowUp) throws {
        let incident = try Self.opened(signedAs: "451203", by: Self.county, at: Self.time("08:30"))
        let at = Self.time(row.at)
        var report = IncidentRulesTests.followUp(.followUp, at: at)
        report.signature.reportingUnit = row.signedAs
        let events = try Self.rules.report(report, on: incident, by: Self.commander, now: at)
        let after = IncidentRulesTests.applying(events, to: incident, at: at)
        let province = try Self.obligation(Self.provinceID, of: after)
        #expect(province.state == (row.province.met ? .met : .due))
        #expect(province.lateBy == row.province.lateBy)
        #expect(province.obligation.dueBy == Self.time("09:30"))
    }

    /// A level change re-runs Art. 3 from the change: at 09:00 the commander sets level I; the county's
    /// `initial-451203/level-change-1` is due 11:00 and the province's `initial-450000-mee/level-change-1` is counted
    /// from receipt. The county's report at 09:40 is that receipt: the province's is due 10:40 (a new
    /// `ObligationDue` replacing the first in place), and forwarded at 10:41 it is met late by 1 min.
    @Test func aLevelChangesCountyReportStartsTheProvincesHour() throws {
        let opened = try Self.opened(signedAs: "451203", by: Self.county, at: Self.time("08:30"))
        let changeAt = Self.time("09:00")
        let change = try Self.rules.report(
            IncidentRulesTests.followUp(.followUp, levelTo: .I, at: changeAt), on: opened, by: Self.commander,
            now: changeAt)
        let changed = IncidentRulesTests.applying(change, to: opened, at: changeAt)
        let provinceID = Self.provinceID + "/level-change-1"
        #expect(try Self.obligation(provinceID, of: changed).obligation.dueBy == nil)
        let countyAt = Self.time("09:40")
        let countyReport = try Self.rules.report(
            IncidentRulesTests.followUp(.followUp, at: countyAt), on: changed, by: Self.county, now: countyAt)
        let received = IncidentRulesTests.applying(countyReport, to: changed, at: countyAt)
        let county = try Self.obligation(Self.countyID + "/level-change-1", of: received)
        #expect(county.state == .met)
        #expect(county.lateBy == nil)
        let province = try Self.obligation(provinceID, of: received)
        #expect(province.state == .due)
        #expect(province.obligation.dueBy == Self.time("10:40"))
        #expect(received.obligations.filter { $0.obligation.id == provinceID }.count == 1)
        let forwardAt = Self.time("10:41")
        let forward = try Self.rules.forward(
            report: nil, to: "MEE", on: received, by: Self.commander, now: forwardAt)
        let forwarded = IncidentRulesTests.applying(forward, to: received, at: forwardAt)
        // The latest report of the county (its follow-up) is the one forwarded; it meets the level change's
        // province obligation, the one counted from receipt still due (the discovery one too: both are due to MEE).
        #expect(forwarded.forwards.first?.forwarded.reportSeq == received.reports.last?.seq)
        #expect(try Self.obligation(provinceID, of: forwarded).lateBy == 60)
        #expect(try Self.obligation(Self.provinceID, of: forwarded).lateBy == 4_260)  // due 09:30, met 10:41
    }
}
