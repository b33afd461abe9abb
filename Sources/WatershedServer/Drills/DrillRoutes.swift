import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedWire

/// The drill API (issue 6, DESIGN.md "Commands" `watershed drill …`):
///
/// - `POST /v1/drills` (commander): body ``DrillStartRequest``; `201` ``DrillStarted`` with one drill token per
///   participant (shown only here); 422 naming the scenario's field at fault.
/// - `GET /v1/drills` (any reader; a drill token sees the drills too): ``DrillSummary`` list, newest first.
/// - `GET /v1/drills/{id}`: one drill (id, or 8+ of its first characters).
/// - `POST /v1/drills/{id}/end` (commander): ends it — open tasks cancelled, incidents closed, tokens revoked; 409
///   when it has ended.
/// - `GET /v1/drills/{id}/score`: ``DrillScore`` from the event log.
struct DrillRoutes: Sendable {
    let incidents: IncidentService
    let clock: any WallClock

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.post("/v1/drills") { request, context in
            let identity = try context.require(.commander)
            let body: DrillStartRequest = try await Routes.decodeBody(request, context: context)
            let started = try await incidents.startDrill(body, by: identity, wall: clock.now)
            var response = try JSONResponse.make(started, status: .created)
            response.headers[.location] = "/v1/drills/\(started.drill.id.uuidString)"
            return response
        }
        router.get("/v1/drills") { request, context in
            _ = try context.requireReader()
            try Routes.allowQuery(request, ["limit", "cursor"])
            let page = try PageRequest(request)
            let drills = await incidents.drillSummaries()
            let sliced = try await page.slice(drills, id: \.id.uuidString) { drills.map(\.id.uuidString) }
            return try page.response(sliced, id: \.id.uuidString, request: request)
        }
        router.get("/v1/drills/:id") { _, context in
            _ = try context.requireReader()
            let id = try context.parameters.require("id")
            guard let state = await incidents.findDrill(id), let summary = await incidents.summary(of: state.id) else {
                throw IncidentService.unknownDrill(id)
            }
            return try JSONResponse.make(summary)
        }
        router.post("/v1/drills/:id/end") { _, context in
            let identity = try context.require(.commander)
            let id = try context.parameters.require("id")
            return try JSONResponse.make(
                try await incidents.endDrill(id, reason: "ended by \(identity.tokenID)", wall: clock.now))
        }
        router.get("/v1/drills/:id/score") { _, context in
            _ = try context.requireReader()
            let id = try context.parameters.require("id")
            return try JSONResponse.make(try await incidents.drillScore(id, wall: clock.now))
        }
    }
}
