import Foundation

/// Drift of a surface slick: it moves with the surface current plus a fraction
/// of the wind speed in the wind's direction (the 3 % rule of thumb; NOAA's GNOME
/// uses a 1–4 % windage range). DOMAIN.md §3 "Marine drift".
///
/// Distances use a local equirectangular projection around the spill point
/// (1° latitude = 110.574 km, 1° longitude = 111.320 km · cos φ), adequate for
/// the tens of kilometres of a bay.
public enum MarineDrift {
    /// A velocity in a local east/north frame, m/s.
    public struct Velocity: Sendable, Hashable {
        /// Eastward component, m/s.
        public var east: Double
        /// Northward component, m/s.
        public var north: Double
        /// Speed, m/s.
        public var speed: Double { (east * east + north * north).squareRoot() }
        /// Direction the slick moves *towards*, degrees clockwise from north (0…360).
        public var towardDeg: Double {
            let deg = atan2(east, north) * 180 / .pi
            return deg < 0 ? deg + 360 : deg
        }
    }

    /// The slick's velocity.
    ///
    /// - Parameters:
    ///   - currentMs: surface current speed, m/s.
    ///   - currentToDeg: direction the current flows *towards*, degrees from north.
    ///   - windMs: wind speed, m/s.
    ///   - windFromDeg: direction the wind blows *from*, degrees from north (meteorological).
    ///   - windage: fraction of the wind speed (0.03).
    public static func velocity(
        currentMs: Double, currentToDeg: Double, windMs: Double, windFromDeg: Double, windage: Double
    ) -> Velocity {
        let current = currentToDeg * .pi / 180
        let windTo = (windFromDeg + 180) * .pi / 180
        return Velocity(
            east: currentMs * sin(current) + windage * windMs * sin(windTo),
            north: currentMs * cos(current) + windage * windMs * cos(windTo))
    }

    /// Kilometres east and north of `origin` (local equirectangular projection).
    public static func localKm(of point: LngLat, from origin: LngLat) -> (x: Double, y: Double) {
        let kmPerDegLat = 110.574
        let kmPerDegLng = 111.320 * cos(origin.lat * .pi / 180)
        return ((point.lng - origin.lng) * kmPerDegLng, (point.lat - origin.lat) * kmPerDegLat)
    }

    /// When a slick from `origin` moving at `velocity` first comes within `radiusKm` of `target`
    /// (entry) and when it passes closest, in hours; `nil` if it never comes that close.
    public static func passage(
        of target: LngLat, radiusKm: Double, from origin: LngLat, velocity: Velocity
    ) -> (entryH: Double, closestH: Double, distanceKm: Double)? {
        let speedKmH = velocity.speed * 3.6
        guard speedKmH > 0 else { return nil }
        let p = localKm(of: target, from: origin)
        let ux = velocity.east / velocity.speed
        let uy = velocity.north / velocity.speed
        let along = p.x * ux + p.y * uy
        let across = abs(p.x * uy - p.y * ux)
        guard across <= radiusKm, along + radiusKm >= 0 else { return nil }
        let halfChord = (radiusKm * radiusKm - across * across).squareRoot()
        let entry = max(0, along - halfChord)
        return (entry / speedKmH, max(0, along) / speedKmH, entry)
    }

    /// When a slick from `origin` moving at `velocity` first crosses the polyline `line`, in hours,
    /// with the distance travelled in km; `nil` if its track never crosses it.
    public static func crossing(of line: [LngLat], from origin: LngLat, velocity: Velocity) -> (
        hours: Double, distanceKm: Double
    )? {
        let speedKmH = velocity.speed * 3.6
        guard speedKmH > 0, line.count >= 2 else { return nil }
        let dx = velocity.east / velocity.speed
        let dy = velocity.north / velocity.speed
        var best: Double?
        for i in 0..<(line.count - 1) {
            let a = localKm(of: line[i], from: origin)
            let b = localKm(of: line[i + 1], from: origin)
            let ex = b.x - a.x
            let ey = b.y - a.y
            let denominator = dx * ey - dy * ex
            if abs(denominator) < 1e-12 { continue }
            // Ray origin + t·d meets a + s·e: solve by Cramer's rule.
            let t = (a.x * ey - a.y * ex) / denominator
            let s = (a.x * dy - a.y * dx) / denominator
            if t >= 0, s >= 0, s <= 1 { best = min(best ?? t, t) }
        }
        guard let distance = best else { return nil }
        return (distance / speedKmH, distance)
    }
}
