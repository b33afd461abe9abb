import Foundation
import Logging
import PostgresNIO
import WatershedPostgres

/// The PostgreSQL cluster the tests may use: `WATERSHED_TEST_POSTGRES`, a URL whose user may create databases
/// (`.ci/run` starts a throw-away cluster and sets it; `Tests/postgres/cluster.sh` does the same by hand).
public enum TestCluster {
    public static let url: DatabaseURL? = ProcessInfo.processInfo.environment["WATERSHED_TEST_POSTGRES"].flatMap {
        try? DatabaseURL($0)
    }

    public static var logger: Logger {
        var logger = Logger(label: "watershed.tests.postgres")
        logger.logLevel = .warning
        return logger
    }

    /// Runs `body` with the URL of a new, empty database on the test cluster, dropped afterwards.
    public static func withDatabase<T>(_ body: (DatabaseURL) async throws -> T) async throws -> T {
        guard let admin = url else { throw TestClusterMissing() }
        let name = "watershed_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await execute("CREATE DATABASE \(name)", on: admin)
        var url = admin
        url.database = name
        do {
            let result = try await body(url)
            try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
            return result
        } catch {
            try? await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: admin)
            throw error
        }
    }

    /// Runs one statement on its own connection to `url`.
    public static func execute(_ sql: String, on url: DatabaseURL) async throws {
        _ = try await withConnection(url) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    /// A connection of its own to `url` (not a log's pool), closed afterwards.
    public static func withConnection<T>(_ url: DatabaseURL, _ body: (PostgresConnection) async throws -> T)
        async throws
        -> T
    {
        let host = url.hosts[0]
        let configuration = PostgresConnection.Configuration(
            host: host.name, port: host.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    public struct TestClusterMissing: Error, CustomStringConvertible {
        public var description: String { "WATERSHED_TEST_POSTGRES is not set" }
    }
}
