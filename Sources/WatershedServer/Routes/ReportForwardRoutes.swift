import Foundation
import Hummingbird
import WatershedFederation
import WatershedWire

/// `POST /v1/incidents/{id}/forwards`: a commander forwards a lower unit's report for this province — to MEE within
/// 1 h of receiving the county's report on the II/I path (MEP Order No. 17 Art. 3;
/// ``IncidentService/forward(_:report:to:by:now:)``).
///
/// Body ``ReportForwardRequest``: `{"to": "MEE", "report": <seq>?}`. Answers `201` with ``ReportForwardAnswer``.
/// Errors (`{"error": {code, message, field}}`): 401 without a token; 403 `forbidden` for a token without the
/// commander role (`drill_only` for a drill token on a real incident, or on another drill's incident); 404
/// `unknown_incident` (`id`), `unknown_report` (`report`); 400 for a body that is not JSON or has an unknown field;
/// 422 `invalid_field` for an absent, blank or unknown `to`; 409 `nothing_to_forward` (`report`: no report of
/// another unit, or the province's own), `already_forwarded` (`to`).
struct ReportForwardRoutes {
    let incidents: IncidentService
    let clock: any WallClock

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.post("/v1/incidents/:id/forwards") { request, context in
            _ = try context.require(.commander, exercise: true)
            let id = try context.parameters.require("id")
            guard let incident = await incidents.find(id) else { throw IncidentService.unknown(id) }
            let identity = try context.require(.commander, exercise: incident.exercise, field: "id")
            try await Routes.requireOwnDrill(identity, incident: incident.id, incidents: incidents)
            let body: ReportForwardRequest = try await Routes.decodeBody(request, context: context)
            guard let to = body.to?.trimmingCharacters(in: .whitespaces), !to.isEmpty else {
                throw APIError(
                    .unprocessableContent, code: "invalid_field",
                    message: "to is the recipient: \"MEE\" (the Ministry) or a unit code", field: "to")
            }
            let answer = try await incidents.forward(id, report: body.report, to: to, by: identity, now: clock.now)
            var response = try JSONResponse.make(answer, status: .created)
            response.headers[.location] = "/v1/incidents/\(incident.id.uuidString)"
            return response
        }
    }
}
