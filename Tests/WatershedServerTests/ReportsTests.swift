import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing
import WatershedCore
import WatershedServer
import WatershedWire

/// `Idempotency-Key`, follow-up and final reports, and `GET /v1/incidents/{id}`, live over TLS. Every refused
/// request is checked for its status, its error field and that the log's head did not move.
@Suite(.serialized) struct ReportsTests {
    /// 2012-01-15T08:00:00+08:00, the Longjiang report's discovery time.
    static let discovery = "2012-01-15T08:00:00+08:00"

    static let signature = #"""
        "signature":{"reportingUnit":"451203","signingOfficer":"Director Wei","contactName":"Li Ming",
         "contactPhone":"0778-1234567"}
        """#

    /// A follow-up or final report body; `extra` is spliced in as further members.
    static func report(kind: String = "followUp", _ extra: String = "") -> Data {
        Data(
            #"{"kind":"\#(kind)","summary":"monitoring of the Longjiang continues",\#(signature)\#(extra.isEmpty ? "" : ",")\#(extra)}"#
                .utf8)
    }

    /// One monitoring result as a client sends it.
    static func monitoring(
        node: String, at: String, feature: String? = "leadingEdge", concentration: String = "0.03"
    ) -> String {
        #"{"node":"\#(node)","sampledAt":"\#(at)","pollutant":"cadmium","concentrationMgL":\#(concentration)"#
            + (feature.map { #","feature":"\#($0)""# } ?? "") + "}"
    }

    /// The Longjiang report at a given level (the body of `longjiangReport()` with `"level"` added).
    static func longjiang(level: String) throws -> Data {
        var object = try #require(try JSONSerialization.jsonObject(with: longjiangReport()) as? [String: Any])
        object["level"] = level
        return try JSONSerialization.data(withJSONObject: object)
    }

    // MARK: Idempotency

    /// Same key and a JSON-equal body (other key order and spacing): the same status and body, no second
    /// incident, also after a restart; the same key with another body: 409 naming the header; the key is scoped to
    /// the token's unit; a malformed key is a 400.
    @Test func idempotentReplayAndConflict() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let first = try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let created = try await api.send(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(), key: "K-1")
            #expect(created.reply.status == 201)
            #expect(created.headers["Idempotent-Replayed"].isEmpty)
            let head = try await api.head()

            // JSON-equal: the same members, re-serialised with sorted keys and no line breaks.
            let object = try JSONSerialization.jsonObject(with: longjiangReport())
            let reordered = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            #expect(reordered != longjiangReport())
            let replay = try await api.send(
                .POST, "/v1/incidents", token: DevToken.officer, body: reordered, key: "K-1")
            #expect(replay.reply.status == 201)
            #expect(replay.reply.body == created.reply.body)
            #expect(replay.headers["Idempotent-Replayed"] == ["true"])
            #expect(try await api.head() == head)

            let other = try await api.send(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(km: "10"), key: "K-1")
            #expect(other.reply.status == 409)
            #expect(other.reply.error?.field == "Idempotency-Key")
            #expect(try await api.head() == head)

            for bad in ["", String(repeating: "k", count: 256), "a key"] {
                let refused = try await api.send(
                    .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(), key: bad)
                #expect(refused.reply.status == 400, "key \"\(bad)\"")
                #expect(refused.reply.error?.field == "Idempotency-Key")
            }
            #expect(try await api.head() == head)

            // Another unit's token with the same key files its own incident.
            let hechi = try await api.send(
                .POST, "/v1/incidents", token: "wsd-dev-officer-hechi", body: longjiangReport(), key: "K-1")
            #expect(hechi.reply.status == 201)
            #expect(hechi.reply.body != created.reply.body)
            let list = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
            #expect(try list.decoded([IncidentSummary].self).count == 2)
            return created.reply.body
        }
        // After a restart the key still answers with the same body and appends nothing.
        try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let head = try await api.head()
            let replay = try await api.send(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(), key: "K-1")
            #expect(replay.reply.status == 201)
            #expect(replay.reply.body == first)
            let other = try await api.send(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(km: "20"), key: "K-1")
            #expect(other.reply.status == 409)
            #expect(other.reply.error?.field == "Idempotency-Key")
            #expect(try await api.head() == head)
        }
    }

    /// Eight concurrent attempts with one key file one incident and all get its answer; eight concurrent reports
    /// without a key get eight different references.
    @Test func concurrentRetriesFileOnce() async throws {
        try await LiveServer.withAPI { handle, api in
            let bodies = try await withThrowingTaskGroup(of: (Int, Data).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let sent = try await api.send(
                            .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(), key: "same")
                        return (sent.reply.status, sent.reply.body)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(bodies.allSatisfy { $0.0 == 201 })
            #expect(Set(bodies.map(\.1)).count == 1)
            let references = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let reply = try await api.request(
                            .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
                        return try reply.decoded(IncidentCreated.self).incident.reference
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(references).count == 8)
            let list = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
            #expect(try list.decoded([IncidentSummary].self).count == 9)
        }
    }

    /// The reports route takes a key too: a retried follow-up is answered the same and filed once; the same key
    /// on another incident is another request (409).
    @Test func idempotentFollowUp() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let otherID = try await api.file(longjiangReport(km: "5"))
            let body = Self.report(#""measuresTaken":["PAC dosing at Yemao"]"#)
            let first = try await api.send(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: body, key: "F-1")
            #expect(first.reply.status == 201)
            let head = try await api.head()
            let again = try await api.send(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: body, key: "F-1")
            #expect(again.reply.status == 201)
            #expect(again.reply.body == first.reply.body)
            let elsewhere = try await api.send(
                .POST, "/v1/incidents/\(otherID)/reports", token: DevToken.officer, body: body, key: "F-1")
            #expect(elsewhere.reply.status == 409)
            #expect(elsewhere.reply.error?.field == "Idempotency-Key")
            #expect(try await api.head() == head)
            let detail = try await api.detail(id)
            #expect(detail.reports.count == 1)
        }
    }

    // MARK: Follow-up reports

    /// A leading edge seen at the Luodong section (Longjiang km 45) at 2012-01-17T08:00+08:00: the re-estimated
    /// plan puts the leading edge there at exactly that time, 2012-01-17T00:00:00Z (DOMAIN.md §3: f scales the
    /// moving time above the section so that it ends at t_obs); sections below it shift by t_obs − t_pred.
    @Test func followUpReestimatesFromAnObservation() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let before = try await api.detail(id)
            let oldPlan = try #require(before.incident.plan)
            let body = Self.report(
                #""monitoring":[\#(Self.monitoring(node: "longjiang-luodong-section", at: "2012-01-17T08:00:00+08:00"))],"#
                    + #""belowObserved":"shift""#)
            let filed = try await api.request(.POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: body)
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let created = try filed.decoded(IncidentCreated.self)
            let (firstSeq, lastSeq) = (created.firstSeq, created.lastSeq)
            let events = try await api.request(.GET, "/v1/events?after=\(firstSeq - 1)", token: DevToken.viewer)
            // The report and the new plan, the notification to Guangdong with its moved crossing (issue 16), then the
            // moves of the tasks the re-estimate changed (DispatchTests).
            let list = try events.decoded([StoredEvent].self).map(\.type.rawValue)
            #expect(list.count == Int(lastSeq - firstSeq + 1))
            #expect(Array(list.prefix(3)) == ["ReportFiled", "PlanComputed", "PeerNotified"])
            let taskTypes: Set<String> = ["TaskRescheduled", "TaskCancelled", "TaskDispatched"]
            #expect(list.count > 3 && list.dropFirst(3).allSatisfy { taskTypes.contains($0) })

            let after = try await api.detail(id)
            let plan = try #require(after.incident.plan)
            #expect(try Self.earliest("longjiang-luodong-section", in: plan) == instant("2012-01-17T00:00:00.000Z"))
            // Below the section: shifted by t_obs − t_pred(Luodong), t_pred from the plan before.
            let predicted = try #require(Self.earliest("longjiang-luodong-section", in: oldPlan))
            let observed = try #require(Self.date("2012-01-17T00:00:00Z"))
            let oldSancha = try #require(Self.earliest("longjiang-sancha-section", in: oldPlan))
            let newSancha = try #require(Self.earliest("longjiang-sancha-section", in: plan))
            #expect(abs(newSancha.timeIntervalSince(oldSancha) - observed.timeIntervalSince(predicted)) <= 2)
            // The notification to Guangdong now carries the re-estimated crossing, shifted as every node below the
            // section is; the one before keeps the old crossing.
            let notifications = after.notifications.filter { $0.notification.province == "440000" }
            #expect(notifications.count == 2)
            let crossings = notifications.map(\.notification.crossingAt)
            if crossings.count == 2 {
                #expect(abs(crossings[1].timeIntervalSince(crossings[0]) - observed.timeIntervalSince(predicted)) <= 2)
            }
            #expect(plan.reestimates.count == 1)
            #expect(after.reports.count == 1)
        }
    }

    /// IV → II at 2012-01-16T10:00+08:00 (02:00Z): a `LevelSet` from IV to II and the county's obligation on the
    /// II/I path due 2 h after the change, 04:00Z (MEP Order No. 17 Art. 3; the deadline counts from the change).
    @Test func levelChangeGivesAnObligationTwoHoursAfterTheChange() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(try Self.longjiang(level: "IV"))
            let change = #""levelChange":{"from":"IV","to":"II","at":"2012-01-16T10:00:00+08:00"}"#
            let head = try await api.head()
            let byOfficer = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: Self.report(change))
            #expect(byOfficer.status == 403)
            #expect(try await api.head() == head)

            let filed = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander, body: Self.report(change))
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            #expect(try filed.decoded(IncidentCreated.self).incident.level == .II)

            let detail = try await api.detail(id)
            #expect(detail.incident.level == .II)
            let obligations = detail.obligations.map(\.obligation)
            let afterChange = obligations.filter { $0.anchor == .levelChange }
            let county = try #require(afterChange.first { $0.fromUnit == "451203" })
            #expect(try county.dueBy == instant("2012-01-16T04:00:00.000Z"))
            #expect(county.withinH == 2)
            #expect(county.majorPath == true)
            // The discovery obligation on the IV path stays as it was: 4 h after 00:00Z.
            let discovery = obligations.first { $0.anchor == .discovery }
            #expect(try discovery?.dueBy == instant("2012-01-15T04:00:00.000Z"))
            #expect(detail.timeline.map(\.type).contains(.levelSet))

            // The level is II now: a change "from IV" is out of date; "to II" again changes nothing.
            let stale = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander, body: Self.report(change))
            #expect(stale.status == 422)
            #expect(stale.error?.field == "levelChange.from")
            let headAfter = try await api.head()
            let cases: [(String, Int, String)] = [
                (#""levelChange":{"to":"V","at":"2012-01-16T12:00:00+08:00"}"#, 400, "levelChange.to"),
                (#""levelChange":{"to":"I","at":"2012-01-15T07:00:00+08:00"}"#, 422, "levelChange.at"),
                (#""levelChange":{"to":"I","at":"2012-01-16T12:00:00"}"#, 400, "levelChange.at"),
            ]
            for (extra, status, field) in cases {
                let refused = try await api.request(
                    .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander, body: Self.report(extra))
                #expect(refused.status == status, "\(extra)")
                #expect(refused.error?.field == field, "\(extra)")
            }
            #expect(try await api.head() == headAfter)
        }
    }

    // MARK: Final reports

    /// A final report (commander) appends `ReportFiled` and `IncidentClosed`; the incident is closed and refuses
    /// further reports with 409.
    @Test func finalReportClosesTheIncident() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let final = Self.report(kind: "final", #""measuresTaken":["seven dosing points closed down"]"#)
            var head = try await api.head()
            let byOfficer = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: final)
            #expect(byOfficer.status == 403)
            #expect(try await api.head() == head)

            let closed = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander, body: final)
            #expect(closed.status == 201)
            let created = try closed.decoded(IncidentCreated.self)
            #expect(created.incident.state == "closed")
            let events = try await api.request(
                .GET, "/v1/events?after=\(created.firstSeq - 1)", token: DevToken.viewer)
            // The report, the cancellation of every task still open (handling is over), the closing.
            let list = try events.decoded([StoredEvent].self).map(\.type.rawValue)
            #expect(list.first == "ReportFiled")
            #expect(list.last == "IncidentClosed")
            #expect(list.count > 2)
            #expect(list.dropFirst().dropLast().allSatisfy { $0 == "TaskCancelled" })
            let closedList = try await api.request(.GET, "/v1/incidents?state=closed", token: DevToken.viewer)
            #expect(try closedList.decoded([IncidentSummary].self).count == 1)

            head = try await api.head()
            for (token, body) in [
                (DevToken.officer, Self.report()), (DevToken.commander, final),
            ] {
                let refused = try await api.request(.POST, "/v1/incidents/\(id)/reports", token: token, body: body)
                #expect(refused.status == 409)
                #expect(refused.error?.code == "incident_closed")
                #expect(refused.error?.field == "id")
            }
            #expect(try await api.head() == head)
        }
    }

    // MARK: Auth, lookup and bad input

    /// 401 without or with an unknown token; 403 for viewer and drill tokens on the reports route, and for an
    /// officer's level change or final report; `GET /v1/incidents/{id}` by UUID or reference for a viewer.
    @Test func rolesOnTheReportRoutes() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let path = "/v1/incidents/\(id)/reports"
            let head = try await api.head()
            let cases: [(String?, Data, Int, String)] = [
                (nil, Self.report(), 401, "unauthenticated"),
                ("not-a-token", Self.report(), 401, "bad_token"),
                (DevToken.viewer, Self.report(), 403, "forbidden"),
                (DevToken.drill, Self.report(), 403, "drill_only"),
                (DevToken.officer, Self.report(kind: "final"), 403, "forbidden"),
                (
                    DevToken.officer, Self.report(#""levelChange":{"to":"III","at":"2012-01-16T00:00:00Z"}"#), 403,
                    "forbidden"
                ),
            ]
            for (token, body, status, code) in cases {
                let reply = try await api.request(.POST, path, token: token, body: body)
                #expect(reply.status == status, "\(token ?? "no token")")
                #expect(reply.error?.code == code)
            }
            #expect(try await api.head() == head)
            let unauthenticated = try await api.request(.GET, "/v1/incidents/\(id)")
            #expect(unauthenticated.status == 401)

            let byUUID = try await api.request(.GET, "/v1/incidents/\(id)", token: DevToken.viewer)
            #expect(byUUID.status == 200)
            let detail = try byUUID.decoded(IncidentDetail.self)
            let reference = detail.incident.reference
            #expect(reference.hasPrefix("GX-") && reference.hasSuffix("-0001"))
            let byReference = try await api.request(.GET, "/v1/incidents/\(reference)", token: DevToken.viewer)
            #expect(byReference.body == byUUID.body)
            #expect(detail.incident.state == "open")
            #expect(detail.incident.plan != nil)
            #expect(detail.initialReport?.pollutant == "cadmium")
            let timeline = detail.timeline
            #expect(timeline.map(\.seq) == Array(1...head))
            #expect(timeline.first?.type == .incidentReported)
            #expect(timeline.first?.actor.token == "yizhou-officer")
            // Every entry has its time (a `Date` decoded from an RFC 3339 string), and it is of this test's run.
            #expect(timeline.allSatisfy { abs($0.at.timeIntervalSinceNow) < 3_600 })
            #expect(detail.obligations.count == timeline.filter { $0.type == .obligationDue }.count)
            #expect(detail.tasks.count == timeline.filter { $0.type == .taskDispatched }.count)

            // The officer's plain follow-up is accepted.
            let followUp = try await api.request(.POST, path, token: DevToken.officer, body: Self.report())
            #expect(followUp.status == 201)
        }
    }

    /// Bad follow-ups get a 4xx naming the field, and nothing is appended.
    @Test func badFollowUpsAppendNothing() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(longjiangReport())
            let head = try await api.head()
            func observed(_ result: String) -> Data { Self.report(#""monitoring":[\#(result)]"#) }
            let cases: [(String, Data, Int, String?)] = [
                (
                    id, observed(Self.monitoring(node: "nowhere", at: "2012-01-16T08:00:00+08:00")), 422,
                    "monitoring[0].node"
                ),
                (
                    id, observed(Self.monitoring(node: "longjiang-luodong-section", at: "2012-01-15T07:00:00+08:00")),
                    422, "monitoring[0].sampledAt"
                ),
                // At the spill point the leading edge says nothing about the travel time.
                (
                    id, observed(Self.monitoring(node: "longjiang-lalang-section", at: "2012-01-15T09:00:00+08:00")),
                    422, "monitoring[0].sampledAt"
                ),
                (
                    id,
                    observed(
                        Self.monitoring(
                            node: "longjiang-luodong-section", at: "2012-01-16T08:00:00+08:00", concentration: "-1")),
                    422, "monitoring[0].concentrationMgL"
                ),
                (
                    id,
                    observed(
                        Self.monitoring(
                            node: "longjiang-luodong-section", at: "2012-01-16T08:00:00+08:00", feature: "tail")),
                    400, "monitoring[0].feature"
                ),
                (id, Self.report(kind: "initial"), 422, "kind"),
                (id, Self.report(kind: "interim"), 400, "kind"),
                (id, Data(#"{"kind":"followUp"}"#.utf8), 400, "summary"),
                (id, Data("{not json".utf8), 400, "body"),
                (id, Data(repeating: 0x20, count: (1 << 20) + 10), 413, "body"),
                (UUID().uuidString, Self.report(), 404, "id"),
                ("GX-1999-0001", Self.report(), 404, "id"),
            ]
            for (target, body, status, field) in cases {
                let reply = try await api.request(
                    .POST, "/v1/incidents/\(target)/reports", token: DevToken.commander, body: body)
                #expect(reply.status == status, "\(String(decoding: reply.body.prefix(300), as: UTF8.self))")
                #expect(reply.error?.field == field, "\(String(decoding: reply.body.prefix(300), as: UTF8.self))")
            }
            #expect(try await api.head() == head)
            let unknown = try await api.request(.GET, "/v1/incidents/GX-1999-0001", token: DevToken.viewer)
            #expect(unknown.status == 404)
            #expect(unknown.error?.field == "id")
        }
    }
}

extension ReportsTests {
    /// The `earliestArrival` of `node` in a plan's arrivals.
    static func earliest(_ node: String, in plan: PlanDocument) -> Date? {
        plan.arrivals.first { $0.node == node }?.earliestArrival
    }

    /// An RFC 3339 time, with or without fractional seconds (event payloads carry milliseconds).
    static func date(_ text: String?) -> Date? {
        guard let text else { return nil }
        if let date = ISO8601DateFormatter().date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}

extension APIClient {
    /// A request with an `Idempotency-Key`, answering the reply and the response headers.
    func send(_ method: HTTPMethod, _ path: String, token: String, body: Data, key: String) async throws
        -> (reply: Reply, headers: HTTPHeaders)
    {
        var request = HTTPClientRequest(url: handle.base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Idempotency-Key", value: key)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(data: body))
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return (Reply(status: Int(response.status.code), body: Data(buffer: bytes)), response.headers)
    }

    /// The log's head seq (`/readyz`, whose members are strings).
    func head() async throws -> Int64 {
        let ready = try await request(.GET, "/readyz")
        let text = try #require(try ready.decoded([String: String].self)["head"])
        return try #require(Int64(text))
    }

    /// Files an initial report as the Yizhou officer and answers the incident's UUID.
    func file(_ body: Data) async throws -> String {
        let reply = try await request(.POST, "/v1/incidents", token: DevToken.officer, body: body)
        #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
        return try reply.decoded(IncidentCreated.self).incident.id.uuidString
    }

    /// `GET /v1/incidents/{id}` as a viewer, as the ``IncidentDetail`` clients read.
    func detail(_ id: String) async throws -> IncidentDetail {
        let reply = try await request(.GET, "/v1/incidents/\(id)", token: DevToken.viewer)
        #expect(reply.status == 200)
        return try reply.decoded(IncidentDetail.self)
    }
}
