import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import WatershedCore
import WatershedFederation
import WatershedStore
import WatershedWire

/// The HTTP API and the live stream (DESIGN.md "Interfaces"): the operations endpoints (`/healthz`, `/readyz`,
/// `/metrics`, no token), the stream's plain GET, and one controller per resource on the authenticated group
/// (``AuthenticatedContext``): ``DirectoryController``, ``IncidentController``, ``TaskController``,
/// ``EventController``, ``IncidentLinkRoutes``, ``ReportForwardRoutes``, ``CAPRoutes`` (and, from
/// `Application+build`, ``DrillRoutes`` and ``CAPHeldRoutes``). Domain errors become HTTP answers in one place
/// (`DomainError: HTTPResponseError`, in AppRequestContext.swift).
struct Routes: Sendable {
    let basin: Basin
    let log: any ServerLog
    let incidents: IncidentService
    let tickets: StreamTickets
    let metrics: ServerMetrics
    let clock: any WallClock
    let province: UnitCode
    /// Who may read `/metrics` on this port (`metricsListen`, `metricsToken`).
    var metricsAccess: MetricsAccess = .open

    /// Largest `limit` for `GET /v1/events`.
    static let pageLimit = 1_000

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in
            let head = try await log.head()
            return try JSONResponse.make([
                "ready": "true", "head": "\(head)",
                "playbooks": "\(basin.rivers.count + basin.parks.count + basin.seas.count)",
            ])
        }
        if metricsAccess != .elsewhere {
            router.get("/metrics") { request, _ in
                try metricsAccess.check(request)
                return metrics.response()
            }
        }
        // Every route below needs a token: their handlers get the identity, never optional (AuthenticatedContext).
        let api = router.group(context: AuthenticatedContext.self)
        DirectoryController(basin: basin).register(on: api)
        IncidentController(incidents: incidents, clock: clock).register(on: api)
        TaskController(incidents: incidents, clock: clock).register(on: api)
        EventController(log: log, tickets: tickets, clock: clock).register(on: api)
        // The upgrade itself is decided by StreamUpgrade, outside the router; a plain GET of the stream (no
        // `Upgrade: websocket`) gets the same errors an upgrade would be refused for, and 426 when nothing is wrong.
        router.get("/v1/stream") { request, context -> Response in
            _ = try StreamUpgrade.check(request, context: context)
            throw APIError(
                .upgradeRequired, code: "upgrade_required",
                message: "/v1/stream is a WebSocket: connect with Upgrade: websocket (wss://)")
        }
        // Linking two reports of the same spill (issue 5): IncidentLinkRoutes.swift.
        IncidentLinkRoutes(incidents: incidents, clock: clock).register(on: api)
        // The province forwarding a county's report to MEE (MEP Order No. 17 Art. 3): ReportForwardRoutes.swift.
        ReportForwardRoutes(incidents: incidents, clock: clock).register(on: api)
        // CAP 1.2 exports (issue 5): Routes/../CAP/CAPRoutes.swift.
        CAPRoutes(basin: basin, log: log, incidents: incidents, province: province, clock: clock).register(on: api)
    }

    /// A drill participant's token works its own drill's incidents only: another drill's incident (or an exercise
    /// outside any drill) is 403 `other_drill` naming `id` (issue 15, item 9). Other tokens pass.
    static func requireOwnDrill(_ identity: Identity, incident: UUID, incidents: IncidentService) async throws {
        guard let own = identity.drill else { return }
        let drill = await incidents.drill(of: incident)
        guard drill != own else { return }
        throw APIError(
            .forbidden, code: "other_drill",
            message: "token \(identity.tokenID) belongs to drill \(own.uuidString); this incident "
                + (drill.map { "belongs to drill \($0.uuidString)" } ?? "is not part of it"),
            field: "id")
    }

    /// The `{id}` of a task route: a UUID or a reference (`GX-2026-0007/T3`, its `/` sent as `%2F`).
    static func taskKey(_ context: some RequestContext) throws -> String {
        let raw = try context.parameters.require("id")
        return raw.removingPercentEncoding ?? raw
    }

    /// The `Idempotency-Key` header, checked, or `nil` when absent.
    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let value = request.headers[.init(Idempotency.header)!] else { return nil }
        return try Idempotency.validate(value)
    }

    /// `201` with ``IncidentCreated`` and `Location: /v1/incidents/{id}`; a replay of an idempotent request says so
    /// in `Idempotent-Replayed: true`. The plan is not repeated here (it is tens of KB, already on the stream as
    /// `PlanComputed`, and in `GET /v1/incidents/{id}`), so answering costs little while the stream is busiest.
    static func created(_ filed: FiledReport) throws -> Response {
        let incident = filed.incident.withoutPlan
        var response = try JSONResponse.make(
            IncidentCreated(incident: incident, firstSeq: filed.firstSeq, lastSeq: filed.lastSeq), status: .created)
        response.headers[.location] = "/v1/incidents/\(incident.id.uuidString)"
        if filed.replayed { response.headers[.init("Idempotent-Replayed")!] = "true" }
        return response
    }

    /// `after=SEQ`: a whole number ≥ 0 (default 0), else 400 naming the field.
    static func after(_ request: Request) throws -> Int64 {
        guard let text = request.uri.queryParameters.get("after") else { return 0 }
        guard let value = Int64(text), value >= 0 else {
            throw APIError(
                .badRequest, code: "invalid_field", message: "after must be a seq number, 0 or more", field: "after")
        }
        return value
    }

    /// `incident=UUID` and `exercise=only|exclude`; a drill-only token always gets `exercise=only`, and asking it
    /// for `exclude` is 403.
    static func filter(_ request: Request, for reader: Identity) throws -> StreamFilter {
        var filter = StreamFilter()
        if let text = request.uri.queryParameters.get("incident") {
            guard let id = UUID(uuidString: text) else {
                throw APIError(
                    .badRequest, code: "invalid_field", message: "incident must be a UUID", field: "incident")
            }
            filter.incident = id
        }
        switch request.uri.queryParameters.get("exercise") {
        case nil: break
        case "only": filter.exercise = true
        case "exclude": filter.exercise = false
        case let other?:
            throw APIError(
                .badRequest, code: "invalid_field", message: "exercise is only or exclude, got \"\(other)\"",
                field: "exercise")
        }
        if reader.isDrillOnly {
            guard filter.exercise != false else {
                throw APIError(
                    .forbidden, code: "drill_only",
                    message: "token \(reader.tokenID) has the drill role: it sees exercise events only",
                    field: "exercise")
            }
            filter.exercise = true
        }
        return filter
    }

    /// Decodes a JSON body of at most 1 MiB, naming the field at fault on error.
    ///
    /// The same strict checks hold for every body accepted (issue 15, items 1 and 11):
    /// - Encoding: JSON between systems is UTF-8 (RFC 8259 §8.1). A leading UTF-8 byte order mark is ignored, as
    ///   §8.1 allows; UTF-16 or UTF-32 (with or without a byte order mark, told apart by the zero bytes around the
    ///   first ASCII character, RFC 4627 §3) or a `charset` other than UTF-8 in `Content-Type` is refused with
    ///   415 `unsupported_encoding`, field `body` — never decoded by a path that skips the checks below.
    /// - Syntax and depth: the bytes are read once by ``JSONValue/parse(_:)``, which refuses invalid UTF-8 and
    ///   nesting deeper than 512 levels (400 `invalid_body`, field `body`, the message naming the limit) before
    ///   Foundation's recursive `JSONDecoder` sees them.
    /// - Fields: a member the type does not have is 400 `unknown_field` naming it (``unknownField(in:decoded:)``).
    ///
    /// - Throws: ``APIError`` 413 over 1 MiB, 415 for another encoding, 400 as above or naming the field a
    ///   `DecodingError` points at.
    static func decodeBody<T: Codable>(_ request: Request, context: some RequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError(.contentTooLarge, code: "body_too_large", message: "the body is over 1 MiB", field: "body")
        }
        let data = try Self.utf8JSON(Data(buffer: buffer), contentType: request.headers[.contentType])
        let sent: JSONValue
        switch Result(catching: { () throws(JSONParseError) -> JSONValue in try JSONValue.parse(data) }) {
        case .success(let value):
            sent = value
        case .failure(let error):
            throw APIError(
                .badRequest, code: "invalid_body", message: "the body is not valid JSON: \(error.reason)",
                field: "body")
        }
        let decoder = WireJSON.decoder
        let value: T
        do {
            value = try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw APIError(
                .badRequest, code: "invalid_body", message: Self.sentence(error), field: Self.field(error) ?? "body")
        } catch {
            throw APIError(.badRequest, code: "invalid_body", message: "the body is not valid JSON", field: "body")
        }
        guard let echoed = try? JSONValue(encoding: value) else {
            // Fail closed: a body whose fields cannot be checked is not accepted.
            throw APIError(
                .badRequest, code: "invalid_body", message: "the body's fields cannot be checked", field: "body")
        }
        if let unknown = Self.unknownField(in: sent, decoded: echoed) {
            throw APIError(
                .badRequest, code: "unknown_field",
                message: "unknown field \"\(unknown.split(separator: ".").last.map(String.init) ?? unknown)\""
                    + " (misspelt? the server would otherwise ignore it)",
                field: unknown)
        }
        return value
    }

    /// The UTF-8 bytes of a JSON body: `data` without a leading UTF-8 byte order mark (EF BB BF).
    ///
    /// - Parameter contentType: the `Content-Type` header; a `charset` parameter other than `utf-8` is refused.
    /// - Throws: ``APIError`` 415 `unsupported_encoding`, field `body`, for UTF-16 or UTF-32: a byte order mark
    ///   FE FF, FF FE (UTF-16; FF FE 00 00 is UTF-32LE) or 00 00 FE FF, or a zero byte among the first four (a JSON
    ///   text starts with an ASCII character, so UTF-16/32 without a mark puts zeros beside it, RFC 4627 §3).
    static func utf8JSON(_ data: Data, contentType: String?) throws -> Data {
        func refuse(_ found: String) -> APIError {
            APIError(
                .unsupportedMediaType, code: "unsupported_encoding",
                message: "the body is \(found); send JSON in UTF-8 (RFC 8259 §8.1)", field: "body")
        }
        if let contentType {
            for parameter in contentType.split(separator: ";").dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map {
                    $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                }
                if pair.count == 2, pair[0].lowercased() == "charset",
                    !["utf-8", "utf8"].contains(pair[1].lowercased())
                {
                    throw refuse("declared charset=\(pair[1])")
                }
            }
        }
        let head = Array(data.prefix(4))
        if head.starts(with: [0xEF, 0xBB, 0xBF]) { return Data(data.dropFirst(3)) }
        if head.starts(with: [0xFE, 0xFF]) || head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0, 0, 0xFE, 0xFF]) {
            throw refuse("UTF-16 or UTF-32 (a byte order mark)")
        }
        if head.contains(0) { throw refuse("UTF-16 or UTF-32 (zero bytes at the start)") }
        return data
    }

    /// The first member of the request body that the decoded value does not have — a misspelt or unknown field,
    /// which `Decodable` would otherwise ignore silently (`"levelchange"` for `"levelChange"`). Found by walking
    /// the body as sent and the decoded value encoded again side by side; `null` members are skipped (an absent
    /// optional encodes as nothing). Dotted path with `[i]` for array elements, as in the `field` of other errors.
    static func unknownField(in sent: JSONValue, decoded echoed: JSONValue) -> String? {
        func walk(_ sent: JSONValue, _ echoed: JSONValue, _ path: String) -> String? {
            switch (sent, echoed) {
            case (.object(let members), .object(let known)):
                for key in members.keys.sorted() {
                    guard let value = members[key], value != .null else { continue }
                    let here = path.isEmpty ? key : path + "." + key
                    guard let counterpart = known[key] else { return here }
                    if let found = walk(value, counterpart, here) { return found }
                }
            case (.array(let items), .array(let known)) where items.count == known.count:
                for (index, item) in items.enumerated() {
                    if let found = walk(item, known[index], path + "[\(index)]") { return found }
                }
            default:
                break
            }
            return nil
        }
        return walk(sent, echoed, "")
    }

    static func field(_ error: DecodingError) -> String? {
        let path: [any CodingKey]
        switch error {
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            path = context.codingPath
        @unknown default: return nil
        }
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? nil : text)
    }

    static func sentence(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): "missing field \"\(key.stringValue)\""
        case .typeMismatch(let type, _): "wrong type: expected \(type)"
        case .valueNotFound(let type, _): "missing value: expected \(type)"
        case .dataCorrupted(let context):
            context.codingPath.isEmpty ? "the body is not valid JSON" : context.debugDescription
        @unknown default: "the body cannot be read"
        }
    }
}
