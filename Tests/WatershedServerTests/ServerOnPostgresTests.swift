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
        try await TestCluster.withDatabase { url in
            try await Self.node(url.description) { a in
                try await Self.node(url.description) { b in
                    let apiA = try APIClient(a)
                    let apiB = try APIClient(b)
                    defer {
                        apiA.close()
                        apiB.close()
                    }
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
                    // B reads its own write at once; A gets it within the poll.
                    let own = try await apiB.request(
                        .GET, "/v1/incidents/\(onB.incident.id.uuidString)", token: DevToken.viewer)
                    #expect(own.status == 200)
                    let streamedOnA = try await subscribe(a, after: onA.lastSeq)
                    let streamedOnB = try await subscribe(b, after: onA.lastSeq)
                    #expect(streamedOnB.compactMap(\.seq) == Array(onB.firstSeq...onB.lastSeq))
                    #expect(streamedOnA == streamedOnB)
                }
            }
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
}
