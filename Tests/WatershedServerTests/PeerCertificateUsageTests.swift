import Crypto
import Foundation
import Logging
import NIOSSL
import SwiftASN1
import Testing
import WatershedCore
import WatershedFederation
import WatershedTestSupport
import X509

@testable import WatershedServer

/// The peer port requires `clientAuth` of a client certificate, `serve` checks its own peer certificate at start
/// (issue 15, item 13), and certificates are warned about ahead of their end (item 14).
@Suite struct PeerCertificateUsageTests {
    /// A certificate signed by `caFolder`'s CA (`ca.pem`, `ca-key.pem`) with `usages` as its extended key usage,
    /// written to `folder/<name>.pem` and `<name>-key.pem`.
    static func issue(
        by caFolder: URL, commonName: String, usages: [ExtendedKeyUsage.Usage], to folder: URL, name: String,
        now: Date = Date()
    ) throws -> (certificate: String, key: String) {
        let ca = try Certificate(
            pemEncoded: try String(contentsOf: caFolder.appendingPathComponent("ca.pem"), encoding: .utf8))
        let caKey = try P256.Signing.PrivateKey(
            pemRepresentation: try String(contentsOf: caFolder.appendingPathComponent("ca-key.pem"), encoding: .utf8))
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3_600), notValidAfter: now.addingTimeInterval(30 * 86_400),
            issuer: ca.subject,
            subject: try DistinguishedName {
                OrganizationName("Watershed")
                CommonName(commonName)
            },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                SubjectAlternativeNames([.dnsName("localhost")])
            },
            issuerPrivateKey: .init(caKey))
        let certificateFile = folder.appendingPathComponent("\(name).pem")
        let keyFile = folder.appendingPathComponent("\(name)-key.pem")
        try Data(try certificate.serializeAsPEM().pemString.utf8).write(to: certificateFile)
        try Data(key.pemRepresentation.utf8).write(to: keyFile)
        return (certificateFile.path, keyFile.path)
    }

    /// The issue's input: a certificate Guangdong's CA signed, named as Guangdong's peer, with extended key usage
    /// serverAuth only. The peer port refuses it at the handshake and logs why in one line; Guangdong's peer-client
    /// certificate (clientAuth, what `watershed certs` makes) is served.
    @Test func peerPortRefusesAServerAuthOnlyCertificate() async throws {
        let log = CapturedLog()
        try await GuardedServer.withData { root in
            try TrialCertificates.make([.init(code: "450000"), .init(code: "440000")], in: root)
            let guangdong = root.appendingPathComponent("440000/tls")
            // `watershed certs` makes Guangdong's client certificate with clientAuth, and only that.
            let peerClient = try Certificate(
                pemEncoded: try String(
                    contentsOf: guangdong.appendingPathComponent("peer-client.pem"), encoding: .utf8))
            #expect(try peerClient.extensions.extendedKeyUsage.map(Array.init) == [.clientAuth])
            let serverOnly = try Self.issue(
                by: guangdong, commonName: "watershed-peer-440000", usages: [.serverAuth], to: root,
                name: "server-only")

            try await GuardedServer.run(data: root.appendingPathComponent("450000"), logger: log.logger()) { ports in
                func tls(_ files: (certificate: String, key: String)) throws -> TLSConfiguration {
                    var tls = try LiveServer.tls(caFile: ports.caFile)
                    tls.certificateChain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) }
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))
                    return tls
                }
                let refused = try await RawConnection.connect(port: ports.peer, tls: try tls(serverOnly))
                _ = await refused.handshake(within: .seconds(5))
                try? await refused.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(await refused.closed(within: .seconds(5)))
                #expect(RawConnection.parse(refused.received) == nil, "no answer to a refused certificate")

                let accepted = try await RawConnection.connect(
                    port: ports.peer,
                    tls: try tls(
                        (
                            guangdong.appendingPathComponent("peer-client.pem").path,
                            guangdong.appendingPathComponent("peer-client-key.pem").path
                        )))
                #expect(await accepted.handshake(within: .seconds(5)))
                try await accepted.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(await accepted.response(within: .seconds(5))?.status == 200)
                accepted.close()
                for _ in 0..<100 where !log.all.contains(where: { $0.message.hasPrefix("TLS handshake failed") }) {
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
        }
        let failures = log.all.filter { $0.message == "TLS handshake failed on the peer port" }
        #expect(failures.count == 1)
        let reason = failures.first?.metadata["reason"] ?? ""
        #expect(reason.contains("CN=watershed-peer-440000"), "\(reason)")
        #expect(reason.contains("serverAuth without clientAuth"), "\(reason)")
    }

    /// The check itself, without a server: a serverAuth-only leaf fails and the note says what is missing; with
    /// clientAuth added it passes.
    @Test func verificationRequiresClientAuth() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        try TrialCertificates.make([.init(code: "450000"), .init(code: "440000")], in: root)
        let guangdong = root.appendingPathComponent("440000/tls")
        let directory = try PeerDirectory(
            agreements: [
                NotificationAgreement(
                    province: "440000", name: "Guangdong Province", notifyWithinH: 1, marginH: 4, agreement: "test",
                    caFile: guangdong.appendingPathComponent("ca.pem").path)
            ], dataDirectory: root, logger: Logger(label: "test"))
        for (usages, verified) in [([.serverAuth], false), ([.serverAuth, .clientAuth], true), ([.clientAuth], true)]
            as [([ExtendedKeyUsage.Usage], Bool)]
        {
            let files = try Self.issue(
                by: guangdong, commonName: "watershed-peer-440000", usages: usages, to: root, name: "leaf")
            let note = VerificationNote()
            let result = await directory.verify(try NIOSSLCertificate.fromPEMFile(files.certificate), note: note)
            #expect((result == .certificateVerified) == verified, "\(usages)")
            #expect((note.refusal?.contains("without clientAuth") ?? false) == !verified, "\(note.refusal ?? "")")
        }
    }

    /// `serve` with `--tls-cert` (serverAuth only, as a typical server certificate) and no `--peer-cert`: with
    /// neighbours to link to it refuses to start, saying the peer certificate lacks clientAuth and what to give;
    /// without links it starts and warns; with a `--peer-cert` that has both usages it says nothing.
    @Test func serveChecksItsOwnPeerCertificate() async throws {
        try await GuardedServer.withData { root in
            try TrialCertificates.make(
                [.init(code: "450000"), .init(code: "440000", peerURL: "wss://127.0.0.1:1")], in: root)
            let guangxi = root.appendingPathComponent("450000")
            let server = try Self.issue(
                by: guangxi.appendingPathComponent("tls"), commonName: "localhost", usages: [.serverAuth], to: root,
                name: "server-only")
            let both = try Self.issue(
                by: guangxi.appendingPathComponent("tls"), commonName: "localhost", usages: [.serverAuth, .clientAuth],
                to: root, name: "both")

            var configuration = LiveServer.configuration(data: guangxi)
            configuration.tlsCert = server.certificate
            configuration.tlsKey = server.key
            do {
                _ = try await buildApplication(configuration, logger: LiveServer.logger, runsScheduler: false)
                Issue.record("started with a peer certificate without clientAuth while linking to Guangdong")
            } catch let error as ServerStartupError {
                let message = error.description
                #expect(message.contains("the peer certificate \(server.certificate)"), "\(message)")
                #expect(message.contains("--peer-cert (not given, so the --tls-cert certificate)"), "\(message)")
                #expect(message.contains("serverAuth without clientAuth"), "\(message)")
                #expect(message.contains("give --peer-cert and --peer-key"), "\(message)")
            }

            configuration.peerCert = both.certificate
            configuration.peerKey = both.key
            let log = CapturedLog()
            _ = try await buildApplication(configuration, logger: log.logger(), runsScheduler: false)
            #expect(!log.all.contains { $0.message.contains("clientAuth") })

            // No links (a fresh data directory: the seeds' neighbours have no CA file there): a warning only.
            let lone = root.appendingPathComponent("lone")
            var unlinked = LiveServer.configuration(data: lone)
            unlinked.tlsCert = server.certificate
            unlinked.tlsKey = server.key
            let warned = CapturedLog()
            _ = try await buildApplication(unlinked, logger: warned.logger(), runsScheduler: false)
            let warning = warned.all.first { $0.level == .warning && $0.message.contains("without clientAuth") }
            #expect(warning != nil, "\(warned.all.map(\.message))")
        }
    }

    /// Item 14: a development set made 380 days ago (397-day validity) ends in 17 days less the hour it was
    /// back-dated: 16 whole days. `serve` warns at start, saying how to renew; a fresh set gets no warning.
    @Test func expiringCertificatesAreWarnedAbout() async throws {
        try await GuardedServer.withData { data in
            let now = Date()
            let old = DevelopmentCertificates(dataDirectory: data)
            try old.ensure(hostName: nil, now: now.addingTimeInterval(-380 * 86_400))
            let server = try Certificate(pemEncoded: try String(contentsOf: old.certificateFile, encoding: .utf8))
            #expect(server.notValidAfter.timeIntervalSince(server.notValidBefore) == 397 * 86_400)
            let warnings = CertificateChecks.expiryWarnings(
                [
                    .init(
                        role: "the people's port certificate", label: "people_port", file: old.certificateFile.path,
                        development: true)
                ],
                dataDirectory: data, now: now)
            #expect(warnings.count == 1)
            #expect(warnings.first?.contains("in 16 days") == true, "\(warnings)")
            #expect(warnings.first?.contains("delete \(data.path)/tls/") == true, "\(warnings)")

            let log = CapturedLog()
            _ = try await buildApplication(
                LiveServer.configuration(data: data), logger: log.logger(), runsScheduler: false)
            let expiring = log.all.filter { $0.level == .warning && $0.message.hasPrefix("certificate expiring") }
            // The people's port and the peer port share server.pem; the links' peer-client.pem is made today.
            #expect(expiring.count == 1, "\(expiring.map(\.message))")
            #expect(expiring.first?.message.contains("in 16 days") == true)

            let fresh = try LiveServer.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: fresh) }
            let made = DevelopmentCertificates(dataDirectory: fresh)
            try made.ensure(hostName: nil, now: now)
            #expect(
                CertificateChecks.expiryWarnings(
                    [
                        .init(
                            role: "the people's port certificate", label: "people_port",
                            file: made.certificateFile.path, development: true)
                    ],
                    dataDirectory: fresh, now: now
                ).isEmpty)
        }
    }
}
