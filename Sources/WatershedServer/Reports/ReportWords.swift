import Foundation
import WatershedCore

/// A label of the after-action report in both languages: every Chinese label has its English counterpart and the
/// other way round, so that a report is written wholly in one (issue 21).
struct Bilingual: Sendable, Hashable {
    let zh: String
    let en: String

    init(_ zh: String, _ en: String) {
        self.zh = zh
        self.en = en
    }

    /// The label in `language`.
    func callAsFunction(_ language: ReportLanguage) -> String { language == .zh ? zh : en }
}

/// The language of an after-action report: `zh` (the default: the duty office's) or `en` (`?lang=`).
enum ReportLanguage: String, Sendable, CaseIterable {
    case zh, en

    /// `zh-CN` or `en`, the document's `lang`.
    var htmlLang: String { self == .zh ? "zh-CN" : "en" }
}

/// The fixed words of the after-action report (``AfterActionReport``): headings, column names and the events of the
/// log, in the terms of MEP Order No. 17 (《突发环境事件信息报告办法》: 初报, 续报, 处理结果报告) and of the
/// one-river-one-plan playbooks (一河一策一图: 取水口, 前锋, 峰值). Event types, task states and "ungraded" are in
/// Chinese as Core names them (``WatershedCore/EventType/nameZh``, ``WatershedCore/TaskState/nameZh``,
/// ``WatershedCore/SeverityLevel/ungradedZh``): the console's and the command line's words.
enum ReportWords {
    static let title = Bilingual("突发环境事件处置总结报告", "After-action report")
    static let exercise = Bilingual("演习 · EXERCISE", "演习 · EXERCISE")
    static let exerciseNote = Bilingual(
        "本事件为演习，非真实事件；时间为演习时钟时间。", "This incident is an exercise, not real; times are on the drill clock.")
    static let summary = Bilingual("概况", "Summary")
    static let reference = Bilingual("编号", "Reference")
    static let level = Bilingual("事件级别", "Level")
    static let place = Bilingual("地点", "Place")
    static let pollutant = Bilingual("污染物", "Pollutant")
    static let discovered = Bilingual("发现时间", "Discovered")
    static let state = Bilingual("状态", "State")
    static let open = Bilingual("处置中", "open")
    static let closed = Bilingual("已结束", "closed")
    static let cancelled = Bilingual("已撤销", "cancelled")
    static let ungraded = Bilingual(SeverityLevel.ungradedZh, "ungraded")
    static let spillUnit = Bilingual("事发地", "Where")
    static let origin = Bilingual("来源", "Reported by")
    static let times = Bilingual("时区", "Time zone")

    static let timeline = Bilingual("时间线（两省合并）", "Timeline (both provinces, merged)")
    static let time = Bilingual("时间", "Time")
    static let seq = Bilingual("序号", "Seq")
    static let province = Bilingual("省份", "Province")
    static let event = Bilingual("事件", "Event")
    static let actor = Bilingual("由", "By")
    static let theirSeq = Bilingual("对方序号", "their seq")

    static let map = Bilingual("一图：污染团路径", "Map: the plume's path")
    static let mapSpill = Bilingual("事发点", "spill")
    static let mapPath = Bilingual("污染团路径（预测前锋）", "plume's path (predicted leading edge)")
    static let mapIntake = Bilingual("取水口", "intake")
    static let mapBoundary = Bilingual("交界断面", "boundary")
    static let mapOther = Bilingual("水库、断面、处置点", "reservoir, section, site")
    static let mapNone = Bilingual("无可绘制的地图。", "Nothing to map.")

