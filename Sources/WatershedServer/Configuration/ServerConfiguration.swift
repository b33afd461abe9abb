import Foundation
import WatershedCore
import WatershedFederation
import WatershedPlaybooks
import WatershedPostgres

/// Everything `watershed serve` needs, resolved from flags, `WATERSHED_*` environment
/// variables, a YAML config file and defaults — in that order of precedence (DESIGN.md
/// "Commands"). Every key is documented in `deploy/README.md`, and a test checks that the
/// table there lists exactly ``keys``.
public struct ServerConfiguration: Codable, Sendable, Hashable {
    /// The province this server serves (GB/T 2260, a code ending in `0000`); picks `seeds/<province>/`.
    public var province: UnitCode = "450000"
    /// Address to listen on for people (HTTPS and WSS).
    public var host: String = "127.0.0.1"
    /// Port for people; 0 picks a free one (tests).
    public var port: Int = 8443
    /// Port for peers (mutual TLS); 0 picks a free one.
    public var peerPort: Int = 8444
    /// Data directory: `watershed.sqlite`, `tls/`.
    public var data: String = "data"
    /// The playbooks folder.
    public var playbooks: String = "playbooks"
    /// The seeds folder (holds `<province>/`).
    public var seeds: String = "seeds"
    /// Server certificate (PEM) for port 8443; a development one is made when absent.
    public var tlsCert: String?
    /// Its private key (PEM).
    public var tlsKey: String?
    /// Certificate for the peer port and outgoing peer links; `tlsCert` when absent.
    public var peerCert: String?
    /// Its private key; `tlsKey` when absent.
    public var peerKey: String?
    /// Log level: trace, debug, info, notice, warning, error, critical.
    public var logLevel: String = "info"
    /// The time zone log lines give their times in, with its offset (an IANA name): the duty office's clock by
    /// default, so a log line and a screen say the same time.
    public var logTimeZone: String = "Asia/Shanghai"
    /// Hours a CAP message from a peer may wait for the messages it references before it expires (1…8760; issue 15,
    /// item 6): ``CAPIngest/Limits/heldLifetime``.
    public var capHeldHours: Int = 72

    /// The bounds on held CAP messages: ``capHeldHours``, with the default per-peer count and bytes.
    public var capHeldLimits: CAPIngest.Limits {
        CAPIngest.Limits(heldLifetime: TimeInterval(capHeldHours) * 3_600)
    }
    /// The most connections both ports hold at once; a new one beyond it is closed at once (counted and logged).
    /// The server lowers it at start to what the descriptor limit leaves after those in use and a reserve
    /// (``DescriptorLimit/reserve``). The default admits the benchmark's 10,000 stream subscribers with room for
    /// people's requests and peers (issue 15, item 2).
    public var maxConnections: Int = 16_384
    /// The event log on PostgreSQL, shared by every node (issue 18): a libpq URI, `postgres://user:pw@host/db`,
    /// several hosts allowed (checked as ``WatershedPostgres/DatabaseURL`` when set). `nil`: the SQLite log in the
    /// data directory.
    public var database: String?

    /// Kannel smsbox's `sendsms` URL (`http://127.0.0.1:13013/cgi-bin/sendsms`): task texts go to the rota's holders
    /// through it (issue 19, docs/sms.md). `nil`: no texts.
    public var smsGateway: String?
    /// The `sendsms-user` Kannel knows Watershed as, and its password.
    public var smsUser: String?
    public var smsPassword: String?
    /// Where Watershed listens for Kannel's calls back (delivery reports, replies): `host:port`, plain HTTP — keep it
    /// on loopback or a private network, with ``smsAllow``.
    public var smsListen: String = "127.0.0.1:8445"
    /// The shared secret Kannel's callback URLs carry (`secret=`), at least 16 characters; it also keys the hash of
    /// mobile numbers in events.
    public var smsSecret: String?
    /// The addresses allowed to call back, comma-separated (default loopback).
    public var smsAllow: String = "127.0.0.1,::1"
    /// Minutes a text may stay unsent or undelivered before the sender gives up and the duty chief is asked to
    /// phone (a decimal, 0.01–1440).
    public var smsUndeliverableMinutes: Double = 15

    /// Where `/metrics` is served instead of the people's port: `host:port`, plain HTTP (Prometheus scrapes it; keep it
    /// on loopback or a monitoring network). With it set, the people's port has no `/metrics`.
    public var metricsListen: String?
    /// A bearer token (at least 16 characters) `/metrics` on the people's port requires
    /// (`Authorization: Bearer …`; Prometheus's `authorization` setting). Without it and without ``metricsListen``,
    /// `/metrics` is open on the people's port (a warning is logged when that port listens beyond loopback).
    public var metricsToken: String?

