import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import WatershedTestSupport

@testable import WatershedServer

/// The built `watershed serve` under a low descriptor limit (issue 15, item 2), and a port in use (item 19).
@Suite(.serialized) struct ConnectionLimitTests {
    /// Runs `watershed serve` under `sh -c "ulimit …"` with its output in a file.
    final class LimitedServer: @unchecked Sendable {
        let process = Process()
        let output: URL
        let data: URL
        let port: Int
        let peerPort: Int

        init(limits: String, data: URL) throws {
            self.data = data
            port = try LiveServer.freePort()
            peerPort = try LiveServer.freePort()
            output = data.appendingPathComponent("serve.log")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            let handle = try FileHandle(forWritingTo: output)
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", "\(limits) && exec \"$0\" \"$@\"", ServerProcess.executable.path,
                "serve", "--port", "\(port)", "--peer-port", "\(peerPort)", "--data", data.path,
                "--playbooks", Fixtures.playbooksDirectory.path,
                "--seeds", Fixtures.repositoryRoot.appendingPathComponent("seeds").path, "--log-level", "info",
            ]
            process.standardOutput = handle
            process.standardError = handle
            try process.run()
        }

        var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

        /// Waits (up to 90 s: a debug build loads the playbooks slowly) for "listening on".
        func waitListening() async throws {
            for _ in 0..<900 where process.isRunning {
                if log.contains("listening on") { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            Issue.record("the server did not start:\n\(log)")
            throw CancellationError()
        }

        func stop() {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }

        deinit { stop() }
    }

    /// Under a hard limit of 256 descriptors (soft 128 at start): the server raises the soft limit to 256 and says
    /// so, keeps its cap below it, and when more connections come than the cap allows, closes the new ones at once
    /// (counted, one warning) while the five connections it was already serving are answered again — and it stays up.
    /// Without the cap, accept() failed once descriptors ran out and every new request timed out (1,100 connections
    /// under `ulimit -n 1024` in the issue), or the process died.
    @Test func lowDescriptorLimitRefusesNewConnectionsAndServesOpenOnes() async throws {
        try await HeavyTests.exclusive { try await lowDescriptorLimit() }
    }

    func lowDescriptorLimit() async throws {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let server = try LimitedServer(limits: "ulimit -S -n 128 && ulimit -H -n 256", data: data)
        defer { server.stop() }
        try await server.waitListening()

        // "descriptor limit: soft 256 (was 128), hard 256; connection cap N (maxConnections 16384 lowered: …)".
        let log = server.log
        #expect(log.contains("descriptor limit: soft 256 (was 128), hard 256"), "\(log)")
        let capText = try #require(
            log.components(separatedBy: "connection cap ").dropFirst().first?.prefix { $0.isNumber })
        let cap = try #require(Int(capText))
        // 256 − the descriptors open at start (at least stdin, stdout, stderr, the log's three files) − 128 kept back.
        #expect(cap > 0 && cap <= 256 - 6 - 128, "cap \(cap)")

        let tls = try LiveServer.tls(caFile: data.appendingPathComponent("tls/ca.pem").path)
        // Five connections being served: each has had an answer and is kept alive for the next request.
        var served: [RawConnection] = []
        for _ in 0..<5 {
            let connection = try await RawConnection.connect(port: server.port, tls: tls)
            #expect(await connection.handshake(within: .seconds(10)))
            try await connection.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await connection.response(within: .seconds(10))?.status == 200)
            served.append(connection)
        }

        // More new connections than the cap leaves, all at once (bare TCP: each costs the server a descriptor once
        // accepted; the server closes the admitted ones after the 10 s handshake timeout, so this is counted well
        // before that).
        let extra = 60
        let flood = await withTaskGroup(of: RawConnection?.self) { group in
            for _ in 0..<(cap + extra) {
                group.addTask { try? await RawConnection.connect(port: server.port) }
            }
            var connections: [RawConnection] = []
            for await connection in group { if let connection { connections.append(connection) } }
            return connections
        }
        for _ in 0..<150 where flood.filter({ !$0.channel.isActive }).count < extra {
            try await Task.sleep(for: .milliseconds(20))
        }
        let closed = flood.filter { !$0.channel.isActive }.count
        let open = flood.count - closed
        // The cap holds the 5 served and at most cap − 5 of the flood; the rest are closed.
        #expect(flood.count == cap + extra, "every connect succeeded (accept kept working)")
        #expect(open <= cap - 5, "open \(open), cap \(cap)")
        #expect(closed >= extra, "closed \(closed) of \(flood.count)")
        #expect(open >= cap - 5 - 10, "the flood filled the cap: open \(open)")

        // The served connections are still served at the cap.
        for connection in served {
            try await connection.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        }
        for connection in served {
            let answers = String(decoding: try await Self.bytes(connection, count: 2), as: UTF8.self)
            #expect(answers.components(separatedBy: "HTTP/1.1 200").count - 1 == 2, "\(answers)")
        }
        #expect(server.process.isRunning)

        for connection in flood { connection.close() }
        try await Task.sleep(for: .milliseconds(500))
        // Room again: a new connection is served, and the refusals were counted.
        let fresh = try await RawConnection.connect(port: server.port, tls: tls)
        #expect(await fresh.handshake(within: .seconds(10)))
        try await fresh.write("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let metrics = try #require(await fresh.response(within: .seconds(10)))
        #expect(metrics.status == 200)
        let refusedLine = metrics.body.split(separator: "\n").first {
            $0.hasPrefix(#"watershed_connections_refused_total{listener="people"} "#)
        }
        let refused = refusedLine.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
        #expect(refused >= closed, "\(refusedLine ?? "no refused counter in: \(metrics.headers) \(metrics.body)")")
        // One warning for the whole flood (at most one per 10 s).
        let warnings = server.log.components(separatedBy: "connection cap reached").count - 1
        #expect(warnings == 1, "\(server.log)")
        #expect(server.process.isRunning)
        for connection in served + [fresh] { connection.close() }
    }

    /// What has arrived on `connection` once `count` whole responses to `GET /healthz` are in (each ends with its
    /// body, "ok\n"), waiting up to 10 s.
    static func bytes(_ connection: RawConnection, count: Int) async throws -> [UInt8] {
        for _ in 0..<500 {
            let text = String(decoding: connection.received, as: UTF8.self)
            if text.components(separatedBy: "\r\n\r\nok\n").count - 1 >= count { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        return connection.received
    }

    /// Item 19: a port in use stops `serve` with exit 1 and a sentence naming the port and the listener, before it
    /// says "listening on" — for the people's port and for the peer port.
    @Test func portInUseNamesTheListener() async throws {
        let busy = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        defer { busy.close(promise: nil) }
        let busyPort = try #require(busy.localAddress?.port)
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let common = [
            "serve", "--data", data.path, "--playbooks", Fixtures.playbooksDirectory.path,
            "--seeds", Fixtures.repositoryRoot.appendingPathComponent("seeds").path, "--log-level", "warning",
        ]
        let free = try LiveServer.freePort()
        for (flags, listener) in [
            (["--port", "\(busyPort)", "--peer-port", "\(free)"], "people's port"),
            (["--port", "\(free)", "--peer-port", "\(busyPort)"], "peer port"),
        ] {
            let result = await watershed(common + flags)
            #expect(result.code == 1, "\(listener): \(result.err)")
            #expect(
                result.err.contains("the \(listener) 127.0.0.1:\(busyPort) is in use"), "\(listener): \(result.err)")
            #expect(!result.out.contains("listening on"), "\(listener): \(result.out)")
        }
    }
}
