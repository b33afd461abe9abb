import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import WatershedCore
import WatershedStore
import WatershedWire

/// The HTTP API and the live stream (DESIGN.md "Interfaces").
struct Routes: Sendable {
    let basin: Basin
    let log: EventLog
    let incidents: IncidentService
    let tickets: StreamTickets
    let metrics: ServerMetrics
    let clock: any WallClock
    let province: UnitCode

    /// Largest `limit` for `GET /v1/events`.
    static let pageLimit = 1_000

    func register(on router: Router<AppRequestContext>) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in
            let head = try log.head()
            return try JSONResponse.make([
                "ready": "true", "head": "\(head)",
                "playbooks": "\(basin.rivers.count + basin.parks.count + basin.seas.count)",
            ])
        }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        router.get("/v1/me") { _, context in try JSONResponse.make(try context.requireIdentity()) }
        router.get("/v1/units") { _, context in
            // Names for codes (assignees, actors, provinces), as in playbooks/units.yaml.
            _ = try context.requireReader()
            return try JSONResponse.make(basin.units.values.sorted { $0.code < $1.code })
        }
        router.get("/v1/playbooks") { _, context in
            _ = try context.require(.viewer)
            let list =
                basin.rivers.values.map {
                    PlaybookListing(id: $0.id, kind: "river", name: $0.name, nameZh: $0.nameZh, version: $0.version)
                }
                + basin.parks.values.map {
                    PlaybookListing(id: $0.id, kind: "park", name: $0.name, nameZh: $0.nameZh, version: $0.version)
                }
                + basin.seas.values.map {
                    PlaybookListing(id: $0.id, kind: "sea", name: $0.name, nameZh: $0.nameZh, version: $0.version)
                }
            return try JSONResponse.make(list.sorted { $0.id < $1.id })
        }
        router.get("/v1/playbooks/:id") { _, context in
            _ = try context.require(.viewer)
            let id = try context.parameters.require("id")
            if let river = basin.rivers[id] { return try JSONResponse.make(river) }
            if let park = basin.parks[id] { return try JSONResponse.make(park) }
            if let sea = basin.seas[id] { return try JSONResponse.make(sea) }
            throw APIError(.notFound, code: "unknown_playbook", message: "no playbook \"\(id)\"", field: "id")
        }
        router.get("/v1/playbooks/:id/map") { _, context in
            _ = try context.require(.viewer)
            let id = try context.parameters.require("id")
            guard let map = GeoJSON.map(of: id, in: basin) else {
                throw APIError(.notFound, code: "unknown_playbook", message: "no playbook \"\(id)\"", field: "id")
            }
            var response = try JSONResponse.make(map)
            response.headers[.contentType] = "application/geo+json"
            return response
        }
        router.get("/v1/incidents") { request, context in
            let reader = try context.requireReader()
            try Self.allowQuery(request, ["state", "limit", "cursor"])
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
        router.get("/v1/incidents/:id") { _, context in
            _ = try context.requireIdentity()
            let id = try context.parameters.require("id")
            // An incident opened by a peer's CAP Alert has no report: its own shape (CAPIncidentDetail), found by its
            // reference or UUID like any other.
            let found = await incidents.find(id)
            if found == nil || found?.cap != nil, let uuid = found?.id ?? UUID(uuidString: id),
                let cap = try incidents.capDetail(of: uuid)
            {
                _ = try context.require(.viewer, exercise: cap.exercise, field: "id")
                return try JSONResponse.make(cap)
            }
            guard let incident = await incidents.find(id), let detail = await incidents.detail(of: incident.id) else {
                throw IncidentService.unknown(id)
            }
            _ = try context.require(.viewer, exercise: incident.exercise, field: "id")
            return try JSONResponse.make(detail)
        }
        router.post("/v1/incidents") { request, context in
            _ = try context.require(.officer, exercise: true)
            let key = try Self.idempotencyKey(request)
            let report: InitialReport = try await Self.decodeBody(request, context: context)
            let identity = try context.require(.officer, exercise: report.exercise ?? false, field: "exercise")
            let filed = try await incidents.fileInitialReport(report, by: identity, now: clock.now, idempotencyKey: key)
            return try Self.created(filed)
        }
        router.post("/v1/incidents/:id/reports") { request, context in
            _ = try context.require(.officer, exercise: true)
            let id = try context.parameters.require("id")
            guard let incident = await incidents.find(id) else { throw IncidentService.unknown(id) }
            let identity = try context.require(.officer, exercise: incident.exercise, field: "id")
            try await Self.requireOwnDrill(identity, incident: incident.id, incidents: incidents)
            let key = try Self.idempotencyKey(request)
            let report: FollowUpReport = try await Self.decodeBody(request, context: context)
            if report.levelChange != nil || report.kind == .final {
                _ = try context.require(.commander, field: report.levelChange != nil ? "levelChange" : "kind")
            }
            let filed = try await incidents.fileReport(
                report, on: id, by: identity, now: clock.now, idempotencyKey: key)
            return try Self.created(filed)
        }
        router.get("/v1/tasks") { request, context in
            let reader = try context.requireReader()
            try Self.allowQuery(request, ["assignee", "state", "incident", "limit", "cursor"])
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
        router.get("/v1/tasks/:id") { _, context in
            _ = try context.requireIdentity()
            let id = try Self.taskKey(context)
            guard let task = await incidents.task(id) else {
                throw APIError(.notFound, code: "unknown_task", message: "no task \"\(id)\"", field: "id")
            }
            _ = try context.require(.viewer, exercise: await incidents.isExercise(task), field: "id")
            return try JSONResponse.make(task)
        }
        for action in TaskAction.allCases {
            router.post("/v1/tasks/:id/\(action.rawValue)") { request, context in
                _ = try context.require(.officer, exercise: true)
                let id = try Self.taskKey(context)
                guard let task = await incidents.task(id) else {
                    throw APIError(.notFound, code: "unknown_task", message: "no task \"\(id)\"", field: "id")
                }
                let identity = try context.require(.officer, exercise: await incidents.isExercise(task), field: "id")
                try await Self.requireOwnDrill(identity, incident: task.incident, incidents: incidents)
                var reason: String?
                if action == .decline {
                    let body: DeclineBody = try await Self.decodeBody(request, context: context)
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
        router.get("/v1/events") { request, context in
            let reader = try context.requireReader()
            try Self.allowQuery(request, ["after", "limit"])
            let after = try Self.after(request)
            let limitText = request.uri.queryParameters.get("limit") ?? "100"
            guard let limit = Int(limitText), (1...Self.pageLimit).contains(limit) else {
                throw APIError(
                    .badRequest, code: "invalid_field", message: "limit must be 1…\(Self.pageLimit)", field: "limit")
            }
            return try JSONResponse.make(
                try log.events(after: after, limit: limit, exercise: reader.isDrillOnly ? true : nil))
        }
        router.post("/v1/stream-tickets") { _, context in
            let identity = try context.requireReader()
            let (ticket, expiresAt) = tickets.issue(for: identity, now: clock.now)
            return try JSONResponse.make(StreamTicket(ticket: ticket, expiresAt: expiresAt), status: .created)
        }
        // The upgrade itself is decided by StreamUpgrade, outside the router; a plain GET of the stream (no
        // `Upgrade: websocket`) gets the same errors an upgrade would be refused for, and 426 when nothing is wrong.
        router.get("/v1/stream") { request, context -> Response in
            _ = try StreamUpgrade.check(request, context: context)
            throw APIError(
                .upgradeRequired, code: "upgrade_required",
                message: "/v1/stream is a WebSocket: connect with Upgrade: websocket (wss://)")
        }
        // Linking two reports of the same spill (issue 5): IncidentLinkRoutes.swift.
        IncidentLinkRoutes(incidents: incidents, clock: clock).register(on: router)
        // CAP 1.2 exports (issue 5): Routes/../CAP/CAPRoutes.swift.
        CAPRoutes(basin: basin, log: log, incidents: incidents, province: province, clock: clock).register(on: router)
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
    static func taskKey(_ context: AppRequestContext) throws -> String {
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
    static func decodeBody<T: Codable>(_ request: Request, context: AppRequestContext) async throws -> T {
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