    static let arrivals = Bilingual("到达时间：预测与实测", "Arrivals: predicted and observed")
    static let receptor = Bilingual("受体", "Receptor")
    static let earliest = Bilingual("预测最早（前锋）", "Earliest (leading edge)")
    static let likely = Bilingual("预测最可能", "Likely")
    static let latest = Bilingual("预测最迟", "Latest")
    static let observed = Bilingual("实测首次到达", "Observed first arrival")
    static let difference = Bilingual("实测与预测最早之差", "Observed − earliest")
    static let notObserved = Bilingual("无监测", "not observed")
    static let noArrivals = Bilingual("（无预测到达）", "(no arrivals predicted)")
    static let firstPlanNote = Bilingual(
        "预测取首次研判方案；实测取续报中监测到的前锋（或峰值）。",
        "Predicted: the first plan; observed: the leading edge (or peak) reported in monitoring.")
    static let later = Bilingual("晚", "later by ")
    static let earlier = Bilingual("早", "earlier by ")
    static let onTime = Bilingual("一致", "as predicted")

    static let obligations = Bilingual("法定报告（《突发环境事件信息报告办法》第三条）", "Legal reports (MEP Order No. 17 Art. 3)")
    static let obligation = Bilingual("报告", "Report")
    static let deadline = Bilingual("报送时限", "Deadline")
    static let metAt = Bilingual("报送时间", "Met at")
    static let latestDue = Bilingual("最迟", "at the latest ")
    static let due = Bilingual("待报", "due")
    static let met = Bilingual("按时报送", "met on time")
    static let lateBy = Bilingual("迟报", "late by ")
    static let noObligations = Bilingual("（暂无）", "(none due)")

    static let tasks = Bilingual("任务", "Tasks")
    static let task = Bilingual("任务", "Task")
    static let assignee = Bilingual("承办", "Assignee")
    static let dispatched = Bilingual("下达", "Dispatched")
    static let acknowledged = Bilingual("确认（人、时间）", "Acknowledged (by, at)")
    static let escalations = Bilingual("升级", "Escalations")
    static let unowned = Bilingual("无人承办", "unowned")
    static let noTasks = Bilingual("（无）", "(none)")

    static let notifications = Bilingual("相邻省份通报（第八条）", "Neighbour notifications (Art. 8)")
    static let neighbour = Bilingual("相邻省份", "Province")
    static let notification = Bilingual("通报", "Notification")
    static let sent = Bilingual("发出", "Sent")
    static let received = Bilingual("对方接收", "Received")
    static let accepted = Bilingual("对方接受", "Accepted")
    static let noNotifications = Bilingual("（无）", "(none)")

    static let score = Bilingual("演习评分", "Drill score")
    static let expectation = Bilingual("要求", "Expectation")
    static let outcome = Bilingual("结果", "Outcome")
    static let dueBy = Bilingual("时限", "Due by")
    static let at = Bilingual("达成时间", "At")
    static let elapsed = Bilingual("用时", "Elapsed")

    static let proof = Bilingual("日志证明", "Proof from the log")
    static let firstEvent = Bilingual("首个事件", "First event")
    static let lastEvent = Bilingual("最后事件", "Last event")
    static let hash = Bilingual("哈希（SHA-256）", "Hash (SHA-256)")
    static let verifyWith = Bilingual(
        "在服务器上用以下命令校验哈希链，并核对这两个事件的哈希：",
        "On the server, this command verifies the hash chain and that these two events have these hashes:")
    static let events = Bilingual("本事件日志事件数", "Events of this incident in the log")

    /// A severity level: `较大（Ⅲ级）` (Roman numerals as Chinese documents write them), `level III (large)`.
    static func level(_ level: SeverityLevel?, _ language: ReportLanguage) -> String {
        guard let level else { return ungraded(language) }
        switch language {
        case .zh:
            let (numeral, name) =
                switch level {
                case .I: ("Ⅰ", "特别重大")
                case .II: ("Ⅱ", "重大")
                case .III: ("Ⅲ", "较大")
                case .IV: ("Ⅳ", "一般")
                }
            return "\(name)（\(numeral)级）"
        case .en:
            let name =
                switch level {
                case .I: "especially major"
                case .II: "major"
                case .III: "large"
                case .IV: "ordinary"
                }
            return "level \(level) (\(name))"
        }
    }

