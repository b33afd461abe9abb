import Foundation
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// The duty rota through the API (issue 19): who holds each position, numbers masked; a commander's swap as a
/// `RotaOverridden` event that names the person, never the number.
@Suite struct RotaRoutesTests {
    static func body(_ text: String) -> Data { Data(text.utf8) }

    @Test func aCommanderSwapsAndTheRotaShowsItMasked() async throws {
        try await LiveServer.withAPI { _, api in
            let before = try await api.request(
                .GET, "/v1/rota?at=2026-12-08T12:00:00%2B08:00", token: DevToken.viewer
            ).decoded([RotaHolder].self)
            // The seeded rota's six positions; 2026-12-08 is shift 341 from 2026-01-01 08:30: Yizhou's three in turn
            // give 341 mod 3 = 2, 谭宇.
            #expect(before.count == 6)
            let yizhou = try #require(before.first { $0.unit == "451203" })
            #expect(yizhou.person == "p-tan-yu")
            #expect(yizhou.mobile == "+86*******1233")
            #expect(yizhou.until == nil)

            let swap = Self.body(
                """
                {"unit":"451203","dutyPosition":"county-duty-officer","person":"p-wu-min",
                 "from":"2026-12-08T08:30:00+08:00","to":"2026-12-09T08:30:00+08:00","reason":"换班"}
                """)
            let refused = try await api.request(.POST, "/v1/rota/overrides", token: DevToken.officer, body: swap)
            #expect(refused.status == 403)
            let unknown = try await api.request(
                .POST, "/v1/rota/overrides", token: DevToken.commander,
                body: Self.body(
                    String(decoding: swap, as: UTF8.self).replacingOccurrences(of: "p-wu-min", with: "p-nobody")))
            #expect(unknown.status == 422)
            #expect(unknown.error?.field == "person")

            let made = try await api.request(.POST, "/v1/rota/overrides", token: DevToken.commander, body: swap)
            #expect(made.status == 201, "\(String(decoding: made.body, as: UTF8.self))")
            let after = try await api.request(
                .GET, "/v1/rota?at=2026-12-08T12:00:00%2B08:00", token: DevToken.viewer
            ).decoded([RotaHolder].self)
            let swapped = try #require(after.first { $0.unit == "451203" })
            #expect(swapped.person == "p-wu-min")
            #expect(swapped.name == "吴敏")
            #expect(swapped.mobile == "+86*******1232")
            #expect(swapped.until == DrillScenario.parseTime("2026-12-09T08:30:00+08:00"))
            #expect(swapped.reason == "换班")
            // The next day the rotation is back: shift 342, 342 mod 3 = 0, 陆建.
            let next = try await api.request(
                .GET, "/v1/rota?at=2026-12-09T12:00:00%2B08:00", token: DevToken.viewer
            ).decoded([RotaHolder].self)
            #expect(next.first { $0.unit == "451203" }?.person == "p-lu-jian")

            let events = try await DispatchTests.events(api, type: .rotaOverridden)
            #expect(events.count == 1)
            let payload = try #require(events.first?.payload)
            #expect(payload["person"] == "p-wu-min")
            #expect(payload["numberHash"] == nil)  // no smsSecret on this server to key a hash with
            #expect(!String(decoding: try JSONEncoder().encode(payload), as: UTF8.self).contains("1000451232"))
        }
    }
}
