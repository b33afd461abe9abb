import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// Incidents: `GET /v1/incidents` (paged, without plans), `GET /v1/incidents/{id}`, `POST /v1/incidents` (an
/// initial report) and `POST /v1/incidents/{id}/reports` (a follow-up or final report).
struct IncidentController: Sendable {
    let incidents: IncidentService
    let clock: any WallClock

    func register(on group: RouterGroup<AuthenticatedContext>) {
        group.get("/v1/incidents") { request, context in
            let reader = try context.requireReader()
            try Routes.allowQuery(request, ["state", "limit", "cursor"])
            let page = try PageRequest(request)
            let state = request.uri.queryParameters.get("state")
            if let state, state != "open", state != "closed" {
                throw APIError(.badRequest, code: "invalid_field", message: "state is open or closed", field: "state")
            }
            // Without plans (tens of KB each): a list is for choosing; `GET /v1/incidents/{id}` has the plan.
            let listed = await incidents.list(state: state).filter { !reader.isDrillOnly || $0.exercise }
            let sliced = try await page.slice(listed, id: \.id.uuidString) {
                await incidents.list(state: nil).map(\.id.uuidString)
            }
            let deadlines = await incidents.nextDeadlines()
            let lean = sliced.page.map { incident in
                var lean = incident.withoutPlan
                lean.nextDeadline = deadlines[incident.id]?.at
                lean.nextDeadlineTask = deadlines[incident.id]?.task
                return lean
            }
            return try page.response((lean, sliced.more), id: \.id.uuidString, request: request)
        }
        group.get("/v1/incidents/:id") { _, context in
            let id = try context.parameters.require("id")
            // An incident opened by a peer's CAP Alert has no report: its own shape (CAPIncidentDetail), found by its
            // reference or UUID like any other.
            let found = await incidents.find(id)
            if found == nil || found?.cap != nil, let uuid = found?.id ?? UUID(uuidString: id),
                let cap = try await incidents.capDetail(of: uuid)
            {
                _ = try context.require(.viewer, exercise: cap.exercise, field: "id")
                return try JSONResponse.make(cap)
            }
            guard let incident = await incidents.find(id), var detail = await incidents.detail(of: incident.id) else {
                throw IncidentService.unknown(id)
            }
            let reader = try context.require(.viewer, exercise: incident.exercise, field: "id")
            // The first screen's next deadline, as the list shows it (from this incident's tasks only).
            if let next = IncidentService.nextDeadlines(in: detail.tasks)[incident.id] {
                detail.incident.nextDeadline = next.at
                detail.incident.nextDeadlineTask = next.task
            }
            // The buttons the caller's console offers (issue 21): the same rules the task routes enforce — the
            // task's own, and a drill participant's token works its own drill's incidents only (`other_drill`).
            let drill = await incidents.drill(of: incident.id)
            let ownDrill = reader.drill == nil || drill == reader.drill
            for task in detail.tasks where ownDrill {
                let actions = reader.taskActions(task, exercise: incident.exercise)
                if !actions.isEmpty { detail.actions[task.id.uuidString] = actions }
            }
            return try JSONResponse.make(detail)
        }
        group.post("/v1/incidents") { request, context in
            _ = try context.require(.officer, exercise: true)
            let key = try Routes.idempotencyKey(request)
            let report: InitialReport = try await Routes.decodeBody(request, context: context)
            let identity = try context.require(.officer, exercise: report.exercise ?? false, field: "exercise")
            let filed = try await incidents.fileInitialReport(report, by: identity, now: clock.now, idempotencyKey: key)
            return try Routes.created(filed)
        }
        group.post("/v1/incidents/:id/reports") { request, context in
            _ = try context.require(.officer, exercise: true)
            let id = try context.parameters.require("id")
            guard let incident = await incidents.find(id) else { throw IncidentService.unknown(id) }
            let identity = try context.require(.officer, exercise: incident.exercise, field: "id")
            try await Routes.requireOwnDrill(identity, incident: incident.id, incidents: incidents)
            let key = try Routes.idempotencyKey(request)
            let report: FollowUpReport = try await Routes.decodeBody(request, context: context)
            if report.levelChange != nil || report.kind == .final {
                _ = try context.require(.commander, field: report.levelChange != nil ? "levelChange" : "kind")
            }
            let filed = try await incidents.fileReport(
                report, on: id, by: identity, now: clock.now, idempotencyKey: key)
            return try Routes.created(filed)
        }
    }
}
