import Crypto
import Foundation
import SwiftASN1
import WatershedFederation
import X509

/// The development certificate authority and server certificate that `watershed serve`
/// makes when no certificate is given (DESIGN.md "Development certificates"): an ECDSA P-256
/// CA and a server certificate it signs, with SANs `localhost`, `127.0.0.1`, `::1` and the host
/// name, written as PEM to `<data>/tls/` (`ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`)
/// and reused on later starts.
public struct DevelopmentCertificates: Sendable {
    /// The folder, `<data>/tls`.
    public let directory: URL
    /// `ca.pem`: what a client passes with `--cacert` / `--ca`.
    public var caFile: URL { directory.appendingPathComponent("ca.pem") }
    /// `ca-key.pem`: the CA's private key (mode 0600).
    public var caKeyFile: URL { directory.appendingPathComponent("ca-key.pem") }
    /// `server.pem`: the server certificate.
    public var certificateFile: URL { directory.appendingPathComponent("server.pem") }
    /// `server-key.pem`: the server's private key (mode 0600).
    public var keyFile: URL { directory.appendingPathComponent("server-key.pem") }

    /// `peer-client.pem`: the certificate this server presents to neighbours' peer ports (issue 5), signed by the CA,
    /// subject `CN=watershed-peer-<province>`, extended key usage client authentication.
    public var peerClientFile: URL { directory.appendingPathComponent("peer-client.pem") }
    /// `peer-client-key.pem`: its private key (mode 0600).
    public var peerClientKeyFile: URL { directory.appendingPathComponent("peer-client-key.pem") }

    /// How long every development certificate is valid, from an hour before it is made: 397 days. The CA/Browser
    /// Forum's Baseline Requirements (§6.3.2, since 2020-09-01) allow a subscriber certificate at most 398 days, and
    /// Apple and Chrome refuse longer ones; 397 keeps a day of margin for clocks and time zones (issue 15, item 14).
    /// `serve` warns at start when fewer than ``CertificateChecks/warningDays`` remain.
    public static let validity: TimeInterval = 397 * 86_400

    /// Creates a handle on `<data>/tls`.
    public init(dataDirectory: URL) {
        self.directory = dataDirectory.appendingPathComponent("tls")
    }

    /// The four files, CA first.
    public var files: [URL] { [caFile, caKeyFile, certificateFile, keyFile] }

