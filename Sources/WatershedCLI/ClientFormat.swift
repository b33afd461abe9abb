import Foundation
import WatershedCore
import WatershedWire

/// How client commands print incidents, tasks and events for a duty officer.
enum ClientFormat {
    /// The mark of everything that belongs to a drill (DESIGN.md "Drills are isolated").
    static let drillMark = "[DRILL]"

    /// `I`…`IV`, or `ungraded`.
    static func level(_ level: SeverityLevel?) -> String { level.map { "\($0)" } ?? "ungraded" }

    /// `longjiang km 0`, `qinzhou-petrochemical scenario tank-fire`, `beibu-gulf-guangxi 109.45°E 21.45°N`.
    /// Where an incident is: its place, or for an incident a neighbour's CAP alert opened, whose CAP it is.
    static func place(of incident: IncidentSummary) -> String {
        if let place = incident.place { return ClientFormat.place(place) }
        return incident.cap.map { "CAP from \($0.peer) (\($0.sender))" } ?? "?"
    }

    static func place(_ place: SpillLocation) -> String {
        switch place {
        case .river(let id, let km): "\(id) km \(RiverKm(km))"
        case .park(let id, let scenario): "\(id) scenario \(scenario)"
        case .sea(let id, let lng, let lat): "\(id) \(lng)°E \(lat)°N"
        }
    }

    /// The reference with the drill mark in front of an exercise.
    static func reference(_ incident: IncidentSummary) -> String {
        incident.exercise ? "\(drillMark) \(incident.reference)" : incident.reference
    }

    /// A duty position: `county-duty-officer`, or `县级值班员` in Chinese.
    static func position(_ position: DutyPosition, zh: Bool) -> String {
        zh ? position.nameZh ?? position.rawValue : position.rawValue
    }

    /// `451203/county-duty-officer`.
    static func assignee(_ assignee: Assignee) -> String { "\(assignee.unit)/\(assignee.position.rawValue)" }

    /// Who caused an event: `451203/county-duty-officer`, `peer 440000`, `system (scheduler)`.
    static func actor(_ actor: EventActor) -> String {
        switch actor {
        case .person(let unit, let position, _): "\(unit)/\(position)"
        case .peer(let province): "peer \(province)"
        case .system(let component): "system (\(component))"
        }
    }

    /// The deadline a task waits for: its latest start, its legal due time, or the acknowledgement deadline.
    static func deadline(_ task: ResponseTask, time: LocalTime) -> String {
        if let startBy = task.startBy { return "start by \(time(startBy))" }
        if let dueBy = task.dueBy { return "due by \(time(dueBy))" }
        if let ackBy = task.ackBy { return "ack by \(time(ackBy))" }
        return "—"
    }

    /// Where an obligation stands: `due`, `met`, `met late by 1 h 12 min`, `cancelled`.
    static func obligationState(_ due: Incident.Obligation) -> String {
        guard due.state == .met, let late = due.lateBy else { return due.state.rawValue }
        return "met late by \(delay(late))"
    }

    /// A delay in seconds as a duty officer reads it: `1 h 12 min`, `15 min`, `2 h`, `1 d 3 h`, and under a minute
    /// `30 s` or `0.5 s` (minutes are whole, rounded down).
    static func delay(_ seconds: Double) -> String {
        DurationWords.words(seconds, second: "s", minute: "min", hour: "h", day: "d", spaced: true)
    }

    /// `initial`, `follow-up`, `final`.
    static func report(_ kind: ReportKind) -> String {
        switch kind {
        case .initial: "initial"
        case .followUp: "follow-up"
        case .final: "final"
        }
    }

