import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedWire

/// Held CAP messages on the people's port (issue 15, item 6; docs/cap.md "Held messages"), for commanders:
///
/// - `GET /v1/cap/held`: every message in `cap_held` — waiting, refused or expired — as ``CAPHeldMessage``, oldest
///   first, a page at a time (``PageRequest``: expired and refused entries stay until dropped).
/// - `DELETE /v1/cap/held/{id}`: drops one (a `CAPHeldDropped` event by the commander's token; it is never applied;
///   sent again, it is taken as new); `200` with the entry as it was, 404 `unknown_held_message` on `id`.
///
/// Other tokens get 403 (field-less, as for any role).
struct CAPHeldRoutes: Sendable {
    let ingest: CAPIngest
    let clock: any WallClock

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.get("/v1/cap/held") { request, context in
            _ = try context.require(.commander)
            try Routes.allowQuery(request, ["limit", "cursor"])
            let page = try PageRequest(request)
            let held = try await ingest.heldMessages(now: clock.now)
            let sliced = try await page.slice(held, id: \.id) { held.map(\.id) }
            return try page.response(sliced, id: \.id, request: request)
        }
        router.delete("/v1/cap/held/:id") { _, context in
            let commander = try context.require(.commander)
            let id = try context.parameters.require("id")
            guard let dropped = try await ingest.drop(id: id, by: commander, now: clock.now) else {
                throw APIError(
                    .notFound, code: "unknown_held_message", message: "no held CAP message \"\(id)\"", field: "id")
            }
            return try JSONResponse.make(dropped)
        }
    }
}
