import Foundation

/// The fixed vocabulary a task's Chinese title (``TaskDispatched/titleZh``) is made of (issue 17, "Chinese for the
/// people who read it"): place names from the playbooks' `nameZh` (the English name where a playbook has none),
/// the actions and report kinds in the words of MEP Order No. 17 (《突发环境事件信息报告办法》) and of the
/// one-river-one-plan playbooks (一河一策一图).
public enum TaskWordsZh {
    /// A site measure: `在拉浪水电站投药处置`.
    public static func measure(_ action: SiteAction, at site: String) -> String {
        let verb =
            switch action {
            case .intercept: "拦截污染团"
            case .divert: "导流分流"
            case .dose: "投药处置"
            case .dilute: "调水稀释"
            }
        return "在\(site)\(verb)"
    }

    /// An intake to close (`close`) or warn: `柳州河西水厂取水口：在污染团前锋到达前关闭取水口或切换备用水源，每小时监测原水`.
    public static func intake(_ intake: String, close: Bool) -> String {
        close
            ? "\(intake)：在污染团前锋到达前关闭取水口或切换备用水源，每小时监测原水"
            : "\(intake)：发出预警，污染团经过期间每小时监测原水"
    }

    /// Sampling at a monitoring section: `在“三岔”断面每小时监测镉，前锋到达前开始`.
    public static func sample(_ pollutant: String, at section: String) -> String {
        "在“\(section)”断面每小时监测\(pollutant)，前锋到达前开始"
    }

    /// A report task: `向宜州区人民政府、河池市生态环境局报送初报（《突发环境事件信息报告办法》第三条）`.
    ///
    /// - Parameter units: the basin's units by code, for their `nameZh`.
    public static func report(_ obligation: ReportObligation, units: [UnitCode: AdministrativeUnit]) -> String {
        let recipients = obligation.recipients.map { ReportWordsZh.recipient($0, units: units) }
        return
            "向\(recipients.joined(separator: "、"))报送\(ReportWordsZh.kind(obligation.report))（\(ReportWordsZh.article3)）"
    }
}