    /// Whether all four files exist.
    public var exist: Bool {
        files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Whether the four files exist and belong together at `now`: both certificates and keys
    /// parse, each key is its certificate's, the CA is a CA and signed the server certificate,
    /// and `now` lies within both validity periods.
    public func isUsable(now: Date = Date()) -> Bool {
        guard exist,
            let caPEM = try? String(contentsOf: caFile, encoding: .utf8),
            let caKeyPEM = try? String(contentsOf: caKeyFile, encoding: .utf8),
            let serverPEM = try? String(contentsOf: certificateFile, encoding: .utf8),
            let serverKeyPEM = try? String(contentsOf: keyFile, encoding: .utf8),
            let ca = try? Certificate(pemEncoded: caPEM),
            let server = try? Certificate(pemEncoded: serverPEM),
            let caKey = try? P256.Signing.PrivateKey(pemRepresentation: caKeyPEM),
            let serverKey = try? P256.Signing.PrivateKey(pemRepresentation: serverKeyPEM)
        else { return false }
        let isCA: Bool
        if case .isCertificateAuthority = try? ca.extensions.basicConstraints { isCA = true } else { isCA = false }
        return isCA && ca.publicKey == Certificate.PublicKey(caKey.publicKey)
            && server.publicKey == Certificate.PublicKey(serverKey.publicKey)
            && server.issuer == ca.subject && ca.publicKey.isValidSignature(server.signature, for: server)
            && [ca, server].allSatisfy { $0.notValidBefore <= now && now < $0.notValidAfter }
    }

    /// Makes the CA and server certificate unless the four files are there and usable
    /// (``isUsable(now:)``); returns whether it made them.
    ///
    /// When any file is missing, unreadable or does not fit the others (a half-written set, a
    /// deleted `server.pem`, an expired certificate), all four are made anew — a new CA too, so
    /// clients must trust the new `ca.pem`. Re-signing with a left-over CA key was rejected: a
    /// set is then only ever one issuance, never a mix. Private keys are created with mode 0600
    /// (never readable by others, not even for a moment) and an existing key file that others can
    /// read is narrowed to 0600. Each file is replaced atomically; a crash between files leaves an
    /// incomplete set, which the next start makes anew.
    ///
    /// - Parameters:
    ///   - hostName: an extra DNS SAN (the machine's host name), if any.
    ///   - caCommonName: the CA's common name (one per province, e.g. `Watershed 450000 development CA`, so two
    ///     provinces' CAs never share a subject).
    ///   - now: the start of validity (an hour earlier, for clock skew); valid ``validity`` (397 days) from there.
    /// - Throws: file-system errors, or X509 errors while signing.
    @discardableResult
    public func ensure(
        hostName: String? = nil, caCommonName: String = "Watershed development CA", now: Date = Date()
    ) throws -> Bool {
        if isUsable(now: now) {
            for file in [caKeyFile, keyFile] {
                let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
                if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
                    try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
                }
            }
            return false
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for file in files where FileManager.default.fileExists(atPath: file.path) {
            try FileManager.default.removeItem(at: file)
        }
        let issued = try Self.issue(commonName: caCommonName, hostName: hostName, now: now)
        try Self.write(issued.caKeyPEM, to: caKeyFile, mode: 0o600)
        try Self.write(issued.serverKeyPEM, to: keyFile, mode: 0o600)
        try Self.write(issued.caPEM, to: caFile, mode: 0o644)
        try Self.write(issued.serverPEM, to: certificateFile, mode: 0o644)
        return true
    }

    /// Makes the peer-client certificate for `province` from the CA in this folder unless a usable one for that
    /// province is there (signed by this CA, valid at `now`, its key its own); returns whether it made one. Call after
    /// ``ensure(hostName:now:)``.
    ///
    /// - Throws: file-system errors; `CertificateError` when the CA files cannot be read.
    @discardableResult
    public func ensurePeerClient(province: String, now: Date = Date()) throws -> Bool {
        let caPEM = try String(contentsOf: caFile, encoding: .utf8)
        let caKeyPEM = try String(contentsOf: caKeyFile, encoding: .utf8)
        let ca = try Certificate(pemEncoded: caPEM)
        let caKey = try P256.Signing.PrivateKey(pemRepresentation: caKeyPEM)
        if let certificatePEM = try? String(contentsOf: peerClientFile, encoding: .utf8),
            let keyPEM = try? String(contentsOf: peerClientKeyFile, encoding: .utf8),
            let certificate = try? Certificate(pemEncoded: certificatePEM),
            let key = try? P256.Signing.PrivateKey(pemRepresentation: keyPEM),
            certificate.publicKey == Certificate.PublicKey(key.publicKey), certificate.issuer == ca.subject,
            ca.publicKey.isValidSignature(certificate.signature, for: certificate),
            certificate.notValidBefore <= now, now < certificate.notValidAfter,
            certificate.subject == (try? Self.peerClientName(province: province))
        {
            return false
        }
        let issued = try Self.issuePeerClient(province: province, ca: ca, caKey: caKey, now: now)
        try Self.write(issued.keyPEM, to: peerClientKeyFile, mode: 0o600)
        try Self.write(issued.certificatePEM, to: peerClientFile, mode: 0o644)
        return true
    }

    /// `CN=watershed-peer-<province>, O=Watershed`: the subject of a province's peer-client certificate.
    public static func peerClientName(province: String) throws -> DistinguishedName {
        try PeerNames.clientName(province: province)
    }

    /// Issues a peer-client certificate for `province` signed by `ca` (ECDSA P-256, SHA-256, valid ``validity``, client
    /// authentication only).
    public static func issuePeerClient(
        province: String, ca: Certificate, caKey: P256.Signing.PrivateKey, now: Date = Date()
    ) throws -> (certificatePEM: String, keyPEM: String) {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-3_600), notValidAfter: now.addingTimeInterval(-3_600 + validity),
            issuer: ca.subject, subject: try peerClientName(province: province), signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.clientAuth])
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: ca.publicKey).keyIdentifier)
            },
            issuerPrivateKey: .init(caKey))
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// Writes `text` to a new file beside `url` created with `mode`, syncs it, and renames it over `url`.
    private static func write(_ text: String, to url: URL, mode: mode_t) throws {
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID())")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL, mode)
        guard descriptor >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0, rename(temporary.path, url.path) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            unlink(temporary.path)
            throw POSIXError(code)
        }
    }

    /// PEM texts of a freshly issued CA and server certificate.
    public struct Issued: Sendable {
        /// The CA certificate.
        public var caPEM: String
        /// The CA's private key (PKCS #8).
        public var caKeyPEM: String
        /// The server certificate.
        public var serverPEM: String
        /// The server's private key (PKCS #8).
        public var serverKeyPEM: String
    }

    /// Issues a CA and a server certificate (ECDSA P-256, SHA-256).
    ///
    /// - Parameters:
    ///   - commonName: the CA's common name.
    ///   - hostName: an extra DNS SAN.
    ///   - now: start of validity.
    public static func issue(
        commonName: String = "Watershed development CA", hostName: String? = nil, now: Date = Date()
    ) throws -> Issued {
        let caKey = P256.Signing.PrivateKey()
        let serverKey = P256.Signing.PrivateKey()
        let caPublicKey = Certificate.PublicKey(caKey.publicKey)
        let serverPublicKey = Certificate.PublicKey(serverKey.publicKey)
        let caName = try DistinguishedName {
            OrganizationName("Watershed")
            CommonName(commonName)
        }
        let serverName = try DistinguishedName {
            OrganizationName("Watershed")
            CommonName("localhost")
        }
        let notBefore = now.addingTimeInterval(-3_600)
        let notAfter = notBefore.addingTimeInterval(validity)
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: caPublicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: caPublicKey)
            },
            issuerPrivateKey: .init(caKey))
        var names: [GeneralName] = [
            .dnsName("localhost"),
            .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))),
        ]
        if let hostName, !hostName.isEmpty, hostName != "localhost" { names.append(.dnsName(hostName)) }
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: serverPublicKey,
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: serverName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: serverPublicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: caPublicKey).keyIdentifier)
            },
            issuerPrivateKey: .init(caKey))
        return Issued(
            caPEM: try ca.serializeAsPEM().pemString, caKeyPEM: caKey.pemRepresentation,
            serverPEM: try server.serializeAsPEM().pemString, serverKeyPEM: serverKey.pemRepresentation)
    }
}
