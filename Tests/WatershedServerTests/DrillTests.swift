import Foundation
import Testing
import WatershedClient
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedServer
import WatershedTestSupport
import WatershedWire

/// Drills on a live server (issue 6): the drill clock drives every deadline of a drill incident, injects play on it
/// and survive a restart once each, drill tokens reach exercises only and stop at the end, exercises reach only the
/// neighbours a scenario names, and the score is taken from the log. The wall clock is a ``ManualWallClock``, so
/// every drill time below is worked out by hand: ×60 turns a wall second into a drill minute.
@Suite struct DrillTests {
    /// 2026-11-29 10:00 +08:00, the wall time the drills start at.
    static let wallStart = Date(timeIntervalSince1970: 1_796_004_000)
    /// The He River scenario's `startsAt`, 2013-07-05 12:00 +08:00 = 04:00Z.
    static let heRiverStart = CanonicalJSON.date(fromTimestamp: "2013-07-05T04:00:00.000Z")!

    static func scenario(_ name: String) throws -> DrillScenario {
        let file = Fixtures.repositoryRoot.appendingPathComponent("seeds/450000/drills/\(name).yaml").path
        return try DrillScenarioFile.load(file: file)
    }

    static func client(_ handle: LiveServer.Handle, _ token: String) throws -> WatershedClient {
        try WatershedClient(.init(server: handle.base, token: token, caFile: handle.caFile))
    }

    /// Polls `condition` every 20 ms for up to 20 s (the runner and the scheduler work in the background).
    static func eventually(_ what: String, _ condition: () async throws -> Bool) async throws {
        for _ in 0..<1_000 {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("timed out waiting for \(what)")
        throw CancellationError()
    }

    static func events(_ client: WatershedClient) async throws -> [StoredEvent] {
        var all: [StoredEvent] = []
        while true {
            let page = try await client.events(after: all.last?.seq ?? 0, limit: 1_000)
            all += page
            if page.count < 1_000 { return all }
        }
    }

    static func time(_ text: String) -> Date { CanonicalJSON.date(fromTimestamp: text)! }

    @Test func heRiverDrillRunsOnItsClockAndScoresFromTheLog() async throws {
        let clock = ManualWallClock(Self.wallStart)
        try await LiveServer.withAPI(clock: clock, scheduler: true) { handle, _ in
            let commander = try Self.client(handle, DevToken.commander)
            let officer = try Self.client(handle, DevToken.officer)
            defer {
                Task {
                    try? await commander.shutdown()
                    try? await officer.shutdown()
                }
            }
            let started = try await commander.startDrill(
                DrillStartRequest(scenario: try Self.scenario("he-river-2013-joint"), clockFactor: 60))
            #expect(
                started.drill.clock == DrillClock(wallStart: Self.wallStart, drillStart: Self.heRiverStart, factor: 60))
            #expect(started.tokens.map(\.unit) == ["451102", "451100", "450000"])
            #expect(started.tokens.allSatisfy { $0.token.hasPrefix("wsd-drill-") })
            let id = started.drill.id.uuidString
            // Inject 0 (the initial report, at drill-minute 0) plays at once.
            try await Self.eventually("the opening inject") { try await commander.drill(id).injectsPlayed == 1 }
            let drill = try await commander.drill(String(id.prefix(8)))
            let incident = try #require(drill.incidents.first)

            var events = try await Self.events(commander)
            let reported = try #require(events.first { $0.type == .incidentReported })
            #expect(reported.exercise)
            #expect(reported.at == Self.wallStart)
            #expect(reported.drillAt == Self.heRiverStart)
            // The scenario names Guangdong: it is notified (as an exercise).
            let notified = events.filter { $0.type == .peerNotified && $0.incident == incident.id }
            #expect(notified.count == 1)
            #expect(notified.allSatisfy { $0.exercise })

            // The Babu duty officer's drill token: the drill role, its unit and position.
            let babu = try Self.client(handle, started.tokens[0].token)
            defer { Task { try? await babu.shutdown() } }
            let me = try await babu.me()
            #expect(me.roles == [.drill])
            #expect(me.unit == "451102")
            let tasks = try await babu.tasks(assignee: "451102/county-duty-officer", incident: incident.id.uuidString)
            #expect(tasks.count == 6)
            // Dispatched at drill 12:00; the county's policy gives 15 minutes: ack by 12:15 on the drill clock.
            #expect(tasks.allSatisfy { $0.ackBy == Self.time("2013-07-05T04:15:00.000Z") })

            // Ten wall seconds = ten drill minutes: the acknowledgement is at drill 12:10.
            clock.advance(by: 10)
            let second = tasks[1]
            let acknowledged = try await babu.work(task: second.reference, .ack)
            #expect(acknowledged.state == .acknowledged)
            events = try await Self.events(commander)
            let ack = try #require(events.last { $0.type == .taskAcknowledged })
            #expect(ack.at == Self.wallStart.addingTimeInterval(10))
            #expect(ack.drillAt == Self.time("2013-07-05T04:10:00.000Z"))

            // Sixteen wall seconds: drill 12:16, past 12:15 — the other five escalate, on the drill clock.
            clock.advance(to: Self.wallStart.addingTimeInterval(16))
            try await Self.eventually("the overdue tasks") {
                let now = try await Self.events(commander)
                let ids = Set(
                    now.filter { $0.type == .taskOverdue && $0.at == Self.wallStart.addingTimeInterval(16) }
                        .compactMap { try? $0.payload.decode(TaskOverdue.self).task })
                return ids.intersection(tasks.map(\.id)).count == 5
            }
            events = try await Self.events(commander)
            let overdue = events.filter {
                $0.type == .taskOverdue && $0.at == Self.wallStart.addingTimeInterval(16)
            }
            let overdueTasks = Set(overdue.compactMap { try? $0.payload.decode(TaskOverdue.self).task })
            #expect(overdueTasks.intersection(tasks.map(\.id)) == Set(tasks.map(\.id)).subtracting([second.id]))
            #expect(overdue.allSatisfy { $0.drillAt == Self.time("2013-07-05T04:16:00.000Z") })

            // A real incident is out of a drill token's reach.
            let real = try await officer.fileInitialReport(
                try WatershedClient.decoder.decode(InitialReport.self, from: longjiangReport()))
            await #expect(throws: WatershedClientError.self) { _ = try await babu.incident(real.incident.reference) }
            #expect(try await babu.incidents().map(\.id) == [incident.id])

            // The end: open tasks cancelled, the incident closed, the tokens gone.
            clock.advance(to: Self.wallStart.addingTimeInterval(20))
            let ended = try await commander.endDrill(id)
            #expect(ended.state == "ended")
            let after = try await commander.tasks(incident: incident.id.uuidString)
            #expect(after.allSatisfy { $0.state == .cancelled })
            #expect(try await commander.incident(incident.id.uuidString).incident.state == "closed")
            // The ended drill's token reads the drill (its score) and nothing else.
            do {
                _ = try await babu.me()
                Issue.record("a drill token still works after the end")
            } catch WatershedClientError.refused(let status, let error) {
                #expect(status == 401)
                #expect(error.code == "drill_ended")
            }
            #expect(try await babu.drillScore(id).ended)
            await #expect(throws: WatershedClientError.self) { _ = try await commander.endDrill(id) }

            // The score, from the log: the ack came 10 drill-minutes after the report (within 30); Guangdong has no
            // server here, so it never received it; the region never filed to MEE.
            let score = try await commander.drillScore(id)
            #expect(score.ended)
            let results = Dictionary(uniqueKeysWithValues: score.results.map { ($0.id, $0) })
            #expect(results["hezhou-babu-task-ack"]?.outcome == .met)
            #expect(results["hezhou-babu-task-ack"]?.elapsedMin == 10)
            #expect(results["hezhou-babu-task-ack"]?.due == Self.time("2013-07-05T04:30:00.000Z"))
            #expect(results["guangdong-received"]?.outcome == .missed)
            #expect(results["guangdong-received"]?.at == nil)
            #expect(results["region-report-to-mee"]?.outcome == .missed)
            #expect(score.met == 1)
            #expect(score.total == 6)
            #expect(score.timeline.first?.type == .drillStarted)
            #expect(score.timeline.last?.type == .drillEnded)
        }
    }