    /// A neighbour's CAP 1.2 thread: who sent it and its state, then each message (sent as the sender wrote it,
    /// type, identifier) with its info blocks.
    /// With `zh`, the labels and CAP's terms in Chinese (``ClientNames/capTerm(_:)``, the console's) and the sending
    /// province by its Chinese name; what the sender wrote (headline, areas, identifier, sender) as written.
    static func capThread(_ thread: CAPIncidentDetail, time: LocalTime, zh names: ClientNames? = nil) -> String {
        func say(_ english: String, _ chinese: @autoclosure () -> String) -> String {
            names == nil ? english : chinese()
        }
        let zhTerm = ClientNames.capTerm
        var lines = [
            say(
                (thread.exercise ? "\(drillMark) " : "")
                    + "CAP 1.2 thread from peer \(thread.peer) — \(thread.state), \(thread.messages.count) message(s)",
                (thread.exercise ? "[演习] " : "")
                    + "\(names?.unit(thread.peer) ?? thread.peer)发来的 CAP 1.2 预警 — "
                    + "\(ClientNames.incidentState(thread.state))，共 \(thread.messages.count) 条消息")
        ]
        for message in thread.messages {
            lines.append(
                "  \(message.sent)  "
                    + say(
                        "\(message.msgType) \(message.identifier) from \(message.sender) (received \(time(message.at)))",
                        "\(zhTerm(message.msgType)) \(message.identifier)，发送方 \(message.sender)"
                            + "（接收于 \(time(message.at))）")
                    + (message.wasHeld ? say(", held until its referent arrived", "，曾暂存至其引用的消息到达") : ""))
            for info in message.info {
                lines.append(
                    "    \(info.headline ?? info.event) — "
                        + say(
                            "urgency \(info.urgency), severity \(info.severity), certainty \(info.certainty)",
                            "紧急程度 \(zhTerm(info.urgency))，严重程度 \(zhTerm(info.severity))，"
                                + "确定程度 \(zhTerm(info.certainty))")
                        + (info.areas.isEmpty ? "" : say("; ", "；") + info.areas.joined(separator: say("; ", "；"))))
            }
        }
        return lines.joined(separator: "\n")
    }

    /// The incidents as a table: reference, level, where, pollutant, discovered, state; in Chinese with `zh`'s names
    /// (a CAP alert's headline, the sender's own words, as it is).
    static func incidentTable(_ incidents: [IncidentSummary], time: LocalTime, zh: ClientNames? = nil) -> String {
        guard let zh else {
            var table = TextTable(["reference", "level", "where", "pollutant", "discovered", "state"])
            for incident in incidents {
                table.add([
                    reference(incident), level(incident.level), place(of: incident), incident.pollutant,
                    time(incident.discoveredAt), incident.state,
                ])
            }
            return table.render()
        }
        var table = TextTable(["编号", "级别", "地点", "污染物", "发现时间", "状态"])
        for incident in incidents {
            table.add([
                incident.exercise ? "[演习] \(incident.reference)" : incident.reference,
                ClientNames.level(incident.level), zh.place(of: incident),
                incident.cap == nil
                    ? incident.pollutantNameZh ?? zh.pollutant(incident.pollutant) : incident.pollutant,
                time(incident.discoveredAt), ClientNames.incidentState(incident.state),
            ])
        }
        return table.render()
    }