    /// ``metricsListen`` as host and port.
    public var metricsAddress: (host: String, port: Int)? { metricsListen.flatMap(Self.hostAndPort) }

    /// Where each key's value came from, for messages about it: `--playbooks`, `WATERSHED_PLAYBOOKS`, or
    /// `/etc/watershed/watershed.yaml:9:12: playbooks`; a key left at its default is absent.
    public var origins: [String: String] = [:]

    /// The SMS settings when ``smsGateway`` is set (``check(origins:)`` made sure the rest is there).
    public var sms: SMSSettings? {
        guard let smsGateway, let smsUser, let smsPassword, let smsSecret else { return nil }
        let (host, port) = Self.hostAndPort(smsListen) ?? ("127.0.0.1", 8445)
        return SMSSettings(
            gateway: smsGateway, user: smsUser, password: smsPassword, host: host, port: port, secret: smsSecret,
            allow: Set(smsAllow.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }),
            undeliverableAfter: smsUndeliverableMinutes * 60)
    }

    /// `127.0.0.1:8445` → ("127.0.0.1", 8445); `[::1]:8445` → ("::1", 8445).
    static func hostAndPort(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65_535).contains(port)
        else { return nil }
        let host = text[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return host.isEmpty ? nil : (host, port)
    }

    /// ``database``, parsed.
    public var databaseURL: DatabaseURL? { database.flatMap { try? DatabaseURL($0) } }
    /// Timeouts for connections that have not yet sent a request head; not a setting (tests shorten them).
    public var connectionTimeouts = ConnectionTimeouts()

    /// The defaults.
    public init() {}

    /// The keys, as written in the config file; the flag is `--` plus the kebab-case key and the
    /// variable `WATERSHED_` plus the upper snake-case key (`peerPort` → `--peer-port`, `WATERSHED_PEER_PORT`).
    public static let keys = [
        "province", "host", "port", "peerPort", "data", "playbooks", "seeds", "tlsCert", "tlsKey", "peerCert",
        "peerKey", "logLevel", "logTimeZone", "capHeldHours", "maxConnections", "database", "smsGateway", "smsUser",
        "smsPassword",
        "smsListen", "smsSecret", "smsAllow", "smsUndeliverableMinutes", "metricsListen", "metricsToken",
    ]

    /// The log levels `logLevel` accepts (swift-log's `Logger.Level` raw values).
    public static let logLevels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    /// The province-level codes of GB/T 2260 (the first two digits; the other four are `0000`):
    /// 31 provinces, autonomous regions and municipalities, Taiwan (71), Hong Kong (81), Macao (82).
    public static let provincePrefixes: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
        "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ]

    /// The variable that names the config file when `--config` is not given.
    public static let configEnvironmentName = "WATERSHED_CONFIG"

    /// `peerPort` → `peer-port`.
    public static func flagName(_ key: String) -> String {
        key.reduce(into: "") { out, c in out += c.isUppercase ? "-" + c.lowercased() : String(c) }
    }

    /// `peerPort` → `WATERSHED_PEER_PORT`.
    public static func environmentName(_ key: String) -> String {
        "WATERSHED_" + flagName(key).replacingOccurrences(of: "-", with: "_").uppercased()
    }

    /// A value that cannot be used, naming where it came from.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// Where the value came from: `--port`, `WATERSHED_PORT`, or `watershed.yaml:3:7: port`.
        public var origin: String
        /// What is wrong.
        public var message: String
        /// Further problems of the same config file, one `file:line:column: field: message` line each.
        public var more: [String] = []

        /// Creates a problem.
        public init(origin: String, message: String, more: [String] = []) {
            self.origin = origin
            self.message = message
            self.more = more
        }

        /// `origin: message`, then one line per further problem.
        public var description: String { (["\(origin): \(message)"] + more).joined(separator: "\n") }
    }

    /// Resolves the configuration.
    ///
    /// Each key is taken from, in order: `flags`, the `WATERSHED_*` variable (an empty variable
    /// counts as unset), the config file, the default. Relative paths stay relative to the
    /// working directory.
    ///
    /// - Parameters:
    ///   - flags: values given on the command line, by key (`"peerPort": "9444"`).
    ///   - environment: the process environment; `WATERSHED_*` variables are read.
    ///   - configFile: a YAML file with any of ``keys`` (unknown keys are refused), or `nil`; when
    ///     `nil`, `WATERSHED_CONFIG` names it, if set.
    /// - Throws: ``Problem`` naming the flag, the variable, or the config file's `file:line:column`
    ///   and key of a value that cannot be used: a wrong type, a port outside 0–65535, an unknown
    ///   log level or province, a certificate without its key (or a key without its certificate),
    ///   the same non-zero port twice, a `maxConnections` below 1.
    public static func resolve(flags: [String: String], environment: [String: String], configFile: String?) throws
        -> ServerConfiguration
    {
        var configuration = ServerConfiguration()
        var origins: [String: String] = [:]
        let configFile = configFile ?? environment[configEnvironmentName].flatMap { $0.isEmpty ? nil : $0 }
        if let configFile {
            for (key, value, origin) in try ConfigFile.read(configFile) {
                try configuration.set(key, value, origin: origin)
                origins[key] = origin
            }
        }
        for key in keys {
            let name = environmentName(key)
            if let value = environment[name], !value.isEmpty {
                try configuration.set(key, value, origin: name)
                origins[key] = name
            }
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            let origin = "--" + flagName(key)
            try configuration.set(key, value, origin: origin)
            origins[key] = origin
        }
        try configuration.check(origins: origins)
        configuration.origins = origins
        return configuration
    }

    mutating func set(_ key: String, _ value: String, origin: String) throws {
        func port() throws -> Int {
            guard let number = Int(value), (0...65_535).contains(number) else {
                throw Problem(origin: origin, message: "\"\(value)\" is not a port number (0–65535)")
            }
            return number
        }
        guard Self.keys.contains(key) else {
            throw Problem(
                origin: origin, message: "unknown setting; expected one of: \(Self.keys.joined(separator: ", "))")
        }
        guard !value.isEmpty else { throw Problem(origin: origin, message: "is empty") }
        switch key {
        case "province": province = value
        case "host": host = value
        case "port": self.port = try port()
        case "peerPort": peerPort = try port()
        case "data": data = value
        case "playbooks": playbooks = value
        case "seeds": seeds = value
        case "tlsCert": tlsCert = value
        case "tlsKey": tlsKey = value
        case "peerCert": peerCert = value
        case "peerKey": peerKey = value
        case "capHeldHours":
            guard let hours = Int(value), (1...8_760).contains(hours) else {
                throw Problem(origin: origin, message: "\"\(value)\" is not a number of hours (1–8760)")
            }
            capHeldHours = hours
        case "maxConnections":
            guard let number = Int(value), number >= 1 else {
                throw Problem(origin: origin, message: "\"\(value)\" is not a number of connections (1 or more)")
            }
            maxConnections = number
        case "database":
            do {
                _ = try DatabaseURL(value)
                database = value
            } catch {
                throw Problem(origin: origin, message: "\(error)")
            }
        case "smsGateway":
            guard let url = URL(string: value), url.scheme == "http" || url.scheme == "https", url.host != nil else {
                throw Problem(
                    origin: origin,
                    message:
                        "\"\(value)\" is not an http(s) URL (Kannel's sendsms, like http://127.0.0.1:13013/cgi-bin/sendsms)"
                )
            }
            smsGateway = value
        case "smsUser": smsUser = value
        case "smsPassword": smsPassword = value
        case "smsListen":
            guard Self.hostAndPort(value) != nil else {
                throw Problem(origin: origin, message: "\"\(value)\" is not host:port (like 127.0.0.1:8445)")
            }
            smsListen = value
        case "smsSecret":
            guard value.count >= 16 else { throw Problem(origin: origin, message: "is shorter than 16 characters") }
            smsSecret = value
        case "smsAllow": smsAllow = value
        case "metricsListen":
            guard Self.hostAndPort(value) != nil else {
                throw Problem(origin: origin, message: "\"\(value)\" is not host:port (like 127.0.0.1:9464)")
            }
            metricsListen = value
        case "metricsToken":
            guard value.count >= 16 else { throw Problem(origin: origin, message: "is shorter than 16 characters") }
            metricsToken = value
        case "logTimeZone":
            guard TimeZone(identifier: value) != nil else {
                throw Problem(
                    origin: origin, message: "\"\(value)\" is not a time zone (an IANA name, like Asia/Shanghai)")
            }
            logTimeZone = value
        case "smsUndeliverableMinutes":
            guard let minutes = Double(value), minutes >= 0.01, minutes <= 1_440 else {
                throw Problem(origin: origin, message: "\"\(value)\" is not a number of minutes (0.01–1440)")
            }
            smsUndeliverableMinutes = minutes
        default: logLevel = value
        }
    }

    /// Checks what no single value shows; `origins` says where each key's value came from.
    func check(origins: [String: String] = [:]) throws {
        func origin(_ key: String) -> String { origins[key] ?? key }
        let pairs = [("tlsCert", tlsCert, "tlsKey", tlsKey), ("peerCert", peerCert, "peerKey", peerKey)]
        for (certKey, cert, keyKey, key) in pairs {
            if cert != nil && key == nil {
                throw Problem(
                    origin: origin(certKey), message: "a certificate needs its key (\(keyKey)); give both or neither")
            }
            if cert == nil && key != nil {
                throw Problem(
                    origin: origin(keyKey), message: "a key needs its certificate (\(certKey)); give both or neither")
            }
        }
        if !Self.logLevels.contains(logLevel) {
            throw Problem(
                origin: origin("logLevel"),
                message: "\"\(logLevel)\" is not one of: \(Self.logLevels.joined(separator: ", "))")
        }
        let isProvince =
            province.count == 6 && province.allSatisfy { $0.isASCII && $0.isNumber } && province.hasSuffix("0000")
            && Self.provincePrefixes.contains(String(province.prefix(2)))
        if !isProvince {
            throw Problem(
                origin: origin("province"),
                message: "\"\(province)\" is not a GB/T 2260 province code (six digits ending in 0000, like 450000)")
        }
        if smsGateway != nil {
            for key in ["smsUser", "smsPassword", "smsSecret"] {
                let missing =
                    switch key {
                    case "smsUser": smsUser == nil
                    case "smsPassword": smsPassword == nil
                    default: smsSecret == nil
                    }
                if missing {
                    throw Problem(
                        origin: origin(key), message: "smsGateway is set, so \(key) is needed too (docs/sms.md)")
                }
            }
        }
        if port != 0 && port == peerPort {
            throw Problem(
                origin: origin(origins["peerPort"] != nil ? "peerPort" : "port"),
                message: "port and peerPort are both \(port); the people's port and the peer port must differ")
        }
    }
}

