import Foundation
import Logging
import ServiceLifecycle
import Testing
import WatershedFederation
import WatershedServer
import WatershedStore
import WatershedTestSupport
import WatershedWire

#if canImport(Glibc)
    import Glibc
#endif

/// Operating faults (issue 15, items 15–18): the data directory's modes and lock, a broken chain at start, a full
/// disk — on live servers, in this process and as `watershed` processes.
@Suite struct OperatingFaultTests {
    /// Runs the `watershed` binary built beside the tests with `arguments`, waiting at most `timeout` for it to end
    /// (then it is killed and the test fails); its standard output and error together.
    static func runBinary(_ arguments: [String], timeout: Duration = .seconds(60)) async throws -> (
        code: Int32, output: String
    ) {
        let process = Process()
        process.executableURL = ServerProcess.executable
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-run-\(UUID()).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        defer { try? handle.close() }
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            Issue.record("watershed \(arguments.joined(separator: " ")) did not end within \(timeout)")
        }
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// `watershed serve` arguments for the data directory `data`, on free ports.
    static func serveArguments(_ data: URL) -> [String] {
        [
            "serve", "--port", "0", "--peer-port", "0", "--data", data.path,
            "--playbooks", Fixtures.playbooksDirectory.path,
            "--seeds", Fixtures.repositoryRoot.appendingPathComponent("seeds").path, "--log-level", "info",
        ]
    }

    /// As ``LiveServer/run(data:port:peerPort:province:clock:scheduler:_:)``, started with `allowBrokenChain`.
    static func runAllowingBrokenChain<T: Sendable>(
        data: URL, _ body: @Sendable (LiveServer.Handle) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let (app, info) = try await buildApplication(
            LiveServer.configuration(data: data), logger: LiveServer.logger, runsScheduler: false,
            allowBrokenChain: true
        ) { port in continuation.yield(port) }
        let group = ServiceGroup(configuration: .init(services: [app], logger: LiveServer.logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body(LiveServer.Handle(port: port, caFile: info.caFile!, data: data))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return result
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
        }
    }

    /// The permission bits of `path`.
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require((attributes[.posixPermissions] as? NSNumber)?.intValue)
    }

