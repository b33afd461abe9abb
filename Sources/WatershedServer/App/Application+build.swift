import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedPostgres
import WatershedStore
import WatershedWire

/// What a started server tells its caller: where it listens and what a client needs.
public struct ServerStartInfo: Sendable {
    /// The CA file a client must trust (the development CA, or `nil` for a given certificate).
    public var caFile: String?
    /// Whether the development certificates were made on this start.
    public var madeCertificates: Bool
    /// The playbooks loaded: one summary line per file.
    public var playbookSummaries: [String]
    /// The event log's head seq at start.
    public var head: Int64
    /// Closes the live streams with 1001 when the server shuts down: run it after the application in the same
    /// `ServiceGroup` (``StreamDrain``).
    public var streamDrain: StreamDrain
    /// The API routes registered on the people's port, as `"GET /v1/incidents/{id}"` (the console's own files left
    /// out); what `OpenAPICoverageTests` holds the OpenAPI document to.
    public var routes: [String] = []
    /// The routes registered on the peer port (8444, mutual TLS), in the same form.
    public var peerRoutes: [String] = []
}

/// `"METHOD /path/{parameter}"` for each route of a router (Hummingbird writes a `:parameter` as `{parameter}`),
/// sorted, leaving out the paths in `except`.
func routeList<Context>(_ router: Router<Context>, except: Set<String> = []) -> [String] {
    router.routes.filter { !except.contains($0.path.description) }.map {
        "\($0.method.rawValue) \($0.path.description)"
    }
    .sorted()
}