/// The config file as written: every key optional, unknown keys refused by the strict decoder.
private struct ConfigFile: Decodable {
    var province: String?
    var host: String?
    var port: Int?
    var peerPort: Int?
    var data: String?
    var playbooks: String?
    var seeds: String?
    var tlsCert: String?
    var tlsKey: String?
    var peerCert: String?
    var peerKey: String?
    var logLevel: String?
    var capHeldHours: Int?
    var maxConnections: Int?
    var database: String?
    var smsGateway: String?
    var smsUser: String?
    var smsPassword: String?
    var smsListen: String?
    var smsSecret: String?
    var smsAllow: String?
    var smsUndeliverableMinutes: Double?
    var logTimeZone: String?
    var metricsListen: String?
    var metricsToken: String?

    /// The values present, each with its origin `file:line:column: key`.
    static func read(_ file: String) throws -> [(key: String, value: String, origin: String)] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ServerConfiguration.Problem(origin: "--config", message: "cannot read \(file)")
        }
        let result = StrictYAMLDecoder().decodeCollectingProblems(ConfigFile.self, from: text, file: file)
        if let first = result.diagnostics.first {
            let location = "\(first.file):\(first.line):\(first.column)"
            throw ServerConfiguration.Problem(
                origin: first.field.isEmpty ? location : "\(location): \(first.field)", message: first.message,
                more: result.diagnostics.dropFirst().map(\.description))
        }
        guard let decoded = result.value else {
            throw ServerConfiguration.Problem(origin: "\(file):1:1", message: "expected a YAML mapping of settings")
        }
        let values: [(String, String?)] = [
            ("province", decoded.province), ("host", decoded.host), ("port", decoded.port.map(String.init)),
            ("peerPort", decoded.peerPort.map(String.init)), ("data", decoded.data),
            ("playbooks", decoded.playbooks), ("seeds", decoded.seeds), ("tlsCert", decoded.tlsCert),
            ("tlsKey", decoded.tlsKey), ("peerCert", decoded.peerCert), ("peerKey", decoded.peerKey),
            ("logLevel", decoded.logLevel), ("capHeldHours", decoded.capHeldHours.map(String.init)),
            ("maxConnections", decoded.maxConnections.map(String.init)), ("database", decoded.database),
            ("smsGateway", decoded.smsGateway), ("smsUser", decoded.smsUser), ("smsPassword", decoded.smsPassword),
            ("smsListen", decoded.smsListen), ("smsSecret", decoded.smsSecret), ("smsAllow", decoded.smsAllow),
            ("smsUndeliverableMinutes", decoded.smsUndeliverableMinutes.map { String($0) }),
            ("logTimeZone", decoded.logTimeZone), ("metricsListen", decoded.metricsListen),
            ("metricsToken", decoded.metricsToken),
        ]
        return values.compactMap { key, value in
            guard let value else { return nil }
            let (line, column) = result.sourceMap.position(of: key)
            return (key, value, "\(file):\(line):\(column): \(key)")
        }
    }
}

/// What the text sender and Kannel's callback listener need (``ServerConfiguration/sms``).
public struct SMSSettings: Sendable, Hashable {
    public var gateway: String
    public var user: String
    public var password: String
    /// The callback listener's address.
    public var host: String
    public var port: Int
    public var secret: String
    /// Addresses allowed to call back.
    public var allow: Set<String>
    /// Seconds a text may stay unsent before the sender gives up on it.
    public var undeliverableAfter: TimeInterval
}
