import Foundation
import Testing
import WatershedCore

/// The task's text message (issue 19, "SMS out"): the wording, the deadline in China Standard Time, the reply code
/// and the UCS-2 segment count, each worked out by hand.
@Suite struct TaskTextMessageTests {
    static func time(_ text: String) -> Date { DrillScenario.parseTime(text)! }

    /// A task whose UUID ends in 0x00000019 = 25 = 1 × 24 + 1: code symbols 1, 1, 0, 0 of the alphabet, "CCAA".
    static func task(titleZh: String = "在拉浪水电站投药处置") -> ResponseTask {
        let dispatched = TaskDispatched(
            task: UUID(uuidString: "3F2A9C10-0000-4000-8000-000000000019")!, reference: "GX-2026-0007/T3", number: 3,
            kind: .site, title: "Dose at Lalang hydropower station",
            assignee: Assignee(unit: "451203", position: .countyDutyOfficer),
            policy: EscalationPolicy(ackMinutes: 15, repeats: 2), chain: [],
            at: time("2026-12-07T12:30:00+08:00"), ackBy: time("2026-12-07T12:45:00+08:00"), titleZh: titleZh)
        return ResponseTask(incident: UUID(), dispatched: dispatched)
    }

    @Test func aDispatchedTaskFitsOneSegment() {
        let message = TaskTextMessage(
            task: Self.task(), occasion: .dispatched, ackBy: Self.time("2026-12-07T04:45:00Z"),
            now: Self.time("2026-12-07T04:30:00Z"), drill: false)
        #expect(message.text == "GX-2026-0007/T3 在拉浪水电站投药处置。请12:45前确认：回复 1 T3 或 CCAA")
        #expect(message.code == "CCAA")
        // 15 + 1 + 10 + 1 + 10 ("请12:45前确认：") + 14 ("回复 1 T3 或 CCAA") = 51 UTF-16 units: one segment.
        #expect(message.text.utf16.count == 51)
        #expect(message.segments == 1)
    }

    @Test func aDrillEscalationIsMarked() {
        let message = TaskTextMessage(
            task: Self.task(), occasion: .escalated, ackBy: Self.time("2026-12-07T05:00:00Z"),
            now: Self.time("2026-12-07T04:46:00Z"), drill: true)
        #expect(message.text == "【演习】【升级】GX-2026-0007/T3 在拉浪水电站投药处置。请13:00前确认：回复 1 T3 或 CCAA")
        #expect(message.segments == 1)
    }

    @Test func aDeadlineOnAnotherDayShowsItsDate() {
        // 2026-12-07 23:00 +08:00; the deadline is 12:45 on the 8th.
        let late = TaskTextMessage(
            task: Self.task(), occasion: .reminder, ackBy: Self.time("2026-12-08T04:45:00Z"),
            now: Self.time("2026-12-07T15:00:00Z"), drill: false)
        #expect(late.text == "【催办】GX-2026-0007/T3 在拉浪水电站投药处置。请12月8日12:45前确认：回复 1 T3 或 CCAA")
        // 00:30 on the 8th in China (16:30Z on the 7th): the same day as the deadline.
        let afterMidnight = Self.time("2026-12-07T16:30:00Z")
        #expect(TaskTextMessage.localTime(Self.time("2026-12-08T04:45:00Z"), reference: afterMidnight) == "12:45")
    }

    @Test func aLongTitleIsConcatenated() {
        let title = "柳州河西水厂取水口：在污染团前锋到达前关闭取水口或切换备用水源，每小时监测原水"
        #expect(title.utf16.count == 39)
        let message = TaskTextMessage(
            task: Self.task(titleZh: title), occasion: .dispatched, ackBy: Self.time("2026-12-07T04:45:00Z"),
            now: Self.time("2026-12-07T04:30:00Z"), drill: false)
        // 15 + 1 + 39 + 1 + 10 + 14 = 80 units: over 70, so 67 per part: ⌈80 / 67⌉ = 2.
        #expect(message.text.utf16.count == 80)
        #expect(message.segments == 2)
    }

    @Test(arguments: [(0, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
    func segmentsInUCS2(units: Int, segments: Int) {
        #expect(TaskTextMessage.segments(String(repeating: "水", count: units)) == segments)
    }

    @Test func codesComeFromTheUUIDsLastBytes() throws {
        let zero = try #require(UUID(uuidString: "00000000-0000-4000-8000-000000000000"))
        #expect(TaskTextMessage.code(for: zero) == "AAAA")
        // 0xFFFFFFFF = 4,294,967,295 = 24 × 178,956,970 + 15; 178,956,970 = 24 × 7,456,540 + 10;
        // 7,456,540 = 24 × 310,689 + 4; 310,689 = 24 × 12,945 + 9: symbols 15, 10, 4, 9 → U, N, F, M.
        let all = try #require(UUID(uuidString: "00000000-0000-4000-8000-0000FFFFFFFF"))
        #expect(TaskTextMessage.code(for: all) == "UNFM")
    }
}
