import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL
import WatershedCore
import WatershedWire

/// A typed client for a Watershed server's HTTP API (DESIGN.md "HTTP API") and its live stream
/// (``follow(after:incident:exercise:reconnect:onUpdate:)``), over TLS that trusts the system's CAs or the one CA
/// file given (``Configuration/caFile``).
///
/// Every call throws ``WatershedClientError``: a refusal carries the server's ``ErrorBody``; a connection that
/// cannot be made says whether nothing answered or the certificate was not trusted. Call ``shutdown()`` when done,
/// or use ``with(_:_:)``.
public final class WatershedClient: Sendable {
    /// Where the server is and who is calling.
    public struct Configuration: Sendable {
        /// `https://host[:port]` (default port 8443).
        public var server: String
        /// The bearer token's secret.
        public var token: String?
        /// A PEM file of the CA(s) to trust instead of the system's, e.g. `data/tls/ca.pem`.
        public var caFile: String?
        /// How long to wait for a connection.
        public var connectTimeout: TimeAmount
        /// How long to wait for an answer.
        public var requestTimeout: TimeAmount

        /// Creates a configuration.
        public init(
            server: String = "https://127.0.0.1:8443", token: String? = nil, caFile: String? = nil,
            connectTimeout: TimeAmount = .seconds(5), requestTimeout: TimeAmount = .seconds(30)
        ) {
            self.server = server
            self.token = token
            self.caFile = caFile
            self.connectTimeout = connectTimeout
            self.requestTimeout = requestTimeout
        }
    }

    /// The configuration in use.
    public let configuration: Configuration
    /// The server's address, checked.
    public let address: ServerAddress
    let tls: TLSConfiguration
    let http: HTTPClient
    let logger: Logger

