import Foundation
import Testing
import WatershedCore

/// Marine drift: current plus 3 % of the wind (DOMAIN.md §3).
@Suite struct MarineDriftTests {
    /// A 10 m/s wind from 225° (south-west) pushes the slick towards 45° at 0.3 m/s;
    /// with no current: east = north = 0.3 · sin 45° = 0.212132 m/s.
    @Test func windFromSouthWest() {
        let v = MarineDrift.velocity(currentMs: 0, currentToDeg: 0, windMs: 10, windFromDeg: 225, windage: 0.03)
        #expect(abs(v.east - 0.212132) < 1e-6)
        #expect(abs(v.north - 0.212132) < 1e-6)
        #expect(abs(v.speed - 0.3) < 1e-9)
        #expect(abs(v.towardDeg - 45) < 1e-9)
    }

    /// Current 0.2 m/s towards east plus wind 10 m/s from the north (3 % → 0.3 m/s south): (0.2, −0.3).
    @Test func currentPlusWind() {
        let v = MarineDrift.velocity(currentMs: 0.2, currentToDeg: 90, windMs: 10, windFromDeg: 0, windage: 0.03)
        #expect(abs(v.east - 0.2) < 1e-9)
        #expect(abs(v.north + 0.3) < 1e-9)
    }

    /// A slick at 109.0°E 21.0°N drifting due east at 0.5 m/s (1.8 km/h) meets a north–south line at 109.1°E:
    /// 0.1° of longitude at 21°N = 0.1 · 111.320 · cos 21° = 11.132 · 0.9335804 = 10.39262 km → 10.39262 / 1.8 = 5.77368 h.
    @Test func crossingALine() throws {
        let velocity = MarineDrift.velocity(currentMs: 0.5, currentToDeg: 90, windMs: 0, windFromDeg: 0, windage: 0.03)
        let line = [LngLat(lng: 109.1, lat: 20.5), LngLat(lng: 109.1, lat: 21.5)]
        let crossing = try #require(
            MarineDrift.crossing(of: line, from: LngLat(lng: 109.0, lat: 21.0), velocity: velocity))
        #expect(abs(crossing.distanceKm - 10.39262) < 1e-4)
        #expect(abs(crossing.hours - 5.77368) < 1e-4)
        // Drifting west it never crosses.
        let west = MarineDrift.velocity(currentMs: 0.5, currentToDeg: 270, windMs: 0, windFromDeg: 0, windage: 0.03)
        #expect(MarineDrift.crossing(of: line, from: LngLat(lng: 109.0, lat: 21.0), velocity: west) == nil)
    }

    /// A receptor of radius 2 km, 10.39262 km due east on the track: entered after 8.39262 km (8.39262 / 1.8 = 4.66257 h).
    @Test func passingAReceptor() throws {
        let velocity = MarineDrift.velocity(currentMs: 0.5, currentToDeg: 90, windMs: 0, windFromDeg: 0, windage: 0.03)
        let passage = try #require(
            MarineDrift.passage(
                of: LngLat(lng: 109.1, lat: 21.0), radiusKm: 2, from: LngLat(lng: 109.0, lat: 21.0), velocity: velocity)
        )
        #expect(abs(passage.entryH - 4.66257) < 1e-5)
        #expect(abs(passage.closestH - 5.77368) < 1e-4)
    }
}
