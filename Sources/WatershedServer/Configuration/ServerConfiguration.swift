import Foundation
import WatershedCore
import WatershedPlaybooks

/// Everything `watershed serve` needs, resolved from flags, `WATERSHED_*` environment
/// variables, a YAML config file and defaults — in that order of precedence (DESIGN.md
/// "Commands"). Every key is documented in `deploy/README.md`.
public struct ServerConfiguration: Codable, Sendable, Hashable {
    /// The province this server serves (GB/T 2260); picks `seeds/<province>/`.
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

    /// The defaults.
    public init() {}

    /// The keys, as written in the config file; the flag is `--` plus the kebab-case key and the
    /// variable `WATERSHED_` plus the upper snake-case key (`peerPort` → `--peer-port`, `WATERSHED_PEER_PORT`).
    public static let keys = [
        "province", "host", "port", "peerPort", "data", "playbooks", "seeds", "tlsCert", "tlsKey", "peerCert",
        "peerKey", "logLevel",
    ]

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
        /// `--port`, `WATERSHED_PORT` or `config.yaml:3:7: port`.
        public var origin: String
        /// What is wrong.
        public var message: String
        /// `origin: message`.
        public var description: String { "\(origin): \(message)" }
    }

    /// Resolves the configuration.
    ///
    /// - Parameters:
    ///   - flags: values given on the command line, by key (`"peerPort": "9444"`).
    ///   - environment: the process environment; `WATERSHED_*` variables are read.
    ///   - configFile: a YAML file with any of ``keys`` (unknown keys are refused), or `nil`.
    /// - Throws: ``Problem`` for a value of the wrong type or range, or the config file's
    ///   `file:line:column` diagnostics wrapped in a ``Problem``.
    public static func resolve(flags: [String: String], environment: [String: String], configFile: String?) throws
        -> ServerConfiguration
    {
        var configuration = ServerConfiguration()
        if let configFile {
            guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else {
                throw Problem(origin: "--config", message: "cannot read \(configFile)")
            }
            do {
                configuration = try StrictYAMLDecoder().decode(ServerConfiguration.self, from: text, file: configFile)
            } catch {
                throw Problem(origin: configFile, message: error.description)
            }
        }
        for key in keys {
            if let value = environment[environmentName(key)] {
                try configuration.set(key, value, origin: environmentName(key))
            }
        }
        for (key, value) in flags.sorted(by: { $0.key < $1.key }) {
            try configuration.set(key, value, origin: "--" + flagName(key))
        }
        try configuration.check()
        return configuration
    }

    mutating func set(_ key: String, _ value: String, origin: String) throws {
        func port() throws -> Int {
            guard let number = Int(value), (0...65_535).contains(number) else {
                throw Problem(origin: origin, message: "\"\(value)\" is not a port number (0–65535)")
            }
            return number
        }
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
        case "logLevel": logLevel = value
        default: throw Problem(origin: origin, message: "unknown setting")
        }
    }

    func check() throws {
        if (tlsCert == nil) != (tlsKey == nil) {
            throw Problem(origin: "--tls-cert/--tls-key", message: "give both the certificate and its key, or neither")
        }
        if (peerCert == nil) != (peerKey == nil) {
            throw Problem(
                origin: "--peer-cert/--peer-key", message: "give both the certificate and its key, or neither")
        }
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        if !levels.contains(logLevel) {
            throw Problem(
                origin: "log level", message: "\"\(logLevel)\" is not one of \(levels.joined(separator: ", "))")
        }
        if !(province.count == 6 && province.allSatisfy(\.isNumber)) {
            throw Problem(origin: "province", message: "\"\(province)\" is not a GB/T 2260 province code like 450000")
        }
    }
}
