import Foundation
import WatershedCore

/// RFC 7946 GeoJSON of a playbook for the command map (一图): reach lines, then points for
/// emergency sites, receptors, monitoring sections, park sites and outfalls, marine receptors;
/// maritime boundaries and sea zones as lines and polygons. Coordinates are `[lng, lat]`; a feature's `nameZh` is
/// the playbook's Chinese name where it has one.
enum GeoJSON {
    static func feature(_ geometry: JSONValue, _ properties: [String: JSONValue]) -> JSONValue {
        ["type": "Feature", "geometry": geometry, "properties": .object(properties)]
    }

    static func point(_ lng: Double, _ lat: Double) -> JSONValue {
        ["type": "Point", "coordinates": [.number(lng), .number(lat)]]
    }

    static func line(_ points: [[Double]]) -> JSONValue {
        ["type": "LineString", "coordinates": .array(points.map { .array($0.map(JSONValue.number)) })]
    }

    static func polygon(_ points: [[Double]]) -> JSONValue {
        var ring = points
        if let first = ring.first, ring.last != first { ring.append(first) }
        return ["type": "Polygon", "coordinates": [.array(ring.map { .array($0.map(JSONValue.number)) })]]
    }

    static func named(
        _ kind: String, _ id: String, _ name: String, _ nameZh: String? = nil, _ extra: [String: JSONValue] = [:]
    ) -> [String: JSONValue] {
        var properties: [String: JSONValue] = ["kind": .string(kind), "id": .string(id), "name": .string(name)]
        if let nameZh { properties["nameZh"] = .string(nameZh) }
        properties.merge(extra) { _, new in new }
        return properties
    }

    /// The map of a river, park or sea playbook, or `nil` for an unknown id.
    static func map(of id: String, in basin: Basin) -> JSONValue? {
        var features: [JSONValue] = []
        if let river = basin.rivers[id] {
            for reach in river.reaches {
                features.append(
                    feature(
                        line(reach.line),
                        named(
                            "reach", reach.id, reach.id, nil,
                            [
                                "fromKm": .number(reach.fromKm), "toKm": .number(reach.toKm),
                                "owner": .string(reach.owner),
                            ])))
            }
            for site in river.sites {
                features.append(
                    feature(
                        point(site.lng, site.lat),
                        named(
                            "emergencySite", site.id, site.name, site.nameZh,
                            ["km": .number(site.km), "actions": .array(site.actions.map { .string($0.rawValue) })])))
            }
            for receptor in river.receptors {
                features.append(
                    feature(
                        point(receptor.lng, receptor.lat),
                        named(
                            receptor.kind.rawValue, receptor.id, receptor.name, receptor.nameZh,
                            ["km": .number(receptor.km)])))
            }
            for section in river.monitoringSections {
                features.append(
                    feature(
                        point(section.lng, section.lat),
                        named(
                            "monitoringSection", section.id, section.name, section.nameZh, ["km": .number(section.km)]))
                )
            }
        } else if let park = basin.parks[id] {
            for site in park.sites {
                features.append(
                    feature(
                        point(site.lng, site.lat),
                        named("parkSite", site.id, site.name, site.nameZh, ["level": .number(Double(site.level))])))
            }
            for outfall in park.outfalls {
                features.append(feature(point(outfall.lng, outfall.lat), named("outfall", outfall.id, outfall.name)))
            }
        } else if let sea = basin.seas[id] {
            for zone in sea.zones {
                features.append(feature(polygon(zone.polygon), named("zone", zone.id, zone.name, zone.nameZh)))
            }
            for receptor in sea.receptors {
                features.append(
                    feature(
                        point(receptor.lng, receptor.lat),
                        named("marineReceptor", receptor.id, receptor.name, receptor.nameZh)))
            }
            for boundary in sea.boundaries {
                features.append(
                    feature(
                        line(boundary.line),
                        named("maritimeBoundary", boundary.id, boundary.name, nil, ["beyond": .string(boundary.beyond)])
                    ))
            }
        } else {
            return nil
        }
        return ["type": "FeatureCollection", "features": .array(features)]
    }
}