    /// A report kind (MEP Order No. 17 Art. 12): `初报` / `initial report`.
    static func report(_ kind: ReportKind, _ language: ReportLanguage) -> String {
        if language == .zh { return ReportWordsZh.kind(kind) }
        return switch kind {
        case .initial: "initial report"
        case .followUp: "follow-up report"
        case .final: "final report"
        }
    }

    /// A task's state: `已确认` (``WatershedCore/TaskState/nameZh``, the console's words) / `acknowledged`.
    static func taskState(_ state: TaskState, _ language: ReportLanguage) -> String {
        language == .zh ? state.nameZh : state.words
    }

    /// A drill expectation's outcome: `达成` / `met`.
    static func outcome(_ outcome: DrillExpectationResult.Outcome, _ language: ReportLanguage) -> String {
        guard language == .zh else { return outcome.rawValue }
        return switch outcome {
        case .met: "达成"
        case .missed: "未达成"
        case .pending: "待定"
        }
    }

    /// A length of time: `1小时12分钟` / `1 h 12 min` (``WatershedCore/DurationWords``).
    static func duration(_ seconds: Double, _ language: ReportLanguage) -> String {
        language == .zh
            ? ReportWordsZh.duration(seconds)
            : DurationWords.words(seconds, second: "s", minute: "min", hour: "h", day: "d", spaced: true)
    }

    /// What an event of the log is, in words: `确认任务` (``WatershedCore/EventType/nameZh``, the console's words) /
    /// `task acknowledged`.
    static func event(_ type: EventType, _ language: ReportLanguage) -> String {
        guard language == .en else { return type.nameZh }
        return switch type {
        case .incidentReported: "initial report; incident opened"
        case .levelSet: "level set"
        case .reportFiled: "report filed"
        case .planComputed: "plan computed (arrivals predicted)"
        case .taskDispatched: "task dispatched"
        case .taskAcknowledged: "task acknowledged"
        case .taskStarted: "task started"
        case .taskDone: "task done"
        case .taskDeclined: "task declined"
        case .taskCancelled: "task cancelled"
        case .taskOverdue: "task overdue"
        case .taskEscalated: "task escalated"
        case .taskUnowned: "task unowned"
        case .taskRescheduled: "task rescheduled"
        case .obligationDue: "report obligation due"
        case .obligationMet: "report obligation met"
        case .peerNotified: "neighbour notified"
        case .peerReceived: "received by the neighbour's server"
        case .peerAccepted: "accepted by the neighbour's duty officer"
        case .incidentLinked: "linked as the same spill"
        case .incidentClosed: "incident closed"
        case .drillStarted: "drill started"
        case .drillInjected: "drill inject played"
        case .drillEnded: "drill ended"
        case .peerEventReceived: "neighbour's event received"
        case .capReceived: "CAP message received"
        case .capHeld, .capHeldRefused, .capHeldDropped: "CAP message held"
        case .reportForwarded: "report forwarded"
        case .taskTextSent: "text sent"
        case .taskTextDelivered: "text delivered"
        case .taskTextFailed: "text failed"
        case .rotaOverridden: "rota overridden"
        case .tokenIssued: "token issued"
        case .tokenRevoked: "token revoked"
        }
    }

    /// A system component of the server: `调度程序` / `system (scheduler)`.
    static func system(_ component: String, _ language: ReportLanguage) -> String {
        guard language == .zh else { return "system (\(component))" }
        return switch component {
        case "scheduler": "系统（调度程序）"
        case "drill-runner": "系统（演习程序）"
        case "sms": "系统（短信）"
        case "peer-watch": "系统（省际链路监测）"
        case "cap-ingest": "系统（预警信息接收）"
        default: "系统"
        }
    }
}