    /// `GET /v1/incidents/{id}` for a duty officer: summary, tasks, obligations, arrivals, timeline. With `zh`,
    /// everything in Chinese (issue 21): labels and states in the console's words, names from `zh` (units, playbooks,
    /// pollutants), tasks by their `titleZh`, obligations and notifications to neighbours in the Chinese text the
    /// server gives (``obligationsZh(_:time:)``, ``notificationsZh(_:)``). What people wrote — the information source,
    /// the signing officer, a neighbour's summary — is printed as written.
    static func incidentDetail(_ detail: IncidentDetail, time: LocalTime, zh names: ClientNames? = nil) -> String {
        let incident = detail.incident
        let plan = incident.plan
        let chinese = names != nil
        func say(_ english: String, _ chinese: @autoclosure () -> String) -> String {
            names == nil ? english : chinese()
        }
        let unit = { (code: UnitCode) in names?.unit(code) ?? code }
        var header = [
            say(
                "INCIDENT  \(reference(incident))  level \(level(incident.level))  \(incident.state)"
                    + (incident.closedAt.map { " at \(time($0))" } ?? ""),
                "事件  \(incident.exercise ? "[演习] " : "")\(incident.reference)  \(ClientNames.level(incident.level))  "
                    + ClientNames.incidentState(incident.state) + (incident.closedAt.map { "，结束于 \(time($0))" } ?? "")),
            say(
                "Where       \(place(of: incident)) — "
                    + (plan.map { "\($0.spillUnitName) (\(incident.spillUnit))" } ?? incident.spillUnit),
                "地点        \(names?.place(of: incident) ?? "")，\(unit(incident.spillUnit))（\(incident.spillUnit)）"),
            say(
                "Pollutant   \(incident.pollutant)" + (detail.initialReport.map { ", " + release($0.release) } ?? ""),
                "污染物      \(plan?.pollutant.nameZh ?? names?.pollutant(incident.pollutant) ?? "")"
                    + (detail.initialReport.map { "，" + ClientNames.release($0.release) } ?? "")),
            say("Discovered  \(time(incident.discoveredAt))", "发现时间    \(time(incident.discoveredAt))"),
        ]
        if incident.exercise {
            header.insert(
                say("\(drillMark) This incident is an exercise (drill), not real.", "[演习] 这是演习，不是真实事件。"), at: 0)
        }
        if let report = detail.initialReport {
            header.append(
                say(
                    "Reported    by \(report.signature.reportingUnit) (\(report.signature.signingOfficer)); "
                        + "source: \(report.informationSource)",
                    "报告单位    \(unit(report.signature.reportingUnit))（签发人 \(report.signature.signingOfficer)）；"
                        + "信息来源：\(report.informationSource)"))
        }
        if let origin = detail.origin {
            header.append(
                say(
                    "From        province \(origin.province), their \(origin.reference) (over the peer link)",
                    "来自        \(unit(origin.province))，对方编号 \(origin.reference)（经省际链路）"))
        }
        if let review = incident.levelReview {
            header.append(say("Level       \(review.text)", "级别复核    \(review.textZh)"))
        }
        var sections = [header.joined(separator: "\n")]

        var tasks = TextTable(
            chinese ? ["任务", "承办", "状态", "时限", "内容"] : ["task", "assignee", "state", "deadline", "title"])
        for task in detail.tasks {
            let state =
                names == nil
                ? task.state.words + (task.unowned ? ", UNOWNED" : "")
                : task.state.nameZh + (task.unowned ? "，无人承办" : "")
            tasks.add([
                task.reference, names?.assignee(task.assignee) ?? assignee(task.assignee), state,
                names == nil ? deadline(task, time: time) : ClientNames.deadline(task, time: time),
                short(chinese ? task.titleZh ?? task.title : task.title),
            ])
        }
        sections.append(
            say("TASKS (\(detail.tasks.count))\n", "任务（\(detail.tasks.count)）\n")
                + (detail.tasks.isEmpty ? say("(none)", "（无）") : tasks.render()))

        if chinese {
            sections.append(obligationsZh(detail.obligations, time: time))
        } else {
            var obligations = TextTable(["report", "from", "due by", "state"])
            for due in detail.obligations {
                let obligation = due.obligation
                obligations.add([
                    report(obligation.report), "\(obligation.fromName) (\(obligation.fromUnit))",
                    obligation.dueBy.map { time($0) } ?? "by \(time(obligation.latestDueBy)) at the latest",
                    obligationState(due),
                ])
            }
            sections.append(
                "REPORT OBLIGATIONS (MEP Order No. 17)\n"
                    + (detail.obligations.isEmpty ? "(none due yet)" : obligations.render()))
        }

        if let plan { sections.append(arrivals(plan, time: time, zh: names)) }

        if chinese, !detail.notifications.isEmpty {
            sections.append(notificationsZh(detail.notifications))
        } else if !detail.notifications.isEmpty {
            var notifications = TextTable(
                ["neighbour", "boundary", "crossing", "notify by", "requirement", "delivery"])
            for entry in detail.notifications {
                let notification = entry.notification
                notifications.add([
                    "\(notification.name) (\(notification.province))", notification.boundaryName,
                    notification.kind == .sharedWater ? "none predicted (shared water)" : time(notification.crossingAt),
                    time(notification.deadline), notification.requirement.rawValue,
                    entry.delivery.rawValue + (entry.acceptedBy.map { " by \($0)" } ?? "")
                        + (entry.peerReference.map { " as \($0)" } ?? ""),
                ])
            }
            sections.append("NEIGHBOURING PROVINCES (MEP Order No. 17 Art. 8)\n" + notifications.render())
        }

        var timeline = TextTable(
            chinese ? ["序号", "时间", "事件", "任务/相邻省份", "执行者"] : ["seq", "time", "event", "task/peer", "by"],
            rightAligned: [0])
        for entry in detail.timeline {
            timeline.add([
                String(entry.seq), time(entry.at), names == nil ? entry.type.rawValue : entry.type.nameZh,
                entry.task ?? entry.summary ?? entry.province.map { say("peer \($0)", unit($0)) } ?? "",
                names?.actor(entry.actor) ?? actor(entry.actor),
            ])
        }
        sections.append(
            say("TIMELINE (\(detail.timeline.count) events)\n", "事件时间线（\(detail.timeline.count) 条）\n")
                + timeline.render())
        return sections.joined(separator: "\n\n")
    }

