import Foundation
import Testing
import WatershedTestSupport

@testable import WatershedServer

/// `ServerConfiguration.resolve`: precedence flag > `WATERSHED_*` > config file > default
/// (DESIGN.md "Commands"), and a refusal naming where each bad value came from.
@Suite struct ConfigurationTests {
    /// Writes `text` to `watershed.yaml` in a fresh temporary folder (`watershed-config-<uuid>`) and returns its path;
    /// the test removes the folder with ``removeConfigFile(_:)``.
    static func configFile(_ text: String) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-config-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("watershed.yaml")
        try Data(text.utf8).write(to: file)
        return file.path
    }

    /// Removes the folder ``configFile(_:)`` made for `path` (a test's `defer`).
    static func removeConfigFile(_ path: String) {
        try? FileManager.default.removeItem(at: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    static func problem(
        flags: [String: String] = [:], environment: [String: String] = [:], configFile: String? = nil
    ) -> ServerConfiguration.Problem? {
        do {
            _ = try ServerConfiguration.resolve(flags: flags, environment: environment, configFile: configFile)
            return nil
        } catch let problem as ServerConfiguration.Problem {
            return problem
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test func defaultsWithNothingGiven() throws {
        let resolved = try ServerConfiguration.resolve(flags: [:], environment: [:], configFile: nil)
        #expect(resolved == ServerConfiguration())
        #expect(resolved.province == "450000")
        #expect(resolved.host == "127.0.0.1")
        #expect(resolved.port == 8443)
        #expect(resolved.peerPort == 8444)
        #expect(resolved.data == "data")
        #expect(resolved.tlsCert == nil)
        #expect(resolved.logLevel == "info")
    }

    /// For each key, a value from each source, and the winner as DESIGN.md orders them.
    @Test(
        arguments: [
            // key, file value (YAML), environment, flag, expected
            ("port", "9001", "9002", "9003", "9003"),
            ("port", "9001", "9002", nil, "9002"),
            ("port", "9001", nil, nil, "9001"),
            ("peerPort", "9101", "9102", "9103", "9103"),
            ("peerPort", "9101", "9102", nil, "9102"),
            ("host", "0.0.0.0", "::", "127.0.0.2", "127.0.0.2"),
            ("host", "0.0.0.0", "::", nil, "::"),
            ("host", "0.0.0.0", nil, nil, "0.0.0.0"),
            ("data", "/from/file", "/from/env", "/from/flag", "/from/flag"),
            ("data", "/from/file", "/from/env", nil, "/from/env"),
            ("data", "/from/file", nil, nil, "/from/file"),
            ("province", "\"440000\"", "520000", "530000", "530000"),
            ("province", "\"440000\"", "520000", nil, "520000"),
            ("province", "440000", nil, nil, "440000"),
            ("logLevel", "debug", "notice", "error", "error"),
            ("logLevel", "debug", "notice", nil, "notice"),
            ("logLevel", "debug", nil, nil, "debug"),
        ] as [(String, String, String?, String?, String)])
    func precedence(key: String, file: String, environment: String?, flag: String?, expected: String) throws {
        let path = try Self.configFile("\(key): \(file)\n")
        defer { Self.removeConfigFile(path) }
        var variables = ["UNRELATED": "x"]
        if let environment { variables[ServerConfiguration.environmentName(key)] = environment }
        let resolved = try ServerConfiguration.resolve(
            flags: flag.map { [key: $0] } ?? [:], environment: variables, configFile: path)
        let value: String =
            switch key {
            case "port": String(resolved.port)
            case "peerPort": String(resolved.peerPort)
            case "host": resolved.host
            case "data": resolved.data
            case "province": resolved.province
            default: resolved.logLevel
            }
        #expect(value == expected)
    }

    @Test func keysLeftOutOfTheFileKeepTheirDefaults() throws {
        let path = try Self.configFile("port: 9443\n")
        defer { Self.removeConfigFile(path) }
        var resolved = try ServerConfiguration.resolve(flags: [:], environment: [:], configFile: path)
        // Where the one value came from (for messages about it); the rest are defaults, from nowhere.
        #expect(resolved.origins == ["port": "\(path):1:7: port"])
        resolved.origins = [:]
        var expected = ServerConfiguration()
        expected.port = 9443
        #expect(resolved == expected)
    }

    @Test func certificatePairsFromDifferentSources() throws {
        let path = try Self.configFile("tlsCert: /file/server.pem\ntlsKey: /file/server-key.pem\n")
        defer { Self.removeConfigFile(path) }
        let resolved = try ServerConfiguration.resolve(
            flags: ["tlsKey": "/flag/key.pem"], environment: ["WATERSHED_TLS_CERT": "/env/cert.pem"],
            configFile: path)
        #expect(resolved.tlsCert == "/env/cert.pem")
        #expect(resolved.tlsKey == "/flag/key.pem")
        #expect(resolved.peerCert == nil)
    }

    @Test func emptyVariableCountsAsUnset() throws {
        let resolved = try ServerConfiguration.resolve(
            flags: [:], environment: ["WATERSHED_PORT": "", "WATERSHED_TLS_CERT": ""], configFile: nil)
        #expect(resolved.port == 8443)
        #expect(resolved.tlsCert == nil)
    }

    @Test func configFileFromTheEnvironment() throws {
        let path = try Self.configFile("port: 9444\n")
        defer { Self.removeConfigFile(path) }
        let resolved = try ServerConfiguration.resolve(
            flags: [:], environment: ["WATERSHED_CONFIG": path], configFile: nil)
        #expect(resolved.port == 9444)
        // --config wins over WATERSHED_CONFIG.
        let other = try Self.configFile("port: 9445\n")
        defer { Self.removeConfigFile(other) }
        let flagged = try ServerConfiguration.resolve(
            flags: [:], environment: ["WATERSHED_CONFIG": path], configFile: other)
        #expect(flagged.port == 9445)
    }

    @Test func unknownKeyInTheFileNamesFileLineColumn() throws {
        let path = try Self.configFile("port: 9443\nlisten: 0.0.0.0\n")
        defer { Self.removeConfigFile(path) }
        let problem = try #require(Self.problem(configFile: path))
        #expect(problem.description.hasPrefix("\(path):2:1: "))
        #expect(problem.description.contains("unknown key \"listen\""))
    }

    @Test func wrongTypeInTheFileNamesFileLineColumn() throws {
        let path = try Self.configFile("host: 0.0.0.0\nport: eighty\n")
        defer { Self.removeConfigFile(path) }
        let problem = try #require(Self.problem(configFile: path))
        #expect(problem.origin == "\(path):2:7: port")
        #expect(problem.message.contains("eighty"))
    }

    @Test func everyProblemOfTheFileIsListed() throws {
        let path = try Self.configFile("port: x\npeerPort: y\n")
        defer { Self.removeConfigFile(path) }
        let problem = try #require(Self.problem(configFile: path))
        let lines = problem.description.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("\(path):1:7: port: "))
        #expect(lines[1].hasPrefix("\(path):2:11: peerPort: "))
    }

    @Test func portOutOfRangeInTheFileNamesFileLineColumn() throws {
        let path = try Self.configFile("# ports\nport: 70000\n")
        defer { Self.removeConfigFile(path) }
        let problem = try #require(Self.problem(configFile: path))
        #expect(problem.origin == "\(path):2:7: port")
        #expect(problem.message == "\"70000\" is not a port number (0–65535)")
    }

    @Test func unreadableConfigFile() throws {
        let problem = try #require(Self.problem(configFile: "/nonexistent/watershed.yaml"))
        #expect(problem.description == "--config: cannot read /nonexistent/watershed.yaml")
    }

    @Test(arguments: ["http", "-1", "65536", "8443x", " 8443"])
    func badPortInTheEnvironmentNamesTheVariable(value: String) throws {
        let problem = try #require(Self.problem(environment: ["WATERSHED_PORT": value]))
        #expect(problem.origin == "WATERSHED_PORT")
        #expect(problem.description == "WATERSHED_PORT: \"\(value)\" is not a port number (0–65535)")
    }

    /// `database` (issue 18): a PostgreSQL address is kept as given and parsed; one that is not is refused naming
    /// where it came from, its password never repeated.
    @Test func databaseAddressIsCheckedWhereItCameFrom() throws {
        let resolved = try ServerConfiguration.resolve(
            flags: [:], environment: ["WATERSHED_DATABASE": "postgres://watershed:s3cret@db1,db2:5433/watershed"],
            configFile: nil)
        #expect(resolved.databaseURL?.hosts.map(\.port) == [5432, 5433])
        #expect(resolved.databaseURL?.database == "watershed")
        let problem = try #require(Self.problem(flags: ["database": "mysql://watershed:s3cret@db1/watershed"]))
        #expect(problem.origin == "--database")
        #expect(problem.message.hasPrefix("the database address must start with postgres://"))
        #expect(!problem.description.contains("s3cret"))
        let unknown = try #require(Self.problem(flags: ["database": "postgres://w@db1/w?sslmode=verify-full"]))
        #expect(unknown.message == "sslmode must be disable, prefer or require (got verify-full)")
    }

    @Test func badPeerPortFlagNamesTheFlag() throws {
        let problem = try #require(Self.problem(flags: ["peerPort": "99999"]))
        #expect(problem.origin == "--peer-port")
    }

    @Test func flagBeatsABadVariable() throws {
        // The variable is still read and refused: a bad setting is never silently ignored.
        let problem = try #require(Self.problem(flags: ["port": "9000"], environment: ["WATERSHED_PORT": "x"]))
        #expect(problem.origin == "WATERSHED_PORT")
    }

    @Test func certificateWithoutKeyIsRefused() throws {
        let fromFlag = try #require(Self.problem(flags: ["tlsCert": "/etc/watershed/server.pem"]))
        #expect(fromFlag.origin == "--tls-cert")
        #expect(fromFlag.message.contains("tlsKey"))

        let path = try Self.configFile("port: 8443\ntlsKey: /etc/watershed/server-key.pem\n")
        defer { Self.removeConfigFile(path) }
        let fromFile = try #require(Self.problem(configFile: path))
        #expect(fromFile.origin == "\(path):2:9: tlsKey")
        #expect(fromFile.message.contains("tlsCert"))

        let peer = try #require(Self.problem(environment: ["WATERSHED_PEER_CERT": "/p.pem"]))
        #expect(peer.origin == "WATERSHED_PEER_CERT")
        #expect(peer.message.contains("peerKey"))
    }

    @Test(arguments: ["loud", "INFO", "warn", "verbose"])
    func badLogLevel(level: String) throws {
        let problem = try #require(Self.problem(environment: ["WATERSHED_LOG_LEVEL": level]))
        #expect(problem.origin == "WATERSHED_LOG_LEVEL")
        #expect(
            problem.message == "\"\(level)\" is not one of: trace, debug, info, notice, warning, error, critical")
    }

    @Test func badLogLevelInTheFile() throws {
        let path = try Self.configFile("logLevel: loud\n")
        defer { Self.removeConfigFile(path) }
        let problem = try #require(Self.problem(configFile: path))
        #expect(problem.origin == "\(path):1:11: logLevel")
    }

    /// 451200 is Hechi (a city), 990000 and 000000 no province; GB/T 2260 province codes end in 0000.
    @Test(arguments: ["45000", "4500000", "451200", "990000", "000000", "abcdef", "４５００００", "guangxi"])
    func badProvince(code: String) throws {
        let problem = try #require(Self.problem(flags: ["province": code]))
        #expect(problem.origin == "--province")
        #expect(problem.message.contains("\"\(code)\" is not a GB/T 2260 province code"))
    }

    /// Guangxi, Guangdong, Guizhou, Yunnan, Hunan, Hainan (seeds/450000/peers.yaml) and Beijing.
    @Test(arguments: ["450000", "440000", "520000", "530000", "430000", "460000", "110000"])
    func goodProvince(code: String) throws {
        #expect(
            try ServerConfiguration.resolve(flags: ["province": code], environment: [:], configFile: nil).province
                == code)
    }

    @Test func samePortTwiceIsRefused() throws {
        let problem = try #require(Self.problem(flags: ["port": "9000", "peerPort": "9000"]))
        #expect(problem.origin == "--peer-port")
        // Port 0 (any free port) for both is fine: tests do that.
        let both = try ServerConfiguration.resolve(
            flags: ["port": "0", "peerPort": "0"], environment: [:], configFile: nil)
        #expect(both.port == 0 && both.peerPort == 0)
    }

    @Test func emptyFlagIsRefused() throws {
        let problem = try #require(Self.problem(flags: ["data": ""]))
        #expect(problem.description == "--data: is empty")
    }

    @Test func names() {
        #expect(ServerConfiguration.flagName("peerPort") == "peer-port")
        #expect(ServerConfiguration.flagName("tlsCert") == "tls-cert")
        #expect(ServerConfiguration.environmentName("peerPort") == "WATERSHED_PEER_PORT")
        #expect(ServerConfiguration.environmentName("logLevel") == "WATERSHED_LOG_LEVEL")
    }

    /// `deploy/watershed.example.yaml` goes through the same code as `watershed serve --config`.
    @Test func exampleConfigFileIsValid() throws {
        let path = Fixtures.repositoryRoot.appendingPathComponent("deploy/watershed.example.yaml").path
        let resolved = try ServerConfiguration.resolve(flags: [:], environment: [:], configFile: path)
        #expect(resolved.province == "450000")
        #expect(resolved.host == "0.0.0.0")
        #expect(resolved.port == 8443)
        #expect(resolved.data == "/var/lib/watershed")
        #expect(resolved.playbooks == "/usr/share/watershed/playbooks")
        // As the package ships it: a development CA until the operator gives certificates; /metrics on loopback.
        #expect(resolved.tlsCert == nil && resolved.tlsKey == nil)
        #expect(resolved.metricsListen == "127.0.0.1:9464")
    }

    /// The table in `deploy/README.md` lists exactly the keys the code accepts, each with its flag,
    /// variable and default.
    @Test func readmeTableListsExactlyTheKeys() throws {
        let readme = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("deploy/README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") }.map { line in
            line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let settings = rows.filter { $0.count == 5 && $0[1].hasPrefix("`--") }
        let documented = settings.map { $0[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")) }
        #expect(documented == ServerConfiguration.keys)
        let defaults = ServerConfiguration()
        for row in settings {
            let key = row[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(row[1] == "`--\(ServerConfiguration.flagName(key))`")
            #expect(row[2] == "`\(ServerConfiguration.environmentName(key))`")
            let expectedDefault: String? =
                switch key {
                case "province": defaults.province
                case "host": defaults.host
                case "port": String(defaults.port)
                case "peerPort": String(defaults.peerPort)
                case "data": defaults.data
                case "playbooks": defaults.playbooks
                case "seeds": defaults.seeds
                case "logLevel": defaults.logLevel
                case "capHeldHours": String(defaults.capHeldHours)
                case "maxConnections": String(defaults.maxConnections)
                default: nil
                }
            if let expectedDefault { #expect(row[3] == "`\(expectedDefault)`", "default of \(key)") }
        }
    }

    /// The systemd unit runs the documented command as its own user.
    @Test func systemdUnit() throws {
        let unit = try String(
            contentsOf: Fixtures.repositoryRoot.appendingPathComponent("deploy/watershed.service"), encoding: .utf8)
        let lines = Set(unit.split(separator: "\n").map(String.init))
        #expect(lines.contains("ExecStart=/usr/bin/watershed serve --config /etc/watershed/watershed.yaml"))
        #expect(lines.contains("User=watershed"))
        #expect(lines.contains("Restart=on-failure"))
        #expect(lines.contains { $0.hasPrefix("LimitNOFILE=") })
    }

    /// A folder or file the settings name that is not there: one sentence naming the key where its value came from
    /// and the path (issue 20), checked before anything is opened.
    @Test func missingFoldersAndFilesNameTheKeyAndThePath() throws {
        let root = Fixtures.repositoryRoot.path
        let path = try Self.configFile("data: /tmp/x\nplaybooks: /opt/watershed/playbooks\n")
        defer { Self.removeConfigFile(path) }
        let fromFile = try ServerConfiguration.resolve(flags: [:], environment: [:], configFile: path)
        let problem = try #require(throws: ServerConfiguration.Problem.self) { try fromFile.checkPaths() }
        #expect(problem.origin == "\(path):2:12: playbooks")
        #expect(
            problem.message
                == "the folder /opt/watershed/playbooks does not exist; set playbooks to the folder of the river and "
                + "park playbooks")

        // A default, relative to the working directory: both spellings of the path.
        let defaults = try ServerConfiguration.resolve(flags: [:], environment: [:], configFile: nil)
        let relative = try #require(throws: ServerConfiguration.Problem.self) {
            try defaults.checkPaths(workingDirectory: "/nonexistent")
        }
        #expect(relative.origin == "playbooks (default)")
        #expect(relative.message.hasPrefix("the folder playbooks (/nonexistent/playbooks) does not exist"))

        // The repository's folders pass; a seeds folder without the province's folder does not.
        var settings = try ServerConfiguration.resolve(
            flags: ["playbooks": "\(root)/playbooks", "seeds": "\(root)/seeds"], environment: [:], configFile: nil)
        try settings.checkPaths()
        settings = try ServerConfiguration.resolve(
            flags: ["playbooks": "\(root)/playbooks", "seeds": "\(root)/playbooks"], environment: [:], configFile: nil)
        let noProvince = try #require(throws: ServerConfiguration.Problem.self) { try settings.checkPaths() }
        #expect(noProvince.origin == "--seeds")
        #expect(noProvince.message.contains("has no folder 450000"))

        // A certificate from a variable; a key that is a folder.
        settings = try ServerConfiguration.resolve(
            flags: ["playbooks": "\(root)/playbooks", "seeds": "\(root)/seeds"],
            environment: ["WATERSHED_TLS_CERT": "/etc/watershed/tls/server.pem", "WATERSHED_TLS_KEY": root],
            configFile: nil)
        let certificate = try #require(throws: ServerConfiguration.Problem.self) { try settings.checkPaths() }
        #expect(certificate.description == "WATERSHED_TLS_CERT: the file /etc/watershed/tls/server.pem does not exist")
        settings.tlsCert = "\(root)/Package.swift"
        let key = try #require(throws: ServerConfiguration.Problem.self) { try settings.checkPaths() }
        #expect(key.description == "WATERSHED_TLS_KEY: \(root) is a folder; tlsKey names a PEM file")
    }

    /// `metricsListen` is host:port; `metricsToken` has 16 characters or more.
    @Test func metricsSettings() throws {
        let listen = try #require(Self.problem(flags: ["metricsListen": "9464"]))
        #expect(listen.description == "--metrics-listen: \"9464\" is not host:port (like 127.0.0.1:9464)")
        let token = try #require(Self.problem(environment: ["WATERSHED_METRICS_TOKEN": "short"]))
        #expect(token.description == "WATERSHED_METRICS_TOKEN: is shorter than 16 characters")
        let fine = try ServerConfiguration.resolve(
            flags: ["metricsListen": "[::1]:9464"], environment: [:], configFile: nil)
        #expect(fine.metricsAddress?.host == "::1" && fine.metricsAddress?.port == 9464)
        #expect(MetricsAccess(fine) == .elsewhere)
        #expect(MetricsAccess(ServerConfiguration()) == .open)
    }
}
