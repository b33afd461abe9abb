import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedServer
import WatershedWire

/// Tasks, escalation and report obligations through the API, live over TLS (issue 4).
@Suite struct DispatchTests {
    /// `GET /v1/tasks?incident=…` as a viewer: the incident's tasks as clients read them.
    static func responseTasks(_ api: APIClient, incident: String) async throws -> [ResponseTask] {
        let reply = try await api.request(.GET, "/v1/tasks?incident=\(incident)", token: DevToken.viewer)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return try reply.decoded([ResponseTask].self)
    }

    /// Every event of `type` in the log, via `GET /v1/events` pages of 1000.
    static func events(_ api: APIClient, type: EventType) async throws -> [StoredEvent] {
        var all: [StoredEvent] = []
        var after: Int64 = 0
        while true {
            let page = try await api.request(.GET, "/v1/events?after=\(after)&limit=1000", token: DevToken.viewer)
                .decoded([StoredEvent].self)
            all += page
            guard page.count == 1000, let last = page.last?.seq else { break }
            after = last
        }
        return all.filter { $0.type == type }
    }

    /// `unit/position` of a task's assignee, e.g. `451203/county-duty-officer`.
    static func assignee(_ task: ResponseTask) -> String { "\(task.assignee.unit)/\(task.assignee.position.rawValue)" }