/// The one composition root (STYLE.md): loads playbooks and tokens, opens the event log, makes or
/// reads the certificates, and builds the Hummingbird application with its routes and the stream.
///
/// - Parameters:
///   - configuration: the resolved configuration.
///   - logger: the application's logger.
///   - clock: the wall clock for event times and deadlines (tests pass a ``ManualWallClock``).
///   - runsScheduler: whether the deadline scheduler runs (always, in `watershed serve`); tests of other features
///     turn it off so that deadlines of their historic incidents (2012) do not append events while they count.
///   - allowBrokenChain: start even when the event log's chain does not hold from the checkpoint to the head
///     (`serve --allow-broken-chain`); the break is logged and the checkpoint starts over from the head.
///   - onServerRunning: called with the people's port once both ports listen (tests pass port 0).
/// - Returns: the application (a `Service`) and what a client needs to connect.
/// - Throws: ``ServerStartupError`` for invalid playbooks, seeds, certificates or event log, a port that cannot be had
///   (``ServerStartupError/listen(_:)``, naming the port and the listener), a peer certificate without `clientAuth`
///   while neighbours are linked to, a descriptor limit that leaves no room for connections, a data directory
///   another server holds (``ServerStartupError/dataDirectory(_:)``), or a broken chain
///   (``ServerStartupError/brokenChain(_:)``).
public func buildApplication(
    _ configuration: ServerConfiguration, logger: Logger, clock: any WallClock = SystemWallClock(),
    runsScheduler: Bool = true, allowBrokenChain: Bool = false,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> (some ApplicationProtocol, ServerStartInfo) {
    // Playbooks and peers, with the same diagnostics as `watershed playbooks check`.
    let seedsFolder = URL(fileURLWithPath: configuration.seeds).appendingPathComponent(configuration.province)
    let peersFile = seedsFolder.appendingPathComponent("peers.yaml").path
    let loaded: LoadedBasin
    do {
        loaded = try PlaybookLoader().load(
            directory: configuration.playbooks,
            peersFile: FileManager.default.fileExists(atPath: peersFile) ? peersFile : nil)
    } catch {
        throw ServerStartupError.invalidFiles(error.diagnostics.map(\.description))
    }
    let tokens = try TokenRegistry.load(file: seedsFolder.appendingPathComponent("tokens.yaml").path)
    let organisation: Organisation
    do {
        organisation = try OrganisationSeed.load(
            file: seedsFolder.appendingPathComponent("organisation.yaml").path, units: loaded.basin.units)
    } catch {
        throw ServerStartupError.invalidFiles(error.diagnostics.map(\.description))
    }
    // The duty rota (issue 19), when the province has one: checked at start like the organisation; a broken one
    // stops the start with its `file:line:column` lines. Its numbers are never logged.
    let rotaFile = seedsFolder.appendingPathComponent("rota.yaml").path
    var rota: DutyRota?
    if FileManager.default.fileExists(atPath: rotaFile) {
        do {
            rota = try RotaSeed.load(file: rotaFile, organisation: organisation)
            logger.info(
                "duty rota loaded",
                metadata: ["people": "\(rota?.people.count ?? 0)", "positions": "\(rota?.rotations.count ?? 0)"])
        } catch {
            throw ServerStartupError.invalidFiles(error.diagnostics.map(\.description))
        }
    }
    let drillPhones = loadDrillPhones(seedsFolder.appendingPathComponent("drills"), logger: logger)
    if configuration.sms != nil, rota == nil {
        throw ServerStartupError.invalidFiles([
            "\(rotaFile): smsGateway is set, but there is no duty rota to say who gets the texts (docs/sms.md)"
        ])
    }

    // Both ports first: a port in use stops the start before anything is made or said (issue 15, item 19).
    try await Listeners.probe(host: configuration.host, port: configuration.port, listener: "people's port")
    try await Listeners.probe(host: configuration.host, port: configuration.peerPort, listener: "peer port")
    if let sms = configuration.sms {
        try await Listeners.probe(host: sms.host, port: sms.port, listener: "SMS listener (smsListen)")
    }

    // Data directory (0700, locked against a second server), certificates, event log.
    let data = URL(fileURLWithPath: configuration.data)
    let dataLock = try DataDirectoryStartup.prepare(data, logger: logger)
    var caFile: String?
    var made = false
    let certificateFile: String
    let keyFile: String
    if let cert = configuration.tlsCert, let key = configuration.tlsKey {
        certificateFile = cert
        keyFile = key
    } else {
        let development = DevelopmentCertificates(dataDirectory: data)
        do {
            made = try development.ensure(hostName: ProcessInfo.processInfo.hostName)
        } catch {
            throw ServerStartupError.tls(
                "cannot make the development certificates in \(development.directory.path): \(error)")
        }
        certificateFile = development.certificateFile.path
        keyFile = development.keyFile.path
        caFile = development.caFile.path
    }
    let tls = try TLSSetup.serverConfiguration(certificateFile: certificateFile, keyFile: keyFile)
    // The peer port's certificate and the one our links present: `--peer-cert`/`--peer-key`, else the development
    // CA's peer-client certificate (made here), else the people's port certificate.
    let peerCertificateFile = configuration.peerCert ?? certificateFile
    let peerKeyFile = configuration.peerKey ?? keyFile
    var linkCertificateFile = peerCertificateFile
    var linkKeyFile = peerKeyFile
    if configuration.peerCert == nil, configuration.tlsCert == nil {
        let development = DevelopmentCertificates(dataDirectory: data)
        do {
            try development.ensurePeerClient(province: configuration.province)
        } catch {
            throw ServerStartupError.tls(
                "cannot make the peer-client certificate in \(development.directory.path): \(error)")
        }
        linkCertificateFile = development.peerClientFile.path
        linkKeyFile = development.peerClientKeyFile.path
    }
    let peers = try PeerDirectory(
        agreements: loaded.basin.agreements.values.sorted { $0.province < $1.province }, dataDirectory: data,
        logger: logger)
    var peerTLS = try TLSSetup.serverConfiguration(certificateFile: peerCertificateFile, keyFile: peerKeyFile)
    peerTLS.trustRoots = .certificates(peers.trustRoots)
    peerTLS.certificateVerification = .noHostnameVerification
    let linkTLS = try TLSSetup.clientConfiguration(certificateFile: linkCertificateFile, keyFile: linkKeyFile)
    try checkPeerCertificates(
        configuration, peerCertificateFile: peerCertificateFile, linkCertificateFile: linkCertificateFile,
        links: peers.peers.values.contains { $0.url != nil && $0.caForTLS != nil }, logger: logger)
    let development = configuration.tlsCert == nil
    let inUse: [CertificateChecks.InUse] = [
        .init(
            role: "the people's port certificate", label: "people_port", file: certificateFile,
            development: development),
        .init(
            role: "the peer port certificate", label: "peer_port", file: peerCertificateFile,
            development: development && configuration.peerCert == nil),
        .init(
            role: "the peer-link client certificate", label: "peer_link_client", file: linkCertificateFile,
            development: development && configuration.peerCert == nil),
    ]
    for warning in CertificateChecks.expiryWarnings(inUse, dataDirectory: data) {
        logger.warning("certificate expiring: \(warning)")
    }
    let (log, checkpointer) = try await DataDirectoryStartup.openLog(
        data, database: configuration.databaseURL, allowBrokenChain: allowBrokenChain, logger: logger)
    let head = try await log.head()
    let hub = PushHub(head: head)
    let metrics = ServerMetrics()
    metrics.certificates(inUse, peers: peers.peers.mapValues(\.ca))
    // Every commit, whoever appended it, reaches the live streams and the metrics (on the writer's queue).
    let commits = CommitSignal()
    log.onCommit { events in
        hub.publish(events)
        metrics.committed(events)
        checkpointer.observe(events)
        commits.fire()
    }
    let drillTokens = DrillTokens()
    let issuedTokens = IssuedTokens()
    let incidents = try await IncidentService(
        log: log, basin: loaded.basin, province: configuration.province,
        organisation: organisation, metrics: metrics, drillTokens: drillTokens, issuedTokens: issuedTokens,
        now: clock.now)
    await incidents.setDrillPhones(drillPhones)
    await incidents.setRota(rota)
    let scheduler = DeadlineScheduler(incidents: incidents, clock: clock, logger: logger)
    let drillRunner = DrillRunner(incidents: incidents, clock: clock, logger: logger)

    // Descriptors: the soft limit raised to the hard one, and the connection cap kept below it (issue 15, item 2).
    let limits = DescriptorLimit.raise()
    let openDescriptors = DescriptorLimit.openCount()
    let cap = DescriptorLimit.connectionCap(
        configured: configuration.maxConnections, soft: limits.soft, open: openDescriptors)
    guard cap >= 1 else {
        throw ServerStartupError.descriptors(
            "the descriptor limit (\(limits.soft), hard \(limits.hard)) leaves no room for connections after the "
                + "\(openDescriptors) open and \(DescriptorLimit.reserve) kept back; raise it (ulimit -n, LimitNOFILE=)"
        )
    }
    let lowered =
        cap < configuration.maxConnections
        ? " (maxConnections \(configuration.maxConnections) lowered: \(openDescriptors) descriptors open, "
            + "\(DescriptorLimit.reserve) kept back)" : ""
    logger.notice(
        "descriptor limit: soft \(limits.soft) (was \(limits.before)), hard \(limits.hard); connection cap \(cap)\(lowered)"
    )
    let limiter = ConnectionLimiter(cap: cap, metrics: metrics, logger: logger)
    func guarding(_ listener: ConnectionGuard.Listener) -> ConnectionGuard {
        ConnectionGuard(
            listener: listener, limiter: limiter, timeouts: configuration.connectionTimeouts, metrics: metrics,
            logger: logger)
    }
    let readiness = ListenerReadiness(onBoth: onServerRunning)

    let console = try ConsoleAssets.bundled()
    let router = Router(context: AppRequestContext.self)
    let tickets = StreamTickets(shared: log as? PostgresEventLog)
    let refusals = UpgradeRefusals()
    router.add(middleware: StrictTransportSecurityMiddleware<AppRequestContext>())
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: JSONErrorMiddleware<AppRequestContext>())
    let storageFaults = StorageFaults(metrics: metrics, logger: logger)
    router.add(middleware: StorageFaultMiddleware<AppRequestContext>(faults: storageFaults))
    let authenticator = TokenAuthenticator(
        registry: tokens, drillTokens: drillTokens, issuedTokens: issuedTokens, tickets: tickets, clock: clock)
    router.add(middleware: authenticator)
    router.add(middleware: ReadYourWritesMiddleware<AppRequestContext>(incidents: incidents))
    Routes(
        basin: loaded.basin, log: log, incidents: incidents, tickets: tickets, metrics: metrics, clock: clock,
        province: configuration.province, metricsAccess: MetricsAccess(configuration)
    ).register(on: router)
    if MetricsAccess(configuration) == .open && !["127.0.0.1", "::1", "localhost"].contains(configuration.host) {
        logger.warning(
            "/metrics is open on \(configuration.host):\(configuration.port): set metricsListen (a listener of its own) or metricsToken"
        )
    }
    let api = router.group(context: AuthenticatedContext.self)
    DrillRoutes(incidents: incidents, clock: clock).register(on: api)
    // The after-action report (issue 21): Reports/ReportRoutes.swift.
    ReportRoutes(
        incidents: incidents, log: log, basin: loaded.basin, province: configuration.province, clock: clock,
        defaultZone: configuration.logTimeZone,
        logOption: configuration.database != nil ? "--database \(log.location)" : "--data \(configuration.data)"
    ).register(on: api)
    TokenRoutes(incidents: incidents, registry: tokens, clock: clock).register(on: api)
    RotaRoutes(
        incidents: incidents, hasher: configuration.sms.map { NumberHasher(secret: $0.secret) }, clock: clock
    ).register(on: api)
    // One CAP ingest for both ports: peers post to it (8444), commanders list and drop its held messages (8443).
    let capIngest = CAPIngest(
        log: log, province: configuration.province, limits: configuration.capHeldLimits, logger: logger,
        incidents: incidents)
    CAPHeldRoutes(ingest: capIngest, clock: clock).register(on: api)
    console.register(on: router)
    // The API's description, without a token like the console (Routes/OpenAPIDocument.swift).
    try OpenAPIDocument.bundled().register(on: router)

    // The peer port (8444): mutual TLS, neighbours only.
    let peerRouter = Router(context: PeerRequestContext.self)
    peerRouter.add(middleware: UpgradeRefusalMiddleware<PeerRequestContext>(refusals: refusals) { $0.channel })
    peerRouter.add(middleware: JSONErrorMiddleware<PeerRequestContext>())
    peerRouter.add(middleware: StorageFaultMiddleware<PeerRequestContext>(faults: storageFaults))
    // The neighbours we link to are watched for silence (each heard last, as far as we know, at the start).
    let liveness = PeerLiveness(
        peers: peers.peers.filter { $0.value.url != nil && $0.value.caForTLS != nil }.mapValues(\.silentAfter),
        start: clock.now)
    peerRouter.add(middleware: PeerAuthenticator(directory: peers, liveness: liveness, clock: clock))
    PeerRoutes(
        province: configuration.province, log: log, incidents: incidents, signal: commits, liveness: liveness,
        clock: clock, logger: logger
    ).register(on: peerRouter)
    // CAP 1.2 from a known neighbour that does not run Watershed (the same mutual TLS; the peer is the certificate's).
    mountCAPIngest(on: peerRouter, ingest: capIngest, clock: clock) {
        _, context in
        guard let peer = context.peer else {
            throw APIError(.forbidden, code: "unknown_peer", message: "the client certificate belongs to no known peer")
        }
        return peer.province
    }
    let peerApp = Application(
        router: peerRouter,
        server: try .guardedTLS(
            webSocketRouter: peerRouter,
            configuration: .init(
                http1: http1Configuration(refusals: refusals, bodyLimit: 2 << 20),
                ws: .init(maxFrameSize: 1 << 16, autoPing: .enabled(timePeriod: .seconds(10)))),
            tlsConfiguration: peerTLS,
            // NIOSSL's custom verification replaces BoringSSL's: a pinned certificate is accepted whoever signed it,
            // a CA-signed one is verified against the peers' CAs, anything else (or one without clientAuth) fails the
            // handshake.
            verification: { chain, note in await peers.verify(chain, note: note) },
            guarding: guarding(.peer)),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.peerPort), serverName: "watershed-peer"),
        onServerRunning: { _ in await readiness.peer() },
        logger: logger)
    let peerWatch = PeerWatch(
        incidents: incidents, names: loaded.basin.agreements.mapValues(\.name), liveness: liveness, clock: clock,
        logger: logger)
    let (texts, smsListener) = textServices(
        configuration, incidents: incidents, clock: clock, metrics: metrics, logger: logger)
    var links: [any Service] = []
    for peer in peers.peers.values.sorted(by: { $0.province < $1.province }) {
        // Our link verifies the peer's server certificate against its CA; a peer known only by its pinned client
        // certificate connects to us instead.
        guard let url = peer.url, let ca = peer.caForTLS else { continue }
        var tls = linkTLS
        tls.trustRoots = .certificates([ca])
        links.append(
            PeerLink(
                own: configuration.province, peer: peer, url: url, tls: tls, log: log, incidents: incidents,
                signal: commits, liveness: liveness, clock: clock, logger: logger,
                linkState: { peer, up in metrics.peerLink(peer, up: up) }))
    }

    // The stream's upgrade is decided outside the router (StreamUpgrade: the router-based upgrade leaked every
    // connection), and the stream pings and watches its connections itself (StreamLiveness: hummingbird-websocket's
    // ping timeout dropped slow readers, whose pongs wait behind the data they have not read yet).
    let stream = StreamUpgrade(
        authenticator: authenticator, refusals: refusals, log: log, hub: hub, metrics: metrics,
        drillTokens: drillTokens,
        issuedTokens: issuedTokens
    )
    let app = Application(
        router: router,
        server: try .guardedTLS(
            configuration: .init(
                http1: http1Configuration(refusals: refusals),
                ws: .init(maxFrameSize: 1 << 16, autoPing: .disabled)),
            shouldUpgrade: { head, channel, logger in
                await stream.shouldUpgrade(head, channel: channel, logger: logger)
            },
            tlsConfiguration: tls, verification: nil, guarding: guarding(.people),
            answerHeaders: ["Strict-Transport-Security": StrictTransportSecurityMiddleware<AppRequestContext>.value]),
        configuration: .init(
            address: .hostname(configuration.host, port: configuration.port), serverName: "watershed"),
        // The data directory's service comes first, so it is shut down last (final checkpoint, then the lock).
        services: [
            DataDirectoryService(
                lock: dataLock, checkpointer: checkpointer, logger: logger,
                closeLog: { await (log as? PostgresEventLog)?.close() }) as any Service
        ]
            + [
                NamedListener(
                    wrapped: peerApp, host: configuration.host, port: configuration.peerPort, listener: "peer port")
            ] + smsListener + metricsListener(configuration, metrics: metrics, logger: logger) + [

                LeaderSingletons(
                    services: (runsScheduler ? [scheduler, peerWatch, drillRunner] : []) + texts + links,
                    lease: (log as? PostgresEventLog).map { LeaderLease(log: $0, node: LeaderSingletons.nodeName) },
                    log: log, incidents: incidents, metrics: metrics, logger: logger)
            ],
        onServerRunning: { channel in await readiness.people(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
    var info = ServerStartInfo(
        caFile: caFile, madeCertificates: made, playbookSummaries: loaded.files.map(\.description), head: head,
        streamDrain: StreamDrain(hub: hub, logger: logger))
    info.routes = routeList(router, except: Set(console.assets.keys))
    info.peerRoutes = routeList(peerRouter)
    return (app, info)
}

/// Checks the certificates our peer side uses (issue 15, item 13): the one our links present to neighbours must list
/// `clientAuth` (their peer ports require it), the peer port's own must allow `serverAuth` (their links expect it).
/// `--peer-cert` defaults to `--tls-cert`, and a typical server certificate has `serverAuth` only.
///
/// - Throws: ``ServerStartupError/tls(_:)`` saying what is missing and what to give, when neighbours are linked to
///   (every link would fail); otherwise the problem is logged as a warning (no link uses it yet).
func checkPeerCertificates(
    _ configuration: ServerConfiguration, peerCertificateFile: String, linkCertificateFile: String, links: Bool,
    logger: Logger
) throws {
    let origin =
        configuration.peerCert != nil
        ? "--peer-cert" : "--peer-cert (not given, so the --tls-cert certificate)"
    var problems: [String] = []
    if let problem = CertificateChecks.usageProblem(file: linkCertificateFile, needs: .clientAuth) {
        problems.append("the peer certificate \(linkCertificateFile), \(origin), \(problem)")
    }
    if let problem = CertificateChecks.usageProblem(file: peerCertificateFile, needs: .serverAuth) {
        problems.append("the peer port certificate \(peerCertificateFile), \(origin), \(problem)")
    }
    guard !problems.isEmpty else { return }
    let advice =
        "give --peer-cert and --peer-key with a certificate whose extended key usage lists both serverAuth and "
        + "clientAuth (`watershed certs` makes such sets)"
    let message = problems.joined(separator: "; ") + "; " + advice
    if links { throw ServerStartupError.tls(message) }
    logger.warning("\(message)")
}

/// HTTP/1.1: a connection that sends nothing for 30 s after its request head (a body left half-sent, a client that
/// went away) is closed. WebSocket connections, once upgraded, are kept alive by pings instead. hummingbird-websocket's
/// upgrade pipeline installs this idle handler only after a first head is read: until then ``ConnectionWatchHandler``
/// times the connection out, and ``HTTPErrorAnswerHandler`` answers a head the decoder cannot read. A declined WebSocket
/// upgrade gets its refusal's status and JSON body (``UpgradeRefusalWriter``); a body declared over `bodyLimit` (1 MiB;
/// the peer port 2 MiB) is refused unread, and the connection closed (``OversizedBodyGuard``).
func http1Configuration(refusals: UpgradeRefusals, bodyLimit: Int = 1 << 20) -> HTTP1Channel.Configuration {
    HTTP1Channel.Configuration(
        additionalChannelHandlers: [UpgradeRefusalWriter(refusals: refusals), OversizedBodyGuard(limit: bodyLimit)],
        idleTimeout: .seconds(30))
}

/// The text sender (a leader's singleton) and the listener Kannel calls back, when `smsGateway` is set (issue 19;
/// docs/sms.md); none otherwise. Kannel is told to report delivery at the listener's address (loopback when it
/// listens on every address).
func textServices(
    _ configuration: ServerConfiguration, incidents: IncidentService, clock: any WallClock, metrics: ServerMetrics,
    logger: Logger
) -> (sender: [any Service], listener: [any Service]) {
    guard let sms = configuration.sms else { return ([], []) }
    let host = ["0.0.0.0", "::"].contains(sms.host) ? "127.0.0.1" : sms.host
    let urlHost = host.contains(":") ? "[\(host)]" : host
    let gateway = KannelGateway(
        endpoint: sms.gateway, username: sms.user, password: sms.password,
        deliveryReports:
            "http://\(urlHost):\(sms.port)/sms/delivery?secret=\(KannelGateway.encode(sms.secret))&type=%d")
    let sender = TextSender(
        incidents: incidents, gateway: gateway, hasher: NumberHasher(secret: sms.secret),
        policy: .standard, undeliverableAfter: sms.undeliverableAfter, clock: clock, metrics: metrics, logger: logger)
    let router = Router(context: SMSRequestContext.self)
    SMSCallbacks(
        incidents: incidents, secret: sms.secret, allow: sms.allow, clock: clock, metrics: metrics,
        logger: logger
    ).register(on: router)
    let app = Application(
        router: router,
        configuration: .init(address: .hostname(sms.host, port: sms.port), serverName: "watershed-sms"),
        logger: logger)
    return ([sender], [NamedListener(wrapped: app, host: sms.host, port: sms.port, listener: "SMS listener")])
}

/// The drills' phone books by scenario id: the participants' numbers of each scenario in `folder`
/// (`seeds/<province>/drills/*.yaml`; ``WatershedCore/DrillScenario/phones``), which a drill of that scenario is
/// texted at — never the duty rota's. A file that does not load is skipped with a warning (`watershed drill check`
/// says why); its drills get no texts.
func loadDrillPhones(_ folder: URL, logger: Logger) -> [String: DutyRota] {
    var phones: [String: DutyRota] = [:]
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    for name in names.sorted() where name.hasSuffix(".yaml") {
        let file = folder.appendingPathComponent(name).path
        do {
            let scenario = try DrillScenarioFile.load(file: file)
            if let book = scenario.phones { phones[scenario.id] = book }
        } catch {
            logger.warning(
                "a drill scenario was not read for its participants' numbers",
                metadata: ["file": "\(file)", "problem": "\(error.diagnostics.first.map(\.description) ?? "")"])
        }
    }
    return phones
}
