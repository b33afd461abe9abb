import Foundation

/// The fixed vocabulary of the Chinese text of report obligations (``Incident/Obligation``) and neighbour
/// notifications (``PeerNotification``), for a Chinese duty officer (issue 17, "Chinese for the people who read it"):
/// the report kinds, bodies and deadlines in the words of MEP Order No. 17 (《突发环境事件信息报告办法》), unit and
/// place names from the playbooks' `nameZh` (the English name where a playbook has none).
///
/// Times are written in Beijing time (UTC+8, no daylight saving), as reports are written in China:
/// `2012-01-15 08:00（北京时间）`.
public enum ReportWordsZh {
    /// The report's rule (MEP Order No. 17 Art. 3, deadlines and recipients).
    static let article3 = "《突发环境事件信息报告办法》第三条"
    /// The neighbour's notification (MEP Order No. 17 Art. 8).
    static let article8 = "《突发环境事件信息报告办法》第八条"
    /// Shared water and dam releases (MEE–MWR 2020 guidance, 环应急〔2020〕5号).
    static let guidance2020 = "《关于建立跨省流域上下游突发水污染事件联防联控机制的指导意见》（环应急〔2020〕5号）"

    /// `初报`, `续报`, `处理结果报告` (MEP Order No. 17 Art. 12).
    public static func kind(_ kind: ReportKind) -> String {
        switch kind {
        case .initial: "初报"
        case .followUp: "续报"
        case .final: "处理结果报告"
        }
    }

    /// A unit's name: its `nameZh` (`宜州区`), else its English name, else the code.
    public static func unitName(_ code: UnitCode, units: [UnitCode: AdministrativeUnit]) -> String {
        units[code].map { $0.nameZh ?? $0.name } ?? code
    }

    /// A unit's environment bureau, which files its reports: `宜州区生态环境局`, a province's `广西壮族自治区生态环境厅`.
    public static func bureau(_ code: UnitCode, units: [UnitCode: AdministrativeUnit]) -> String {
        unitName(code, units: units) + (units[code]?.kind == .province ? "生态环境厅" : "生态环境局")
    }

    /// A report's recipient: `宜州区人民政府`, `河池市生态环境局`, `广西壮族自治区生态环境厅`, `生态环境部`.
    public static func recipient(_ recipient: ReportRecipient, units: [UnitCode: AdministrativeUnit]) -> String {
        switch recipient.body {
        case .government: unitName(recipient.unit, units: units) + "人民政府"
        case .environmentBureau: bureau(recipient.unit, units: units)
        case .ministry: "生态环境部"
        }
    }

    /// How long the obligation allows, from what (MEP Order No. 17 Art. 3): `发现后4小时内`, `级别调整后2小时内`,
    /// `接到下级报告后1小时内`.
    public static func within(_ obligation: ReportObligation) -> String {
        let from =
            switch obligation.anchor {
            case .discovery: "发现后"
            case .levelChange: "级别调整后"
            case .receipt: "接到下级报告后"
            }
        return from + duration(obligation.withinH * 3_600) + "内"
    }

    /// An obligation, who owes what to whom within how long:
    /// `宜州区生态环境局向宜州区人民政府、河池市生态环境局报送初报，发现后4小时内（《突发环境事件信息报告办法》第三条）`.
    public static func obligation(_ obligation: ReportObligation, units: [UnitCode: AdministrativeUnit]) -> String {
        let recipients = obligation.recipients.map { recipient($0, units: units) }.joined(separator: "、")
        return bureau(obligation.fromUnit, units: units) + "向\(recipients)报送\(kind(obligation.report))，"
            + within(obligation) + "（\(article3)）"
    }

    /// The path of MEP Order No. 17 Art. 3 an obligation follows and the time it allows, as the English `rule` says
    /// it (`MEP Order No. 17, Art. 3 (II/I: 2 h)`): `第三条（重大、特别重大：2小时）`, `第三条（较大、一般：4小时）`, and
    /// the province's report to the ministry `第三条（省级报生态环境部：接报后1小时）`.
    public static func rule(_ obligation: ReportObligation) -> String {
        let path =
            obligation.anchor == .receipt
            ? "省级报生态环境部：接报后" : obligation.majorPath ? "重大、特别重大：" : "较大、一般："
        return "第三条（\(path)\(duration(obligation.withinH * 3_600))）"
    }

