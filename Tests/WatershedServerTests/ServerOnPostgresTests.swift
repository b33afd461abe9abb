import Foundation
import Testing
import WatershedCore
import WatershedFederation
import WatershedTestSupport
import WatershedWire

@testable import WatershedServer

/// `watershed serve --database postgres://…` (issue 18): the server on the PostgreSQL log, one node and two. Each
/// test gets a new database on the test cluster (`WATERSHED_TEST_POSTGRES`, set by `.ci/run`); skipped without it.
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct ServerOnPostgresTests {
    /// A server on a database, with a data directory of its own (its TLS files and checkpoint).
    static func node<T: Sendable>(
        _ database: String, clock: any WallClock = SystemWallClock(), scheduler: Bool = false,
        _ body: @Sendable (LiveServer.Handle) async throws -> T
    ) async throws -> T {
        try await GuardedServer.withData { data in
            try await GuardedServer.run(
                data: data, clock: clock, scheduler: scheduler, configure: { $0.database = database }
            ) { ports in
                try await body(LiveServer.Handle(port: ports.people, caFile: ports.caFile, data: ports.data))
            }
        }
    }

    /// Two nodes on a new database, with a client each (closed afterwards).
    static func twoNodes<T: Sendable>(
        _ body: @Sendable (LiveServer.Handle, LiveServer.Handle, APIClient, APIClient) async throws -> T
    ) async throws -> T {
        try await TestCluster.withDatabase { url in
            try await node(url.description) { a in
                try await node(url.description) { b in
                    let apiA = try APIClient(a)
                    let apiB = try APIClient(b)
                    defer {
                        apiA.close()
                        apiB.close()
                    }
                    return try await body(a, b, apiA, apiB)
                }
            }
        }
    }

    /// The incident filed on a node that then stops is there, with the same events, on a new node with a new data
    /// directory: the log is the database's, not the node's.
    @Test func aNewNodeServesWhatAnotherFiled() async throws {
        try await TestCluster.withDatabase { url in
            let (created, frames) = try await Self.node(url.description) { handle in
                let api = try APIClient(handle)
                defer { api.close() }
                let reply = try await api.request(
                    .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
                #expect(reply.status == 201)
                return (try reply.decoded(IncidentCreated.self), try await subscribe(handle, after: 0))
            }
            try await Self.node(url.description) { handle in
                let api = try APIClient(handle)
                defer { api.close() }
                let found = try await api.request(
                    .GET, "/v1/incidents/\(created.incident.id.uuidString)", token: DevToken.viewer)
                #expect(found.status == 200)
                #expect(try found.decoded(IncidentSummary.self).reference == created.incident.reference)
                #expect(try await api.head() == created.lastSeq)
                #expect(try await subscribe(handle, after: 0) == frames)
            }
        }
    }

    /// Two nodes at once on one database: what one files, the other lists, streams and builds on (its next
    /// reference follows the first node's), and each reads its own write at once.
    @Test func twoNodesShareOneLog() async throws {
        try await Self.twoNodes { a, b, apiA, apiB in
            let first = try await apiA.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(first.status == 201)
            let onA = try first.decoded(IncidentCreated.self)
            // B folds A's commit within the follower's poll (a second), usually at once (NOTIFY).
            var seen = 0
            for _ in 0..<50 {
                let found = try await apiB.request(
                    .GET, "/v1/incidents/\(onA.incident.id.uuidString)", token: DevToken.viewer)
                seen = found.status
                if seen == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(seen == 200, "B never listed A's incident")
            let second = try await apiB.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(km: "20"))
            #expect(second.status == 201)
            let onB = try second.decoded(IncidentCreated.self)
            #expect(onB.firstSeq == onA.lastSeq + 1)
            #expect(onA.incident.reference.hasSuffix("-0001"))
            #expect(onB.incident.reference.hasSuffix("-0002"))
            // B reads its own write at once; A, told what the client has seen (`Watershed-Seen`), waits until
            // it has folded that far before it answers — no polling — and says how far it has
            // (`Watershed-Seq`).
            let own = try await apiB.request(
                .GET, "/v1/incidents/\(onB.incident.id.uuidString)", token: DevToken.viewer)
            #expect(own.status == 200)
            let readOnA = try await apiA.request(
                .GET, "/v1/incidents/\(onB.incident.id.uuidString)", token: DevToken.viewer,
                headers: [("Watershed-Seen", "\(onB.lastSeq)")])
            #expect(readOnA.status == 200)
            #expect(Int64(readOnA.headers.first(name: "Watershed-Seq") ?? "") ?? 0 >= onB.lastSeq)
            let ahead = try await apiA.request(
                .GET, "/v1/incidents", token: DevToken.viewer, headers: [("Watershed-Seen", "999999")])
            #expect(ahead.status == 503)
            #expect(ahead.error?.code == "catching_up")
            #expect(ahead.headers.first(name: "Retry-After") == "1")
            let streamedOnA = try await subscribe(a, after: onA.lastSeq)
            let streamedOnB = try await subscribe(b, after: onA.lastSeq)
            #expect(streamedOnB.compactMap(\.seq) == Array(onB.firstSeq...onB.lastSeq))
            #expect(streamedOnA == streamedOnB)
        }
    }

    /// Two nodes, both with their deadline schedulers configured, one clock: only the leader's runs (the lease), so
    /// 20 minutes after the report every task not acknowledged within its 15 minutes is escalated once — never
    /// twice at the same step, as two schedulers deciding on the same deadline would.
    @Test func onlyTheLeadersSchedulerFires() async throws {
        let clock = ManualWallClock(Date(timeIntervalSince1970: 1_780_000_000))
        try await TestCluster.withDatabase { url in
            try await Self.node(url.description, clock: clock, scheduler: true) { a in
                try await Self.node(url.description, clock: clock, scheduler: true) { b in
                    let api = try APIClient(a)
                    defer { api.close() }
                    let filed = try await api.request(
                        .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
                    #expect(filed.status == 201)
                    clock.advance(by: 20 * 60)
                    var escalations: [StoredEvent] = []
                    for _ in 0..<50 {
                        try await Task.sleep(for: .milliseconds(200))
                        let events = try await api.request(
                            .GET, "/v1/events?after=0&limit=1000", token: DevToken.viewer)
                        escalations = try events.decoded([StoredEvent].self).filter { $0.type == .taskEscalated }
                        if !escalations.isEmpty { break }
                    }
                    // Both schedulers had a second to race, had both run.
                    try await Task.sleep(for: .seconds(2))
                    let events = try await api.request(.GET, "/v1/events?after=0&limit=1000", token: DevToken.viewer)
                    escalations = try events.decoded([StoredEvent].self).filter { $0.type == .taskEscalated }
                    #expect(!escalations.isEmpty, "nothing was escalated")
                    let steps = try escalations.map { event -> String in
                        let payload = try event.payload.decode(TaskEscalated.self)
                        return "\(payload.task) \(payload.step)"
                    }
                    #expect(Set(steps).count == steps.count, "a step escalated twice: \(steps.sorted())")
                    _ = b
                }
            }
        }
    }

    /// The same task acknowledged on two nodes at the same moment: each node decides on its own fold, but the append
    /// carries the incident's last seq (`AppendCondition`), so the second to commit is refused, decided again on the
    /// newer fold and answered 409 (`task_state`): one acknowledgement in the log, not two.
    @Test func aTaskAcknowledgedOnTwoNodesAtOnceIsAcknowledgedOnce() async throws {
        try await Self.twoNodes { a, b, apiA, apiB in
            let filed = try await apiA.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            let incident = try filed.decoded(IncidentCreated.self)
            let task = try #require(
                try await DispatchTests.responseTasks(apiA, incident: incident.incident.id.uuidString)
                    .first { DispatchTests.assignee($0) == "451203/county-duty-officer" })
            for _ in 0..<50 {
                let seen = try await apiB.request(
                    .GET, "/v1/tasks/\(task.id.uuidString)", token: DevToken.viewer)
                if seen.status == 200 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for api in [apiA, apiB] {
                    group.addTask {
                        try await api.request(
                            .POST, "/v1/tasks/\(task.id.uuidString)/ack", token: DevToken.officer
                        ).status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [200, 409])
            let acknowledged = try await DispatchTests.events(apiA, type: .taskAcknowledged)
            #expect(acknowledged.count == 1)
        }
    }

    /// A stream ticket issued on one node opens the stream on the other, once: the ticket is kept in the database
    /// (by its SHA-256) and taken with one `DELETE … RETURNING`, so using it again on either node is refused.
    @Test func aTicketFromOneNodeOpensTheStreamOnAnotherOnce() async throws {
        try await Self.twoNodes { a, b, apiA, apiB in
            let filed = try await apiA.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            let lastSeq = try filed.decoded(IncidentCreated.self).lastSeq
            let issued = try await apiA.request(.POST, "/v1/stream-tickets", token: DevToken.viewer)
            #expect(issued.status == 201)
            let ticket = try issued.decoded(StreamTicket.self).ticket
            let frames = try await subscribe(b, after: 0, token: nil, query: "&ticket=\(ticket)")
            #expect(frames.compactMap(\.seq) == Array(1...lastSeq))
            for api in [apiA, apiB] {
                let reused = try await api.request(.GET, "/v1/stream?after=0&ticket=\(ticket)")
                #expect(reused.status == 401)
                #expect(reused.error?.code == "bad_ticket")
            }
        }
    }

    /// Reports filed on two nodes at the same moment get different references: each node hands out the next serial
    /// of its fold, the reference is the report's claim, and the node whose append is refused takes the next one.
    @Test func reportsFiledOnTwoNodesAtOnceGetDifferentReferences() async throws {
        try await Self.twoNodes { _, _, apiA, apiB in
            let apis = [apiA, apiB]
            let references = try await withThrowingTaskGroup(of: [String].self) { group in
                for (index, api) in apis.enumerated() {
                    group.addTask {
                        var references: [String] = []
                        for round in 0..<3 {
                            let reply = try await api.request(
                                .POST, "/v1/incidents", token: DevToken.officer,
                                body: longjiangReport(km: "\(10 * round + index)"))
                            #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
                            references.append(try reply.decoded(IncidentCreated.self).incident.reference)
                        }
                        return references
                    }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(references.count == 6)
            #expect(Set(references).count == 6, "\(references.sorted())")
            #expect(Set(references.map { $0.suffix(4) }) == ["0001", "0002", "0003", "0004", "0005", "0006"])
        }
    }

    /// The database gone under a running node (here dropped, its sessions ended): a report is answered 503
    /// `storage_unreachable`, saying it may or may not have been stored and to send it again with the same
    /// `Idempotency-Key` — not a 500 — and the node still answers its health check.
    @Test func aLostDatabaseIsAnswered503() async throws {
        try await TestCluster.withDatabase { url in
            try await Self.node(url.description) { a in
                let api = try APIClient(a)
                defer { api.close() }
                let admin = try #require(TestCluster.url)
                try await TestCluster.execute("DROP DATABASE \(url.database) WITH (FORCE)", on: admin)
                let reply = try await api.request(
                    .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport(),
                    headers: [("Idempotency-Key", "lost-1")])
                #expect(reply.status == 503, "\(String(decoding: reply.body, as: UTF8.self))")
                #expect(reply.error?.code == "storage_unreachable")
                #expect(try await api.request(.GET, "/healthz").status == 200)
            }
        }
    }
}