    /// Item 17: while a server runs on a data directory, a second `watershed serve` on it exits 1 naming this
    /// process's pid (and so does a second server in this process); `audit verify` still runs; once the first has
    /// stopped, the directory can be served again.
    @Test func secondServerOnOneDataDirectoryExitsNamingThePid() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        try await LiveServer.run(data: data) { handle in
            let holder = "in use by process \(getpid())"
            let second = try await Self.runBinary(Self.serveArguments(data))
            #expect(second.code == 1, "\(second.output)")
            #expect(second.output.contains(holder), "\(second.output)")
            #expect(!second.output.contains("listening on"), "\(second.output)")

            do {
                _ = try await buildApplication(LiveServer.configuration(data: data), logger: LiveServer.logger)
                Issue.record("a second server in this process started on the same data directory")
            } catch let error as ServerStartupError {
                #expect(error.description.contains(holder), "\(error)")
            }

            let audit = try await Self.runBinary(["audit", "verify", "--data", data.path])
            #expect(audit.code == 0, "\(audit.output)")
            #expect(audit.output.hasPrefix("chain intact: "), "\(audit.output)")

            let api = try APIClient(handle)
            defer { api.close() }
            #expect(try await api.request(.GET, "/healthz").status == 200)
        }
        // The lock went with the first server.
        let again = try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            return try await api.request(.GET, "/healthz").status
        }
        #expect(again == 200)
    }

    /// Item 15: under a 022 umask (files 0644, folders 0755 by default), a served data directory is 0700 — an
    /// existing 0755 one narrowed — and the log, its WAL files, the lock, the key and the checkpoint are 0600.
    @Test func dataDirectoryAndLogArePrivate() async throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        #expect(try Self.mode(data.path) == 0o755)
        let sqlite = data.appendingPathComponent("watershed.sqlite").path
        try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            _ = try await api.file(longjiangReport())
            #expect(try Self.mode(data.path) == 0o700)
            for file in [sqlite, sqlite + "-wal", sqlite + "-shm"] {
                #expect(try Self.mode(file) == 0o600, "\(file)")
            }
            #expect(try Self.mode(data.appendingPathComponent(DataDirectory.lockFileName).path) == 0o600)
            #expect(try Self.mode(data.appendingPathComponent("tls/server-key.pem").path) == 0o600)
        }
        #expect(try Self.mode(ChainCheckpoint.file(in: data.path)) == 0o600)
    }

    /// Item 16: the newest events deleted from a stopped server's log (the chain still consistent with itself): the
    /// next start refuses, naming the first missing seq and the way on; `--allow-broken-chain` starts and moves the
    /// checkpoint to the head, after which a plain start works.
    @Test func startRefusesALogMissingItsNewestEvents() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let head = try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            _ = try await api.file(longjiangReport())
            return try await api.head()
        }
        #expect(head > 3)
        // The final flush at shutdown holds the head.
        let checkpoint = try #require(try ChainCheckpoint.read(directory: data.path))
        #expect(checkpoint.latest?.seq == head)

        do {
            let log = try EventLog.open(path: data.appendingPathComponent("watershed.sqlite").path)
            try await log.writer.writeWithoutTransaction { db in
                try db.execute(sql: "DROP TRIGGER event_no_delete")
                try db.execute(sql: "DELETE FROM event WHERE seq > ?", arguments: [head - 2])
            }
            #expect(try log.verifyChain() == .intact(count: Int(head - 2), head: head - 2))
        }

        let refused = try await Self.runBinary(Self.serveArguments(data))
        #expect(refused.code == 1, "\(refused.output)")
        #expect(refused.output.contains("hash chain is broken at seq \(head - 1)"), "\(refused.output)")
        #expect(refused.output.contains("seqs \(head - 1)…\(head) are missing"), "\(refused.output)")
        #expect(refused.output.contains("--allow-broken-chain"), "\(refused.output)")
        #expect(refused.output.contains("watershed audit checkpoint --reset --data \(data.path)"), "\(refused.output)")
        #expect(!refused.output.contains("listening on"), "\(refused.output)")

        let audit = try await Self.runBinary(["audit", "verify", "--data", data.path])
        #expect(audit.code == 1)
        #expect(audit.output.hasPrefix("chain broken at seq \(head - 1): the log ends at seq \(head - 2)"))

        // Started anyway: it serves the log as it is and the checkpoint moves to its head.
        let allowed = try await Self.runAllowingBrokenChain(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            return try await api.head()
        }
        #expect(allowed == head - 2)
        #expect(try ChainCheckpoint.read(directory: data.path)?.latest?.seq == head - 2)
        let plain = try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            return try await api.head()
        }
        #expect(plain == head - 2)
    }

    /// Item 18, on a real full file system: the data directory on a 6 MiB tmpfs (mounted here; the tests run as
    /// root), filled to the last page with a file. A report then answers 503 with `storage_full` in the JSON error
    /// body, nothing is stored, `/metrics` counts it, `watershed report` says the storage is full; once the
    /// file is removed the same report is stored.
    @Test(.enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root"))
    func fullDiskAnswers503StorageFull() async throws {
        let mount = try Tmpfs(sizeMiB: 6)
        defer { mount.unmount() }
        let data = mount.path.appendingPathComponent("data")
        try await LiveServer.run(data: data) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            let head = try await api.head()
            let filler = mount.path.appendingPathComponent("filler")
            let written = try Tmpfs.fill(filler.path)
            #expect(written > 0)

            let full = try await api.request(.POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(full.status == 503, "\(String(decoding: full.body, as: UTF8.self))")
            #expect(full.error?.code == "storage_full")
            let body = try full.decoded(ErrorBody.self)
            #expect(body.error.message.contains("storage is full"))
            #expect(try await api.head() == head)
            let metrics = String(decoding: try await api.request(.GET, "/metrics").body, as: UTF8.self)
            #expect(metrics.contains(#"watershed_storage_failures_total{kind="full"} 1"#), "\(metrics)")
            // The CLI, in-process, against the same full server: exit 1 and the sentence.
            let reportFile = try ClientCommandTests.file(longjiangReport())
            defer { try? FileManager.default.removeItem(atPath: reportFile) }
            let cli = await watershed(
                ["report", "initial", "--file", reportFile] + ClientCommandTests.flags(handle, token: DevToken.officer))
            #expect(cli.code == 1, "\(cli.err)")
            #expect(
                cli.err.contains("the server's storage is full (storage_full): nothing was stored"), "\(cli.err)")
            #expect(try await api.head() == head)

            try FileManager.default.removeItem(at: filler)
            let stored = try await api.request(
                .POST, "/v1/incidents", token: DevToken.officer, body: longjiangReport())
            #expect(stored.status == 201, "\(String(decoding: stored.body, as: UTF8.self))")
            #expect(try await api.head() > head)
        }
    }
}

/// A small tmpfs mounted on a temporary folder, for a real full file system.
struct Tmpfs {
    let path: URL

    /// Whether this process may mount one (it is root, and a probe mount works).
    static let canMount: Bool = {
        guard geteuid() == 0, let probe = try? Tmpfs(sizeMiB: 1) else { return false }
        probe.unmount()
        return true
    }()

    /// Mounts a tmpfs of `sizeMiB` MiB on a new temporary folder.
    init(sizeMiB: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-tmpfs-\(UUID())")
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        let status = Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeMiB)m", "tmpfs", path.path])
        guard status == 0 else {
            try? FileManager.default.removeItem(at: path)
            throw CocoaError(.fileWriteNoPermission)
        }
    }

    /// Unmounts and removes the folder. A file the server's last connections still hold makes `umount` busy for a
    /// moment: it is tried for up to 5 s, then detached lazily (`umount -l`), so no mount is left behind.
    func unmount() {
        var status = Self.run("/bin/umount", [path.path])
        for _ in 0..<50 where status != 0 {
            usleep(100_000)
            status = Self.run("/bin/umount", [path.path])
        }
        if status != 0 { _ = Self.run("/bin/umount", ["-l", path.path]) }
        try? FileManager.default.removeItem(at: path)
    }

    /// Writes zeros into a new file at `path` until the file system is full (4 KiB at a time at the end, a tmpfs
    /// page); the bytes written.
    static func fill(_ path: String) throws -> Int {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        var total = 0
        for size in [1 << 20, 1 << 12, 1] {
            let chunk = [UInt8](repeating: 0, count: size)
            // Bounded: a 6 MiB file system takes at most 6 MiB / size writes.
            for _ in 0..<(8 << 20) / size {
                let count = chunk.withUnsafeBytes { write(descriptor, $0.baseAddress, size) }
                guard count > 0 else { break }
                total += count
            }
        }
        return total
    }

    private static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
