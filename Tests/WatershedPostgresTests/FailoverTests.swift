import Foundation
import Synchronization
import Testing
import WatershedCore
import WatershedPostgres
import WatershedStore
import WatershedTestSupport

/// Runs `Tests/postgres/cluster.sh` with `arguments` and returns the variables its `export` lines set.
func clusterScript(_ arguments: [String]) throws -> [String: String] {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("postgres/cluster.sh")
    // Its output goes to a file, and it runs through system(3): Foundation's Process did not see it end here (the
    // servers it starts inherit the test process's descriptors), and a pipe would never reach its end while they run.
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("cluster-\(UUID().uuidString).out")
    defer { try? FileManager.default.removeItem(at: file) }
    let quoted = ([script.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let status = system("bash " + quoted.joined(separator: " ") + " > '\(file.path)'")
    guard status == 0 else { throw TestClusterScriptFailed(arguments: arguments, status: status) }
    let data = (try? Data(contentsOf: file)) ?? Data()
    var exports: [String: String] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("export ") {
        let pair = line.dropFirst("export ".count).split(separator: "=", maxSplits: 1)
        if pair.count == 2 { exports[String(pair[0])] = String(pair[1]) }
    }
    return exports
}

struct TestClusterScriptFailed: Error, CustomStringConvertible {
    var arguments: [String]
    var status: Int32
    var description: String { "cluster.sh \(arguments.joined(separator: " ")) exited \(status)" }
}

/// What writers saw: each acknowledged append's event id and seq, and how many failed.
final class Acknowledged: Sendable {
    private let state = Mutex<(acked: [(UUID, Int64)], failed: Int)>(([], 0))
    func add(_ stored: StoredEvent) { state.withLock { $0.acked.append((stored.id, stored.seq)) } }
    func fail() { state.withLock { $0.failed += 1 } }
    var acked: [(UUID, Int64)] { state.withLock { $0.acked } }
    var failed: Int { state.withLock { $0.failed } }
}

/// A primary with a synchronous standby, the primary crashed (`pg_ctl stop -m immediate`) under four writers, the
/// standby promoted: the log finds the new primary among its URL's hosts by itself, and no acknowledged append is
/// lost.
@Suite(.enabled(if: TestCluster.url != nil, "WATERSHED_TEST_POSTGRES names no PostgreSQL cluster"), .serialized)
struct FailoverTests {
    @Test(.timeLimit(.minutes(2))) func promotedStandbyTakesOverAndNothingAcknowledgedIsLost() async throws {
        let pair = try clusterScript(["start-pair"])
        let dir = try #require(pair["WATERSHED_PAIR_DIR"])
        defer { _ = try? clusterScript(["stop", dir]) }
        let url = try DatabaseURL(try #require(pair["WATERSHED_PAIR_URL"]))
        let log = try await PostgresEventLog.open(url, logger: TestCluster.logger)
        let seen = Acknowledged()
        let stop = SeenSetting()
        let writers = (0..<4).map { writer in
            Task {
                var number = 0
                while stop.value == nil {
                    number += 1
                    do {
                        seen.add(try await log.append([numbered(writer: writer, number: number)])[0])
                    } catch {
                        seen.fail()
                        try? await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
        }
        // The crash comes once the writers are under way (at least 20 appends acknowledged; bounded for a busy
        // machine, where the first appends with a synchronous standby can take seconds).
        let start = ContinuousClock.now
        while seen.acked.count < 20, ContinuousClock.now < start + .seconds(60) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let beforeCrash = seen.acked.count
        _ = try clusterScript(["stop-primary", dir])
        try await Task.sleep(for: .milliseconds(500))
        _ = try clusterScript(["promote", dir])
        let promoted = seen.acked.count
        let deadline = ContinuousClock.now + .seconds(60)
        while seen.acked.count < promoted + 40, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        stop.set("stop")
        for writer in writers { await writer.value }
        #expect(beforeCrash >= 20)
        #expect(seen.acked.count >= promoted + 40, "the log did not move to the promoted standby")
        // Every acknowledged append is on the new primary, at the seq it was acknowledged with.
        let stored = try await log.events(after: 0, limit: 100_000, incident: nil, exercise: nil)
        let bySeq = Dictionary(uniqueKeysWithValues: stored.map { ($0.seq, $0.id) })
        for (id, seq) in seen.acked { #expect(bySeq[seq] == id, "acknowledged seq \(seq) is not in the log") }
        #expect(stored.map(\.seq) == Array(stride(from: 1, through: Int64(stored.count), by: 1)))
        #expect(try await log.verifyChain() == .intact(count: stored.count, head: Int64(stored.count)))
        print(
            "failover: \(beforeCrash) appends acknowledged before the crash, \(promoted) by the promotion, "
                + "\(seen.failed) failed during the switch, \(seen.acked.count) in all; head \(stored.count)")
        await log.close()
    }
}
