import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// Who may read `/metrics` on the people's port (issue 20: "either on a separate listener or behind a token, as the
/// operator chooses"): open (the default, for a server on loopback), behind a bearer token (`metricsToken`), or not
/// there at all because a plain-HTTP listener of its own serves it (`metricsListen`; ``metricsListener(_:metrics:logger:)``).
enum MetricsAccess: Sendable, Equatable {
    case open
    case token(String)
    case elsewhere

    /// The access the settings choose: `metricsListen` wins over `metricsToken`.
    init(_ configuration: ServerConfiguration) {
        if configuration.metricsListen != nil {
            self = .elsewhere
        } else if let token = configuration.metricsToken {
            self = .token(token)
        } else {
            self = .open
        }
    }

    /// - Throws: `APIError` 401 `unauthenticated` (with `WWW-Authenticate: Bearer`) when a token is required and the
    ///   request's `Authorization: Bearer …` is not it (compared in constant time, as SHA-256 digests).
    func check(_ request: Request) throws {
        guard case .token(let expected) = self else { return }
        let given = request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
        }
        let matches = given.map { SHA256.hash(data: Data($0.utf8)) == SHA256.hash(data: Data(expected.utf8)) } ?? false
        guard matches else {
            throw APIError(
                .unauthorized, code: "unauthenticated",
                message: "/metrics needs the metrics token: Authorization: Bearer <metricsToken>",
                headers: [.wwwAuthenticate: #"Bearer realm="watershed-metrics""#])
        }
    }
}

extension ServerMetrics {
    /// `/metrics`' answer: the Prometheus text exposition (format 0.0.4).
    func response() -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: exposition())))
    }
}

/// `/metrics` on a listener of its own (`metricsListen`, plain HTTP), when the settings ask for one; none otherwise.
/// `/healthz` answers there too, for a probe on the monitoring network.
func metricsListener(_ configuration: ServerConfiguration, metrics: ServerMetrics, logger: Logger) -> [any Service] {
    guard let (host, port) = configuration.metricsAddress else { return [] }
    let router = Router()
    router.get("/metrics") { _, _ in metrics.response() }
    router.get("/healthz") { _, _ in "ok\n" }
    let app = Application(
        router: router, configuration: .init(address: .hostname(host, port: port), serverName: "watershed-metrics"),
        logger: logger)
    return [NamedListener(wrapped: app, host: host, port: port, listener: "metrics listener")]
}
