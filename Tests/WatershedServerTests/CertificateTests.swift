import Crypto
import Foundation
import SwiftASN1
import Testing
import WatershedFederation
import X509

@testable import WatershedServer

/// The development CA and server certificate (DESIGN.md "Development certificates"), read back with
/// swift-certificates rather than trusted from the code that made them.
@Suite struct CertificateTests {
    struct Files {
        let certificates: DevelopmentCertificates
        let data: URL
        var ca: Certificate { get throws { try Certificate(pemEncoded: try text(certificates.caFile)) } }
        var server: Certificate { get throws { try Certificate(pemEncoded: try text(certificates.certificateFile)) } }
        func text(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }
        func bytes() throws -> [Data] { try certificates.files.map { try Data(contentsOf: $0) } }
        /// Removes the data directory the files were made in (a test's `defer`).
        func remove() { try? FileManager.default.removeItem(at: data) }
    }

    /// Makes the development files in a fresh temporary data directory (`watershed-tls-<uuid>`); the test removes it
    /// with ``Files/remove()``.
    static func made(hostName: String? = "watershed-test-host") throws -> Files {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("watershed-tls-\(UUID())")
        let certificates = DevelopmentCertificates(dataDirectory: data)
        #expect(try certificates.ensure(hostName: hostName))
        return Files(certificates: certificates, data: data)
    }

