import ArgumentParser
import Foundation
import WatershedClient
import WatershedCore
import WatershedWire

/// The flags every client command shares (DESIGN.md "Commands"): where the server is, who is calling, which CA to
/// trust, and how to print. Each flag falls back to its environment variable, then to its default.
struct ClientOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The server, https://HOST[:PORT] (port 8443 when left out). Default: $WATERSHED_SERVER, else "
                + "https://127.0.0.1:8443.",
            valueName: "url"))
    var server: String?

    @Option(
        help: ArgumentHelp(
            "The bearer token's secret (seeds/<province>/README.md lists the development ones). Default: "
                + "$WATERSHED_TOKEN.",
            valueName: "secret"))
    var token: String?

    @Option(
        help: ArgumentHelp(
            "A PEM file of the CA that signed the server's certificate, trusted instead of the system's CAs; a "
                + "development server's is <data>/tls/ca.pem. Default: $WATERSHED_CA.",
            valueName: "file"))
    var ca: String?

    @Option(
        name: .customLong("time-zone"),
        help: ArgumentHelp(
            "Time zone of printed times, with their UTC offset (Asia/Shanghai is +08:00).", valueName: "zone"))
    var timeZone = "Asia/Shanghai"

    @Option(
        help: ArgumentHelp(
            "Language of what is printed for people: zh (Chinese) or en. Default: $WATERSHED_LANG, else zh when the "
                + "locale ($LC_ALL, $LC_MESSAGES, $LANG) is Chinese (zh_CN.UTF-8), else en.",
            valueName: "zh|en"))
    var lang: String?

    func validate() throws {
        if TimeZone(identifier: timeZone) == nil {
            throw ValidationError("--time-zone: unknown time zone \"\(timeZone)\" (e.g. Asia/Shanghai).")
        }
        if let lang, !["zh", "en"].contains(lang) {
            throw ValidationError("--lang: \"\(lang)\" is not a language; use zh (Chinese) or en (English).")
        }
    }

    /// Whether to print in Chinese: `--lang`, else `WATERSHED_LANG`, else the first locale variable set (POSIX
    /// order: `LC_ALL`, `LC_MESSAGES`, `LANG`) starting with `zh`.
    var chinese: Bool {
        let environment = ClientEnvironment.variables
        if let lang { return lang == "zh" }
        if let chosen = environment["WATERSHED_LANG"], !chosen.isEmpty { return chosen.hasPrefix("zh") }
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
        return locale?.hasPrefix("zh") == true
    }

    /// The client configuration: flags first, then `WATERSHED_SERVER`, `WATERSHED_TOKEN`, `WATERSHED_CA`.
    var configuration: WatershedClient.Configuration {
        let environment = ClientEnvironment.variables
        func fallback(_ value: String?, _ name: String) -> String? {
            if let value { return value }
            guard let text = environment[name], !text.isEmpty else { return nil }
            return text
        }
        return WatershedClient.Configuration(
            server: fallback(server, "WATERSHED_SERVER") ?? "https://127.0.0.1:8443",
            token: fallback(token, "WATERSHED_TOKEN"), caFile: fallback(ca, "WATERSHED_CA"))
    }

    /// Local times with their offset, in `--time-zone`.
    var time: LocalTime { LocalTime(timeZone: zone) }

    /// `--time-zone`.
    var zone: TimeZone { TimeZone(identifier: timeZone) ?? .current }

    /// Runs `body` with a client, turning a ``WatershedClientError`` into the command's exit code and sentence.
    func withClient<T: Sendable>(_ body: (WatershedClient) async throws -> T) async throws -> T {
        do {
            return try await WatershedClient.with(configuration) { client in try await body(client) }
        } catch let error as WatershedClientError {
            throw CommandExit(code: error.exitCode, message: "watershed: \(error.description)")
        }
    }
}

/// JSON for `--json`: key-sorted, times in RFC 3339 UTC with milliseconds (as the API writes them).
enum ClientJSON {
    static func encode(_ value: some Encodable, pretty: Bool = true) throws -> String {
        String(decoding: try WireJSON.makeEncoder(pretty: pretty).encode(value), as: UTF8.self)
    }
}

/// The environment client commands take `WATERSHED_SERVER`, `WATERSHED_TOKEN`, `WATERSHED_CA` and the language
/// (`WATERSHED_LANG`, the locale) from: the process's, or one a test binds
/// (`ClientEnvironment.$variables.withValue(…)`).
public enum ClientEnvironment {
    /// The variables.
    @TaskLocal public static var variables = ProcessInfo.processInfo.environment
}