    /// The plan's arrivals as a table: receptor, chainage, province, earliest / likely / latest arrival, the band's
    /// width, the peak without measures and its ratio to the standard S; in Chinese with `zh`'s names.
    static func arrivals(_ plan: PlanDocument, time: LocalTime, zh names: ClientNames?) -> String {
        var arrivals = TextTable(
            names == nil
                ? [
                    "receptor", "km", "province", "earliest arrival", "likely arrival", "latest arrival", "band h",
                    "peak mg/L", "×S",
                ]
                : ["受体", "里程 km", "省份", "最早到达", "可能到达（峰值）", "最迟到达", "区间 h", "峰值 mg/L", "×S"],
            rightAligned: [1, 6, 7, 8])
        for arrival in plan.arrivals {
            let latest: String = arrival.latestArrival.map { time($0) } ?? "—"
            let width: String =
                arrival.band.map { String(format: "%.1f", $0.widthH) + ($0.basis == .calibrated ? "*" : "") } ?? "—"
            let chainage =
                names == nil
                ? arrival.km.map { "\(arrival.river ?? "") \(RiverKm($0))" } ?? "sea"
                : arrival.km.map { "\(arrival.river.map { names?.playbook($0) ?? $0 } ?? "") \(RiverKm($0))" } ?? "海域"
            arrivals.add([
                names == nil ? arrival.name + (arrival.nameZh.map { " \($0)" } ?? "") : arrival.nameZh ?? arrival.name,
                chainage, names?.unit(arrival.province) ?? arrival.province,
                time(arrival.earliestArrival), time(arrival.likelyArrival), latest, width,
                arrival.withoutMeasures.map { PlanReport.number($0.peakMgL) } ?? "—",
                PlanReport.ratio(arrival.withoutMeasures?.ratioToStandard),
            ])
        }
        let title =
            names == nil
            ? "ARRIVALS (×S = peak C/S without measures; band = latest − earliest, * calibrated on monitoring)\n"
            : "到达预测（×S = 未采取措施时的峰值浓度与标准之比；区间 = 最迟 − 最早，* 已按监测校准）\n"
        let none = names == nil ? "(none: the plume reaches no mapped node)" : "（无：污染团未到达图上任何节点）"
        return title + (plan.arrivals.isEmpty ? none : arrivals.render())
    }

    /// The report obligations in Chinese: each one's `titleZh` (who reports what to whom within how long), its due
    /// time and `stateZh` (待报, 已报, 逾期补报（迟报…）), under `法定报告（环境保护部令第17号）`.
    static func obligationsZh(_ obligations: [Incident.Obligation], time: LocalTime) -> String {
        var table = TextTable(["报告", "报送时限", "状态"])
        for due in obligations {
            let obligation = due.obligation
            table.add([
                due.titleZh ?? "\(report(obligation.report)): \(obligation.fromName)",
                obligation.dueBy.map { time($0) } ?? "最迟 \(time(obligation.latestDueBy))",
                due.stateZh ?? obligationState(due),
            ])
        }
        return "法定报告（环境保护部令第17号）\n" + (obligations.isEmpty ? "（暂无）" : table.render())
    }

    /// The notifications to neighbours in Chinese: each one's `textZh` on its own line, then how far delivery got
    /// (``ReportWordsZh/delivery(_:acceptedBy:peerReference:)``).
    static func notificationsZh(_ notifications: [Incident.Notification]) -> String {
        let lines = notifications.map { entry in
            let text = entry.textZh ?? "\(entry.notification.name): \(entry.notification.boundaryName)"
            return "  \(text)\n    "
                + ReportWordsZh.delivery(
                    entry.delivery, acceptedBy: entry.acceptedBy, peerReference: entry.peerReference)
        }
        return "相邻省份通报（《突发环境事件信息报告办法》第八条）\n" + lines.joined(separator: "\n")
    }

    /// `text` cut to `limit` characters with an ellipsis, for table cells that would push the table off a terminal.
    static func short(_ text: String, limit: Int = 72) -> String {
        text.count > limit ? String(text.prefix(limit - 1)) + "…" : text
    }

    /// `21000 kg at once`, `mass unknown`, `30 kg/h for 5 h`.
    static func release(_ release: Release) -> String {
        switch release {
        case .instantaneous(let mass?): "\(PlanReport.number(mass)) kg at once"
        case .instantaneous(nil): "mass unknown"
        case .continuous(let rate, let duration):
            "\(PlanReport.number(rate)) kg/h for \(PlanReport.number(duration)) h"
        }
    }
}
