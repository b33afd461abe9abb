import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// The log as pages (`GET /v1/events`) and tickets for the live stream (`POST /v1/stream-tickets`); the stream
/// itself is upgraded before routing (``StreamUpgrade``).
struct EventController: Sendable {
    let log: any ServerLog
    let tickets: StreamTickets
    let clock: any WallClock

    func register(on group: RouterGroup<AuthenticatedContext>) {
        group.get("/v1/events") { request, context in
            let reader = try context.requireReader()
            try Routes.allowQuery(request, ["after", "limit"])
            let after = try Routes.after(request)
            let limitText = request.uri.queryParameters.get("limit") ?? "100"
            guard let limit = Int(limitText), (1...Routes.pageLimit).contains(limit) else {
                throw APIError(
                    .badRequest, code: "invalid_field", message: "limit must be 1…\(Routes.pageLimit)", field: "limit")
            }
            return try JSONResponse.make(
                try await log.events(
                    after: after, limit: limit, incident: nil, exercise: reader.isDrillOnly ? true : nil))
        }
        group.post("/v1/stream-tickets") { _, context in
            let identity = try context.requireReader()
            let (ticket, expiresAt) = try await tickets.issue(for: identity, now: clock.now)
            return try JSONResponse.make(StreamTicket(ticket: ticket, expiresAt: expiresAt), status: .created)
        }
    }
}