    /// The 2012 Longjiang report, discovered 08:00+08:00 (00:00Z), with `pollutant`, `massKg` and `level` set.
    static func report(
        pollutant: String = "cadmium", massKg: String = "21000", level: String? = nil, signedAs unit: String? = nil
    ) throws -> Data {
        var object = try #require(
            try JSONSerialization.jsonObject(with: longjiangReport(massKg: massKg)) as? [String: Any])
        object["pollutant"] = pollutant
        if let level { object["level"] = level }
        if let unit, var signature = object["signature"] as? [String: Any] {
            signature["reportingUnit"] = unit
            object["signature"] = signature
        }
        return try JSONSerialization.data(withJSONObject: object)
    }

    // MARK: Obligations

    /// Ungraded cadmium (heavy metal, MEP Order No. 17 Art. 4(3)) reported at 09:00+08:00 (01:00Z) on a manual
    /// clock, discovered 08:00+08:00: the II/I path. Yizhou's obligation is 2 h from discovery, due 02:00Z, and
    /// filing the initial report as the Yizhou officer meets it (no report task for it); the region's report to MEE
    /// is 1 h after receipt — received now, 01:00Z — so due 02:00Z, a report task for the region's duty chief.
    @Test func ungradedCadmiumGivesTwoHourObligationsAndReportTasks() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2012-01-15T01:00:00Z")))
        try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let id = try await api.file(try Self.report())
            let obligations = try await api.detail(id).obligations
            func entry(_ id: String) -> IncidentDetail.DueObligation? { obligations.first { $0.obligation.id == id } }
            let county = try #require(entry("initial-451203"))
            #expect(county.obligation.withinH == 2)
            #expect(try county.obligation.dueBy == instant("2012-01-15T02:00:00.000Z"))
            #expect(county.state == .met)
            let region = try #require(entry("initial-450000-mee"))
            #expect(try region.obligation.dueBy == instant("2012-01-15T02:00:00.000Z"))
            #expect(region.state == .due)
            #expect(obligations.count == 2)
            #expect(try await Self.events(api, type: .obligationMet).count == 1)

            let reportTasks = try await Self.responseTasks(api, incident: id).filter { $0.kind == .report }
            #expect(reportTasks.count == 1)
            let task = try #require(reportTasks.first)
            #expect(task.obligation == "initial-450000-mee")
            #expect(Self.assignee(task) == "450000/provincial-duty-chief")
            #expect(try task.dueBy == instant("2012-01-15T02:00:00.000Z"))
        }
    }

    /// Level IV benzene, filed by the region's commander signed as the province (so Yizhou's own obligation is still
    /// due: each obligation is met only by its own unit's report, MEP Order No. 17 Art. 3): the 4 h path,
    /// a report task for Yizhou due 04:00Z (4 h from discovery at 00:00Z). Raised to II at 10:00+08:00 (02:00Z):
    /// that task is cancelled, and the II/I obligations are due from the change — Yizhou's 2 h after it (04:00Z),
    /// the region's 1 h after Yizhou's report at the latest (05:00Z) — each with a new report task (MEP Order
    /// No. 17 Art. 3; DOMAIN.md §2).
    @Test func levelChangeCancelsFourHourTasksAndDispatchesTwoHourOnes() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2012-01-15T01:00:00Z")))
        try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let filed = try await api.request(
                .POST, "/v1/incidents", token: DevToken.commander,
                body: try Self.report(pollutant: "benzene", massKg: "2000", level: "IV", signedAs: "450000"))
            #expect(filed.status == 201)
            let id = try filed.decoded(IncidentCreated.self).incident.id.uuidString
            let before = try await Self.responseTasks(api, incident: id).filter { $0.kind == .report }
            #expect(before.count == 1)
            let county = try #require(before.first)
            #expect(county.obligation == "initial-451203")
            #expect(Self.assignee(county) == "451203/county-duty-officer")
            #expect(try county.dueBy == instant("2012-01-15T04:00:00.000Z"))

            clock.advance(to: try #require(ReportsTests.date("2012-01-15T02:00:00Z")))
            let change = ReportsTests.report(#""levelChange":{"to":"II","at":"2012-01-15T10:00:00+08:00"}"#)
            let changed = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.commander, body: change)
            #expect(changed.status == 201, "\(String(decoding: changed.body, as: UTF8.self))")

            let after = try await Self.responseTasks(api, incident: id).filter { $0.kind == .report }
            #expect(after.first { $0.id == county.id }?.state == .cancelled)
            let countyNew = try #require(after.first { $0.obligation == "initial-451203/level-change-1" })
            #expect(countyNew.state == .dispatched)
            #expect(try countyNew.dueBy == instant("2012-01-15T04:00:00.000Z"))
            #expect(Self.assignee(countyNew) == "451203/county-duty-officer")
            let regionNew = try #require(after.first { $0.obligation == "initial-450000-mee/level-change-1" })
            #expect(try regionNew.dueBy == instant("2012-01-15T05:00:00.000Z"))
            #expect(after.count == 3)
            let obligations = try await api.detail(id).obligations
            let old = obligations.first { $0.obligation.id == "initial-451203" }
            #expect(old?.state == .cancelled)
        }
    }

    // MARK: Working tasks

    /// Only the assignee (or a commander) works a task; a wrong state is a 409 naming the state; a decline needs
    /// a reason and passes the task up the chain with a fresh acknowledgement deadline.
    @Test func taskRoutes() async throws {
        try await LiveServer.withAPI { handle, api in
            let id = try await api.file(try Self.report())
            let tasks = try await Self.responseTasks(api, incident: id)
            let yizhou = try #require(tasks.first { Self.assignee($0) == "451203/county-duty-officer" })
            let reference = yizhou.reference
            // By reference, its "/" percent-encoded; the task's UUID works too.
            let path = "/v1/tasks/" + reference.replacingOccurrences(of: "/", with: "%2F")
            let head = try await api.head()

            let hechi = try await api.request(.POST, path + "/ack", token: "wsd-dev-officer-hechi")
            #expect(hechi.status == 403)
            #expect(hechi.error?.code == "not_assignee")
            let viewer = try await api.request(.POST, path + "/ack", token: DevToken.viewer)
            #expect(viewer.status == 403)
            #expect(try await api.head() == head)

            let ack = try await api.request(.POST, path + "/ack", token: DevToken.officer)
            #expect(ack.status == 200, "\(String(decoding: ack.body, as: UTF8.self))")
            #expect(try ack.decoded(ResponseTask.self).state == .acknowledged)
            let again = try await api.request(.POST, path + "/ack", token: DevToken.officer)
            #expect(again.status == 409)
            #expect(again.error?.code == "task_state")
            let started = try await api.request(.POST, path + "/start", token: DevToken.officer)
            #expect(try started.decoded(ResponseTask.self).state == .inProgress)
            let done = try await api.request(.POST, path + "/done", token: DevToken.commander)
            #expect(try done.decoded(ResponseTask.self).state == .done)
            #expect(try await api.head() == head + 3)

            // Decline: a reason is required; the task goes to Hechi's city duty chief.
            let other = try #require(
                tasks.first { Self.assignee($0) == "451203/county-duty-officer" && $0.id != yizhou.id })
            let otherPath = "/v1/tasks/\(other.id.uuidString)/decline"
            let noReason = try await api.request(
                .POST, otherPath, token: DevToken.officer, body: Data(#"{"reason":"  "}"#.utf8))
            #expect(noReason.status == 422)
            #expect(noReason.error?.field == "reason")
            let declined = try await api.request(
                .POST, otherPath, token: DevToken.officer, body: Data(#"{"reason":"no boat on duty"}"#.utf8))
            #expect(declined.status == 200, "\(String(decoding: declined.body, as: UTF8.self))")
            let redispatched = try declined.decoded(ResponseTask.self)
            #expect(Self.assignee(redispatched) == "451200/city-duty-chief")
            #expect(redispatched.state == .dispatched)

            let mine = try await api.request(
                .GET, "/v1/tasks?assignee=451200/city-duty-chief&state=dispatched", token: DevToken.viewer)
            #expect(try mine.decoded([ResponseTask].self).contains { $0.id == other.id })
            let bad = try await api.request(.GET, "/v1/tasks?state=sleeping", token: DevToken.viewer)
            #expect(bad.status == 400)
            #expect(bad.error?.field == "state")
        }
    }

    // MARK: Deadlines across restarts

    /// Filed at 01:00Z on a manual clock; the server stops; it starts again at 01:12Z: every acknowledgement
    /// deadline that passed while it was down fires once — region tasks (5 min × 2 repeats): 01:05 and 01:10, each
    /// an overdue and an escalation; city tasks (10 min): 01:10; county tasks (15 min): none yet. A third start at
    /// the same time fires nothing more. Then, running: the Yizhou officer acknowledges one county task and the
    /// clock moves to 01:16 — every other county task is overdue once (01:15), the acknowledged one is not, and
    /// the region's tasks, past their third deadline (01:15) after two escalations, become unowned.
    @Test func deadlinesThatPassWhileDownFireOnceAfterARestart() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let t0 = try #require(ReportsTests.date("2012-01-15T01:00:00Z"))
        let clock = ManualWallClock(t0)
        let rows = try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let id = try await api.file(try Self.report())
            return try await Self.responseTasks(api, incident: id).map(TaskRow.init)
        }
        let region = rows.filter { $0.ackMinutes == 5 }
        let city = rows.filter { $0.ackMinutes == 10 }
        let county = rows.filter { $0.ackMinutes == 15 }
        #expect(!region.isEmpty && !city.isEmpty && county.count >= 2)
        #expect(region.count + city.count + county.count == rows.count)
        for task in region {
            #expect(task.ackBy == t0.addingTimeInterval(300))
            #expect(task.assignee.hasPrefix("450000/"))
        }

        clock.advance(to: t0.addingTimeInterval(12 * 60))
        let expected = 2 * region.count + city.count
        try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let overdue = try await Self.waitFor(api, type: .taskOverdue, count: expected)
            #expect(overdue.count == expected)
            let escalated = try await Self.events(api, type: .taskEscalated).map {
                try $0.payload(as: TaskEscalated.self)
            }
            #expect(escalated.count == expected)
            // A city task's first step goes to the region's duty chief, its next deadline 10 min after the first.
            let cityTask = try #require(city.first?.id)
            let step = try #require(escalated.first { $0.task == cityTask })
            #expect(step.to.unit == "450000")
            #expect(step.ackBy == t0.addingTimeInterval(20 * 60))
        }
        try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let fired = try await Self.events(api, type: .taskOverdue).count
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await Self.events(api, type: .taskOverdue).count == fired)
            #expect(fired == expected)

            let acknowledged = try #require(county.first { $0.assignee == "451203/county-duty-officer" })
            let ack = try await api.request(.POST, "/v1/tasks/\(acknowledged.id)/ack", token: DevToken.officer)
            #expect(ack.status == 200)
            clock.advance(to: t0.addingTimeInterval(16 * 60))
            let unowned = try await Self.waitFor(api, type: .taskUnowned, count: region.count)
            #expect(unowned.count == region.count)
            let overdue = try await Self.waitFor(
                api, type: .taskOverdue, count: expected + region.count + county.count - 1)
            let countyOverdue = try overdue.map { try $0.payload(as: TaskOverdue.self).task }
            #expect(!countyOverdue.contains(acknowledged.id))
            #expect(overdue.count == expected + region.count + county.count - 1)
        }
    }

    // MARK: Re-planning

    /// The Longjiang incident; a follow-up says the leading edge reached the Luodong section 40 h later than the
    /// plan predicted, and asks for the first rule (`belowObserved: shift`). DOMAIN.md §3: reaches below the observation keep their speeds and start from t_obs, so every
    /// site task below Luodong moves its `startBy` exactly 40 h later (`TaskRescheduled`, from → to); tasks above
    /// it — passed by the front already — are not moved.
    @Test func observationFortyHoursLateMovesTasksBelowByFortyHours() async throws {
        let moves = try await Self.replan(applyFactorBelow: false)
        #expect(!moves.below.isEmpty)
        // Exactly 40 h, to the second the API writes.
        for move in moves.below { #expect(abs(move.shift - 40 * 3_600) <= 1, "\(move.node): \(move.shift) s") }
        #expect(!moves.above.isEmpty)
        #expect(moves.above.allSatisfy { $0.shift == 0 })
    }

    /// The same, with the operator applying f below the observation too (DOMAIN.md §3): travel times from the spill
    /// scale by f = (t_obs − t_spill) / (t_pred − t_spill) (no hold), so a site whose front was predicted at
    /// t_spill + T now gets t_spill + f·T, and its `startBy` moves by (f − 1)·T.
    @Test func appliedFactorScalesTravelTimesBelow() async throws {
        let moves = try await Self.replan(applyFactorBelow: true)
        #expect(!moves.below.isEmpty)
        for move in moves.below {
            let expected = (moves.f - 1) * move.travel
            // The API writes whole seconds: T and both startBy values are each known to ±1 s.
            let tolerance = 2 + moves.f
            #expect(
                abs(move.shift - expected) <= tolerance,
                "\(move.node): \(move.shift) s, expected \(expected) ± \(tolerance) s")
            #expect(move.shift > 40 * 3_600)
        }
    }

    struct Move: Sendable {
        var node: String
        /// New startBy − old startBy, s.
        var shift: TimeInterval
        /// Predicted front at the node − spill time before the follow-up, s.
        var travel: TimeInterval
    }

    /// Files the Longjiang report, then a follow-up placing the leading edge at Luodong 40 h after the prediction;
    /// answers the moves of the open site tasks below and above the section, and f.
    static func replan(applyFactorBelow: Bool) async throws -> (
        below: [Move], above: [Move], f: Double, predictedTravel: TimeInterval
    ) {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        return try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let id = try await api.file(try Self.report())
            let plan = try #require(try await api.detail(id).incident.plan)
            var distance: [String: Double] = [:]
            var front: [String: Date] = [:]
            for arrival in plan.arrivals {
                distance[arrival.node] = arrival.distanceKm
                front[arrival.node] = arrival.earliestArrival
            }
            let luodong = "longjiang-luodong-section"
            let predicted = try #require(front[luodong])
            let spill = try #require(ReportsTests.date("2012-01-15T00:00:00Z"))
            let observed = predicted.addingTimeInterval(40 * 3_600)
            let f = observed.timeIntervalSince(spill) / predicted.timeIntervalSince(spill)
            let before = try await Self.responseTasks(api, incident: id).filter { $0.kind == .site }

            let formatter = ISO8601DateFormatter()
            let monitoring = ReportsTests.monitoring(node: luodong, at: formatter.string(from: observed))
            let body = ReportsTests.report(
                #""monitoring":[\#(monitoring)],"belowObserved":"\#(applyFactorBelow ? "scale" : "shift")""#)
            let filed = try await api.request(
                .POST, "/v1/incidents/\(id)/reports", token: DevToken.officer, body: body)
            #expect(filed.status == 201, "\(String(decoding: filed.body, as: UTF8.self))")
            let after = try await Self.responseTasks(api, incident: id)
            // f as the server computed it, checked against the hand formula (t_pred known to the second here),
            // then used exactly below.
            let newPlan = try #require(try await api.detail(id).incident.plan)
            let serverF = try #require(newPlan.reestimates.first?.factor)
            #expect(abs(serverF - f) / f < 1e-4)
            let rescheduled = try await Self.events(api, type: .taskRescheduled).map {
                try $0.payload(as: TaskRescheduled.self)
            }

            var below: [Move] = []
            var above: [Move] = []
            let luodongKm = try #require(distance[luodong])
            for task in before {
                guard let node = task.source?.node, let km = distance[node], let old = task.startBy,
                    let now = after.first(where: { $0.id == task.id }), now.state != .cancelled,
                    let new = now.startBy
                else { continue }
                let travel = (front[node] ?? old).timeIntervalSince(spill)
                let move = Move(node: node, shift: new.timeIntervalSince(old), travel: travel)
                if km > luodongKm {
                    below.append(move)
                    // The move is recorded as an event from the old startBy to the new one.
                    let payload = rescheduled.first { $0.task == task.id }
                    // (Both times within a second: the plan's are whole seconds, the event's milliseconds.)
                    let from = try #require(payload?.from)
                    let to = try #require(payload?.to)
                    #expect(abs(from.timeIntervalSince(old)) < 1 && abs(to.timeIntervalSince(new)) < 1)
                } else if km < luodongKm {
                    above.append(move)
                }
            }
            return (below, above, serverF, predicted.timeIntervalSince(spill))
        }
    }

    /// What the restart test needs of a task, Sendable.
    struct TaskRow: Sendable {
        var id: UUID
        var assignee: String
        var ackMinutes: Int?
        var ackBy: Date?

        init(_ task: ResponseTask) {
            id = task.id
            assignee = DispatchTests.assignee(task)
            ackMinutes = task.policy.ackMinutes
            ackBy = task.ackBy
        }
    }

    /// Polls `/v1/events` until `count` events of `type` are there (or 10 s pass); answers them.
    static func waitFor(_ api: APIClient, type: EventType, count: Int) async throws -> [StoredEvent] {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            let found = try await events(api, type: type)
            if found.count >= count || ContinuousClock.now > deadline { return found }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}

