import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization
import Testing
import WatershedFederation
import WatershedTestSupport
import WatershedWire

@testable import WatershedServer

/// A live server, as ``LiveServer`` runs one, with the connection settings, the logger and the peer port chosen by the
/// test.
enum GuardedServer {
    struct Ports: Sendable {
        let people: Int
        let peer: Int
        let caFile: String
        let data: URL
    }

    static func run<T: Sendable>(
        data: URL, timeouts: ConnectionTimeouts = .init(), logger: Logger = LiveServer.logger,
        clock: any WallClock = SystemWallClock(), scheduler: Bool = false,
        configure: @Sendable (inout ServerConfiguration) -> Void = { _ in },
        _ body: @Sendable (Ports) async throws -> T
    ) async throws -> T {
        let peerPort = try LiveServer.freePort()
        var configuration = LiveServer.configuration(data: data, peerPort: peerPort)
        configuration.connectionTimeouts = timeouts
        configure(&configuration)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let (app, info) = try await buildApplication(
            configuration, logger: logger, clock: clock, runsScheduler: scheduler
        ) { port in
            continuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw CancellationError() }
            do {
                let result = try await body(Ports(people: port, peer: peerPort, caFile: info.caFile!, data: data))
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

    /// A fresh data directory for `body`, removed afterwards.
    static func withData<T: Sendable>(_ body: (URL) async throws -> T) async throws -> T {
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        return try await body(data)
    }
}

/// Connections that never speak, requests the decoder cannot read, clients that do not trust the certificate, HSTS
/// (issue 15, items 2, 3, 14 and 20), against a live server over real TLS on loopback.
@Suite struct ConnectionGuardTests {
    /// One second for each step, so the test sees every timeout fire.
    /// 2 s: short enough to wait for, long enough that a loaded two-core machine (a clean build's test run beside
    /// other work) still completes a prompt handshake and request within it.
    static let short = ConnectionTimeouts(handshake: .seconds(2), firstRequest: .seconds(2), header: .seconds(2))

    /// Item 2's inputs, on both ports: a bare TCP connection, a TLS handshake followed by nothing, half-sent headers.
    /// Each is closed by the server after its timeout (2 s here; 95 s and counting before), and a connection that
    /// sends its request in time is answered.
    @Test func silentConnectionsAreClosedOnBothPorts() async throws {
        try await GuardedServer.withData { data in
            // The peer port needs a client certificate its neighbours' CAs signed: Guangdong's, from a trial set.
            try TrialCertificates.make([.init(code: "450000"), .init(code: "440000")], in: data)
            let guangxi = data.appendingPathComponent("450000")
            try await GuardedServer.run(data: guangxi, timeouts: Self.short) { ports in
                let people = try LiveServer.tls(caFile: ports.caFile)
                var peer = people
                let guangdong = data.appendingPathComponent("440000/tls")
                peer.certificateChain = try NIOSSLCertificate.fromPEMFile(
                    guangdong.appendingPathComponent("peer-client.pem").path
                ).map { .certificate($0) }
                peer.privateKey = .privateKey(
                    try NIOSSLPrivateKey(
                        file: guangdong.appendingPathComponent("peer-client-key.pem").path, format: .pem))

                for (port, tls, name) in [(ports.people, people, "people's port"), (ports.peer, peer, "peer port")] {
                    // A bare TCP connection.
                    // Timed from before the connect: the task may resume well after the connection is up.
                    let opened = ContinuousClock.now
                    let bare = try await RawConnection.connect(port: port)
                    #expect(await bare.closed(within: .seconds(8)), "bare TCP on the \(name)")
                    #expect(ContinuousClock.now - opened >= .milliseconds(1_900), "closed by the timeout, \(name)")

                    // A TLS handshake, then nothing.
                    let silent = try await RawConnection.connect(port: port, tls: tls)
                    #expect(
                        await silent.handshake(within: .seconds(5)), "handshake on the \(name): \(silent.error ?? "")")
                    #expect(await silent.closed(within: .seconds(8)), "TLS then nothing on the \(name)")

                    // Half-sent headers.
                    // Written from the event loop as the connection comes up (the test task may resume after 2 s).
                    let half = try await RawConnection.connect(
                        port: port, tls: tls, first: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
                    #expect(await half.handshake(within: .seconds(5)))
                    #expect(await half.closed(within: .seconds(8)), "half-sent headers on the \(name)")

                    // A request sent in time is answered, and its connection kept for the next one.
                    // Written from the event loop as the connection comes up (NIOSSL sends it as soon as the handshake
                    // ends): the test task may resume after the 2 s limits when the machine is busy.
                    // On a machine busy with other suites (CI runs the PostgreSQL ones beside this), the server's
                    // side of a handshake can itself take longer than the 2 s limit; such an attempt is closed by the
                    // limit, rightly, so it is tried again — up to three times, each one counted only when it
                    // outlived the limit (a prompt connection closed early fails at once).
                    var answered = false
                    for attempt in 1...3 where !answered {
                        let started = ContinuousClock.now
                        let prompt = try await RawConnection.connect(
                            port: port, tls: tls, first: "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        let shook = await prompt.handshake(within: .seconds(5))
                        let answer = shook ? await prompt.response(within: .seconds(5)) : nil
                        prompt.close()
                        answered = answer?.status == 200
                        if !answered {
                            let waited = ContinuousClock.now - started
                            #expect(waited >= .milliseconds(1_900), "prompt request \(attempt) closed early, \(name)")
                            if waited < .milliseconds(1_900) { break }
                        }
                    }
                    #expect(answered, "a prompt request on the \(name)")
                }
            }
        }
    }

    /// Item 3's inputs on the people's port, each on its own connection: the status, the error's `field`, the HSTS
    /// header, and the connection closed after the answer. Expected statuses from RFC 6585 §5 (431), RFC 9112 §3 (414
    /// for a request line over what the server accepts), RFC 9110 §8.6 and RFC 9112 §6.1 (400).
    @Test func unreadableRequestsAreAnsweredAndClosed() async throws {
        let bigHeader = "X-Big: " + String(repeating: "a", count: 81 * 1024) + "\r\n"
        let manyHeaders = (0..<20_000).map { "X-H\($0): v\r\n" }.joined()
        let longURL = "/v1/incidents?q=" + String(repeating: "a", count: 100_000)
        let cases: [(name: String, request: String, status: Int, field: String)] = [
            ("a header over 80 KiB", "GET /healthz HTTP/1.1\r\nHost: a\r\n\(bigHeader)\r\n", 431, "headers"),
            ("20,000 headers", "GET /healthz HTTP/1.1\r\nHost: a\r\n\(manyHeaders)\r\n", 431, "headers"),
            ("a garbage request line", "GARBAGE\r\n\r\n", 400, "requestLine"),
            (
                "Content-Length: -5", "POST /v1/incidents HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n", 400,
                "Content-Length"
            ),
            (
                "both Content-Length and chunked",
                "POST /v1/incidents HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n",
                400, "Transfer-Encoding"
            ),
            ("a 100 KB URL", "GET \(longURL) HTTP/1.1\r\nHost: a\r\n\r\n", 414, "target"),
        ]
        try await GuardedServer.withData { data in
            try await GuardedServer.run(data: data) { ports in
                let tls = try LiveServer.tls(caFile: ports.caFile)
                for item in cases {
                    let connection = try await RawConnection.connect(port: ports.people, tls: tls)
                    #expect(await connection.handshake(within: .seconds(5)))
                    try? await connection.write(item.request)
                    let answer = await connection.response(within: .seconds(10))
                    #expect(answer?.status == item.status, "\(item.name)")
                    let error = answer.flatMap { try? decode(ErrorBody.self, from: Data($0.body.utf8)).error }
                    #expect(error?.field == item.field, "\(item.name): \(answer?.body ?? "no answer")")
                    #expect(answer?.headers["connection"] == "close", "\(item.name)")
                    #expect(answer?.headers["strict-transport-security"] == "max-age=31536000", "\(item.name)")
                    #expect(await connection.closed(within: .seconds(5)), "\(item.name): the connection is closed")
                }
                // And the server still answers.
                let api = try APIClient(LiveServer.Handle(port: ports.people, caFile: ports.caFile, data: data))
                defer { api.close() }
                #expect(try await api.request(.GET, "/healthz").status == 200)
            }
        }
    }

    /// Item 20: a client that does not trust the server's certificate makes the server log one line per attempt,
    /// below error level, with the client's address and the reason — and nothing at error level. (Before: 12 `error`
    /// lines "Error handling upgrade result … Inappropriate operation for state" per CLI attempt.) A silent
    /// connection's close is logged at debug only.
    @Test func failedHandshakesAreOneInfoLineEach() async throws {
        let log = CapturedLog()
        try await GuardedServer.withData { data in
            try await GuardedServer.run(data: data, logger: log.logger(level: .debug)) { ports in
                // The default trust roots (the system's) do not hold the development CA.
                var untrusting = TLSConfiguration.makeClientConfiguration()
                untrusting.certificateVerification = .fullVerification
                for _ in 0..<3 {
                    let connection = try await RawConnection.connect(port: ports.people, tls: untrusting)
                    #expect(!(await connection.handshake(within: .seconds(5))))
                    #expect(await connection.closed(within: .seconds(5)))
                }
                // The server's side of the last failure is logged just after the client's.
                for _ in 0..<100 where log.all.filter({ $0.message.hasPrefix("TLS handshake failed") }).count < 3 {
                    try await Task.sleep(for: .milliseconds(20))
                }
                let api = try APIClient(LiveServer.Handle(port: ports.people, caFile: ports.caFile, data: data))
                defer { api.close() }
                let metrics = try await api.request(.GET, "/metrics")
                let text = String(decoding: metrics.body, as: UTF8.self)
                #expect(text.contains(#"watershed_tls_handshake_failures_total{listener="people"} 3"#), "\(text)")
            }
        }
        let failures = log.all.filter { $0.message == "TLS handshake failed on the people's port" }
        #expect(failures.count == 3)
        for line in failures {
            #expect(line.level == .info)
            #expect(line.metadata["peer"]?.hasPrefix("127.0.0.1:") == true, "\(line.metadata)")
            // BoringSSL's reason for the client's alert: it does not know the CA that signed the certificate.
            #expect(line.metadata["reason"]?.contains("TLSV1_ALERT_UNKNOWN_CA") == true, "\(line.metadata)")
        }
        let loud = log.all.filter { $0.level >= .error }
        #expect(loud.isEmpty, "\(loud.map(\.message))")
        #expect(!log.all.contains { $0.message.contains("Error handling upgrade result") })
    }

    /// Item 20 with the issue's client: `watershed incidents` without `--ca` (it does not trust the development CA)
    /// exits 3, and the server logs one info line per connection the client tried (the CLI tries several: 12 here,
    /// as in the issue) — as many lines as `watershed_tls_handshake_failures_total` counts failed handshakes; no
    /// error lines, none of hummingbird-websocket's "Error handling upgrade result". (Counting distinct client ports
    /// instead failed once in CI: a port freed by a closed attempt can be taken again by a later one.)
    @Test func theCLIWithoutTheCALeavesOneLinePerAttempt() async throws {
        let log = CapturedLog()
        let counted = Mutex<Int?>(nil)
        @Sendable func failures() -> [CapturedLog.Line] {
            log.all.filter { $0.message == "TLS handshake failed on the people's port" }
        }
        try await GuardedServer.withData { data in
            try await GuardedServer.run(data: data, logger: log.logger(level: .debug)) { ports in
                let result = await watershed([
                    "incidents", "--server", "https://127.0.0.1:\(ports.people)", "--token", DevToken.viewer,
                ])
                #expect(result.code == 3, "\(result.err)")
                let api = try APIClient(LiveServer.Handle(port: ports.people, caFile: ports.caFile, data: data))
                defer { api.close() }
                let metric = #"watershed_tls_handshake_failures_total{listener="people"} "#
                // The server's side of the last failures is logged just after the client gives up.
                for _ in 0..<100 {
                    let text = String(decoding: try await api.request(.GET, "/metrics").body, as: UTF8.self)
                    let now = text.split(separator: "\n").first { $0.hasPrefix(metric) }
                        .flatMap { Int($0.dropFirst(metric.count)) }
                    counted.withLock { $0 = now }
                    if let now, now > 0, failures().count == now { break }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        let failures = failures()
        #expect(!failures.isEmpty)
        #expect(failures.count == counted.withLock { $0 }, "one line per failed handshake")
        #expect(failures.allSatisfy { $0.level == .info && $0.metadata["peer"]?.hasPrefix("127.0.0.1:") == true })
        #expect(failures.allSatisfy { $0.metadata["reason"] == "TLSV1_ALERT_UNKNOWN_CA" })
        #expect(
            log.all.filter { $0.level >= .error }.isEmpty, "\(log.all.filter { $0.level >= .error }.map(\.message))")
        #expect(!log.all.contains { $0.message.contains("Error handling upgrade result") })
    }

    /// Item 14: every answer of the people's port carries HSTS (RFC 6797 §6.1, one year), errors included.
    @Test func peoplesPortSendsHSTS() async throws {
        try await LiveServer.withAPI { handle, api in
            for (path, status) in [("/healthz", 200), ("/v1/me", 401), ("/no/such/route", 404)] {
                var request = HTTPClientRequest(url: handle.base + path)
                request.method = .GET
                let response = try await api.client.execute(request, timeout: .seconds(10))
                #expect(Int(response.status.code) == status, "\(path)")
                #expect(response.headers["Strict-Transport-Security"] == ["max-age=31536000"], "\(path)")
            }
        }
    }

    /// The default cap admits the benchmark's 10,000 subscribers on a host whose hard limit is 20,000 (this one's,
    /// `ulimit -Hn`) with a hundred descriptors already open; and a limit of 256 leaves 256 − 40 − 128 = 88.
    @Test func defaultCapAdmitsTenThousandSubscribers() {
        #expect(ServerConfiguration().maxConnections == 16_384)
        #expect(DescriptorLimit.connectionCap(configured: 16_384, soft: 20_000, open: 100) == 16_384)
        #expect(DescriptorLimit.connectionCap(configured: 16_384, soft: 256, open: 40) == 88)
        #expect(DescriptorLimit.connectionCap(configured: 50, soft: 256, open: 40) == 50)
    }
}
