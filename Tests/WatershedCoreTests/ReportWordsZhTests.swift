import Foundation
import Testing

@testable import WatershedCore

/// The Chinese text of report obligations and neighbour notifications (issue 17): the fixed vocabulary of
/// ``ReportWordsZh``, unit names as `playbooks/units.yaml` writes them (宜州区, 河池市, 广西壮族自治区, 广东省).
/// Expected texts are written out by hand from MEP Order No. 17 Art. 3 and 8 and the times below.
///
/// Times: the spill at 2012-01-15 00:00 UTC (``HandBasin/spillTime``) is 08:00 Beijing time.
@Suite struct ReportWordsZhTests {
    static let units: [UnitCode: AdministrativeUnit] = TaskWordsZhTests.units.merging([
        "440000": AdministrativeUnit(code: "440000", name: "Guangdong Province", nameZh: "广东省", kind: .province)
    ]) { old, _ in old }

    static let spill = HandBasin.spillTime
    static func hours(_ h: Double) -> Date { spill.addingTimeInterval(h * 3_600) }

    /// Level III at Yizhou: the county's initial report to its government and Hechi's bureau, 4 h from discovery
    /// (due 12:00); level II adds the province's report to MEE, 1 h from receipt.
    static func initial(_ level: SeverityLevel) -> [ReportObligation] {
        ReportingRules.initialObligations(
            level: level, triggers: [], anchorAt: spill, anchor: .discovery, spillUnit: "451203", units: units)
    }

    struct StateRow: CustomTestStringConvertible, Sendable {
        var rule: String
        var state: Incident.Obligation.State
        var lateBy: Double?
        var expected: String
        var testDescription: String { rule }
    }

    /// Where an obligation stands. The report due at 12:00 filed at 13:12 is 72 minutes (4,320 s) late.
    static let states: [StateRow] = [
        StateRow(rule: "not met yet: due", state: .due, expected: "待报"),
        StateRow(rule: "met by 12:00 (at the deadline is on time)", state: .met, expected: "已报"),
        StateRow(
            rule: "filed at 13:12: met late by 1 h 12 min", state: .met, lateBy: 4_320,
            expected: "逾期补报（迟报1小时12分钟）"),
        StateRow(rule: "filed at 12:00:30: 30 s late", state: .met, lateBy: 30, expected: "逾期补报（迟报30秒）"),
        StateRow(rule: "cancelled with its report task", state: .cancelled, expected: "已取消"),
    ]

    @Test(arguments: states) func obligationStates(_ row: StateRow) throws {
        let obligation = try #require(Self.initial(.III).first)
        let due = Incident.Obligation(
            seq: 4, at: Self.spill, obligation: obligation, state: row.state, metSeq: row.state == .met ? 9 : nil,
            metAt: row.state == .met ? Self.hours(4).addingTimeInterval(row.lateBy ?? 0) : nil, lateBy: row.lateBy)
        #expect(ReportWordsZh.state(due) == row.expected)
        #expect(due.withTextZh(units: Self.units).stateZh == row.expected)
    }

