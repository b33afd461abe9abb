import AsyncHTTPClient
import Foundation
import Testing
import WatershedCore
import WatershedServer

/// Text messages through a real Kannel (issue 19, "A real gateway"): smsbox's sendsms takes a task's Chinese text
/// as UTF-8 and sends it as UCS-2; Kannel's fake SMSC prints what the phone gets. Runs when `WATERSHED_TEST_KANNEL`
/// is set (`.ci/run` installs Debian's `kannel` and `kannel-extras` and sets it).
@Suite(.serialized, .enabled(if: KannelHarness.enabled, "WATERSHED_TEST_KANNEL is not set (no Kannel here)"))
struct KannelGatewayTests {
    static func withKannel<T>(_ body: (KannelHarness, KannelGateway) async throws -> T) async throws -> T {
        let kannel = try KannelHarness()
        defer { kannel.stop() }
        try await kannel.start()
        let gateway = KannelGateway(endpoint: kannel.sendsms, username: "watershed", password: kannel.secret)
        do {
            return try await body(kannel, gateway)
        } catch {
            Issue.record("\(kannel.log.suffix(3_000))")
            throw error
        }
    }

    /// Waits (up to 10 s) until the phones have received `count` texts.
    static func received(_ kannel: KannelHarness, count: Int) async throws {
        for _ in 0..<100 {
            if kannel.texts.count >= count { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the phones received \(kannel.texts.count) texts, not \(count): \(kannel.printed.suffix(2_000))")
    }

    /// A text over one segment (80 UTF-16 units) arrives in two concatenated parts, put back together by the phone.
    @Test func aLongTextArrivesWhole() async throws {
        try await Self.withKannel { kannel, gateway in
            let text =
                "GX-2026-0007/T5 柳州河西水厂取水口：在污染团前锋到达前关闭取水口或切换备用水源，每小时监测原水。"
                + "请12:45前确认：回复 1 T5 或 CCAA"
            #expect(TaskTextMessage.segments(text) == 2)
            let number = try #require(MobileNumber("+86 100 0045 0201"))
            #expect(try await gateway.send(text, to: number, key: "test-long", client: .shared) == .accepted)
            try await Self.received(kannel, count: 1)
            #expect(kannel.texts.map(\.text) == [text])
            let parts = kannel.printed.split(separator: "\n").filter { $0.contains("Got message") }
            #expect(parts.count == 2)
        }
    }

    @Test func aTaskTextReachesThePhoneInChinese() async throws {
        try await Self.withKannel { kannel, gateway in
            let text = "GX-2026-0007/T3 在拉浪水电站投药处置。请12:45前确认：回复 1 T3 或 CCAA"
            let number = try #require(MobileNumber("+86 100 0045 1232"))
            let accepted = try await gateway.send(text, to: number, key: "test-1", client: .shared)
            #expect(accepted == .accepted)
            try await Self.received(kannel, count: 1)
            #expect(kannel.texts.map(\.text) == [text])
            #expect(kannel.texts.map(\.to) == ["+8610000451232"])
        }
    }

    @Test func aWrongPasswordIsRefused() async throws {
        try await Self.withKannel { kannel, gateway in
            var wrong = gateway
            wrong.password = "not-it"
            let number = try #require(MobileNumber("+86 100 0045 1232"))
            await #expect(throws: SMSGatewayError.self) {
                _ = try await wrong.send("试验", to: number, key: "test-2", client: .shared)
            }
            _ = kannel
        }
    }
}