    /// A drill participant's token works its own drill only: acknowledging a task of another drill's incident is 403
    /// `other_drill` naming `id`, and nothing is appended; its open stream closes with 4003 when its drill ends
    /// (issue 15, item 9: it had acknowledged another drill's task with 200, and kept streaming after the end).
    @Test func aDrillTokenWorksItsOwnDrillAndLosesItsStreamAtTheEnd() async throws {
        let clock = ManualWallClock(Self.wallStart)
        try await LiveServer.withAPI(clock: clock, scheduler: true) { handle, api in
            let commander = try Self.client(handle, DevToken.commander)
            defer { Task { try? await commander.shutdown() } }
            let heRiver = try await commander.startDrill(
                DrillStartRequest(scenario: try Self.scenario("he-river-2013-joint"), clockFactor: 60))
            let longjiang = try await commander.startDrill(
                DrillStartRequest(scenario: try Self.scenario("longjiang-cadmium-2012")))
            for drill in [heRiver, longjiang] {
                try await Self.eventually("the opening inject") {
                    try await commander.drill(drill.drill.id.uuidString).injectsPlayed == 1
                }
            }
            let longjiangIncident = try #require(
                try await commander.drill(longjiang.drill.id.uuidString).incidents.first)
            let otherTask = try #require(
                try await commander.tasks(incident: longjiangIncident.id.uuidString).first { $0.state == .dispatched })
            let babuToken = heRiver.tokens[0].token
            let head = try await api.head()
            let refused = try await api.request(.POST, "/v1/tasks/\(otherTask.id.uuidString)/ack", token: babuToken)
            #expect(refused.status == 403)
            #expect(refused.error?.code == "other_drill")
            #expect(refused.error?.field == "id")
            #expect(try await api.head() == head)
            #expect(try await commander.task(otherTask.id.uuidString).state == .dispatched)

