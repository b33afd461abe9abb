import Foundation
import Testing
import WatershedCore

/// The duty rota's rule (issue 19): the last override covering a moment, else the rotation's person on shift
/// `⌊(t − startsAt) / shiftHours⌋ mod people`. Every expected holder below is counted by hand in the comments.
@Suite struct DutyRotaTests {
    static let yizhou = Assignee(unit: "451203", position: .countyDutyOfficer)
    static let region = Assignee(unit: "450000", position: .provincialDutyChief)

    static func time(_ text: String) -> Date { DrillScenario.parseTime(text)! }

    static func person(_ id: String, _ mobile: String) -> DutyRota.Person {
        DutyRota.Person(id: id, name: id, mobile: MobileNumber(mobile)!)
    }

    /// Yizhou's three officers on 24-hour shifts from 2026-01-01 08:30 +08:00, and a swap on New Year's Day 2027.
    static let rota = DutyRota(
        people: [
            "lu": person("lu", "+8610000451231"), "wu": person("wu", "+8610000451232"),
            "tan": person("tan", "+8610000451233"),
        ],
        rotations: [
            yizhou: DutyRota.Rotation(
                assignee: yizhou, startsAt: time("2026-01-01T08:30:00+08:00"), shiftHours: 24,
                people: ["lu", "wu", "tan"])
        ],
        overrides: [
            DutyRota.Override(
                assignee: yizhou, person: "wu", from: time("2027-01-01T08:30:00+08:00"),
                to: time("2027-01-02T08:30:00+08:00"), reason: "换班")
        ])

    @Test(arguments: [
        // Shift 0 runs 2026-01-01 08:30 to 01-02 08:30: lu.
        ("2026-01-01T09:00:00+08:00", "lu"),
        ("2026-01-02T08:29:59+08:00", "lu"),
        // Shift 1 starts at 08:30 on the 2nd: wu.
        ("2026-01-02T08:30:00+08:00", "wu"),
        // 2026-12-07 10:00 is 340 days and 1.5 h after the start (Dec 7 is day 341 of 2026): shift 340,
        // 340 mod 3 = 1: wu. In UTC the same moment is 02:00Z.
        ("2026-12-07T02:00:00Z", "wu"),
        // 2026-12-07 08:00 +08:00 is still shift 339 (before 08:30): 339 mod 3 = 0: lu.
        ("2026-12-07T08:00:00+08:00", "lu"),
        // Before the start the turns count back: shift −1, (−1) mod 3 = 2: tan.
        ("2025-12-31T20:00:00+08:00", "tan"),
        // 2027-01-01 12:00 is shift 365 (2026 has 365 days): 365 mod 3 = 2, tan — but the swap puts wu on.
        ("2027-01-01T12:00:00+08:00", "wu"),
        // The swap ends at 08:30 on the 2nd (not included): shift 366, 366 mod 3 = 0: lu.
        ("2027-01-02T08:30:00+08:00", "lu"),
    ])
    func holderAt(time: String, expected: String) {
        #expect(Self.rota.holder(of: Self.yizhou, at: Self.time(time))?.id == expected)
    }

    @Test func aPositionNotOnTheRotaHasNoHolder() {
        #expect(Self.rota.holder(of: Self.region, at: Self.time("2026-12-07T10:00:00+08:00")) == nil)
    }

    @Test func theLastOverrideCoveringAMomentWins() {
        var rota = Self.rota
        rota.overrides.append(
            DutyRota.Override(
                assignee: Self.yizhou, person: "lu", from: Self.time("2027-01-01T12:00:00+08:00"),
                to: Self.time("2027-01-01T14:00:00+08:00")))
        #expect(rota.holder(of: Self.yizhou, at: Self.time("2027-01-01T11:59:59+08:00"))?.id == "wu")
        #expect(rota.holder(of: Self.yizhou, at: Self.time("2027-01-01T13:00:00+08:00"))?.id == "lu")
        #expect(rota.holder(of: Self.yizhou, at: Self.time("2027-01-01T14:00:00+08:00"))?.id == "wu")
    }

    @Test func aNumberHoldsOnlyThePositionsItIsOnShiftFor() throws {
        let wu = try #require(MobileNumber("+86 100 0045 1232"))
        // 2026-01-02 10:00: shift 1, wu's.
        #expect(Self.rota.positions(of: wu, at: Self.time("2026-01-02T10:00:00+08:00")) == [Self.yizhou])
        // 2026-01-03 10:00: shift 2, tan's.
        #expect(Self.rota.positions(of: wu, at: Self.time("2026-01-03T10:00:00+08:00")) == [])
    }

    @Test(arguments: [
        ("+86 139 0000 0101", "+8613900000101"),
        ("13900000101", "+8613900000101"),
        ("0086-139-0000-0101", "+8613900000101"),
        ("+44 7700 900123", "+447700900123"),
    ])
    func mobileNumbersAreReadAsE164(text: String, e164: String) {
        #expect(MobileNumber(text)?.e164 == e164)
    }

    @Test(arguments: [
        "", "139", "+86 139 0000 010", "+86 239 0000 0101", "+0 123 4567 89", "+86 139 0000 01O1",
        "+1234567890123456",
    ])
    func notMobileNumbers(text: String) {
        #expect(MobileNumber(text) == nil)
    }

    /// A number interpolated into a log line shows the country code and the last four digits only.
    @Test func aNumberPrintsMasked() throws {
        let number = try #require(MobileNumber("+86 139 0000 0101"))
        #expect("\(number)" == "+86*******0101")
        #expect(number.masked.count == number.e164.count)
    }
}
