import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import ServiceLifecycle
import Testing
import WatershedFederation
import WatershedServer
import WatershedTestSupport

/// A real server on loopback over TLS (port 0, a temporary data directory, the repository's
/// playbooks and seeds), run for the length of `body` and then shut down gracefully.
enum LiveServer {
    static let logger: Logger = {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return logger
    }()

    struct Handle: Sendable {
        let port: Int
        let caFile: String
        let data: URL
        /// The API routes of the people's port and of the peer port (``ServerStartInfo/routes``).
        var routes: [String] = []
        var peerRoutes: [String] = []
        var base: String { "https://127.0.0.1:\(port)" }
    }

    static func configuration(
        data: URL, port: Int = 0, peerPort: Int = 0, province: String = "450000"
    ) -> ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.province = province
        configuration.port = port
        configuration.peerPort = peerPort
        configuration.data = data.path
        configuration.playbooks = Fixtures.playbooksDirectory.path
        configuration.seeds = Fixtures.repositoryRoot.appendingPathComponent("seeds").path
        configuration.logLevel = "warning"
        return configuration
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a server on `data` while `body` runs. The deadline scheduler runs only when asked (`scheduler`): the
    /// tests' incidents are historic (2012), so their report deadlines have passed, and a scheduler firing them
    /// would append events while other tests count theirs. `province` picks `seeds/<province>/`; `peerPort` is the
    /// peer port (0: any free one, unknown to the test).
    static func run<T: Sendable>(
        data: URL, port: Int = 0, peerPort: Int = 0, province: String = "450000",
        clock: any WallClock = SystemWallClock(), scheduler: Bool = false, _ body: @Sendable (Handle) async throws -> T
    ) async throws -> T {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let (app, info) = try await buildApplication(
            configuration(data: data, port: port, peerPort: peerPort, province: province), logger: logger,
            clock: clock,
            runsScheduler: scheduler
        ) {
            port in
            continuation.yield(port)
        }
        let group = ServiceGroup(configuration: .init(services: [app, info.streamDrain], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                // A server that ends before it listens (a failed start) ends the wait for its port below, so the
                // test fails with the server's error instead of waiting forever.
                defer { continuation.finish() }
                try await group.run()
                return nil
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else {
                try await tasks.waitForAll()
                throw LiveServerError.endedBeforeListening
            }
            do {
                let handle = Handle(
                    port: port, caFile: info.caFile!, data: data, routes: info.routes, peerRoutes: info.peerRoutes)
                let result = try await body(handle)
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

    /// Runs a server on a fresh temporary data directory (removed afterwards) with an ``APIClient`` for it, while
    /// `body` runs — the frame of most live tests.
    static func withAPI<T: Sendable>(
        clock: any WallClock = SystemWallClock(), scheduler: Bool = false,
        _ body: @Sendable (Handle, APIClient) async throws -> T
    ) async throws -> T {
        let data = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        return try await run(data: data, clock: clock, scheduler: scheduler) { handle in
            let api = try APIClient(handle)
            defer { api.close() }
            return try await body(handle, api)
        }
    }

    /// A port free on 127.0.0.1 right now (for a server restarted on the same port).
    static func freePort() throws -> Int { try LoopbackPort.free() }

    /// TLS that trusts only the server's development CA.
    static func tls(caFile: String) throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        tls.certificateVerification = .fullVerification
        return tls
    }
}

/// A tiny HTTPS client over AsyncHTTPClient that trusts the test CA.
struct APIClient: Sendable {
    let handle: LiveServer.Handle
    let client: HTTPClient

    init(_ handle: LiveServer.Handle) throws {
        self.handle = handle
        var configuration = HTTPClient.Configuration()
        configuration.tlsConfiguration = try LiveServer.tls(caFile: handle.caFile)
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func shutdown() async throws { try await client.shutdown() }

    /// Shuts the client down without waiting (for `defer`).
    func close() { client.shutdown { _ in } }

    struct Reply: Sendable {
        let status: Int
        let body: Data
        var headers: HTTPHeaders = [:]
    }

    func request(
        _ method: HTTPMethod, _ path: String, token: String? = nil, body: Data? = nil, headers: [(String, String)] = []
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: handle.base + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: Data(buffer: bytes), headers: response.headers)
    }
}

/// Development tokens from seeds/450000/README.md.
enum DevToken {
    static let viewer = "wsd-dev-viewer-gx"
    static let officer = "wsd-dev-officer-yizhou"
    static let commander = "wsd-dev-commander-gx"
    static let drill = "wsd-dev-drill-liuzhou"
}

/// The 2012 Longjiang initial report as a client sends it.
func longjiangReport(
    massKg: String = "21000", km: String = "0", river: String = "longjiang",
    discoveredAt: String = "2012-01-15T08:00:00+08:00"
)
    -> Data
{
    Data(
        """
        {"discoveredAt":"\(discoveredAt)","place":{"river":{"id":"\(river)","km":\(km)}},
         "informationSource":"fish deaths reported by Lalang reservoir staff",
         "cause":"cadmium discharge through karst caves","pollutant":"cadmium",
         "release":{"instantaneous":{"massKg":\(massKg)}},"monitoring":[],
         "casualties":{"deaths":0,"poisonedOrInjured":0,"evacuated":0},"sensitivePointsAffected":[],
         "measuresTaken":[],"triggers":[],"signature":{"reportingUnit":"451203","signingOfficer":"Director Wei",
         "contactName":"Li Ming","contactPhone":"0778-1234567"}}
        """.utf8)
}

/// Tests that load the two-core machine for a minute or more — the slow-client test (20,000 events, a stalled
/// socket) and the demo (three processes) — run one at a time: each measures something the other's load distorts.
actor HeavyTests {
    static let shared = HeavyTests()
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty { busy = false } else { waiters.removeFirst().resume() }
    }

    /// Runs `body` when no other heavy test runs.
    static func exclusive<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await shared.acquire()
        do {
            let result = try await body()
            await shared.release()
            return result
        } catch {
            await shared.release()
            throw error
        }
    }
}

/// Why ``LiveServer/run(data:port:peerPort:province:clock:scheduler:_:)`` could not hand a server to its body.
enum LiveServerError: Error {
    /// The application ended without error before it listened.
    case endedBeforeListening
}