    /// The county's report met late: what, by whom, to whom, within how long, and late by how much.
    @Test func anObligationMetLateReadsInChinese() throws {
        let obligation = try #require(Self.initial(.III).first)
        let due = Incident.Obligation(
            seq: 4, at: Self.spill, obligation: obligation, state: .met, metSeq: 9, metAt: Self.hours(5.2),
            lateBy: 4_320
        ).withTextZh(units: Self.units)
        #expect(
            due.titleZh
                == "宜州区生态环境局向宜州区人民政府、河池市生态环境局报送初报，发现后4小时内（《突发环境事件信息报告办法》第三条）")
        #expect(due.stateZh == "逾期补报（迟报1小时12分钟）")
    }

    /// Level II: the county reports to its government, the provincial department and MEE within 2 h; the province
    /// to MEE within 1 h of receiving it — a province's bureau is a 厅.
    @Test func theMajorPathsObligationsReadInChinese() {
        #expect(
            Self.initial(.II).map { ReportWordsZh.obligation($0, units: Self.units) } == [
                "宜州区生态环境局向宜州区人民政府、广西壮族自治区生态环境厅、生态环境部报送初报，发现后2小时内"
                    + "（《突发环境事件信息报告办法》第三条）",
                "广西壮族自治区生态环境厅向生态环境部报送初报，接到下级报告后1小时内（《突发环境事件信息报告办法》第三条）",
            ])
    }

    /// A level change re-runs the rule from the change; a unit the basin does not know reads as its code.
    @Test func levelChangeAndUnknownUnits() throws {
        var obligation = try #require(Self.initial(.II).first)
        obligation.anchor = .levelChange
        #expect(ReportWordsZh.within(obligation) == "级别调整后2小时内")
        #expect(ReportWordsZh.bureau("459999", units: Self.units) == "459999生态环境局")
        #expect(ReportWordsZh.unitName("451200", units: Self.units) == "河池市")
    }

    @Test(arguments: [
        (0.5, "0.5秒"), (30, "30秒"), (60, "1分钟"), (900, "15分钟"), (899, "14分钟"), (7_200, "2小时"),
        (4_320, "1小时12分钟"), (86_400, "1天"), (97_200, "1天3小时"),
    ])
    func durations(_ seconds: Double, _ expected: String) {
        #expect(ReportWordsZh.duration(seconds) == expected)
    }

    /// 08:00 Beijing time is 00:00 UTC; 36 h later is 2012-01-16 20:00.
    @Test func timesAreInBeijingTime() {
        #expect(ReportWordsZh.time(Self.spill) == "2012-01-15 08:00（北京时间）")
        #expect(ReportWordsZh.time(Self.hours(36)) == "2012-01-16 20:00（北京时间）")
    }

    static func notification(
        kind: PeerNotificationKind? = nil, requirement: NotificationRequirement = .required, ratio: Double? = 21.8,
        site: String? = nil
    ) -> PeerNotification {
        PeerNotification(
            province: "440000", name: "Guangdong Province", requirement: requirement, boundary: "xijiang-gd",
            boundaryName: "Guangxi–Guangdong boundary", crossingAt: hours(36), peakMgL: ratio.map { $0 * 0.005 },
            ratioToStandard: ratio, deadline: hours(4), agreement: "2013 Xijiang agreement", kind: kind, site: site)
    }

    static let places = ["xijiang-gd": "粤桂交界", "trib-dam": "支流水电站"]

    /// A crossing predicted at 20:00 the next day, 21.8 times the standard at the boundary, due at 12:00.
    @Test func aCrossingNotificationReadsInChinese() {
        #expect(
            ReportWordsZh.notification(Self.notification(), units: Self.units, placeNames: { Self.places[$0] })
                == "向广东省通报（必须通报）：污染团预计于2012-01-16 20:00（北京时间）到达交界断面“粤桂交界”，峰值约为标准的21.8倍；"
                + "通报时限2012-01-15 12:00（北京时间）（《突发环境事件信息报告办法》第八条）")
        // The mass unknown (required whatever the peak), the boundary without a Chinese name (its English name).
        #expect(
            ReportWordsZh.notification(Self.notification(ratio: nil), units: Self.units, placeNames: { _ in nil })
                == "向广东省通报（必须通报）：污染团预计于2012-01-16 20:00（北京时间）到达交界断面“Guangxi–Guangdong boundary”，"
                + "污染物量不明；通报时限2012-01-15 12:00（北京时间）（《突发环境事件信息报告办法》第八条）")
        // Below the standard (0.218 times): advisory.
        #expect(
            ReportWordsZh.notification(
                Self.notification(requirement: .advisory, ratio: 0.218), units: Self.units,
                placeNames: { Self.places[$0] })
                == "向广东省通报（建议通报）：污染团预计于2012-01-16 20:00（北京时间）到达交界断面“粤桂交界”，峰值约为标准的0.218倍；"
                + "通报时限2012-01-15 12:00（北京时间）（《突发环境事件信息报告办法》第八条）")
    }

    /// Shared water and a dam release are notified under the MEE–MWR 2020 guidance.
    @Test func sharedWaterAndDamReleaseNotificationsReadInChinese() {
        let guidance = "《关于建立跨省流域上下游突发水污染事件联防联控机制的指导意见》（环应急〔2020〕5号）"
        #expect(
            ReportWordsZh.notification(
                Self.notification(kind: .sharedWater, requirement: .advisory, ratio: nil), units: Self.units,
                placeNames: { Self.places[$0] })
                == "向广东省通报（建议通报）：事发于与广东省共享的水体（“粤桂交界”），未预测越界，通报异常情况；"
                + "通报时限2012-01-15 12:00（北京时间）（\(guidance)）")
        #expect(
            ReportWordsZh.notification(
                Self.notification(kind: .damRelease, site: "trib-dam"), units: Self.units,
                placeNames: { Self.places[$0] })
                == "向广东省通报（必须通报）：“支流水电站”应急泄放，下泄水预计于2012-01-16 20:00（北京时间）到达交界断面“粤桂交界”，"
                + "须在泄放前预警；通报时限2012-01-15 12:00（北京时间）（\(guidance)）")
    }

    /// In the hand-made basin, whose places and units have no Chinese names: the English names stand.
    @Test func aNotificationTakesItsNamesFromTheBasin() {
        var notification = Self.notification(ratio: 1_234.4)
        notification.boundary = "main-border"
        let entry = Incident.Notification(seq: 7, notification: notification).withTextZh(in: HandBasin.basin())
        #expect(
            entry.textZh
                == "向Guangdong通报（必须通报）：污染团预计于2012-01-16 20:00（北京时间）到达交界断面“Main border”，峰值约为标准的1234倍；"
                + "通报时限2012-01-15 12:00（北京时间）（《突发环境事件信息报告办法》第八条）")
        #expect(HandBasin.basin().placeNameZh("main") == "Main")
        #expect(HandBasin.basin().placeNameZh("nowhere") == nil)
    }
}

extension ReportWordsZhTests {
    /// How far a notification got, with who accepted it in Guangdong and under which reference.
    @Test func deliveryStates() {
        #expect(ReportWordsZh.delivery(.pending) == "待送达")
        #expect(ReportWordsZh.delivery(.received) == "对方已接收，待接受")
        #expect(ReportWordsZh.delivery(.accepted) == "对方已接受")
        #expect(
            ReportWordsZh.delivery(
                .accepted, acceptedBy: "440000/provincial-duty-chief", peerReference: "GD-2012-0003")
                == "对方已接受（440000/provincial-duty-chief，对方编号GD-2012-0003）")
    }
}
