import Foundation
import Testing
import WatershedCore

@testable import WatershedCLI

/// `watershed demo`'s verdict (issue 21): met outright, late within the wall-time tolerance, late beyond it, never.
@Suite struct DemoVerdictTests {
    /// A score of four expectations, each due at 12:05 drill time: met at 12:04; missed at 12:40 (35 drill-min
    /// late: 2,100 drill-s, at ×1800 1,167 ms of wall time); missed at 13:30 (85 drill-min: 5,100 s, 2,833 ms);
    /// missed with no event at all.
    static func score() throws -> DrillScore {
        func result(_ id: String, _ outcome: String, _ at: String?) -> String {
            let time = at.map { #","at":"2013-07-05T\#($0):00Z""# } ?? ""
            return
                #"{"id":"\#(id)","text":"\#(id)","outcome":"\#(outcome)","from":"2013-07-05T12:00:00Z","due":"2013-07-05T12:05:00Z"\#(time)}"#
        }
        let json = #"""
            {"drill":"00000000-0000-0000-0000-000000000001","title":"t","ended":true,"met":1,"total":4,"timeline":[],
             "results":[\#(result("received", "met", "12:04")),\#(result("accepted", "missed", "12:40")),\#(
                result("acked", "missed", "13:30")),\#(result("reported", "missed", nil))]}
            """#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(DrillScore.self, from: Data(json.utf8))
    }

    @Test func lateWithinTheToleranceDoesNotFailTheDemo() throws {
        let verdict = DemoVerdict.judge(try Self.score(), factor: 1_800, tolerance: .milliseconds(2_000))
        #expect(verdict.failed == ["acked", "reported"])
        #expect(!verdict.passed)
        #expect(
            verdict.lines == [
                "≈ accepted: 35 drill-min late, 1167 ms of wall time — within the 2000 ms allowed for latency",
                "✗ acked: 85 drill-min late, 2833 ms of wall time — beyond the 2000 ms allowed for latency",
                "✗ reported: never happened",
            ])
    }

    /// At ×60 the same lateness is 35 s and 85 s of wall time: both beyond 2 s. With no tolerance only the met one
    /// passes.
    @Test func aSlowerClockLeavesLessToLatency() throws {
        #expect(
            DemoVerdict.judge(try Self.score(), factor: 60, tolerance: .seconds(2)).failed == [
                "accepted", "acked", "reported",
            ])
        #expect(DemoVerdict.judge(try Self.score(), factor: 1_800, tolerance: .zero).failed.count == 3)
        #expect(DemoVerdict.judge(try Self.score(), factor: 1_800, tolerance: .seconds(3)).failed == ["reported"])
    }
}
