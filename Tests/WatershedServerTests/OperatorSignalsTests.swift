import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import WatershedTestSupport
import X509

@testable import WatershedServer

/// What an operator looks for (issue 20): a SIGTERM that closes streams with 1001 and ends the process within its
/// bound, `/metrics` behind a token or on a listener of its own, and the certificates' expiry times in it.
@Suite struct OperatorSignalsTests {
    /// A `watershed serve` process with a stream open: SIGTERM closes the stream with 1001 (going away) and the last
    /// seq it handed, and the process exits 0 well within the 15 s bound (ServeCommand.gracefulShutdownBound +
    /// cancellationBound; with one stream it takes a fraction of a second).
    @Test func sigtermClosesStreamsWithGoingAway() async throws {
        let folder = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let server = ServerProcess(
            province: "450000", data: folder.appendingPathComponent("data"), port: try LiveServer.freePort(),
            peerPort: try LiveServer.freePort(), arguments: ["--log-level", "info"])
        try await server.start()
        defer { server.stop() }
        let handle = server.handle
        let stream = Task { try await StreamContractTests.connect(handle, after: "0", token: DevToken.viewer) }
        try await DrillTests.eventually("the stream is open") {
            try await server.text("/metrics").contains("watershed_stream_connections 1")
        }
        let start = ContinuousClock.now
        let status = server.stop()
        let took = ContinuousClock.now - start
        let (texts, close) = try await stream.value
        #expect(status == 0, "\(server.log.suffix(2_000))")
        #expect(took < .seconds(15), "SIGTERM took \(took)")
        #expect(close?.closeCode == .goingAway, "\(String(describing: close))")
        // The stream saw caughtUp at head 0 and nothing else: it resumes after seq 0.
        #expect(texts == [#"{"type":"caughtUp","head":0}"#])
        #expect(close?.reason == "shutting down; resume:0")
        #expect(server.log.contains("shut down cleanly"))
    }

    /// `metricsToken`: `/metrics` on the HTTPS port answers 401 (with `WWW-Authenticate`) without the token, the
    /// exposition with it.
    @Test func metricsBehindAToken() async throws {
        let folder = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let token = "metrics-\(UUID().uuidString)"
        let server = ServerProcess(
            province: "450000", data: folder.appendingPathComponent("data"), port: try LiveServer.freePort(),
            peerPort: try LiveServer.freePort(), arguments: ["--metrics-token", token])
        try await server.start()
        defer { server.stop() }
        let refused = try await server.request(.GET, "/metrics", token: "wsd-dev-viewer-gx")
        #expect(refused.status == 401)
        #expect(refused.headers.first(name: "WWW-Authenticate") == #"Bearer realm="watershed-metrics""#)
        #expect(String(decoding: refused.body, as: UTF8.self).contains(#""code":"unauthenticated""#))
        let answered = try await server.request(.GET, "/metrics", token: token)
        #expect(answered.status == 200)
        let text = String(decoding: answered.body, as: UTF8.self)
        #expect(text.contains("watershed_build_info{"))

        // The development certificate's end, to the second, under each role it serves.
        let pem = try String(contentsOf: server.data.appendingPathComponent("tls/server.pem"), encoding: .utf8)
        let end = try Certificate(pemEncoded: pem).notValidAfter.timeIntervalSince1970
        let values = Self.values(text)
        #expect(values[#"watershed_certificate_expiry_timestamp_seconds{role="people_port"}"#] == end.rounded(.down))
        #expect(values[#"watershed_certificate_expiry_timestamp_seconds{role="peer_port"}"#] == end.rounded(.down))
        #expect(values[#"watershed_certificate_expiry_timestamp_seconds{role="peer_link_client"}"#] != nil)
    }

    /// `metricsListen`: `/metrics` on a plain-HTTP listener of its own, and none on the HTTPS port.
    @Test func metricsOnAListenerOfItsOwn() async throws {
        let folder = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let metricsPort = try LiveServer.freePort()
        let server = ServerProcess(
            province: "450000", data: folder.appendingPathComponent("data"), port: try LiveServer.freePort(),
            peerPort: try LiveServer.freePort(), arguments: ["--metrics-listen", "127.0.0.1:\(metricsPort)"])
        try await server.start()
        defer { server.stop() }
        #expect(try await server.request(.GET, "/metrics", token: "wsd-dev-viewer-gx").status == 404)
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(metricsPort)/metrics"), timeout: .seconds(10))
        #expect(response.status.code == 200)
        #expect(response.headers.first(name: "Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        let text = String(buffer: try await response.body.collect(upTo: 16 << 20))
        #expect(text.contains("process_open_fds "))
    }

    /// Each neighbour's CA: its `notAfter` under `peer`; a neighbour known only by a pinned certificate has none.
    @Test func peerCAExpiry() throws {
        let folder = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = DevelopmentCertificates(dataDirectory: folder)
        try made.ensure(hostName: nil, now: Date(timeIntervalSince1970: 1_800_000_000))
        let ca = try Certificate(pemEncoded: try String(contentsOf: made.caFile, encoding: .utf8))
        let metrics = ServerMetrics()
        metrics.certificates([], peers: ["440000": ca, "460000": nil])
        let values = Self.values(metrics.exposition())
        #expect(
            values[#"watershed_peer_ca_expiry_timestamp_seconds{peer="440000"}"#]
                == ca.notValidAfter.timeIntervalSince1970)
        #expect(!values.keys.contains { $0.contains(#"peer="460000""#) })
        // The CA was made at 1 800 000 000 s; it ends years later.
        #expect(ca.notValidAfter.timeIntervalSince1970 > 1_800_000_000 + 365 * 86_400)
    }

    /// `name{labels} value` lines of an exposition, by series.
    static func values(_ text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, let value = Double(parts[1]) { values[String(parts[0])] = value }
        }
        return values
    }
}
