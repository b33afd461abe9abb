import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedWire

/// The duty rota through the API (issue 19, "swaps and overrides a commander can make through the API and the CLI";
/// docs/sms.md):
///
/// - `GET /v1/rota?at=<RFC 3339>` (any reader): ``RotaHolder`` per position — who holds it at `at` (default now),
///   with the number masked; 404 `no_rota` without a rota file.
/// - `POST /v1/rota/overrides` (commander): body ``RotaOverrideRequest``; `201` ``RotaOverridden``: a
///   `RotaOverridden` event with the person's id and the number's keyed hash, folded by every node into the rota
///   the texts go by. 422 naming `person`, `dutyPosition` or `to` (``WatershedCore/DutyRota/override(_:person:from:to:reason:positions:by:now:)``).
struct RotaRoutes: Sendable {
    let incidents: IncidentService
    /// Keys the number's hash (`smsSecret`); `nil` without SMS settings.
    let hasher: NumberHasher?
    let clock: any WallClock

    func register(on router: RouterGroup<AuthenticatedContext>) {
        router.get("/v1/rota") { request, context in
            _ = try context.requireReader()
            try Routes.allowQuery(request, ["at"])
            var at = clock.now
            if let text = request.uri.queryParameters["at"] {
                guard let parsed = DrillScenario.parseTime(String(text)) else {
                    throw APIError(
                        .badRequest, code: "invalid_time",
                        message: "\"\(text)\" is not an RFC 3339 time with an offset (2026-12-07T08:30:00+08:00)",
                        field: "at")
                }
                at = parsed
            }
            guard await incidents.rota != nil else {
                throw DomainError(
                    .notFound, code: "no_rota", message: "this server has no duty rota (seeds/<province>/rota.yaml)")
            }
            return try JSONResponse.make(await incidents.rotaHolders(at: at))
        }
        router.post("/v1/rota/overrides") { request, context in
            let identity = try context.require(.commander)
            let body: RotaOverrideRequest = try await Routes.decodeBody(request, context: context)
            let (override, seq) = try await incidents.overrideRota(
                body, by: identity, hasher: hasher, now: clock.now)
            return try JSONResponse.make(RotaOverridden(seq: seq, override: override), status: .created)
        }
    }
}
