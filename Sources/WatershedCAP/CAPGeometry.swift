import Foundation
import WatershedCore

/// Geometry for CAP areas from the playbooks: points on a river by chainage, the stretch of river a plan's plume
/// covers, and a line buffered into a closed polygon.
///
/// Distances use a local equirectangular projection around each line (x = Δlng · 111.32 km · cos φ₀,
/// y = Δlat · 110.57 km), good to well under 1 % over the few hundred km of a plume path — far finer than the
/// playbooks' coarse reach lines.
public enum CAPGeometry {
    /// A stretch of one river between two chainages.
    public struct Stretch: Sendable, Hashable {
        /// The river.
        public var river: RiverPlaybook
        /// Upstream chainage, km.
        public var fromKm: Double
        /// Downstream chainage, km.
        public var toKm: Double
    }

    /// Where the spill is: on a river, the reach line interpolated at the chainage; the park's point; the sea point.
    public static func spillPoint(_ place: SpillLocation, basin: Basin) -> CAPPoint? {
        switch place {
        case .river(let id, let km):
            guard let river = basin.rivers[id] else { return nil }
            return line(of: river, fromKm: km, toKm: km).first.map { CAPPoint(lat: $0.lat, lon: $0.lng) }
        case .park(let id, _):
            return basin.parks[id].map { CAPPoint(lat: $0.lat, lon: $0.lng) }
        case .sea(_, let lng, let lat):
            return CAPPoint(lat: lat, lon: lng)
        }
    }

    /// The stretches of river the plan's plume covers: along the downstream course from the spill (or, for a park,
    /// from its outfall), each river from where the water enters it to the farthest node reached on it — or to its
    /// end, when the plume goes on into the next river.
    public static func riverStretches(plan: PlanDocument, basin: Basin) -> [Stretch] {
        let start: (river: String, km: Double)
        switch plan.input.location {
        case .river(let id, let km):
            start = (id, km)
        case .park(let id, let scenario):
            guard let park = basin.parks[id],
                let outfallID = park.scenarios.first(where: { $0.id == scenario })?.outfall,
                let outfall = park.outfalls.first(where: { $0.id == outfallID }), let river = outfall.river
            else { return [] }
            start = (river, outfall.km ?? 0)
        case .sea:
            return []
        }
        let course = basin.downstreamCourse(from: start.river, km: start.km)
        var farthest: [String: Double] = [:]
        for arrival in plan.arrivals {
            guard let river = arrival.river, let km = arrival.km else { continue }
            farthest[river] = max(farthest[river] ?? km, km)
        }
        guard let last = course.lastIndex(where: { farthest[$0.river.id] != nil }) else { return [] }
        return course[...last].enumerated().map { index, step in
            let end = index == last ? (farthest[step.river.id] ?? step.entryKm) : step.river.lengthKm
            return Stretch(river: step.river, fromKm: step.entryKm, toKm: max(end, step.entryKm))
        }
    }