    @Test func filesAreInDataTLS() throws {
        let files = try Self.made()
        defer { files.remove() }
        #expect(files.certificates.directory.path == files.data.appendingPathComponent("tls").path)
        #expect(
            files.certificates.files.map(\.lastPathComponent) == [
                "ca.pem", "ca-key.pem", "server.pem", "server-key.pem",
            ])
        #expect(files.certificates.exist)
    }

    @Test func caIsACA() throws {
        let files = try Self.made()
        defer { files.remove() }
        let ca = try files.ca
        #expect(ca.issuer == ca.subject)
        let constraints = try #require(try ca.extensions.basicConstraints)
        #expect(constraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(ca.extensions.first { $0.oid == .X509ExtensionID.basicConstraints }?.critical == true)
        let usage = try #require(try ca.extensions.keyUsage)
        #expect(usage.keyCertSign)
        #expect(try ca.extensions.subjectKeyIdentifier != nil)
        // Self-signed.
        #expect(ca.publicKey.isValidSignature(ca.signature, for: ca))
    }

    @Test func serverIsSignedByTheCA() async throws {
        let files = try Self.made()
        defer { files.remove() }
        let ca = try files.ca
        let server = try files.server
        #expect(server.issuer == ca.subject)
        #expect(try server.extensions.basicConstraints == .notCertificateAuthority)
        #expect(ca.publicKey.isValidSignature(server.signature, for: server))
        #expect(
            try server.extensions.authorityKeyIdentifier?.keyIdentifier
                == ca.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(try server.extensions.extendedKeyUsage?.contains(.serverAuth) == true)

        // A certificate from another CA does not verify against this one.
        let other = try Certificate(pemEncoded: try DevelopmentCertificates.issue().serverPEM)
        #expect(!ca.publicKey.isValidSignature(other.signature, for: other))

        // And swift-certificates' own verifier builds the chain to the CA, for each name a client uses.
        for (name, ip) in [("localhost", nil), (nil, "127.0.0.1"), (nil, "::1")] as [(String?, String?)] {
            var verifier = Verifier(rootCertificates: CertificateStore([ca])) {
                RFC5280Policy()
                ServerIdentityPolicy(serverHostname: name, serverIP: ip)
            }
            let result = await verifier.validate(leaf: server, intermediates: CertificateStore())
            guard case .validCertificate(let chain) = result else {
                Issue.record("not valid for \(name ?? ip ?? ""): \(result)")
                continue
            }
            #expect(Array(chain) == [server, ca])
        }
        var wrongName = Verifier(rootCertificates: CertificateStore([ca])) {
            RFC5280Policy()
            ServerIdentityPolicy(serverHostname: "example.org", serverIP: nil)
        }
        guard case .couldNotValidate = await wrongName.validate(leaf: server, intermediates: CertificateStore()) else {
            Issue.record("valid for example.org")
            return
        }
    }

    @Test func subjectAlternativeNames() throws {
        let files = try Self.made(hostName: "watershed-test-host")
        defer { files.remove() }
        let server = try files.server
        let names = try #require(try server.extensions.subjectAlternativeNames)
        var dns: [String] = []
        var ips: [[UInt8]] = []
        for name in names {
            switch name {
            case .dnsName(let value): dns.append(value)
            case .ipAddress(let octets): ips.append(Array(octets.bytes))
            default: Issue.record("unexpected SAN \(name)")
            }
        }
        #expect(dns == ["localhost", "watershed-test-host"])
        // 127.0.0.1 as 4 octets and ::1 as 16 (RFC 5280 §4.2.1.6), not as DNS names.
        #expect(ips == [[127, 0, 0, 1], [UInt8](repeating: 0, count: 15) + [1]])

        let noHostFiles = try Self.made(hostName: "localhost")
        defer { noHostFiles.remove() }
        let noHost = try noHostFiles.server
        let noHostDNS = try #require(try noHost.extensions.subjectAlternativeNames).compactMap { name -> String? in
            if case .dnsName(let value) = name { return value }
            return nil
        }
        #expect(noHostDNS == ["localhost"])
    }

    @Test func validityCoversNow() throws {
        let now = Date()
        let files = try Self.made()
        defer { files.remove() }
        for certificate in [try files.ca, try files.server] {
            #expect(certificate.notValidBefore <= now)
            #expect(certificate.notValidBefore >= now.addingTimeInterval(-3_600 - 60))
            #expect(certificate.notValidAfter > now.addingTimeInterval(396 * 86_400))
            // CA/Browser Forum Baseline Requirements §6.3.2: at most 398 days since 2020-09-01; we keep to 397.
            #expect(certificate.notValidAfter.timeIntervalSince(certificate.notValidBefore) <= 397 * 86_400)
        }
    }

    @Test func keysAreP256AndBelongToTheirCertificates() throws {
        let files = try Self.made()
        defer { files.remove() }
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: try files.text(files.certificates.caKeyFile))
        let serverKey = try P256.Signing.PrivateKey(pemRepresentation: try files.text(files.certificates.keyFile))
        #expect(try files.ca.publicKey == Certificate.PublicKey(caKey.publicKey))
        #expect(try files.server.publicKey == Certificate.PublicKey(serverKey.publicKey))
        #expect(P256.Signing.PublicKey(try files.ca.publicKey) != nil)
        #expect(P256.Signing.PublicKey(try files.server.publicKey) != nil)
        #expect(try files.server.signatureAlgorithm == .ecdsaWithSHA256)
        #expect(try files.text(files.certificates.keyFile).hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test func privateKeysAreMode0600() throws {
        let files = try Self.made()
        defer { files.remove() }
        for file in [files.certificates.caKeyFile, files.certificates.keyFile] {
            let mode = try #require(
                try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)
            #expect(mode.intValue & 0o777 == 0o600, "\(file.lastPathComponent)")
        }
        // Nothing left behind by the atomic writes.
        let left = try FileManager.default.contentsOfDirectory(atPath: files.certificates.directory.path).sorted()
        #expect(left == ["ca-key.pem", "ca.pem", "server-key.pem", "server.pem"])
    }

    @Test func ensureReusesExistingFiles() throws {
        let files = try Self.made()
        defer { files.remove() }
        let before = try files.bytes()
        #expect(try files.certificates.ensure(hostName: "watershed-test-host") == false)
        #expect(try files.bytes() == before)
    }

    @Test func keyFileMadeReadableIsNarrowedOnReuse() throws {
        let files = try Self.made()
        defer { files.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: files.certificates.keyFile.path)
        #expect(try files.certificates.ensure() == false)
        let mode = try #require(
            try FileManager.default.attributesOfItem(atPath: files.certificates.keyFile.path)[.posixPermissions]
                as? NSNumber)
        #expect(mode.intValue & 0o777 == 0o600)
    }

    /// Any incomplete or mismatched set is made anew, all four files, so the set is always one issuance.
    @Test(arguments: ["server.pem", "server-key.pem", "ca.pem", "ca-key.pem"])
    func halfPresentSetIsRemadeWhole(deleted: String) throws {
        let files = try Self.made()
        defer { files.remove() }
        let before = try files.bytes()
        try FileManager.default.removeItem(at: files.certificates.directory.appendingPathComponent(deleted))
        #expect(!files.certificates.isUsable())
        #expect(try files.certificates.ensure())
        let after = try files.bytes()
        for (old, new) in zip(before, after) { #expect(old != new) }
        #expect(files.certificates.isUsable())
        let ca = try files.ca
        let server = try files.server
        #expect(ca.publicKey.isValidSignature(server.signature, for: server))
    }

    @Test func mismatchedSetIsRemade() throws {
        let files = try Self.made()
        defer { files.remove() }
        // server.pem from another issuance: parses, but neither its key nor its CA is here.
        try DevelopmentCertificates.issue().serverPEM.write(
            to: files.certificates.certificateFile, atomically: true, encoding: .utf8)
        #expect(!files.certificates.isUsable())
        #expect(try files.certificates.ensure())
        #expect(files.certificates.isUsable())
    }

    @Test func garbageSetIsRemade() throws {
        let files = try Self.made()
        defer { files.remove() }
        try "not a certificate".write(to: files.certificates.caFile, atomically: true, encoding: .utf8)
        #expect(try files.certificates.ensure())
        #expect(files.certificates.isUsable())
    }

    @Test func expiredSetIsRemade() throws {
        let files = try Self.made()
        defer { files.remove() }
        // Valid 397 days from an hour before it was made (DevelopmentCertificates.validity).
        #expect(files.certificates.isUsable(now: Date().addingTimeInterval(390 * 86_400)))
        #expect(!files.certificates.isUsable(now: Date().addingTimeInterval(400 * 86_400)))
        #expect(try files.certificates.ensure(now: Date().addingTimeInterval(400 * 86_400)))
    }

    // MARK: TLSSetup

    @Test func tlsSetupReadsTheDevelopmentFiles() throws {
        let files = try Self.made()
        defer { files.remove() }
        let configuration = try TLSSetup.serverConfiguration(
            certificateFile: files.certificates.certificateFile.path, keyFile: files.certificates.keyFile.path)
        #expect(configuration.minimumTLSVersion == .tlsv12)
    }

    static func startupMessage(certificateFile: String, keyFile: String) -> String? {
        do {
            _ = try TLSSetup.serverConfiguration(certificateFile: certificateFile, keyFile: keyFile)
            return nil
        } catch ServerStartupError.tls(let message) {
            return message
        } catch {
            Issue.record("not ServerStartupError.tls: \(error)")
            return nil
        }
    }

    @Test func missingCertificateFileIsNamed() throws {
        let files = try Self.made()
        defer { files.remove() }
        let missing = files.data.appendingPathComponent("nowhere.pem").path
        let message = try #require(
            Self.startupMessage(certificateFile: missing, keyFile: files.certificates.keyFile.path))
        #expect(message.contains(missing))
        let missingKey = try #require(
            Self.startupMessage(certificateFile: files.certificates.certificateFile.path, keyFile: missing))
        #expect(message.contains(missing))
        #expect(missingKey.contains("private key"))
    }

    @Test(arguments: ["not a certificate\n", "", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
    func garbageCertificateFileIsNamed(text: String) throws {
        let files = try Self.made()
        defer { files.remove() }
        let garbage = files.data.appendingPathComponent("garbage.pem")
        try text.write(to: garbage, atomically: true, encoding: .utf8)
        let message = try #require(
            Self.startupMessage(certificateFile: garbage.path, keyFile: files.certificates.keyFile.path))
        #expect(message.contains(garbage.path))
        let asKey = try #require(
            Self.startupMessage(certificateFile: files.certificates.certificateFile.path, keyFile: garbage.path))
        #expect(asKey.contains(garbage.path))
    }

    @Test func keyOfAnotherCertificateIsRefused() throws {
        let files = try Self.made()
        defer { files.remove() }
        let otherKey = files.data.appendingPathComponent("other-key.pem")
        try DevelopmentCertificates.issue().serverKeyPEM.write(to: otherKey, atomically: true, encoding: .utf8)
        let message = try #require(
            Self.startupMessage(certificateFile: files.certificates.certificateFile.path, keyFile: otherKey.path))
        #expect(message.contains(otherKey.path))
        #expect(message.contains(files.certificates.certificateFile.path))
    }

    @Test func startupErrorDescription() {
        #expect(ServerStartupError.tls("x").description == "TLS: x")
    }
}
