import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import WatershedFederation
import WatershedServer

/// `watershed serve`: the server (HTTPS + WSS for people).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Watershed server: HTTPS API and live WSS stream over TLS.",
        discussion: """
            Every setting comes, in this order of precedence, from a flag, a WATERSHED_* environment
            variable (WATERSHED_PORT, WATERSHED_DATA, …), the YAML file given with --config, or its
            default. deploy/README.md documents each key.

            Without --tls-cert/--tls-key it makes a development CA and server certificate in
            <data>/tls/ (reused on later starts); clients trust <data>/tls/ca.pem:
              curl --cacert data/tls/ca.pem https://127.0.0.1:8443/healthz
            SIGINT or SIGTERM shuts it down cleanly.

            The data directory is made mode 0700 and locked (<data>/watershed.lock): a second server on it exits 1
            naming the pid that holds it. At start the event log's hash chain is verified from the checkpoint
            (<data>/chain-checkpoint.json) to the head; on a break the server exits 1 unless
            --allow-broken-chain is given. After restoring a backup: watershed audit checkpoint --reset --data DIR.
            """
    )

    @Option(help: "A YAML config file (keys as in deploy/README.md).") var config: String?
    @Option(help: "Province this server serves, GB/T 2260 (default 450000).") var province: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "HTTPS/WSS port (default 8443).") var port: String?
    @Option(name: .customLong("peer-port"), help: "Peer port, mutual TLS (default 8444).") var peerPort: String?
    @Option(help: "Data directory: watershed.sqlite, tls/ (default ./data).") var data: String?
    @Option(help: "Playbooks folder (default ./playbooks).") var playbooks: String?
    @Option(help: "Seeds folder holding <province>/ (default ./seeds).") var seeds: String?
    @Option(name: .customLong("tls-cert"), help: "Server certificate, PEM.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "Server private key, PEM.") var tlsKey: String?
    @Option(name: .customLong("peer-cert"), help: "Peer certificate, PEM (default: --tls-cert).") var peerCert: String?
    @Option(name: .customLong("peer-key"), help: "Peer private key, PEM (default: --tls-key).") var peerKey: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?
    @Flag(
        name: .customLong("allow-broken-chain"),
        help: """
            Start even if the event log's hash chain does not hold from the checkpoint to the head (logged; the \
            checkpoint then starts over from the head). Without it such a log is refused.
            """)
    var allowBrokenChain = false
    @Option(
        name: .customLong("cap-held-hours"),
        help: "Hours a peer's CAP message may wait for what it references before it expires (default 72).")
    var capHeldHours: String?
    @Option(
        name: .customLong("max-connections"),
        help: "Most connections both ports hold at once (default 16384, lowered to fit the descriptor limit).")
    var maxConnections: String?
    @Option(
        help: """
            The event log on PostgreSQL, shared by several nodes: postgres://user@host[,host2]/db[?sslmode=require] \
            (default: watershed.sqlite in the data directory). See docs/postgres.md.
            """)
    var database: String?
    @Option(
        name: .customLong("sms-gateway"),
        help: "Kannel smsbox's sendsms URL: task texts go to the duty rota's holders through it (docs/sms.md).")
    var smsGateway: String?
    @Option(name: .customLong("sms-user"), help: "Kannel's sendsms-user for Watershed.") var smsUser: String?
    @Option(name: .customLong("sms-password"), help: "Its password (prefer WATERSHED_SMS_PASSWORD or the config file).")
    var smsPassword: String?
    @Option(
        name: .customLong("sms-listen"),
        help: "host:port for Kannel's delivery reports and replies, plain HTTP (default 127.0.0.1:8445).")
    var smsListen: String?
    @Option(
        name: .customLong("sms-secret"),
        help: "Shared secret in Kannel's callback URLs, 16+ characters (prefer WATERSHED_SMS_SECRET).")
    var smsSecret: String?
    @Option(name: .customLong("sms-allow"), help: "Addresses allowed to call back, comma-separated (default loopback).")
    var smsAllow: String?
    @Option(
        name: .customLong("sms-undeliverable-minutes"),
        help: "Minutes a text may stay unsent before the duty chief is asked to phone (default 15).")
    var smsUndeliverableMinutes: String?
    @Option(
        name: .customLong("log-time-zone"),
        help: "Time zone of log lines' times, shown with its offset (default Asia/Shanghai).")
    var logTimeZone: String?
    @Option(
        name: .customLong("metrics-listen"),
        help: "host:port of a plain-HTTP listener of its own for /metrics (then not on the HTTPS port).")
    var metricsListen: String?
    @Option(
        name: .customLong("metrics-token"),
        help: "Bearer token /metrics on the HTTPS port requires, 16+ characters (prefer WATERSHED_METRICS_TOKEN).")
    var metricsToken: String?

    func flags() -> [String: String] {
        let pairs: [(String, String?)] = [
            ("province", province), ("host", host), ("port", port), ("peerPort", peerPort), ("data", data),
            ("playbooks", playbooks), ("seeds", seeds), ("tlsCert", tlsCert), ("tlsKey", tlsKey),
            ("peerCert", peerCert), ("peerKey", peerKey), ("logLevel", logLevel),
            ("capHeldHours", capHeldHours),
            ("maxConnections", maxConnections), ("database", database), ("smsGateway", smsGateway),
            ("smsUser", smsUser), ("smsPassword", smsPassword), ("smsListen", smsListen), ("smsSecret", smsSecret),
            ("smsAllow", smsAllow), ("smsUndeliverableMinutes", smsUndeliverableMinutes),
            ("logTimeZone", logTimeZone), ("metricsListen", metricsListen), ("metricsToken", metricsToken),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    func run() async throws {
        let settings: ServerConfiguration
        do {
            settings = try ServerConfiguration.resolve(
                flags: flags(), environment: ProcessInfo.processInfo.environment, configFile: config)
            try settings.checkPaths()
        } catch let problem as ServerConfiguration.Problem {
            // A bad flag or variable is a usage error (2); a bad config file is invalid input in a file (1).
            let fromCommandLine = problem.origin.hasPrefix("-") || problem.origin.hasPrefix("WATERSHED_")
            throw fromCommandLine ? CommandExit.usage(problem.description) : CommandExit.invalid(problem.description)
        }
        // swift-log's stream handler writes local time with its offset (strftime %z): the configured zone.
        setenv("TZ", settings.logTimeZone, 1)
        tzset()
        var logger = Logger(label: "watershed")
        logger.logLevel = Logger.Level(rawValue: settings.logLevel) ?? .info
        let out = CommandOutput.current
        do {
            let (app, info) = try await buildApplication(
                settings, logger: logger, allowBrokenChain: allowBrokenChain
            ) { port in
                out.write("listening on https://\(settings.host):\(port) (province \(settings.province))")
            }
            out.write("loaded \(info.playbookSummaries.count) playbook files; event log head seq \(info.head)")
            if let caFile = info.caFile {
                out.write(
                    (info.madeCertificates ? "made a development CA: " : "development CA: ") + caFile)
                out.write("  clients trust it: curl --cacert \(caFile) https://127.0.0.1:\(settings.port)/healthz")
                out.write("  watershed clients: --ca \(caFile) (or WATERSHED_CA)")
            }
            out.write("development tokens: \(settings.seeds)/\(settings.province)/README.md")
            let group = ServiceGroup(configuration: Self.serviceGroup(app, drain: info.streamDrain, logger: logger))
            try await group.run()
            out.write("shut down cleanly")
        } catch let error as CommandExit {
            throw error
        } catch {
            // A port in use, a bad certificate, …: one sentence naming what, and exit 1 (issue 15, item 19).
            guard let startup = ServerStartupError.explaining(error, configuration: settings) else { throw error }
            throw CommandExit.invalid(startup.description)
        }
    }

    /// How long SIGTERM (or SIGINT) may take: graceful shutdown first — the listeners stop accepting, requests in
    /// flight are answered, live streams close with 1001 (``StreamSession``, at most 2 s for the client's answer), the
    /// leader's singletons stop, the event log is checkpointed and closed — for at most 10 s; then the tasks left are
    /// cancelled, for at most 5 s more; then the process stops (ServiceLifecycle's `fatalError`). 15 s in all, within
    /// the unit's `TimeoutStopSec=30`.
    static let gracefulShutdownBound: Duration = .seconds(10)
    /// The cancellation that follows an overrun graceful shutdown, at most.
    static let cancellationBound: Duration = .seconds(5)

    /// The service group `serve` runs: the application, then the stream drain (shut down first: services stop in
    /// reverse order), stopped by SIGTERM or SIGINT within ``gracefulShutdownBound`` + ``cancellationBound``.
    static func serviceGroup(_ app: some Service, drain: StreamDrain, logger: Logger) -> ServiceGroupConfiguration {
        var configuration = ServiceGroupConfiguration(
            services: [app, drain], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracefulShutdownBound
        configuration.maximumCancellationDuration = cancellationBound
        return configuration
    }
}
