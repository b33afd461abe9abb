import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Finding the primary among a URL's hosts (issue 18, "Failover"): each host is tried in turn and asked
/// `SELECT pg_is_in_recovery()`; the first that answers `false` accepts writes. After a standby is promoted, a node
/// that reconnects finds the new primary the same way.
enum PostgresHosts {
    /// Why no host would do: each host and what it answered.
    struct NoPrimary: Error, CustomStringConvertible {
        var tried: [String]
        var description: String { "no host accepts writes: " + tried.joined(separator: "; ") }
    }

    /// The connection configuration of the first host that is a primary, and an open connection to it (the
    /// caller closes it).
    ///
    /// - Throws: ``NoPrimary`` listing each host's answer.
    static func primary(of url: DatabaseURL, logger: Logger) async throws
        -> (PostgresConnection.Configuration, PostgresConnection)
    {
        var tried: [String] = []
        for configuration in configurations(of: url) {
            let name = configuration.unixSocketPath ?? "\(configuration.host ?? "?"):\(configuration.port ?? 0)"
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: configuration, id: 0, logger: logger)
                var recovering = true
                for try await value in try await connection.query("SELECT pg_is_in_recovery()", logger: logger)
                    .decode(Bool.self)
                {
                    recovering = value
                }
                if !recovering { return (configuration, connection) }
                try? await connection.close()
                tried.append("\(name) is a standby")
            } catch {
                tried.append("\(name): \(PostgresEventLog.sentence(error))")
            }
        }
        throw NoPrimary(tried: tried)
    }

    /// One connection configuration per host (or the Unix socket).
    static func configurations(of url: DatabaseURL) -> [PostgresConnection.Configuration] {
        if let directory = url.socketDirectory {
            let port = url.hosts.first?.port ?? 5432
            var configuration = PostgresConnection.Configuration(
                unixSocketPath: directory + "/.s.PGSQL.\(port)", username: url.user, password: url.password,
                database: url.database)
            configuration.options.connectTimeout = .seconds(5)
            return [configuration]
        }
        return url.hosts.map { host in
            var configuration = PostgresConnection.Configuration(
                host: host.name, port: host.port, username: url.user, password: url.password, database: url.database,
                tls: connectionTLS(url.sslMode))
            configuration.options.connectTimeout = .seconds(5)
            return configuration
        }
    }

    /// libpq's `sslmode` for a single connection: `prefer` and `require` do not verify the certificate.
    static func connectionTLS(_ mode: DatabaseURL.SSLMode) -> PostgresConnection.Configuration.TLS {
        switch mode {
        case .disable: return .disable
        case .prefer, .require:
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            guard let context = try? NIOSSLContext(configuration: tls) else { return .disable }
            return mode == .prefer ? .prefer(context) : .require(context)
        }
    }

    /// The same for the pool.
    static func clientTLS(_ mode: DatabaseURL.SSLMode) -> PostgresClient.Configuration.TLS {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        switch mode {
        case .disable: return .disable
        case .prefer: return .prefer(tls)
        case .require: return .require(tls)
        }
    }
}
