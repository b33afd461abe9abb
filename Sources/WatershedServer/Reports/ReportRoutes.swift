import Foundation
import Hummingbird
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// `GET /v1/incidents/{id}/report` (issue 21): the incident's after-action report (``AfterActionReport``) as one
/// self-contained HTML document, `text/html; charset=utf-8`, that prints on A4 (`watershed incident report ID --pdf
/// FILE` prints it with headless Chromium).
///
/// - Query: `lang` = `zh` (default) or `en`; `tz` = an IANA time zone for the times (default the server's
///   `logTimeZone`, Asia/Shanghai). Anything else is 400 `unknown_parameter`; a bad value 400 `invalid_field`
///   naming it.
/// - Rights: as `GET /v1/incidents/{id}` (a reader; an exercise needs a token that may see exercises), and a drill
///   participant's token its own drill's incidents only (403 `other_drill`). 404 `unknown_incident` as the detail.
///   Errors are JSON, through the one error mapping (`DomainError`/`APIError`, AppRequestContext.swift).
/// - The answer carries `Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'` (the document has
///   no script and fetches nothing), on top of escaping every text.
struct ReportRoutes: Sendable {
    let incidents: IncidentService
    let log: any ServerLog
    let basin: Basin
    let province: UnitCode
    let clock: any WallClock
    /// The `tz` when none is asked for (`logTimeZone`).
    let defaultZone: String
    /// How `watershed audit verify` finds this server's log (`--data DIR` or `--database URL`).
    let logOption: String

    static let contentType = "text/html; charset=utf-8"

    func register(on group: RouterGroup<AuthenticatedContext>) {
        group.get("/v1/incidents/:id/report") { request, context in
            try Routes.allowQuery(request, ["lang", "tz"])
            let id = try context.parameters.require("id")
            let query = request.uri.queryParameters
            let langText = query.get("lang") ?? "zh"
            guard let language = ReportLanguage(rawValue: langText) else {
                throw APIError(.badRequest, code: "invalid_field", message: "lang is zh or en", field: "lang")
            }
            let zoneText = query.get("tz") ?? defaultZone
            guard let zone = TimeZone(identifier: zoneText) else {
                throw APIError(
                    .badRequest, code: "invalid_field",
                    message: "tz \"\(zoneText)\" is not a time zone (an IANA name, like Asia/Shanghai)", field: "tz")
            }
            guard let incident = await incidents.find(id), let detail = await incidents.detail(of: incident.id) else {
                throw IncidentService.unknown(id)
            }
            let reader = try context.require(.viewer, exercise: incident.exercise, field: "id")
            try await Routes.requireOwnDrill(reader, incident: incident.id, incidents: incidents)
            var report = AfterActionReport(
                detail: detail, events: try await log.allEvents(of: incident.id), basin: basin, province: province,
                logOption: logOption, language: language, timeZone: zone)
            for link in detail.linked {
                report.linked.append(
                    .init(reference: link.reference, events: try await log.allEvents(of: link.incident)))
            }
            if let drill = await incidents.drill(of: incident.id) {
                let score = try await incidents.drillScore(drill.uuidString, wall: clock.now)
                let expectations = await incidents.findDrill(drill.uuidString)?.started?.scenario.expectations ?? []
                report.drill = .init(score: score, expectations: expectations)
            }
            var response = CAPRoutes.response(report.html(), type: Self.contentType)
            response.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'"
            return response
        }
    }
}
