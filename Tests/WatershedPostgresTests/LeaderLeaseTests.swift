import Foundation
import Synchronization
import Testing
import WatershedCore
import WatershedPostgres
import WatershedStore
import WatershedTestSupport

/// The changes a lease reported, as they came.
final class LeaseChanges: Sendable {
    private let seen = Mutex<[(LeaderLease.Change, ContinuousClock.Instant)]>([])

    func follow(_ lease: LeaderLease) -> Task<Void, Never> {
        Task { for await change in lease.changes { seen.withLock { $0.append((change, .now)) } } }
    }

    var changes: [LeaderLease.Change] { seen.withLock { $0.map(\.0) } }

    /// When `change` came, waiting up to `seconds` for it.
    func wait(for change: LeaderLease.Change, seconds: Double = 20) async throws -> ContinuousClock.Instant? {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if let found = seen.withLock({ $0.first { $0.0 == change }?.1 }) { return found }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }
}

/// One leader among nodes on one database: elected once, taken over when it dies or stops answering, fenced when it
/// comes back.
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"))
struct LeaderLeaseTests {
    /// Two nodes: one is elected (epoch 1) and the other is not while it lives; its session killed (as a crashed
    /// process's would end), the other is elected with epoch 2 within 5 s, and the first is told it lost.
    @Test func anotherNodeTakesOverWhenTheLeaderDies() async throws {
        try await TestCluster.withDatabase { url in
            let logs = [
                try await PostgresEventLog.open(url, logger: TestCluster.logger),
                try await PostgresEventLog.open(url, logger: TestCluster.logger),
            ]
            let leases = [LeaderLease(log: logs[0], node: "a"), LeaderLease(log: logs[1], node: "b")]
            let seen = [LeaseChanges(), LeaseChanges()]
            let tasks = zip(leases, seen).flatMap { lease, seen in [Task { await lease.run() }, seen.follow(lease)] }
            let first = try await seen[0].wait(for: .elected(epoch: 1), seconds: 2)
            let leader = first != nil ? 0 : 1
            #expect(try await seen[leader].wait(for: .elected(epoch: 1)) != nil)
            try await Task.sleep(for: .seconds(2))
            #expect(seen[1 - leader].changes.isEmpty, "a second node was elected while the first lived")
            let killed = ContinuousClock.now
            try await TestCluster.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(url.database)' "
                    + "AND application_name = 'watershed lease \(leader == 0 ? "a" : "b")'", on: url)
            let elected = try await seen[1 - leader].wait(for: .elected(epoch: 2))
            let takeover = try #require(elected) - killed
            #expect(takeover < .seconds(5), "takeover took \(takeover)")
            #expect(try await seen[leader].wait(for: .lost) != nil)
            for task in tasks { task.cancel() }
            for log in logs { await log.close() }
        }
    }

    /// The leader stops answering (as under SIGSTOP): the server ends its idle session, the other node is elected
    /// with epoch 2, and the paused node's fenced appends are refused — when it answers again it is told it lost.
    @Test func pausedLeaderIsFencedOut() async throws {
        try await TestCluster.withDatabase { url in
            let logA = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let logB = try await PostgresEventLog.open(url, logger: TestCluster.logger)
            let leaseA = LeaderLease(log: logA, node: "a")
            let seenA = LeaseChanges()
            let tasksA = [Task { await leaseA.run() }, seenA.follow(leaseA)]
            #expect(try await seenA.wait(for: .elected(epoch: 1)) != nil)
            _ = try await logA.append([numbered(writer: 0, number: 0)], fence: 1)
            let leaseB = LeaderLease(log: logB, node: "b")
            let seenB = LeaseChanges()
            let tasksB = [Task { await leaseB.run() }, seenB.follow(leaseB)]
            let paused = ContinuousClock.now
            leaseA.pause(true)
            let elected = try await seenB.wait(for: .elected(epoch: 2))
            let takeover = try #require(elected) - paused
            // idle_session_timeout (3 s) and at most one more second of polling.
            #expect(takeover < .seconds(6), "takeover took \(takeover)")
            await #expect(throws: EventLogError.fenced(epoch: 1, current: 2)) {
                _ = try await logA.append([numbered(writer: 0, number: 1)], fence: 1)
            }
            let led = try await logB.append([numbered(writer: 1, number: 0)], fence: 2)
            #expect(led[0].seq == 2)
            // Unfenced appends (a report filed on A) still go in.
            #expect(try await logA.append([numbered(writer: 0, number: 2)])[0].seq == 3)
            leaseA.pause(false)
            #expect(try await seenA.wait(for: .lost) != nil)
            #expect(seenA.changes == [.elected(epoch: 1), .lost])
            for task in tasksA + tasksB { task.cancel() }
            await logA.close()
            await logB.close()
        }
    }
}
