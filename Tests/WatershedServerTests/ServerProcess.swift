import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import WatershedCore
import WatershedTestSupport

/// A `watershed serve` **process** (the binary built beside the tests), for tests that need two provinces' servers
/// as separate processes: its own province, data directory, ports and certificates.
final class ServerProcess: @unchecked Sendable {
    let province: String
    let data: URL
    let port: Int
    let peerPort: Int
    /// More arguments for `watershed serve` (`--database postgres://…`).
    let extraArguments: [String]
    private var process: Process?
    let output: URL

    var base: String { "https://127.0.0.1:\(port)" }
    var caFile: String { data.appendingPathComponent("tls/ca.pem").path }

    /// The `watershed` executable next to the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("watershed")
    }

    init(province: String, data: URL, port: Int, peerPort: Int, arguments: [String] = []) {
        self.extraArguments = arguments
        self.province = province
        self.data = data
        self.port = port
        self.peerPort = peerPort
        self.output = data.deletingLastPathComponent().appendingPathComponent("\(province)-\(UUID()).log")
    }

    /// Starts the process and waits (up to 60 s) until `/healthz` answers.
    func start() async throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments =
            [
                "serve", "--province", province, "--port", "\(port)", "--peer-port", "\(peerPort)", "--data", data.path,
                "--playbooks", Fixtures.playbooksDirectory.path,
                "--seeds", Fixtures.repositoryRoot.appendingPathComponent("seeds").path, "--log-level", "notice",
            ] + extraArguments
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let handle = try FileHandle(forWritingTo: output)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        for _ in 0..<600 {
            // A new client each time: a server that makes its development CA at start writes it only now.
            let client = try HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration())
            let response = try? await client.execute(HTTPClientRequest(url: base + "/healthz"), timeout: .seconds(2))
            try? await client.shutdown()
            if response?.status == .ok { return }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerProcessError.didNotStart(province, (try? String(contentsOf: output, encoding: .utf8)) ?? "")
    }

    /// SIGTERM, then waits for the exit; the exit status (`nil` if it was not running).
    @discardableResult func stop() -> Int32? {
        guard let process, process.isRunning else { return nil }
        kill(process.processIdentifier, SIGCONT)
        process.terminate()
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }

    /// The process id while it runs (what `watershed_leader.node` names: "host pid N").
    var pid: Int32? { process.map(\.processIdentifier) }

    /// The server as the in-process tests' helpers take it (``APIClient``, ``subscribe(_:after:token:query:live:action:)``).
    var handle: LiveServer.Handle { LiveServer.Handle(port: port, caFile: caFile, data: data) }

    /// Sends `signal` (`SIGKILL`, `SIGSTOP`, `SIGCONT`); after `SIGKILL`, waits for the exit.
    func send(_ signal: Int32) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, signal)
        if signal == SIGKILL {
            process.waitUntilExit()
            self.process = nil
        }
    }

    /// The log so far (for failure messages).
    var log: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }

    private func configuration() throws -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        var tls = TLSConfiguration.makeClientConfiguration()
        if FileManager.default.fileExists(atPath: caFile) {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        }
        configuration.tlsConfiguration = tls
        return configuration
    }

    /// A GET/POST against this server's people's port with a bearer token; the status and body, to read as the
    /// Wire type it answers (``APIClient/Reply/decoded(_:)``).
    func request(
        _ method: HTTPMethod, _ path: String, token: String, body: Data? = nil, headers: [(String, String)] = []
    ) async throws -> APIClient.Reply {
        let client = try HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration())
        defer { client.shutdown { _ in } }
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return APIClient.Reply(
            status: Int(response.status.code), body: Data(buffer: bytes), headers: response.headers)
    }

    /// `GET path` on the people's port, with a bearer token when given: the body as text (`/metrics`, CAP XML).
    func text(_ path: String, token: String? = nil) async throws -> String {
        let client = try HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration())
        defer { client.shutdown { _ in } }
        var request = HTTPClientRequest(url: base + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        let response = try await client.execute(request, timeout: .seconds(30))
        return String(buffer: try await response.body.collect(upTo: 16 << 20))
    }

    /// Waits (up to `seconds`) until this server's link to `peer` is connected (`watershed_peer_link_up`).
    func waitForLink(to peer: String, seconds: Double = 90) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let metrics = try? await text("/metrics"),
                metrics.contains("watershed_peer_link_up{peer=\"\(peer)\"} 1")
            {
                return true
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Every event of the log, via `GET /v1/events` pages, as clients decode them (payloads:
    /// ``StoredEvent/payload(as:)``).
    ///
    /// - Throws: `DecodingError` when a page is not an array of events.
    func events(token: String) async throws -> [StoredEvent] {
        var all: [StoredEvent] = []
        var after: Int64 = 0
        while true {
            let reply = try await request(.GET, "/v1/events?after=\(after)&limit=1000", token: token)
            guard reply.status == 200 else { return all }
            let page = try reply.decoded([StoredEvent].self)
            all += page
            guard page.count == 1000, let last = page.last?.seq else { return all }
            after = last
        }
    }

    deinit { stop() }
}

enum ServerProcessError: Error, CustomStringConvertible {
    case didNotStart(String, String)
    var description: String {
        switch self {
        case .didNotStart(let province, let log): "the \(province) server did not start:\n\(log)"
        }
    }
}