/// Notifications to neighbours watched against their deadlines (issue 5, "Outbound").
@Suite struct PeerCallTests {
    /// Longjiang cadmium discovered 08:00+08:00 (00:00Z): Guangdong must hear within 1 h (seeds/450000/peers.yaml),
    /// so by 01:00Z. No link to Guangdong is configured in the test, so nothing is *received*: once the clock passes
    /// 01:00Z, one task asks the region's duty chief to phone Guangdong's duty office — once, however long it waits.
    @Test func aNotificationNotReceivedByItsDeadlineBecomesOnePhoneTask() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(try #require(ReportsTests.date("2012-01-15T00:30:00Z")))
        try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let id = try await api.file(try DispatchTests.report())
            func calls() async throws -> [ResponseTask] {
                try await DispatchTests.responseTasks(api, incident: id).filter { $0.kind == .peerCall }
            }
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await calls().isEmpty, "nothing before the deadline")
            clock.advance(to: try #require(ReportsTests.date("2012-01-15T01:00:06Z")))
            var found: [ResponseTask] = []
            for _ in 0..<200 where found.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                found = try await calls()
            }
            let call = try #require(found.first)
            #expect(call.obligation == "peer:440000:not-received")
            #expect(DispatchTests.assignee(call) == "450000/provincial-duty-chief")
            #expect(call.title.contains("Guangdong"))
            clock.advance(to: try #require(ReportsTests.date("2012-01-15T01:00:30Z")))
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await calls().count == 1, "one call, not one per pass")
        }
    }
}
