import Foundation
import Hummingbird
import WatershedCore
import WatershedStore
import WatershedWire

/// Who is asking and the names of things: `GET /v1/me`, `GET /v1/units`, `GET /v1/pollutants`,
/// `GET /v1/playbooks[/{id}[/map]]`. The
/// playbooks are the shared basin map, not incident data: a drill participant's token reads them too, so its console
/// draws the maps its drill uses (issue 21).
struct DirectoryController: Sendable {
    let basin: Basin

    func register(on group: RouterGroup<AuthenticatedContext>) {
        group.get("/v1/me") { _, context in try JSONResponse.make(context.identity) }
        group.get("/v1/units") { _, context in
            // Names for codes (assignees, actors, provinces), as in playbooks/units.yaml.
            _ = try context.requireReader()
            return try JSONResponse.make(basin.units.values.sorted { $0.code < $1.code })
        }
        group.get("/v1/pollutants") { _, context in
            // The catalogue (playbooks/pollutants.yaml) with names in both languages and the GB 3838-2002 limit each
            // plan judges against: the report form offers these (issue 21).
            _ = try context.requireReader()
            return try JSONResponse.make(basin.pollutants.values.sorted { $0.id < $1.id })
        }
        group.get("/v1/playbooks") { _, context in
            _ = try context.requireReader()
            let list =
                basin.rivers.values.map {
                    PlaybookListing(id: $0.id, kind: "river", name: $0.name, nameZh: $0.nameZh, version: $0.version)
                }
                + basin.parks.values.map {
                    PlaybookListing(id: $0.id, kind: "park", name: $0.name, nameZh: $0.nameZh, version: $0.version)
                }
                + basin.seas.values.map {
                    PlaybookListing(id: $0.id, kind: "sea", name: $0.name, nameZh: $0.nameZh, version: $0.version)
                }
            return try JSONResponse.make(list.sorted { $0.id < $1.id })
        }
        group.get("/v1/playbooks/:id") { _, context in
            _ = try context.requireReader()
            let id = try context.parameters.require("id")
            if let river = basin.rivers[id] { return try JSONResponse.make(river) }
            if let park = basin.parks[id] { return try JSONResponse.make(park) }
            if let sea = basin.seas[id] { return try JSONResponse.make(sea) }
            throw APIError(.notFound, code: "unknown_playbook", message: "no playbook \"\(id)\"", field: "id")
        }
        group.get("/v1/playbooks/:id/map") { _, context in
            _ = try context.requireReader()
            let id = try context.parameters.require("id")
            guard let map = GeoJSON.map(of: id, in: basin) else {
                throw APIError(.notFound, code: "unknown_playbook", message: "no playbook \"\(id)\"", field: "id")
            }
            var response = try JSONResponse.make(map)
            response.headers[.contentType] = "application/geo+json"
            return response
        }
    }
}
