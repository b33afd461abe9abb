import Crypto
import Foundation
import SwiftASN1
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

    /// Creates a handle on `<data>/tls`.
    public init(dataDirectory: URL) {
        self.directory = dataDirectory.appendingPathComponent("tls")
    }

    /// Whether all four files exist.
    public var exist: Bool {
        [caFile, caKeyFile, certificateFile, keyFile].allSatisfy { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Makes the CA and server certificate unless all four files exist; returns whether it made them.
    ///
    /// - Parameters:
    ///   - hostName: an extra DNS SAN (the machine's host name), if any.
    ///   - now: the start of validity (an hour earlier, for clock skew); valid 825 days.
    /// - Throws: file-system errors, or X509 errors while signing.
    @discardableResult
    public func ensure(hostName: String? = nil, now: Date = Date()) throws -> Bool {
        if exist { return false }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let issued = try Self.issue(hostName: hostName, now: now)
        try write(issued.caPEM, to: caFile, private: false)
        try write(issued.caKeyPEM, to: caKeyFile, private: true)
        try write(issued.serverPEM, to: certificateFile, private: false)
        try write(issued.serverKeyPEM, to: keyFile, private: true)
        return true
    }

    private func write(_ text: String, to url: URL, private isPrivate: Bool) throws {
        try Data(text.utf8).write(to: url, options: .atomic)
        if isPrivate { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path) }
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
        let caName = try DistinguishedName {
            OrganizationName("Watershed")
            CommonName(commonName)
        }
        let serverName = try DistinguishedName {
            OrganizationName("Watershed")
            CommonName("localhost")
        }
        let notBefore = now.addingTimeInterval(-3_600)
        let notAfter = now.addingTimeInterval(825 * 86_400)
        let ca = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: caName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey))
        var names: [GeneralName] = [
            .dnsName("localhost"),
            .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
            .ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))),
        ]
        if let hostName, !hostName.isEmpty, hostName != "localhost" { names.append(.dnsName(hostName)) }
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: notBefore, notValidAfter: notAfter, issuer: caName, subject: serverName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey))
        return Issued(
            caPEM: try ca.serializeAsPEM().pemString, caKeyPEM: caKey.pemRepresentation,
            serverPEM: try server.serializeAsPEM().pemString, serverKeyPEM: serverKey.pemRepresentation)
    }
}
