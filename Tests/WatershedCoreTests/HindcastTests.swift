import Foundation
import Testing
import WatershedCore

/// The hindcast's arithmetic (issue 17, "Hindcasts") on the hand-made basin (HandBasin, ArrivalBandTests): errors in
/// hours and in % of the observed travel time counted from the last observation used, and the band check.
@Suite struct HindcastTests {
    func at(_ hours: Double) -> Date { HandBasin.spillTime.addingTimeInterval(hours * 3_600) }

    /// Spill at trib km 0; the leading edge seen at main-50 at 35.48461 h (twice 0.89 · T_max(main-50) =
    /// 0.89 · 19.93517 = 17.74230 h) and at main-intake at 70 h.
    func handCase() throws -> HindcastCase {
        let json = """
            {"schemaVersion": 1, "kind": "hindcast", "id": "hand", "name": "Hand", "calibratedOn": "hand-made",
             "source": "hand-made",
             "spill": {"river": "trib", "km": 0, "at": "2012-01-15T08:00:00+08:00", "pollutant": "cadmium",
                       "massKg": 1000, "flowRatio": 1, "source": "hand-made"},
             "seen": [
               {"node": "main-50", "feature": "leadingEdge", "at": "2012-01-16T19:29:04.596+08:00",
                "source": "hand-made"},
               {"node": "main-intake", "feature": "leadingEdge", "at": "2012-01-18T06:00:00+08:00", "used": false,
                "source": "hand-made"}]}
            """
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let plain = ISO8601DateFormatter()
            guard let date = formatter.date(from: text) ?? plain.date(from: text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: text))
            }
            return date
        }
        return try decoder.decode(HindcastCase.self, from: Data(json.utf8))
    }

    /// Before any observation main-50 is predicted at 17.74230 h: −17.74230 h, −50 % of the 35.48461 h travel; its
    /// band (17.74230 h to 21.16373 · 1.649460 + 15.05394 · 2.118942 = 66.80719 h) holds the observation. main-intake:
    /// 0.89 · (12.83072 + 12.78803) = 22.80068 h, −47.19932 h, −67.4276 %. After the observation at main-50 (f = 2, the
    /// same water below, w = 1): main-intake at 35.48461 + 0.89 · 2 · 24,000/1.172972/3600 = 45.60135 h, −24.39865 h,
    /// −70.689 % of the 34.51539 h from the observation.
    @Test func errorsAreCountedFromTheLastObservationUsed() throws {
        let result = try Hindcast.run(try handCase(), basin: HandBasin.basin())
        #expect(result.used.count == 1)
        let fifty = try #require(result.rows.first { $0.node == "main-50" })
        #expect(abs(fifty.steps[0].errorH + 17.74230) < 1e-3)
        #expect(abs((fifty.steps[0].errorPercent ?? 0) + 50) < 1e-2)
        #expect(fifty.steps[0].inBand)
        #expect(abs(fifty.steps[0].latest.timeIntervalSince(HandBasin.spillTime) / 3_600 - 66.80719) < 1e-3)
        #expect(fifty.steps[1].errorPercent == nil, "seen at the observation itself: nothing left to predict")
        let intake = try #require(result.rows.first { $0.node == "main-intake" })
        #expect(abs(intake.steps[0].errorH + 47.19932) < 1e-3)
        #expect(abs((intake.steps[0].errorPercent ?? 0) + 67.4276) < 1e-2)
        #expect(abs(intake.steps[1].errorH + 24.39865) < 1e-3)
        #expect(abs((intake.steps[1].errorPercent ?? 0) + 70.689) < 1e-2)
        #expect(result.inBandBefore.inside == 2 && result.inBandBefore.of == 2)
        #expect(abs(try handCase().seen[0].at.timeIntervalSince(at(35.48461))) < 1e-3)
    }

    /// A run is worse than recorded when a station recorded in the band leaves it, or an error grows by more than
    /// 0.1 percentage point; within that, it is not.
    @Test func aWorseRunIsNamed() throws {
        let result = try Hindcast.run(try handCase(), basin: HandBasin.basin())
        let same = [
            HindcastCase.Recorded(
                node: "main-intake", feature: .leadingEdge, step: 1, inBand: false, errorPercent: 70.7)
        ]
        #expect(Hindcast.regressions(result, against: same).isEmpty)
        let better = [
            HindcastCase.Recorded(node: "main-intake", feature: .leadingEdge, step: 1, inBand: false, errorPercent: 60)
        ]
        #expect(Hindcast.regressions(result, against: better).count == 1)
        let inside = [
            HindcastCase.Recorded(node: "main-50", feature: .leadingEdge, step: 0, inBand: true, errorPercent: 50.1)
        ]
        #expect(Hindcast.regressions(result, against: inside).isEmpty)
        let gone = [HindcastCase.Recorded(node: "nowhere", feature: .peak, step: 0, inBand: true, errorPercent: nil)]
        #expect(Hindcast.regressions(result, against: gone) == ["nowhere peak after 0: no longer predicted"])
    }
}
