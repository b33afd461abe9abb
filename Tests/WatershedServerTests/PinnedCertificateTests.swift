import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOSSL
import SwiftASN1
import Testing
import WatershedCore
import WatershedFederation
import WatershedTestSupport
import X509

@testable import WatershedServer

/// A peer known by the SHA-256 fingerprint of its client certificate (`certSHA256`, DESIGN.md "Certificates per
/// province") instead of its CA: the peer port accepts that one certificate whoever signed it, maps it to that
/// peer, and still refuses every other certificate at the handshake.
@Suite(.serialized) struct PinnedCertificateTests {
    /// A self-signed ECDSA P-256 client certificate (no CA anywhere), as a province's gateway might present.
    struct SelfSigned {
        let certificate: Certificate
        let key: P256.Signing.PrivateKey
        var der: [UInt8] {
            get throws {
                var serializer = DER.Serializer()
                try serializer.serialize(certificate)
                return serializer.serializedBytes
            }
        }
        /// `AB:CD:…`, the form `openssl x509 -fingerprint -sha256` prints, computed here with swift-crypto.
        var fingerprint: String {
            get throws { SHA256.hash(data: try der).map { String(format: "%02X", $0) }.joined(separator: ":") }
        }

        init(commonName: String, notBefore: Date, notAfter: Date) throws {
            key = P256.Signing.PrivateKey()
            let name = try DistinguishedName {
                OrganizationName("Guangdong Department of Ecology and Environment")
                CommonName(commonName)
            }
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                notValidBefore: notBefore, notValidAfter: notAfter, issuer: name, subject: name,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.notCertificateAuthority)
                    try ExtendedKeyUsage([.clientAuth])
                },
                issuerPrivateKey: .init(key))
        }

        /// Writes `<name>.pem` and `<name>-key.pem` into `folder`; returns their paths.
        func write(to folder: URL, name: String) throws -> (certificate: String, key: String) {
            let certificateFile = folder.appendingPathComponent("\(name).pem")
            let keyFile = folder.appendingPathComponent("\(name)-key.pem")
            try Data(try certificate.serializeAsPEM().pemString.utf8).write(to: certificateFile)
            try Data(key.pemRepresentation.utf8).write(to: keyFile)
            return (certificateFile.path, keyFile.path)
        }
    }

    /// SHA-256 of the empty string (FIPS 180-4 test vector), in both spellings `certSHA256` accepts.
    @Test(arguments: [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55",
    ])
    func fingerprintSpellings(text: String) throws {
        let bytes = try #require(NotificationAgreement.fingerprintBytes(text))
        #expect(bytes.count == 32)
        #expect(bytes.first == 0xE3 && bytes[1] == 0xB0 && bytes.last == 0x55)
    }

    @Test(arguments: [
        "",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",  // 63 digits
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",  // 65
        "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // not hex
        "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8",  // 31 pairs
        "E3B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55",
    ])
    func malformedFingerprintsAreRefused(text: String) {
        #expect(NotificationAgreement.fingerprintBytes(text) == nil)
    }

    /// The handshake's verification itself, at chosen times: a pinned certificate passes within its validity period
    /// only; one with the same subject but another key does not.
    @Test func verificationChecksThePinAndTheValidityPeriod() async throws {
        let january = ISO8601DateFormatter().date(from: "2026-01-01T00:00:00Z")!
        let february = ISO8601DateFormatter().date(from: "2026-02-01T00:00:00Z")!
        let pinned = try SelfSigned(commonName: "gd-gateway", notBefore: january, notAfter: february)
        let impostor = try SelfSigned(commonName: "gd-gateway", notBefore: january, notAfter: february)
        let data = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: data) }
        let directory = try PeerDirectory(
            agreements: [
                NotificationAgreement(
                    province: "440000", name: "Guangdong Province", notifyWithinH: 1, marginH: 4, agreement: "test",
                    certSHA256: try pinned.fingerprint.lowercased())
            ], dataDirectory: data, logger: Logger(label: "test"))
        #expect(directory.peers["440000"]?.pinnedSHA256 == Array(SHA256.hash(data: try pinned.der)))
        #expect(directory.trustRoots.isEmpty, "a pinned peer adds no CA")
        let mid = january.addingTimeInterval(14 * 86_400)
        let chain = [try NIOSSLCertificate(bytes: try pinned.der, format: .der)]
        #expect(await directory.verify(chain, now: mid) == .certificateVerified)
        #expect(await directory.verify(chain, now: february.addingTimeInterval(1)) == .failed, "expired")
        #expect(await directory.verify(chain, now: january.addingTimeInterval(-1)) == .failed, "not yet valid")
        let other = [try NIOSSLCertificate(bytes: try impostor.der, format: .der)]
        #expect(await directory.verify(other, now: mid) == .failed)
        #expect(await directory.verify([], now: mid) == .failed)
        let recognised = directory.recognise(pinned.certificate, der: try pinned.der)
        guard case .pinned(let peer) = recognised else {
            Issue.record("not recognised by its pin: \(String(describing: recognised))")
            return
        }
        #expect(peer.province == "440000")
        #expect(directory.recognise(impostor.certificate, der: try impostor.der) == nil)
    }

    /// Guangxi's server knows Guangdong only by the fingerprint of a self-signed certificate (its `links.yaml`) and
    /// Hainan by its CA: over real TLS on loopback, each is accepted and mapped to its own province, and a stranger
    /// is refused at the handshake — including a certificate named `CN=watershed-peer-440000` from a CA Guangxi does
    /// not trust.
    @Test func peerPortAcceptsAPinnedCertificateAndMapsItToItsPeer() async throws {
        let root = try LiveServer.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("450000")
        let peersFolder = data.appendingPathComponent("peers")
        try FileManager.default.createDirectory(at: peersFolder, withIntermediateDirectories: true)
        // Hainan: a CA of its own (what `watershed certs` makes), trusted the usual way.
        try TrialCertificates.make(
            [.init(code: "460000"), .init(code: "440000")], in: root.appendingPathComponent("others"))
        let hainanTLS = root.appendingPathComponent("others/460000/tls")
        try FileManager.default.copyItem(
            at: hainanTLS.appendingPathComponent("ca.pem"), to: peersFolder.appendingPathComponent("460000-ca.pem"))
        // Guangdong: a self-signed certificate, pinned by its fingerprint; no Guangdong CA file anywhere in `data`.
        let now = Date()
        let gateway = try SelfSigned(
            commonName: "gd-cap-gateway", notBefore: now.addingTimeInterval(-3_600),
            notAfter: now.addingTimeInterval(86_400))
        let gatewayFiles = try gateway.write(to: root, name: "gd-gateway")
        let impostorFiles = try SelfSigned(
            commonName: "gd-cap-gateway", notBefore: now.addingTimeInterval(-3_600),
            notAfter: now.addingTimeInterval(86_400)
        ).write(to: root, name: "impostor")
        let unusedPort = try LiveServer.freePort()
        try Data(
            """
            schemaVersion: 1
            kind: peerLinks
            links:
              - province: "440000"
                certSHA256: "\(try gateway.fingerprint)"
              - province: "460000"
                caFile: peers/460000-ca.pem
                url: "wss://127.0.0.1:\(unusedPort)"
            """.utf8
        ).write(to: peersFolder.appendingPathComponent("links.yaml"))
        let peerPort = try LiveServer.freePort()

        try await LiveServer.run(data: data, peerPort: peerPort) { handle in
            let serverCA = try NIOSSLCertificate.fromPEMFile(handle.caFile)
            func client(_ files: (certificate: String, key: String)?) throws -> HTTPClient {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.trustRoots = .certificates(serverCA)
                if let files {
                    tls.certificateChain = try NIOSSLCertificate.fromPEMFile(files.certificate).map { .certificate($0) }
                    tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: files.key, format: .pem))
                }
                var configuration = HTTPClient.Configuration()
                configuration.tlsConfiguration = tls
                return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            }
            func get(_ path: String, as files: (certificate: String, key: String)?) async throws -> Int {
                let http = try client(files)
                defer { http.shutdown { _ in } }
                let response = try await http.execute(
                    HTTPClientRequest(url: "https://127.0.0.1:\(peerPort)\(path)"), timeout: .seconds(20))
                return Int(response.status.code)
            }

            // The pinned certificate opens Guangdong's link (a plain GET is told to upgrade: it got past the
            // handshake and was mapped to 440000) and no other province's.
            #expect(try await get("/v1/peer/link/440000", as: gatewayFiles) == 426)
            #expect(try await get("/v1/peer/link/460000", as: gatewayFiles) == 403)
            // CAP 1.2 posted with it is stored as Guangdong's (the peer is the certificate's, never a header).
            let http = try client(gatewayFiles)
            defer { http.shutdown { _ in } }
            var post = HTTPClientRequest(url: "https://127.0.0.1:\(peerPort)/v1/feeds/cap")
            post.method = .POST
            post.headers.add(name: "Content-Type", value: "application/cap+xml")
            post.body = .bytes(
                ByteBuffer(
                    data: try Data(
                        contentsOf: Fixtures.capFixtures.appendingPathComponent(
                            "01-oasis-A1-homeland-security-alert.xml"))))
            let answer = try await http.execute(post, timeout: .seconds(20))
            let answerBody = String(buffer: try await answer.body.collect(upTo: 1 << 20))
            #expect(answer.status.code == 200, "\(answerBody)")
            let api = try APIClient(handle)
            defer { api.close() }
            let events = try await api.request(.GET, "/v1/events?after=0", token: DevToken.viewer)
                .decoded([StoredEvent].self)
            let received = try #require(events.first { $0.type == .capReceived })
            #expect(try received.payload(as: CAPReceivedPayload.self).peer == "440000")
            #expect(received.actor == .peer(province: "440000"))

            // Hainan's CA-signed peer-client certificate still opens Hainan's link (the CA path of the same
            // verification).
            let hainan = (
                hainanTLS.appendingPathComponent("peer-client.pem").path,
                hainanTLS.appendingPathComponent("peer-client-key.pem").path
            )
            #expect(try await get("/v1/peer/link/460000", as: hainan) == 426)

            // Refused at the handshake: the same subject with another key; Guangdong's proper peer-client
            // certificate from a CA Guangxi was never given; no certificate at all.
            await #expect(throws: (any Error).self) { try await get("/v1/peer/link/440000", as: impostorFiles) }
            let guangdongTLS = root.appendingPathComponent("others/440000/tls")
            let unknownCA = (
                guangdongTLS.appendingPathComponent("peer-client.pem").path,
                guangdongTLS.appendingPathComponent("peer-client-key.pem").path
            )
            await #expect(throws: (any Error).self) { try await get("/v1/peer/link/440000", as: unknownCA) }
            await #expect(throws: (any Error).self) { try await get("/v1/peer/link/440000", as: nil) }
        }
    }
}