            // The He River participant's stream: caught up, then the drill ends under it.
            let closing = Task {
                try await StreamContractTests.connect(handle, after: "0", token: babuToken)
            }
            try await Self.eventually("the participant's stream") {
                try await api.request(.GET, "/metrics").body.range(of: Data("watershed_stream_connections 1".utf8))
                    != nil
            }
            _ = try await commander.endDrill(heRiver.drill.id.uuidString)
            let (_, close) = try await closing.value
            #expect(close?.closeCode == .unknown(4003))
            #expect(close?.reason == "drill \(heRiver.drill.id.uuidString) has ended")
        }
    }

    @Test func exercisesReachOnlyTheNeighboursTheDrillNames() async throws {
        let clock = ManualWallClock(Self.wallStart)
        try await LiveServer.withAPI(clock: clock, scheduler: true) { handle, _ in
            let commander = try Self.client(handle, DevToken.commander)
            defer { Task { try? await commander.shutdown() } }
            // Longjiang at km 0: the plan predicts a crossing into Guangdong, but the scenario names no neighbour.
            let started = try await commander.startDrill(
                DrillStartRequest(scenario: try Self.scenario("longjiang-cadmium-2012")))
            try await Self.eventually("the opening inject") {
                try await commander.drill(started.drill.id.uuidString).injectsPlayed == 1
            }
            // An exercise filed by hand, outside any drill, on the He River (which crosses into Guangdong).
            var report = try WatershedClient.decoder.decode(
                InitialReport.self,
                from: Data(
                    contentsOf: Fixtures.repositoryRoot.appendingPathComponent(
                        "Tests/Fixtures/he-river-initial-report.json")))
            report.exercise = true
            let manual = try await commander.fileInitialReport(report)
            #expect(manual.incident.exercise)

            let events = try await Self.events(commander)
            let plans = events.filter { $0.type == .planComputed }.compactMap {
                try? $0.payload.decode(PlanDocument.self)
            }
            #expect(plans.count == 2)
            #expect(plans.allSatisfy { $0.peerNotifications.contains { $0.province == "440000" } })
            #expect(events.filter { $0.type == .peerNotified }.isEmpty)
        }
    }

    @Test func aRestartPlaysEachInjectOnceAndKeepsTheTokens() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let clock = ManualWallClock(Self.wallStart)
        let started = try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let commander = try Self.client(handle, DevToken.commander)
            defer { Task { try? await commander.shutdown() } }
            let started = try await commander.startDrill(
                DrillStartRequest(scenario: try Self.scenario("he-river-2013-joint"), clockFactor: 60))
            try await Self.eventually("the opening inject") {
                try await commander.drill(started.drill.id.uuidString).injectsPlayed == 1
            }
            return started
        }
        // Down for 841 wall seconds: inject 1 (drill-minute 840) came due meanwhile; inject 2 (990) has not.
        clock.advance(to: Self.wallStart.addingTimeInterval(841))
        try await LiveServer.run(data: data, clock: clock, scheduler: true) { handle in
            let babu = try Self.client(handle, started.tokens[0].token)
            defer { Task { try? await babu.shutdown() } }
            try await Self.eventually("the inject missed while down") {
                try await babu.drill(started.drill.id.uuidString).injectsPlayed == 2
            }
            #expect(try await babu.me().unit == "451102")
            let injected = try await Self.events(babu).filter { $0.type == .drillInjected }.compactMap {
                try? $0.payload.decode(DrillInjectedPayload.self).index
            }
            #expect(injected == [0, 1])
        }
    }

    @Test func aScenarioWithFaultsIsRefusedNamingTheField() async throws {
        try await LiveServer.withAPI { handle, _ in
            let commander = try Self.client(handle, DevToken.commander)
            let officer = try Self.client(handle, DevToken.officer)
            defer {
                Task {
                    try? await commander.shutdown()
                    try? await officer.shutdown()
                }
            }
            var scenario = try Self.scenario("he-river-2013-joint")
            scenario.peers = ["520000", "999999"]
            func refusal(_ request: DrillStartRequest, by client: WatershedClient) async -> (Int, String?) {
                do {
                    _ = try await client.startDrill(request)
                } catch WatershedClientError.refused(let status, let error) {
                    return (status, error.field)
                } catch {}
                return (0, nil)
            }
            #expect(await refusal(DrillStartRequest(scenario: scenario), by: commander) == (422, "scenario.peers[1]"))
            scenario = try Self.scenario("he-river-2013-joint")
            #expect(
                await refusal(DrillStartRequest(scenario: scenario, clockFactor: 0.5), by: commander) == (
                    422, "clockFactor"
                ))
            scenario.injects[0].atMin = 5
            scenario.injects[1].atMin = 1
            #expect(
                await refusal(DrillStartRequest(scenario: scenario), by: commander) == (
                    422, "scenario.injects[1].atMin"
                ))
            // Only a commander starts a drill.
            #expect(
                await refusal(DrillStartRequest(scenario: try Self.scenario("he-river-2013-joint")), by: officer).0
                    == 403)
            #expect(try await commander.drills().isEmpty)
        }
    }
}
