import Foundation
import Testing
import WatershedCore

/// A commander's swap on the duty rota (issue 19): who may make one, what it may name, and that the swapped-in
/// person then holds the position for `[from, to)` only. The rota is ``TextReplyTests/rota``: 陆建 on Yizhou's
/// county duty officer, 蓝涛 on Hechi's city duty chief, always.
@Suite struct RotaOverrideTests {
    static let yizhou = TextRulesTests.yizhou
    static let positions: Set<Assignee> = [yizhou, TextRulesTests.hechi]
    static let commander = IncidentRulesTests.commander
    static let officer = IncidentRulesTests.yizhou
    static let now = DrillScenario.parseTime("2026-12-07T09:00:00+08:00")!
    static let from = DrillScenario.parseTime("2026-12-08T08:30:00+08:00")!
    static let to = DrillScenario.parseTime("2026-12-09T08:30:00+08:00")!

    /// (position, person, from, to, holder: the error's code and field, or nil for accepted).
    @Test(
        arguments: [
            (yizhou, "p-lan-tao", from, to, true, nil),  // 蓝涛 covers Yizhou for a day
            (yizhou, "p-lan-tao", from, to, false, "not_commander"),  // an officer may not
            (yizhou, "p-nobody", from, to, true, "unknown_person person"),
            (
                Assignee(unit: "451203", position: .cityDutyChief), "p-lan-tao", from, to, true,
                "unknown_position dutyPosition"
            ),
            (yizhou, "p-lan-tao", to, from, true, "bad_span to"),  // ends before it starts
            (yizhou, "p-lan-tao", now.addingTimeInterval(-7_200), now.addingTimeInterval(-3_600), true, "bad_span to"),
            (yizhou, "p-lan-tao", from, from.addingTimeInterval(32 * 86_400), true, "bad_span to"),  // over 31 days
        ] as [(Assignee, String, Date, Date, Bool, String?)])
    func rule(position: Assignee, person: String, from: Date, to: Date, asCommander: Bool, refused: String?) {
        do {
            let override = try TextReplyTests.rota.override(
                position, person: person, from: from, to: to, reason: "换班", positions: Self.positions,
                by: asCommander ? Self.commander : Self.officer, now: Self.now)
            #expect(refused == nil)
            #expect(
                override == RotaOverriddenPayload(assignee: position, person: person, from: from, to: to, reason: "换班"))
        } catch {
            #expect(refused == [error.code, error.field].compactMap { $0 }.joined(separator: " "))
        }
    }

    @Test func theSwappedInPersonHoldsThePositionForTheSpanOnly() throws {
        let override = try TextReplyTests.rota.override(
            Self.yizhou, person: "p-lan-tao", from: Self.from, to: Self.to, reason: nil, positions: Self.positions,
            by: Self.commander, now: Self.now)
        let rota = TextReplyTests.rota.applying(override)
        #expect(rota.holder(of: Self.yizhou, at: Self.from.addingTimeInterval(-1))?.id == "p-lu-jian")
        #expect(rota.holder(of: Self.yizhou, at: Self.from)?.id == "p-lan-tao")
        #expect(rota.holder(of: Self.yizhou, at: Self.to.addingTimeInterval(-1))?.id == "p-lan-tao")
        #expect(rota.holder(of: Self.yizhou, at: Self.to)?.id == "p-lu-jian")
        // 蓝涛 holds both positions that day: a reply from him may act as either.
        #expect(rota.positions(of: TextReplyTests.chief, at: Self.from) == [TextRulesTests.hechi, Self.yizhou])
    }
}