    /// Creates a client; no connection is made yet.
    ///
    /// - Throws: ``WatershedClientError/invalidServer(_:why:)``, ``WatershedClientError/unreadableCA(path:why:)``.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "watershed.client")) throws {
        self.configuration = configuration
        self.address = try ServerAddress(configuration.server)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if let caFile = configuration.caFile {
            guard FileManager.default.isReadableFile(atPath: caFile) else {
                throw WatershedClientError.unreadableCA(path: caFile, why: "no such readable file")
            }
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
                guard !certificates.isEmpty else {
                    throw WatershedClientError.unreadableCA(path: caFile, why: "it holds no PEM certificate")
                }
                tls.trustRoots = .certificates(certificates)
            } catch let error as WatershedClientError {
                throw error
            } catch {
                throw WatershedClientError.unreadableCA(path: caFile, why: "not a PEM certificate (\(error))")
            }
        }
        self.tls = tls
        var http = HTTPClient.Configuration()
        http.tlsConfiguration = tls
        http.timeout.connect = configuration.connectTimeout
        http.timeout.read = configuration.requestTimeout
        http.redirectConfiguration = .disallow
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        self.logger = logger
    }

    /// Runs `body` with a client and shuts it down afterwards, whatever `body` does.
    public static func with<T: Sendable>(
        _ configuration: Configuration, logger: Logger = Logger(label: "watershed.client"),
        _ body: (WatershedClient) async throws -> T
    ) async throws -> T {
        let client = try WatershedClient(configuration, logger: logger)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// Closes the client's connections.
    public func shutdown() async throws { try await http.shutdown() }

    // MARK: The API

    /// `GET /v1/me`: whose token this is.
    public func me() async throws -> Identity { try await get("/v1/me") }

    /// `GET /v1/units`, `GET /v1/playbooks`, `GET /v1/pollutants`: the names of codes and ids, in English and
    /// Chinese, for printing in the reader's language.
    public func units() async throws -> [AdministrativeUnit] { try await get("/v1/units") }
    public func playbooks() async throws -> [PlaybookListing] { try await get("/v1/playbooks") }
    public func pollutants() async throws -> [Pollutant] { try await get("/v1/pollutants") }

    /// `GET /v1/incidents[?state=]`: incidents, newest first, without their plans (every page).
    public func incidents(state: String? = nil) async throws -> [IncidentSummary] {
        try await getAll("/v1/incidents" + Self.query(["state": state]))
    }

    /// `GET /v1/incidents/{id}`: one incident by UUID or reference (`GX-2026-0007`), with its plan, tasks,
    /// obligations and timeline.
    public func incident(_ id: String) async throws -> IncidentDetail {
        try await get("/v1/incidents/" + Self.pathSegment(id))
    }

    /// What `GET /v1/incidents/{id}` answers: an incident with a report, or the thread of CAP 1.2 messages a
    /// neighbour that does not run Watershed sent (`"origin": "cap"`).
    public enum IncidentView: Sendable {
        case incident(IncidentDetail)
        case capThread(CAPIncidentDetail)
    }

    /// `GET /v1/incidents/{id}`, whichever shape it answers.
    public func incidentView(_ id: String) async throws -> IncidentView {
        let (status, bytes) = try await raw(.GET, "/v1/incidents/" + Self.pathSegment(id), body: nil as DeclineBody?)
        guard (200..<300).contains(status) else { throw Self.refusal(status: status, body: bytes) }
        struct Probe: Decodable { var origin: String }
        do {
            if (try? Self.decoder.decode(Probe.self, from: bytes))?.origin == "cap" {
                return .capThread(try Self.decoder.decode(CAPIncidentDetail.self, from: bytes))
            }
            return .incident(try Self.decoder.decode(IncidentDetail.self, from: bytes))
        } catch {
            throw WatershedClientError.unexpectedAnswer(status: status, why: "cannot read the incident: \(error)")
        }
    }

    /// `GET /v1/incidents/{id}/report?lang=&tz=`: the incident's after-action report, an HTML document (`lang` zh or
    /// en, `tz` an IANA time zone).
    public func afterActionReport(_ id: String, language: String, timeZone: String) async throws -> String {
        let path =
            "/v1/incidents/\(Self.pathSegment(id))/report" + Self.query(["lang": language, "tz": timeZone])
        let (status, bytes) = try await raw(.GET, path, body: nil as DeclineBody?)
        guard (200..<300).contains(status) else { throw Self.refusal(status: status, body: bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `POST /v1/incidents`: files an initial report (MEP Order No. 17 Art. 13–14). With an `idempotencyKey`, a retry
    /// of the same report gets the same answer and no second incident.
    public func fileInitialReport(_ report: InitialReport, idempotencyKey: String? = nil) async throws
        -> IncidentCreated
    {
        try await send(.POST, "/v1/incidents", body: report, idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/incidents/{id}/reports`: files a follow-up or final report.
    public func fileReport(_ report: FollowUpReport, on incident: String, idempotencyKey: String? = nil)
        async throws -> IncidentCreated
    {
        try await send(
            .POST, "/v1/incidents/\(Self.pathSegment(incident))/reports", body: report,
            idempotencyKey: idempotencyKey)
    }

    /// `POST /v1/incidents/{id}/forwards` (commander): forwards a lower unit's report — the one with seq `report`, or
    /// the latest of another unit — to `to` (`"MEE"`) for this province (MEP Order No. 17 Art. 3).
    public func forwardReport(on incident: String, to: String, report: Int64? = nil) async throws
        -> ReportForwardAnswer
    {
        try await send(
            .POST, "/v1/incidents/\(Self.pathSegment(incident))/forwards",
            body: ReportForwardRequest(to: to, report: report))
    }

    /// `GET /v1/tasks`: tasks filtered by assignee (`451203` or `451203/county-duty-officer`), state and incident.
    public func tasks(assignee: String? = nil, state: TaskState? = nil, incident: String? = nil) async throws
        -> [ResponseTask]
    {
        try await getAll(
            "/v1/tasks" + Self.query(["assignee": assignee, "state": state?.rawValue, "incident": incident]))
    }

    /// `GET /v1/tasks/{id}`: a task by UUID or reference (`GX-2026-0007/T3`).
    public func task(_ id: String) async throws -> ResponseTask {
        try await get("/v1/tasks/" + Self.pathSegment(id))
    }

    /// `POST /v1/tasks/{id}/{action}`: acknowledges, starts, completes or declines (with a reason) a task; the
    /// answer is the task as it stands after.
    public func work(task id: String, _ action: TaskAction, reason: String? = nil) async throws -> ResponseTask {
        let path = "/v1/tasks/\(Self.pathSegment(id))/\(action.rawValue)"
        if action == .decline {
            return try await send(.POST, path, body: DeclineBody(reason: reason ?? ""))
        }
        return try await send(.POST, path, body: nil as DeclineBody?)
    }

    /// `GET /v1/events?after=&limit=`: a page of the log (catch-up without the stream).
    public func events(after: Int64, limit: Int = 100) async throws -> [StoredEvent] {
        try await get("/v1/events" + Self.query(["after": String(after), "limit": String(limit)]))
    }

    /// `POST /v1/stream-tickets`: a one-use ticket for the stream (30 s).
    public func streamTicket() async throws -> StreamTicket {
        try await send(.POST, "/v1/stream-tickets", body: nil as DeclineBody?)
    }

    /// `GET /metrics`: the server's Prometheus text (no token needed).
    public func metrics() async throws -> String {
        let (status, bytes) = try await raw(.GET, "/metrics", body: nil as DeclineBody?)
        guard (200..<300).contains(status) else { throw Self.refusal(status: status, body: bytes) }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: Drills

    /// `POST /v1/drills` (commander): starts a drill; the answer has one drill token per participant, shown only now.
    public func startDrill(_ request: DrillStartRequest) async throws -> DrillStarted {
        try await send(.POST, "/v1/drills", body: request)
    }

    /// `GET /v1/rota?at=`: who holds each position of the duty rota at `at` (now when `nil`), numbers masked.
    public func rota(at: Date? = nil) async throws -> [RotaHolder] {
        try await get("/v1/rota" + (at.map { "?at=" + Self.pathSegment(CanonicalJSON.timestamp($0)) } ?? ""))
    }

    /// `POST /v1/rota/overrides` (commander): puts a person of the rota on a position for a span.
    public func overrideRota(_ request: RotaOverrideRequest) async throws -> RotaOverridden {
        try await send(.POST, "/v1/rota/overrides", body: request)
    }

    /// `POST /v1/tokens` (commander): makes a production token; the answer holds its secret, shown this once.
    public func issueToken(_ request: TokenIssueRequest) async throws -> TokenMade {
        try await send(.POST, "/v1/tokens", body: request)
    }

    /// `GET /v1/tokens` (commander): every token, without secrets.
    public func tokens() async throws -> [TokenSummary] { try await get("/v1/tokens") }

    /// `POST /v1/tokens/{id}/revoke` (commander).
    public func revokeToken(_ id: String) async throws {
        let _: [String: String] = try await send(
            .POST, "/v1/tokens/\(Self.pathSegment(id))/revoke", body: nil as DeclineBody?)
    }

    /// `GET /v1/drills`: drills, newest first.
    public func drills() async throws -> [DrillSummary] { try await getAll("/v1/drills") }

    /// `GET /v1/drills/{id}`: one drill (its id or 8+ of its first characters).
    public func drill(_ id: String) async throws -> DrillSummary { try await get("/v1/drills/" + Self.pathSegment(id)) }

    /// `POST /v1/drills/{id}/end` (commander): ends a drill.
    public func endDrill(_ id: String) async throws -> DrillSummary {
        try await send(.POST, "/v1/drills/\(Self.pathSegment(id))/end", body: nil as DeclineBody?)
    }

    /// `GET /v1/drills/{id}/score`: each expectation met, missed or pending, and the after-action timeline.
    public func drillScore(_ id: String) async throws -> DrillScore {
        try await get("/v1/drills/\(Self.pathSegment(id))/score")
    }

    // MARK: CAP

    /// `GET /v1/cap/held` (commander): the peers' CAP messages held for their references, refused or expired, oldest
    /// first (docs/cap.md).
    public func heldCAPMessages() async throws -> [CAPHeldMessage] { try await getAll("/v1/cap/held") }

    /// `DELETE /v1/cap/held/{id}` (commander): drops a held CAP message; answers it as it was.
    public func dropHeldCAPMessage(_ id: String) async throws -> CAPHeldMessage {
        try await send(.DELETE, "/v1/cap/held/\(Self.pathSegment(id))", body: nil as DeclineBody?)
    }

    // MARK: Plumbing

    func get<T: Decodable>(_ path: String) async throws -> T {
        try await send(.GET, path, body: nil as DeclineBody?)
    }

    func send<Body: Encodable, T: Decodable>(
        _ method: HTTPMethod, _ path: String, body: Body?, idempotencyKey: String? = nil
    ) async throws -> T {
        let (status, bytes) = try await raw(method, path, body: body, idempotencyKey: idempotencyKey)
        guard (200..<300).contains(status) else { throw Self.refusal(status: status, body: bytes) }
        do {
            return try Self.decoder.decode(T.self, from: bytes)
        } catch {
            throw WatershedClientError.unexpectedAnswer(status: status, why: "cannot read \(T.self): \(error)")
        }
    }

    /// Every item of a paged list (`GET /v1/incidents`, `/v1/tasks`, `/v1/drills`), following each answer's
    /// `Link: <…>; rel="next"` (RFC 8288) to the next page, at most 10,000 pages.
    func getAll<T: Decodable>(_ path: String) async throws -> [T] {
        var all: [T] = []
        var next: String? = path
        var pages = 0
        while let path = next, pages < 10_000 {
            let (status, bytes, link) = try await exchange(.GET, path, body: nil as DeclineBody?)
            guard (200..<300).contains(status) else { throw Self.refusal(status: status, body: bytes) }
            do {
                all += try Self.decoder.decode([T].self, from: bytes)
            } catch {
                throw WatershedClientError.unexpectedAnswer(status: status, why: "cannot read [\(T.self)]: \(error)")
            }
            next = link.flatMap(Self.nextPath)
            pages += 1
        }
        return all
    }

    /// The path of `rel="next"` in a `Link` header (`<path>; rel="next"`), or `nil`.
    static func nextPath(_ link: String) -> String? {
        for part in link.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">"),
                pieces.dropFirst().contains(where: { $0 == #"rel="next""# || $0 == "rel=next" })
            else { continue }
            let path = String(target.dropFirst().dropLast())
            return path.hasPrefix("/") ? path : nil
        }
        return nil
    }

    /// One request; the status and the whole body (up to 64 MiB).
    func raw<Body: Encodable>(
        _ method: HTTPMethod, _ path: String, body: Body?, idempotencyKey: String? = nil
    ) async throws -> (Int, Data) {
        let (status, bytes, _) = try await exchange(method, path, body: body, idempotencyKey: idempotencyKey)
        return (status, bytes)
    }

    /// One request; the status, the whole body (up to 64 MiB) and the `Link` header.
    func exchange<Body: Encodable>(
        _ method: HTTPMethod, _ path: String, body: Body?, idempotencyKey: String? = nil
    ) async throws -> (Int, Data, String?) {
        var request = HTTPClientRequest(url: address.base + path)
        request.method = method
        if let token = configuration.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try Self.encoder.encode(body)))
        }
        do {
            let response = try await http.execute(request, timeout: configuration.requestTimeout)
            let bytes = try await response.body.collect(upTo: 64 << 20)
            return (Int(response.status.code), Data(buffer: bytes), response.headers.first(name: "Link"))
        } catch {
            throw classify(error)
        }
    }

    /// A transport error as a ``WatershedClientError``: an untrusted certificate or nothing answering.
    func classify(_ error: any Error) -> WatershedClientError {
        if let error = error as? WatershedClientError { return error }
        let text = String(describing: error)
        let certificateWords = ["CERTIFICATE_VERIFY_FAILED", "failedToValidateHostname", "certificate verify failed"]
        if certificateWords.contains(where: text.contains) {
            // BoringSSL's own text (error numbers, source paths) means nothing to a duty officer; say what failed.
            let why =
                text.contains("failedToValidateHostname")
                ? "the certificate does not name \(address.host)" : "certificate verify failed"
            return .untrustedCertificate(server: address.base, caFile: configuration.caFile, why: why)
        }
        return .cannotConnect(server: address.base, why: Self.reason(error))
    }

    /// A refusal's ``ErrorBody``, or what was answered instead.
    static func refusal(status: Int, body: Data) -> WatershedClientError {
        if let error = try? decoder.decode(ErrorBody.self, from: body) {
            return .refused(status: status, error: error.error)
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        return .unexpectedAnswer(status: status, why: text.isEmpty ? "no error body" : text)
    }

    /// A person's words for why a connection failed.
    static func reason(_ error: any Error) -> String {
        let text = String(describing: error)
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return "connection refused (nothing listens on that port)"
            case ENETUNREACH, EHOSTUNREACH: return "the network or host is unreachable"
            default: return io.description
            }
        }
        if text.contains("connectTimeout") || text.contains("connect timeout") { return "no answer (timed out)" }
        if text.contains("Connection refused") || text.contains("connectionRefused") || text.contains("errno: 111")
            || text.contains("ECONNREFUSED")
        {
            return "connection refused (nothing listens on that port)"
        }
        if text.contains("NXDOMAIN") || text.contains("nodename nor servname") || text.contains("resolution") {
            return "the host name does not resolve"
        }
        return short(text)
    }

    static func short(_ text: String) -> String { text.count > 300 ? String(text.prefix(300)) + "…" : text }

    /// `?k=v&…` of the non-nil values, percent-encoded, keys sorted.
    static func query(_ items: [String: String?]) -> String {
        let pairs = items.compactMap { key, value in value.map { (key, $0) } }.sorted { $0.0 < $1.0 }
        guard !pairs.isEmpty else { return "" }
        return "?" + pairs.map { "\($0.0)=\(pathSegment($0.1))" }.joined(separator: "&")
    }

    /// A path segment or query value with everything but unreserved characters percent-encoded (RFC 3986 §2.3), so a
    /// reference's `/` becomes `%2F`.
    static func pathSegment(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// The JSON encoder of request bodies (``WireJSON``: times with milliseconds, keys sorted).
    public static let encoder = WireJSON.encoder

    /// The JSON decoder of answers and report files: times as RFC 3339 with an offset, with or without fractions
    /// (``WireJSON``).
    public static let decoder = WireJSON.decoder
}

/// A server's address: `https://host[:port]`, port 8443 when not given.
public struct ServerAddress: Sendable, Hashable {
    /// The host name or IP address (IPv6 without brackets).
    public var host: String
    /// The port.
    public var port: Int

    /// Reads and checks an address.
    ///
    /// - Throws: ``WatershedClientError/invalidServer(_:why:)`` for another scheme, a path, no host or a bad port.
    public init(_ text: String) throws {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw WatershedClientError.invalidServer(text, why: "it is not a URL")
        }
        guard scheme == "https" else {
            throw WatershedClientError.invalidServer(text, why: "the scheme must be https (Watershed speaks only TLS)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw WatershedClientError.invalidServer(text, why: "it names no host")
        }
        guard components.path.isEmpty || components.path == "/", components.query == nil else {
            throw WatershedClientError.invalidServer(text, why: "give only scheme, host and port, no path")
        }
        let port = components.port ?? 8443
        guard (1...65535).contains(port) else {
            throw WatershedClientError.invalidServer(text, why: "the port must be 1…65535")
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        self.port = port
    }

    /// Whether the host is an IP address literal (which cannot be sent as TLS SNI).
    public var isIPAddress: Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// `host` as it goes in a URL (IPv6 in brackets).
    var urlHost: String { host.contains(":") ? "[\(host)]" : host }

    /// `https://host:port`.
    public var base: String { "https://\(urlHost):\(port)" }

    /// `wss://host:port`.
    public var webSocketBase: String { "wss://\(urlHost):\(port)" }
}
