import Foundation
import WatershedCore

/// The report's map (一图) as inline SVG, drawn on the server from the playbooks (as the console's `map.js` draws it
/// from their GeoJSON): the river reaches (or sea zones and maritime boundaries, or park sites), intakes, boundary
/// sections and other receptors, the spill point, and the plume's path — the spill, then each arrival of the first
/// plan in order of its predicted leading edge, following the river between two points on the same river — with
/// each arrival numbered as in the arrivals table. An equirectangular projection (longitude scaled by the cosine of
/// the mean latitude) is enough at a basin's scale.
extension AfterActionReport {
    /// A point of the map in `[lng, lat]`, with what it is.
    struct MapPoint {
        enum Kind { case intake, boundary, other }
        var position: [Double]
        var kind: Kind
        var name: String
    }

    /// Where chainage `km` of `river` is, as `[lng, lat]`: interpolated along its reach's line by planar length;
    /// `nil` off its mapped reaches.
    static func point(on river: RiverPlaybook, km: Double) -> [Double]? {
        guard
            let reach = river.reaches.first(where: { $0.fromKm <= km && km <= $0.toKm })
                ?? (km <= (river.reaches.first?.fromKm ?? 0) ? river.reaches.first : nil),
            reach.line.count >= 2
        else { return nil }
        let line = reach.line
        let span = reach.toKm - reach.fromKm
        let fraction = span > 0 ? min(1, max(0, (km - reach.fromKm) / span)) : 0
        var lengths: [Double] = []
        for index in 1..<line.count {
            let dx: Double = line[index][0] - line[index - 1][0]
            let dy: Double = line[index][1] - line[index - 1][1]
            lengths.append((dx * dx + dy * dy).squareRoot())
        }
        var left: Double = fraction * lengths.reduce(0, +)
        for index in 1..<line.count {
            let length: Double = lengths[index - 1]
            if left <= length || index == line.count - 1 {
                let f: Double = length > 0 ? min(1, left / length) : 0
                let (a, b) = (line[index - 1], line[index])
                return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1])]
            }
            left -= length
        }
        return line.first
    }

    /// A map point's name in the report's language (its tooltip).
    private func name(_ id: String, _ name: String, _ nameZh: String?) -> String {
        placeName(id, name: name, nameZh: nameZh)
    }

    /// The inline SVG of the map, or a sentence when there is nothing to draw.
    var mapSVG: String {
        let plan = firstPlan
        var lines: [[[Double]]] = []
        var areas: [[[Double]]] = []
        var points: [MapPoint] = []
        var spill: [Double]?
        // Where each arrival of the table is (number → position), and the path's stops: river, km, position.
        var stops: [(river: String?, km: Double?, position: [Double])] = []
        var rivers: [String] = []
        switch detail.incident.place {
        case .river(let id, let km):
            rivers.append(id)
            if let river = basin.rivers[id] { spill = Self.point(on: river, km: km) }
            if let spill { stops.append((id, km, spill)) }
        case .sea(let id, let lng, let lat):
            spill = [lng, lat]
            stops.append((nil, nil, [lng, lat]))
            if let sea = basin.seas[id] {
                areas += sea.zones.map(\.polygon)
                lines += sea.boundaries.map(\.line)
                points += sea.receptors.map {
                    MapPoint(position: [$0.lng, $0.lat], kind: .other, name: name($0.id, $0.name, $0.nameZh))
                }
            }
        case .park(let id, _):
            if let park = basin.parks[id] {
                spill = [park.lng, park.lat]
                stops.append((nil, nil, [park.lng, park.lat]))
                points += park.sites.map {
                    MapPoint(position: [$0.lng, $0.lat], kind: .other, name: name($0.id, $0.name, $0.nameZh))
                }
                points += park.outfalls.map {
                    MapPoint(position: [$0.lng, $0.lat], kind: .other, name: name($0.id, $0.name, nil))
                }
            }
        case nil:
            break
        }
        for arrival in plan?.arrivals ?? [] {
            if let river = arrival.river, !rivers.contains(river) { rivers.append(river) }
        }
        for id in rivers {
            guard let river = basin.rivers[id] else { continue }
            lines += river.reaches.map(\.line)
            for receptor in river.receptors {
                let kind: MapPoint.Kind =
                    receptor.kind == .intake ? .intake : receptor.kind == .boundary ? .boundary : .other
                points.append(
                    MapPoint(
                        position: [receptor.lng, receptor.lat], kind: kind,
                        name: name(receptor.id, receptor.name, receptor.nameZh)))
            }
            points += river.monitoringSections.map {
                MapPoint(position: [$0.lng, $0.lat], kind: .other, name: name($0.id, $0.name, $0.nameZh))
            }
        }
        var numbered: [(number: Int, position: [Double])] = []
        for row in arrivals {
            guard let arrival = plan?.arrivals.first(where: { $0.node == row.node }) else { continue }
            var position: [Double]?
            if let id = arrival.river, let km = arrival.km, let river = basin.rivers[id] {
                position = Self.point(on: river, km: km)
            }
            position =
                position ?? points.first { $0.name == row.name }?.position
                ?? basin.seas.values.lazy.compactMap { $0.receptors.first { $0.id == arrival.node } }.first.map {
                    [$0.lng, $0.lat]
                }
            guard let position else { continue }
            numbered.append((row.number, position))
            stops.append((arrival.river, arrival.km, position))
        }
        var path: [[Double]] = []
        for (index, stop) in stops.enumerated() {
            if index > 0, let id = stop.river, id == stops[index - 1].river, let from = stops[index - 1].km,
                let to = stop.km, let river = basin.rivers[id]
            {
                path += (1...24).compactMap { Self.point(on: river, km: from + (to - from) * Double($0) / 24) }
            } else {
                path.append(stop.position)
            }
        }
        let all = lines.flatMap { $0 } + areas.flatMap { $0 } + points.map(\.position) + path
        guard !all.isEmpty else { return "<p class=\"muted\">\(Self.escape(ReportWords.mapNone(language)))</p>" }
        return svg(
            all: all, lines: lines, areas: areas, points: points, spill: spill, path: path, numbered: numbered)
    }

    private func svg(
        all: [[Double]], lines: [[[Double]]], areas: [[[Double]]], points: [MapPoint], spill: [Double]?,
        path: [[Double]], numbered: [(number: Int, position: [Double])]
    ) -> String {
        let xs = all.map { $0[0] }
        let ys = all.map { $0[1] }
        let (minX, maxX, minY, maxY) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        let k = cos((minY + maxY) / 2 * .pi / 180)
        let (width, pad, maxHeight) = (1000.0, 30.0, 560.0)
        let spanX = max((maxX - minX) * k, 0.01)
        let spanY = max(maxY - minY, 0.01)
        let scale = min((width - 2 * pad) / spanX, (maxHeight - 2 * pad) / spanY)
        let height = max(300, spanY * scale + 2 * pad)
        let offX = (width - spanX * scale) / 2
        let offY = (height - spanY * scale) / 2
        func project(_ c: [Double]) -> (Double, Double) {
            (offX + (c[0] - minX) * k * scale, offY + (maxY - c[1]) * scale)
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        func pts(_ line: [[Double]]) -> String {
            line.map {
                let (x, y) = project($0)
                return "\(f(x)),\(f(y))"
            }.joined(separator: " ")
        }
        var out =
            "<svg class=\"map\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\""
            + Self.escape(ReportWords.map(language)) + "\" xmlns=\"http://www.w3.org/2000/svg\">"
            + "<rect class=\"map-bg\" width=\"\(Int(width))\" height=\"\(Int(height))\"/>"
        out += areas.map { "<polygon class=\"map-zone\" points=\"\(pts($0))\"/>" }.joined()
        out += lines.map { "<polyline class=\"map-river\" points=\"\(pts($0))\"/>" }.joined()
        if path.count >= 2 { out += "<polyline class=\"map-path\" points=\"\(pts(path))\"/>" }
        for point in points {
            let (x, y) = project(point.position)
            let title = "<title>\(Self.escape(point.name))</title>"
            switch point.kind {
            case .intake:
                out += "<circle class=\"map-intake\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"6\">\(title)</circle>"
            case .boundary:
                out +=
                    "<rect class=\"map-boundary\" x=\"\(f(x - 3))\" y=\"\(f(y - 10))\" width=\"6\" height=\"20\">"
                    + "\(title)</rect>"
            case .other:
                out += "<circle class=\"map-other\" cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\">\(title)</circle>"
            }
        }
        for (number, position) in numbered {
            let (x, y) = project(position)
            out +=
                "<g class=\"map-arrival\"><circle cx=\"\(f(x))\" cy=\"\(f(y - 16))\" r=\"9\"/>"
                + "<text x=\"\(f(x))\" y=\"\(f(y - 12))\" text-anchor=\"middle\">\(number)</text></g>"
        }
        if let spill {
            let (x, y) = project(spill)
            let star = (0..<10).map { i -> String in
                let r = i % 2 == 0 ? 13.0 : 5.5
                let a = Double.pi / 5 * Double(i) - .pi / 2
                return "\(f(x + r * cos(a))),\(f(y + r * sin(a)))"
            }.joined(separator: " ")
            out +=
                "<polygon class=\"map-spill\" points=\"\(star)\"/>"
                + "<text class=\"map-label\" x=\"\(f(x + 16))\" y=\"\(f(y + 5))\">"
                + Self.escape(ReportWords.mapSpill(language)) + "</text>"
        }
        out += "</svg>"
        let legend = [
            ("key-path", ReportWords.mapPath), ("key-spill", ReportWords.mapSpill),
            ("key-intake", ReportWords.mapIntake),
            ("key-boundary", ReportWords.mapBoundary), ("key-other", ReportWords.mapOther),
        ].map { "<li><span class=\"key \($0.0)\"></span>\(Self.escape($0.1(language)))</li>" }.joined()
        return out + "<ul class=\"legend\">\(legend)</ul>"
    }
}
