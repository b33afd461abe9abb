import Foundation
import Testing
import WatershedServer
import WatershedTestSupport

/// What the binary says it is, and the process figures in `/metrics` (issue 20).
@Suite struct BuildInfoTests {
    /// A checkout's HEAD on a branch, found loose or packed; a detached HEAD; nothing else.
    @Test func theCommitIsReadFromTheCheckout() throws {
        let git = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-git-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: git) }
        try FileManager.default.createDirectory(
            at: git.appendingPathComponent("refs/heads"), withIntermediateDirectories: true)
        let loose = String(repeating: "ab", count: 20)
        let packed = String(repeating: "cd", count: 20)
        try "ref: refs/heads/main\n".write(to: git.appendingPathComponent("HEAD"), atomically: true, encoding: .utf8)
        try "\(loose)\n".write(to: git.appendingPathComponent("refs/heads/main"), atomically: true, encoding: .utf8)
        #expect(BuildInfo.gitHead(git) == loose)
        try FileManager.default.removeItem(at: git.appendingPathComponent("refs/heads/main"))
        try "# pack-refs with: peeled\n\(packed) refs/heads/main\n".write(
            to: git.appendingPathComponent("packed-refs"), atomically: true, encoding: .utf8)
        #expect(BuildInfo.gitHead(git) == packed)
        try "\(loose)\n".write(to: git.appendingPathComponent("HEAD"), atomically: true, encoding: .utf8)
        #expect(BuildInfo.gitHead(git) == loose)
        try "ref: refs/heads/other\n".write(to: git.appendingPathComponent("HEAD"), atomically: true, encoding: .utf8)
        #expect(BuildInfo.gitHead(git) == nil)
    }

    /// The tests run from the repository's checkout: the commit is its HEAD's first 12 digits.
    @Test func theTestBinarysCommitIsTheCheckoutsHead() throws {
        let head = try #require(BuildInfo.gitHead(Fixtures.repositoryRoot.appendingPathComponent(".git")))
        #expect(BuildInfo.commit == String(head.prefix(12)))
        #expect(BuildInfo.description == "watershed \(BuildInfo.version) (commit \(head.prefix(12)))")
    }

    @Test func metricsCarryTheBuildAndTheProcess() async throws {
        let started = Date()
        try await LiveServer.withAPI { _, api in
            let text = String(decoding: try await api.request(.GET, "/metrics").body, as: UTF8.self)
            var values: [String: Double] = [:]
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
            }
            #expect(
                values[#"watershed_build_info{version="\#(BuildInfo.version)",commit="\#(BuildInfo.commit)"}"#] == 1,
                "\(text.prefix(3_000))")
            // The test process: tens of MB resident, some descriptors open, a limit above them, some CPU used,
            // started before this test (and not a day before).
            #expect((values["process_resident_memory_bytes"] ?? 0) > 10_000_000)
            #expect((values["process_virtual_memory_bytes"] ?? 0) > (values["process_resident_memory_bytes"] ?? 0))
            #expect((values["process_open_fds"] ?? 0) > 3)
            #expect((values["process_max_fds"] ?? 0) > (values["process_open_fds"] ?? 0))
            #expect((values["process_cpu_seconds_total"] ?? 0) > 0)
            let start = values["process_start_time_seconds"] ?? 0
            #expect(start <= started.timeIntervalSince1970 + 1)
            #expect(start > started.timeIntervalSince1970 - 86_400)
        }
    }
}
