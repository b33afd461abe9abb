import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedTestSupport
import WatershedWire

/// What a console may offer (issue 21): `GET /v1/incidents/{id}` carries `actions`, the caller's actions on each task
/// by task id, from the same rule that answers `POST /v1/tasks/{id}/{action}`; and a drill participant reads the
/// playbook maps its drill uses.
@Suite struct TaskActionsOfferedTests {
    /// The Longjiang report (Yizhou, 451203) dispatches tasks to several units. Yizhou's officer is offered its own
    /// dispatched tasks (ack, start, done, decline) and nothing else; Liuzhou's officer (450200) only Liuzhou's; the
    /// viewer nothing; the commander every open task. Each offer is then taken up through the API: an offered ack
    /// is accepted, one not offered is refused with 403 `not_assignee`.
    @Test func eachCallerIsOfferedItsOwnTasks() async throws {
        try await LiveServer.withAPI { _, api in
            let filed = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(filed.status == 201)
            let id = try filed.decoded(IncidentCreated.self).incident.id.uuidString
            func offered(_ token: String) async throws -> (IncidentDetail, [String: [TaskAction]]) {
                let detail = try await api.request(.GET, "/v1/incidents/\(id)", token: token).decoded(
                    IncidentDetail.self)
                return (detail, detail.actions)
            }
            let (detail, yizhou) = try await offered(DevToken.officer)
            // The detail's next deadline (from its own tasks) is the one the list shows (from every task), and it is
            // an open task's acknowledgement or report due time.
            let listed = try await api.request(.GET, "/v1/incidents", token: DevToken.viewer)
                .decoded([IncidentSummary].self).first { $0.id.uuidString == id }
            #expect(detail.incident.nextDeadline != nil)
            #expect(detail.incident.nextDeadline == listed?.nextDeadline)
            #expect(detail.incident.nextDeadlineTask == listed?.nextDeadlineTask)
            let soonest =
                detail.tasks.filter { $0.state == .dispatched }.compactMap(\.ackBy)
                + detail.tasks.filter { $0.kind == .report }.compactMap(\.dueBy)
            #expect(detail.incident.nextDeadline == soonest.min())
            let open = detail.tasks.filter { $0.state == .dispatched }
            let yizhouTasks = open.filter { $0.assignee == Assignee(unit: "451203", position: .countyDutyOfficer) }
            let liuzhouTasks = open.filter { $0.assignee == Assignee(unit: "450200", position: .cityDutyChief) }
            #expect(!yizhouTasks.isEmpty && !liuzhouTasks.isEmpty, "\(open.map(\.assignee))")
            #expect(Set(yizhou.keys) == Set(yizhouTasks.map(\.id.uuidString)))
            #expect(yizhou.values.allSatisfy { $0 == [.ack, .start, .done, .decline] })

            let (_, liuzhou) = try await offered("wsd-dev-officer-liuzhou")
            #expect(Set(liuzhou.keys) == Set(liuzhouTasks.map(\.id.uuidString)))
            #expect(try await offered(DevToken.viewer).1.isEmpty)
            let (_, commander) = try await offered(DevToken.commander)
            #expect(Set(commander.keys) == Set(open.map(\.id.uuidString)))

            // The API agrees with the offers.
            let notOffered = try #require(liuzhouTasks.first)
            let refused = try await api.request(
                .POST, "/v1/tasks/\(notOffered.id.uuidString)/ack", token: DevToken.officer)
            #expect(refused.status == 403)
            #expect(refused.error?.code == "not_assignee")
            let mine = try #require(yizhouTasks.first)
            #expect(
                try await api.request(.POST, "/v1/tasks/\(mine.id.uuidString)/ack", token: DevToken.officer).status
                    == 200)
            // Acknowledged, it offers start, done and decline.
            #expect(try await offered(DevToken.officer).1[mine.id.uuidString] == [.start, .done, .decline])
        }
    }

    /// A drill-only token reads the playbooks and their maps (the shared basin map, not incident data); a request
    /// without a token still gets 401.
    @Test func aDrillParticipantReadsThePlaybookMaps() async throws {
        try await LiveServer.withAPI { _, api in
            let map = try await api.request(.GET, "/v1/playbooks/he-river/map", token: DevToken.drill)
            #expect(map.status == 200)
            #expect(map.headers.first(name: "Content-Type") == "application/geo+json")
            #expect(String(decoding: map.body, as: UTF8.self).contains("\"FeatureCollection\""))
            #expect(try await api.request(.GET, "/v1/playbooks", token: DevToken.drill).status == 200)
            #expect(try await api.request(.GET, "/v1/playbooks/he-river", token: DevToken.drill).status == 200)
        }
    }

    /// Two runs of the He River drill: Babu District's participant of the first is offered its tasks in its own
    /// drill's incident and none in the second's, where the same unit and position have the same tasks — the task
    /// routes would answer 403 `other_drill` there.
    @Test func aDrillTokenIsOfferedItsOwnDrillsTasksOnly() async throws {
        let clock = ManualWallClock(DrillTests.wallStart)
        try await LiveServer.withAPI(clock: clock, scheduler: true) { handle, api in
            let commander = try DrillTests.client(handle, DevToken.commander)
            defer { Task { try? await commander.shutdown() } }
            var incidents: [String] = []
            var tokens: [DrillJoinToken] = []
            for _ in 0..<2 {
                let started = try await commander.startDrill(
                    DrillStartRequest(scenario: try DrillTests.scenario("he-river-2013-joint"), clockFactor: 60))
                let id = started.drill.id.uuidString
                try await DrillTests.eventually("the opening inject") {
                    try await commander.drill(id).injectsPlayed == 1
                }
                incidents.append(try #require(try await commander.drill(id).incidents.first).id.uuidString)
                tokens.append(try #require(started.tokens.first { $0.unit == "451102" }))
            }
            let babu = tokens[0]
            func offered(_ incident: String) async throws -> (IncidentDetail, [String: [TaskAction]]) {
                let detail = try await api.request(.GET, "/v1/incidents/\(incident)", token: babu.token)
                    .decoded(IncidentDetail.self)
                return (detail, detail.actions)
            }
            func babuTasks(_ detail: IncidentDetail) -> Set<String> {
                Set(
                    detail.tasks.filter {
                        $0.state == .dispatched && $0.assignee == Assignee(unit: babu.unit, position: babu.dutyPosition)
                    }.map(\.id.uuidString))
            }
            let (own, ownActions) = try await offered(incidents[0])
            #expect(!babuTasks(own).isEmpty)
            #expect(Set(ownActions.keys) == babuTasks(own))
            let (other, otherActions) = try await offered(incidents[1])
            #expect(!babuTasks(other).isEmpty, "the other drill has the same tasks for Babu District")
            #expect(otherActions.isEmpty)
        }
    }
}
