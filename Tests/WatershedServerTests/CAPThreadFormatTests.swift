import Foundation
import Testing
import WatershedCore
import WatershedWire

@testable import WatershedCLI

/// `watershed incident show` of a neighbour's CAP 1.2 thread (``ClientFormat/capThread(_:time:zh:)``), in English
/// and with `--lang zh`, line by line. A drill thread from Guangdong: its Alert received at 12:00 +08:00 with one
/// info block over two areas, then an Update received at 12:30 that waited for its referent, with an info block
/// without headline or areas. The Chinese CAP terms are the console's (`cap:*` of i18n.js).
@Suite struct CAPThreadFormatTests {
    static let thread = CAPIncidentDetail(
        id: UUID(uuidString: "8E0C2D7A-53B1-4C39-9A51-0D6F3C1B2A90")!, peer: "440000", exercise: true, state: "open",
        messages: [
            .init(
                seq: 1, at: Date(timeIntervalSince1970: 1_783_224_000), sender: "gd@example.cn", identifier: "GD-1",
                sent: "2026-07-05T11:58:00+08:00", status: "Exercise", msgType: "Alert", references: [],
                wasHeld: false,
                info: [
                    .init(
                        language: "en", event: "Thallium", urgency: "Immediate", severity: "Severe",
                        certainty: "Observed", headline: "Thallium in the He River", description: nil,
                        instruction: nil, areas: ["Fengkai", "Wuzhou"], parameters: [])
                ]),
            .init(
                seq: 2, at: Date(timeIntervalSince1970: 1_783_225_800), sender: "gd@example.cn", identifier: "GD-2",
                sent: "2026-07-05T12:20:00+08:00", status: "Exercise", msgType: "Update", references: [],
                wasHeld: true,
                info: [
                    .init(
                        language: nil, event: "Thallium", urgency: "Expected", severity: "Moderate",
                        certainty: "Likely", headline: nil, description: nil, instruction: nil, areas: [],
                        parameters: [])
                ]),
        ],
        timeline: [])
    static let time = LocalTime(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    @Test func inEnglish() {
        // 1_783_224_000 s is 2026-07-05 04:00 UTC, 12:00 in China; the Update 30 minutes later.
        #expect(
            ClientFormat.capThread(Self.thread, time: Self.time).split(
                separator: "\n", omittingEmptySubsequences: false)
                == [
                    "[DRILL] CAP 1.2 thread from peer 440000 — open, 2 message(s)",
                    "  2026-07-05T11:58:00+08:00  Alert GD-1 from gd@example.cn (received 2026-07-05 12:00 +08:00)",
                    "    Thallium in the He River — urgency Immediate, severity Severe, certainty Observed; Fengkai; Wuzhou",
                    "  2026-07-05T12:20:00+08:00  Update GD-2 from gd@example.cn (received 2026-07-05 12:30 +08:00), "
                        + "held until its referent arrived",
                    "    Thallium — urgency Expected, severity Moderate, certainty Likely",
                ])
    }

    @Test func inChinese() {
        let names = ClientNames(
            units: ["440000": AdministrativeUnit(code: "440000", name: "Guangdong", nameZh: "广东省", kind: .province)])
        #expect(
            ClientFormat.capThread(Self.thread, time: Self.time, zh: names)
                .split(separator: "\n", omittingEmptySubsequences: false)
                == [
                    "[演习] 广东省发来的 CAP 1.2 预警 — 处置中，共 2 条消息",
                    "  2026-07-05T11:58:00+08:00  预警 GD-1，发送方 gd@example.cn（接收于 2026-07-05 12:00 +08:00）",
                    "    Thallium in the He River — 紧急程度 立即，严重程度 严重，确定程度 已观测到；Fengkai；Wuzhou",
                    "  2026-07-05T12:20:00+08:00  更新 GD-2，发送方 gd@example.cn（接收于 2026-07-05 12:30 +08:00），"
                        + "曾暂存至其引用的消息到达",
                    "    Thallium — 紧急程度 预计，严重程度 中等，确定程度 很可能",
                ])
    }
}
