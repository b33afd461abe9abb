import Foundation

/// A PostgreSQL address as Watershed takes it (`--database`, `WATERSHED_DATABASE`, the config's `database`):
/// `postgres://USER[:PASSWORD]@HOST[:PORT][,HOST[:PORT]…]/DATABASE[?sslmode=…&host=/socket/dir]`, libpq's URI form
/// (PostgreSQL 15 documentation, §34.1.1 "Connection Strings").
///
/// - Several hosts are tried in turn, the first that accepts writes (`pg_is_in_recovery()` false) being the primary
///   — how nodes find the new primary after a promotion.
/// - `host=/dir` in the query (libpq's form) connects over the Unix socket `/dir/.s.PGSQL.PORT` instead.
/// - `sslmode`: `disable`, `prefer` (the default, as libpq) or `require`; certificates are not verified in
///   `require` (libpq's meaning too: `verify-full` is not supported here yet).
/// - The password is percent-decoded and never shown: ``redacted`` is what messages and logs print.
public struct DatabaseURL: Sendable, Hashable, CustomStringConvertible {
    /// One host and port to try.
    public struct Host: Sendable, Hashable {
        public var name: String
        public var port: Int

        public init(name: String, port: Int) {
            self.name = name
            self.port = port
        }
    }

    /// TLS to the server: libpq's `sslmode`.
    public enum SSLMode: String, Sendable, Hashable {
        case disable, prefer, require
    }

    public var user: String
    public var password: String?
    /// The hosts in the order they are tried; one, unless the URL lists several.
    public var hosts: [Host]
    /// The Unix socket directory (`?host=/dir`), used instead of `hosts` when given.
    public var socketDirectory: String?
    public var database: String
    public var sslMode: SSLMode

    /// Why a URL was refused: a sentence naming the part.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Parses `text`.
    ///
    /// - Throws: ``Invalid`` naming what is wrong (scheme, user, host, port, database, `sslmode`, an unknown
    ///   parameter).
    public init(_ text: String) throws {
        guard let schemeEnd = text.range(of: "://"),
            ["postgres", "postgresql"].contains(text[..<schemeEnd.lowerBound].lowercased())
        else {
            throw Invalid(description: "the database address must start with postgres:// (got \(Self.redact(text)))")
        }
        var rest = String(text[schemeEnd.upperBound...])
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = String(rest[..<mark])
        }
        var authority = rest
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = String(rest[..<slash])
            path = String(rest[rest.index(after: slash)...])
        }
        var userInfo = ""
        if let at = authority.lastIndex(of: "@") {
            userInfo = String(authority[..<at])
            authority = String(authority[authority.index(after: at)...])
        }
        let userParts = userInfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        user = String(userParts.first ?? "").removingPercentEncoding ?? ""
        password = userParts.count > 1 ? String(userParts[1]).removingPercentEncoding : nil
        database = path.removingPercentEncoding ?? path
        sslMode = .prefer
        socketDirectory = nil
        hosts = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? "") : ""
            switch key {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw Invalid(description: "sslmode must be disable, prefer or require (got \(value))")
                }
                sslMode = mode
            case "host": socketDirectory = value
            case "user": user = value
            case "dbname": database = value
            default: throw Invalid(description: "unknown database address parameter \(key)")
            }
        }
        for item in authority.split(separator: ",", omittingEmptySubsequences: false) where !authority.isEmpty {
            hosts.append(try Self.host(String(item)))
        }
        if hosts.isEmpty { hosts = [Host(name: "localhost", port: 5432)] }
        guard !user.isEmpty else { throw Invalid(description: "the database address names no user") }
        if database.isEmpty { database = user }
    }

    private static func host(_ text: String) throws -> Host {
        guard !text.isEmpty else { throw Invalid(description: "the database address has an empty host") }
        var name = text
        var port = 5432
        if let colon = text.lastIndex(of: ":"), !text.hasSuffix("]") {
            name = String(text[..<colon])
            let digits = String(text[text.index(after: colon)...])
            guard let number = Int(digits), (1...65_535).contains(number) else {
                throw Invalid(description: "the database port must be 1–65535 (got \(digits))")
            }
            port = number
        }
        if name.hasPrefix("["), name.hasSuffix("]") { name = String(name.dropFirst().dropLast()) }
        return Host(name: name, port: port)
    }

    /// The URL with the password replaced by `***`.
    public var redacted: String { Self.redact(description) }

    /// The URL as given back, with the password.
    public var description: String {
        var text = "postgres://" + user + (password.map { ":" + $0 } ?? "") + "@"
        text += hosts.map { "\($0.name.contains(":") ? "[\($0.name)]" : $0.name):\($0.port)" }.joined(separator: ",")
        text += "/" + database
        var parameters: [String] = []
        if sslMode != .prefer { parameters.append("sslmode=" + sslMode.rawValue) }
        if let socketDirectory { parameters.append("host=" + socketDirectory) }
        return parameters.isEmpty ? text : text + "?" + parameters.joined(separator: "&")
    }

    /// `text` with any password between `://user:` and `@` replaced by `***`.
    static func redact(_ text: String) -> String {
        guard let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@") else {
            return text
        }
        let userInfo = text[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<text.index(after: colon)]) + "***" + String(text[at...])
    }
}
