import Foundation
import Hummingbird
import WatershedFederation
import WatershedWire

/// `POST /v1/incidents/{id}/links`: a commander links two incidents of this server as reports of the same spill
/// (issue 5, "Inbound"; ``IncidentService/link(_:to:by:now:)``).
///
/// Body ``IncidentLinkRequest``: `{"incident": "<UUID or reference>"}`. Answers `201` with ``IncidentLinks`` (the
/// incident of the path and all its links). Errors (`{"error": {code, message, field}}`): 401 without a token; 403
/// `forbidden` for a token without the commander role (`drill_only` for a drill token on a real incident); 404
/// `unknown_incident` (`id`, or `incident` for the body's); 400 for a body that is not JSON or has an unknown field;
/// 422 `invalid_field` for an absent or blank `incident`, `exercise_mismatch` for an exercise and a real incident;
/// 409 `same_incident`, `already_linked`.
struct IncidentLinkRoutes {
    let incidents: IncidentService
    let clock: any WallClock

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.post("/v1/incidents/:id/links") { request, context in
            _ = try context.require(.commander, exercise: true)
            let id = try context.parameters.require("id")
            guard let incident = await incidents.find(id) else { throw IncidentService.unknown(id) }
            let identity = try context.require(.commander, exercise: incident.exercise, field: "id")
            let body: IncidentLinkRequest = try await Routes.decodeBody(request, context: context)
            guard let other = body.incident?.trimmingCharacters(in: .whitespaces), !other.isEmpty else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "incident names the incident to link: its UUID or reference (e.g. GD-2013-0002)",
                    field: "incident")
            }
            let links = try await incidents.link(id, to: other, by: identity, now: clock.now)
            return try JSONResponse.make(links, status: .created)
        }
    }
}