    /// Where an obligation stands: `待报`, `已报`, `逾期补报（迟报1小时12分钟）`, `已取消`.
    public static func state(_ due: Incident.Obligation) -> String {
        switch due.state {
        case .due: "待报"
        case .met: due.lateBy.map { "逾期补报（迟报\(duration($0))）" } ?? "已报"
        case .cancelled: "已取消"
        }
    }

    /// `必须通报` (the predicted peak at the crossing exceeds the standard, or the mass is unknown) or `建议通报`.
    public static func requirement(_ requirement: NotificationRequirement) -> String {
        switch requirement {
        case .required: "必须通报"
        case .advisory: "建议通报"
        }
    }

    /// A notification to a neighbour: whom, why, where, when, by when, under which rule. For a crossing:
    /// `向广东省通报（必须通报）：污染团预计于2012-01-16 20:00（北京时间）到达交界断面“粤桂交界”，峰值约为标准的21.8倍；
    /// 通报时限2012-01-15 12:00（北京时间）（《突发环境事件信息报告办法》第八条）`.
    ///
    /// - Parameters:
    ///   - units: the basin's units, for the neighbour's `nameZh` (else the name the notification carries).
    ///   - placeNames: a node's (or playbook's) Chinese name by id, for the boundary and a dam; `nil` leaves the
    ///     notification's `boundaryName` (or the dam's id).
    public static func notification(
        _ notification: PeerNotification, units: [UnitCode: AdministrativeUnit], placeNames: (String) -> String?
    ) -> String {
        let neighbour = units[notification.province].map { $0.nameZh ?? $0.name } ?? notification.name
        let boundary = placeNames(notification.boundary) ?? notification.boundaryName
        let what: String
        let rule: String
        switch notification.kind ?? .crossing {
        case .crossing:
            let peak = notification.ratioToStandard.map { "，峰值约为标准的\(ratio($0))倍" } ?? "，污染物量不明"
            what = "污染团预计于\(time(notification.crossingAt))到达交界断面“\(boundary)”" + peak
            rule = article8
        case .sharedWater:
            what = "事发于与\(neighbour)共享的水体（“\(boundary)”），未预测越界，通报异常情况"
            rule = guidance2020
        case .damRelease:
            let dam = notification.site.map { placeNames($0) ?? $0 } ?? "水库"
            what = "“\(dam)”应急泄放，下泄水预计于\(time(notification.crossingAt))到达交界断面“\(boundary)”，须在泄放前预警"
            rule = guidance2020
        }
        return "向\(neighbour)通报（\(requirement(notification.requirement))）：\(what)；"
            + "通报时限\(time(notification.deadline))（\(rule)）"
    }

    /// How far a notification's delivery got: `待送达` (not received), `对方已接收，待接受`, `对方已接受`, with who
    /// accepted it there and their incident reference: `对方已接受（440000/provincial-duty-chief，对方编号GD-2012-0003）`.
    public static func delivery(
        _ delivery: Incident.Notification.Delivery, acceptedBy: String? = nil, peerReference: String? = nil
    ) -> String {
        switch delivery {
        case .pending: return "待送达"
        case .received: return "对方已接收，待接受"
        case .accepted:
            let who = [acceptedBy, peerReference.map { "对方编号\($0)" }].compactMap { $0 }
            return "对方已接受" + (who.isEmpty ? "" : "（\(who.joined(separator: "，"))）")
        }
    }

    /// A length of time as a duty officer reads it: `1小时12分钟`, `15分钟`, `2小时`, `1天3小时`, and under a minute
    /// `30秒` or `0.5秒` (minutes are whole, rounded down, as in `watershed incident show`).
    public static func duration(_ seconds: Double) -> String {
        DurationWords.words(seconds, second: "秒", minute: "分钟", hour: "小时", day: "天", spaced: false)
    }

    /// A time in Beijing time (UTC+8): `2012-01-15 08:00（北京时间）`.
    public static func time(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3_600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        func two(_ value: Int?) -> String { (value ?? 0) < 10 ? "0\(value ?? 0)" : "\(value ?? 0)" }
        return "\(c.year ?? 0)-\(two(c.month))-\(two(c.day)) \(two(c.hour)):\(two(c.minute))（北京时间）"
    }

    /// A peak over the standard with three significant figures (`2180`, `21.8`, `2.18`, `0.218`), as the console
    /// writes it.
    static func ratio(_ value: Double) -> String {
        if value >= 100 { return String(Int(value.rounded())) }
        return String(format: "%.3g", value)
    }
}
