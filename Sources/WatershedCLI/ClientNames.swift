import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

/// What a client command prints in Chinese (`--lang zh`, or a Chinese locale; issue 21, "the CLI follows --lang the
/// same way"): the names of units, playbooks and pollutants from the server (`GET /v1/units`, `/v1/playbooks`,
/// `/v1/pollutants`, their `nameZh`), and the fixed words of the incident view — states, duty positions, event types,
/// report kinds — in the words of MEP Order No. 17 (《突发环境事件信息报告办法》) and the console (i18n.js). Event
/// types, task states and levels are Core's (``EventType/nameZh``, ``TaskState/nameZh``, ``SeverityLevel/nameZh``),
/// which the after-action report shares.
struct ClientNames: Sendable {
    var units: [UnitCode: AdministrativeUnit] = [:]
    var playbooks: [String: PlaybookListing] = [:]
    var pollutants: [String: Pollutant] = [:]

    /// The names from `client`'s server; a list the token may not read stays empty (codes then print as they are).
    static func fetch(_ client: WatershedClient) async -> ClientNames {
        async let units = try? client.units()
        async let playbooks = try? client.playbooks()
        async let pollutants = try? client.pollutants()
        return ClientNames(
            units: Dictionary((await units ?? []).map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first }),
            playbooks: Dictionary(
                (await playbooks ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }),
            pollutants: Dictionary(
                (await pollutants ?? []).map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first }))
    }

    /// A unit's Chinese name (`宜州区`), else its English one, else the code.
    func unit(_ code: UnitCode) -> String { ReportWordsZh.unitName(code, units: units) }

    /// A playbook's Chinese name (`龙江`), else its id.
    func playbook(_ id: String) -> String { playbooks[id].map { $0.nameZh ?? $0.name } ?? id }

    /// A pollutant's Chinese name (`镉`), else its id.
    func pollutant(_ id: String) -> String { pollutants[id].map { $0.nameZh ?? $0.name } ?? id }

    /// `龙江 km 0`, `钦州石化园区 情景 tank-fire`, `北部湾（广西） 109.45°E 21.45°N`.
    func place(_ place: SpillLocation) -> String {
        switch place {
        case .river(let id, let km): "\(playbook(id)) km \(RiverKm(km))"
        case .park(let id, let scenario): "\(playbook(id)) 情景 \(scenario)"
        case .sea(let id, let lng, let lat): "\(playbook(id)) \(lng)°E \(lat)°N"
        }
    }

    /// Where an incident is, or whose CAP alert opened it: `广东省发来的 CAP 预警`.
    func place(of incident: IncidentSummary) -> String {
        if let place = incident.place { return self.place(place) }
        return incident.cap.map { "\(unit($0.peer))发来的 CAP 预警" } ?? "?"
    }

    /// `宜州区/县级值班员`.
    func assignee(_ assignee: Assignee) -> String {
        "\(unit(assignee.unit))/\(assignee.position.nameZh ?? assignee.position.rawValue)"
    }

    /// Who caused an event: `宜州区/县级值班员`, `相邻省份 广东省`, `系统（时限与升级）`.
    func actor(_ actor: EventActor) -> String {
        switch actor {
        case .person(let unit, let position, _):
            "\(self.unit(unit))/\(DutyPosition(rawValue: position).nameZh ?? position)"
        case .peer(let province): "相邻省份 \(unit(province))"
        case .system(let component): "系统（\(Self.component(component))）"
        }
    }

    /// A part of the server that acts on its own, as the console names it.
    static func component(_ component: String) -> String {
        switch component {
        case "scheduler": "时限与升级"
        case "peer-watch": "相邻省份通报监视"
        case "drill-runner": "演习引擎"
        case "sms": "短信网关"
        case "cap-ingest": "CAP 接收"
        default: component.hasPrefix("writer-") ? "事件写入" : component
        }
    }

    /// The level, `IV 级`, or `未分级` (``SeverityLevel/nameZh``, ``SeverityLevel/ungradedZh``).
    static func level(_ level: SeverityLevel?) -> String { level?.nameZh ?? SeverityLevel.ungradedZh }

    /// An incident's state: `处置中`, `已结束`, `已撤销`.
    static func incidentState(_ state: String) -> String {
        switch state {
        case "open": "处置中"
        case "closed": "已结束"
        case "cancelled": "已撤销"
        default: state
        }
    }

    /// The deadline a task waits for: `开始时限 …`, `报送时限 …`, `确认时限 …`.
    static func deadline(_ task: ResponseTask, time: LocalTime) -> String {
        if let startBy = task.startBy { return "开始时限 \(time(startBy))" }
        if let dueBy = task.dueBy { return "报送时限 \(time(dueBy))" }
        if let ackBy = task.ackBy { return "确认时限 \(time(ackBy))" }
        return "—"
    }

    /// `一次性排放21000 kg`, `排放量不明`, `每小时30 kg，持续5 h`.
    static func release(_ release: Release) -> String {
        switch release {
        case .instantaneous(let mass?): "一次性排放\(PlanReport.number(mass)) kg"
        case .instantaneous(nil): "排放量不明"
        case .continuous(let rate, let duration):
            "每小时\(PlanReport.number(rate)) kg，持续\(PlanReport.number(duration)) h"
        }
    }

    /// A CAP 1.2 term (OASIS, 2010: msgType, urgency, severity, certainty) in Chinese, as the console says it.
    static func capTerm(_ term: String) -> String {
        [
            "Alert": "预警", "Update": "更新", "Cancel": "撤销", "Ack": "确认收到", "Error": "错误",
            "Immediate": "立即", "Expected": "预计", "Future": "将来", "Past": "已过去", "Extreme": "特别严重",
            "Severe": "严重", "Moderate": "中等", "Minor": "轻微", "Observed": "已观测到", "Likely": "很可能",
            "Possible": "可能", "Unlikely": "不太可能", "Unknown": "未知",
        ][term] ?? term
    }
}
