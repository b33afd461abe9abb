import Foundation
import NIOSSL

/// Builds the TLS configuration of the people's port (8443) from PEM files: TLS 1.2 minimum.
enum TLSSetup {
    /// Reads a certificate chain and key.
    ///
    /// - Throws: ``ServerStartupError/tls(_:)`` naming the file that cannot be read or parsed.
    static func serverConfiguration(certificateFile: String, keyFile: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ServerStartupError.tls("cannot read the certificate \(certificateFile): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ServerStartupError.tls("cannot read the private key \(keyFile): \(error)")
        }
        guard !chain.isEmpty else { throw ServerStartupError.tls("no certificate in \(certificateFile)") }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }
}

/// Why the server cannot start; the CLI prints it and exits 1.
public enum ServerStartupError: Error, Sendable, CustomStringConvertible {
    /// Playbooks or seeds are invalid: one `file:line:column: field: message` line each.
    case invalidFiles([String])
    /// A certificate or key cannot be used.
    case tls(String)
    /// The event log cannot be opened.
    case store(String)

    public var description: String {
        switch self {
        case .invalidFiles(let lines): lines.joined(separator: "\n")
        case .tls(let message): "TLS: \(message)"
        case .store(let message): "event log: \(message)"
        }
    }
}
