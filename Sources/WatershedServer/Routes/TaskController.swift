import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// Response tasks: `GET /v1/tasks` (filtered, paged), `GET /v1/tasks/{id}` and `POST /v1/tasks/{id}/{action}`
/// (acknowledge, start, done, decline: ``TaskAction``).
struct TaskController: Sendable {
    let incidents: IncidentService
    let clock: any WallClock

    func register(on group: RouterGroup<AuthenticatedContext>) {
        group.get("/v1/tasks") { request, context in
            let reader = try context.requireReader()
            try Routes.allowQuery(request, ["assignee", "state", "incident", "limit", "cursor"])
            let page = try PageRequest(request)
            let query = request.uri.queryParameters
            var assignee: Assignee?
            var unit: UnitCode?
            if let text = query.get("assignee") {
                // `451203` (any position of the unit) or `451203/county-duty-officer`.
                let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                let known = await incidents.knownPositions
                guard let code = parts.first, code.utf8.count == 6, code.utf8.allSatisfy({ (48...57).contains($0) }),
                    parts.count <= 2, parts.count == 1 || known.contains(DutyPosition(rawValue: parts[1]))
                else {
                    throw APIError(
                        .badRequest, code: "invalid_field",
                        message: "assignee is a unit code (451203) or unit/position, the position one of "
                            + known.map(\.rawValue).sorted().joined(separator: ", "),
                        field: "assignee")
                }
                if parts.count == 2 {
                    assignee = Assignee(unit: code, position: DutyPosition(rawValue: parts[1]))
                } else {
                    unit = code
                }
            }
            var state: TaskState?
            if let text = query.get("state") {
                guard let value = TaskState(rawValue: String(text)) else {
                    throw APIError(
                        .badRequest, code: "invalid_field",
                        message: "state is one of \(TaskState.allCases.map(\.rawValue).joined(separator: ", "))",
                        field: "state")
                }
                state = value
            }
            var incident: UUID?
            if let text = query.get("incident") {
                guard let found = await incidents.find(String(text)) else {
                    throw APIError(
                        .notFound, code: "unknown_incident", message: "no incident \"\(text)\"", field: "incident")
                }
                _ = try context.require(.viewer, exercise: found.exercise, field: "incident")
                incident = found.id
            }
            var list = await incidents.tasks(assignee: assignee, unit: unit, state: state, incident: incident)
            if reader.isDrillOnly {
                var kept: [ResponseTask] = []
                for task in list where await incidents.isExercise(task) { kept.append(task) }
                list = kept
            }
            let sliced = try await page.slice(list, id: \.id.uuidString) {
                await incidents.tasks(assignee: nil, unit: nil, state: nil, incident: incident).map(\.id.uuidString)
            }
            return try page.response(sliced, id: \.id.uuidString, request: request)
        }
        group.get("/v1/tasks/:id") { _, context in
            let id = try Routes.taskKey(context)
            guard let task = await incidents.task(id) else {
                throw APIError(.notFound, code: "unknown_task", message: "no task \"\(id)\"", field: "id")
            }
            _ = try context.require(.viewer, exercise: await incidents.isExercise(task), field: "id")
            return try JSONResponse.make(task)
        }
        for action in TaskAction.allCases {
            group.post("/v1/tasks/:id/\(action.rawValue)") { request, context in
                _ = try context.require(.officer, exercise: true)
                let id = try Routes.taskKey(context)
                guard let task = await incidents.task(id) else {
                    throw APIError(.notFound, code: "unknown_task", message: "no task \"\(id)\"", field: "id")
                }
                let identity = try context.require(.officer, exercise: await incidents.isExercise(task), field: "id")
                try await Routes.requireOwnDrill(identity, incident: task.incident, incidents: incidents)
                var reason: String?
                if action == .decline {
                    let body: DeclineBody = try await Routes.decodeBody(request, context: context)
                    let trimmed = body.reason.trimmingCharacters(in: .whitespacesAndNewlines)
                    guard !trimmed.isEmpty, trimmed.count <= 1_000 else {
                        throw APIError(
                            .unprocessableContent, code: "invalid_field",
                            message: "a decline needs a reason of 1–1000 characters", field: "reason")
                    }
                    reason = trimmed
                }
                let worked = try await incidents.work(
                    task.id.uuidString, action: action, reason: reason, by: identity, now: clock.now)
                return try JSONResponse.make(worked)
            }
        }
    }
}