    /// The river's line (lng/lat, upstream first) from `fromKm` to `toKm`, built from its reaches' lines: each
    /// reach line is spread over its chainages in proportion to length along it, and the ends interpolated.
    /// A single point when `fromKm == toKm`.
    public static func line(of river: RiverPlaybook, fromKm: Double, toKm: Double) -> [LngLat] {
        var points: [LngLat] = []
        func add(_ point: LngLat) {
            if let previous = points.last, abs(previous.lng - point.lng) < 1e-9, abs(previous.lat - point.lat) < 1e-9 {
                return
            }
            points.append(point)
        }
        for reach in river.reaches where reach.toKm >= fromKm && reach.fromKm <= toKm {
            let vertices = reach.line.compactMap { $0.count >= 2 ? LngLat(lng: $0[0], lat: $0[1]) : nil }
            guard let firstVertex = vertices.first else { continue }
            guard vertices.count >= 2 else {
                add(firstVertex)
                continue
            }
            var cumulative = [0.0]
            for index in 1..<vertices.count {
                cumulative.append(cumulative[index - 1] + distanceKm(vertices[index - 1], vertices[index]))
            }
            let total = cumulative.last ?? 0
            func kmAt(_ index: Int) -> Double {
                total > 0 ? reach.fromKm + cumulative[index] / total * reach.lengthKm : reach.fromKm
            }
            func pointAt(_ km: Double) -> LngLat {
                for index in 1..<vertices.count where kmAt(index) >= km {
                    let span = kmAt(index) - kmAt(index - 1)
                    let t = span > 0 ? (km - kmAt(index - 1)) / span : 0
                    return LngLat(
                        lng: vertices[index - 1].lng + t * (vertices[index].lng - vertices[index - 1].lng),
                        lat: vertices[index - 1].lat + t * (vertices[index].lat - vertices[index - 1].lat))
                }
                return vertices[vertices.count - 1]
            }
            let low = max(fromKm, reach.fromKm)
            let high = min(toKm, reach.toKm)
            add(pointAt(low))
            for index in vertices.indices where kmAt(index) > low && kmAt(index) < high { add(vertices[index]) }
            add(pointAt(high))
            if fromKm == toKm { break }
        }
        return points
    }

    /// `line` buffered by `halfWidthKm` on each side into a closed CAP polygon: the left offsets upstream to
    /// downstream, the right offsets back, and the first point again (at least 5 points for a line of 2 or more
    /// distinct points); coordinates rounded to 5 decimals (about 1 m). `nil` for fewer than 2 distinct points.
    /// Each vertex moves along the mean of its two segments' normals, lengthened to keep the corridor's width at a
    /// bend (at most twice).
    public static func buffer(_ line: [LngLat], halfWidthKm: Double) -> [CAPPoint]? {
        guard line.count >= 2 else { return nil }
        let origin = line[0]
        let kmPerLng = 111.32 * cos(origin.lat * .pi / 180)
        let kmPerLat = 110.574
        let xy = line.map { ((($0.lng - origin.lng) * kmPerLng), ($0.lat - origin.lat) * kmPerLat) }
        var normals: [(Double, Double)] = []
        for index in 0..<(xy.count - 1) {
            let dx = xy[index + 1].0 - xy[index].0
            let dy = xy[index + 1].1 - xy[index].1
            let length = (dx * dx + dy * dy).squareRoot()
            guard length > 0 else { return nil }
            normals.append((-dy / length, dx / length))
        }
        var left: [CAPPoint] = []
        var right: [CAPPoint] = []
        for index in xy.indices {
            let before = normals[max(0, index - 1)]
            let after = normals[min(normals.count - 1, index)]
            var nx = before.0 + after.0
            var ny = before.1 + after.1
            let length = (nx * nx + ny * ny).squareRoot()
            if length < 1e-9 {
                (nx, ny) = after
            } else {
                nx /= length
                ny /= length
            }
            let cosine = max(nx * after.0 + ny * after.1, 0.5)
            let offset = halfWidthKm / cosine
            func point(_ sign: Double) -> CAPPoint {
                CAPPoint(
                    lat: rounded(origin.lat + (xy[index].1 + sign * ny * offset) / kmPerLat),
                    lon: rounded(origin.lng + (xy[index].0 + sign * nx * offset) / kmPerLng))
            }
            left.append(point(1))
            right.append(point(-1))
        }
        return left + right.reversed() + [left[0]]
    }

    /// Great-circle distance, km (haversine, R = 6371.0088 km).
    static func distanceKm(_ a: LngLat, _ b: LngLat) -> Double {
        let radians = Double.pi / 180
        let dLat = (b.lat - a.lat) * radians
        let dLng = (b.lng - a.lng) * radians
        let h =
            sin(dLat / 2) * sin(dLat / 2) + cos(a.lat * radians) * cos(b.lat * radians) * sin(dLng / 2) * sin(dLng / 2)
        return 2 * 6_371.0088 * asin(min(1, h.squareRoot()))
    }

    static func rounded(_ degrees: Double) -> Double { (degrees * 100_000).rounded() / 100_000 }
}
