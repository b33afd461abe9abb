import Foundation
import NIOSSL
import WatershedFederation

/// Builds the TLS configuration of the people's port (8443) from PEM files: TLS 1.2 minimum.
enum TLSSetup {
    /// Reads a certificate chain and key, and builds a TLS context from them once so that a key that
    /// does not belong to the certificate stops the start here rather than at the first handshake.
    ///
    /// - Throws: ``ServerStartupError/tls(_:)`` naming the file that is missing, cannot be parsed or
    ///   holds no certificate, or both files when the key is not the certificate's.
    static func serverConfiguration(certificateFile: String, keyFile: String) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        guard FileManager.default.fileExists(atPath: certificateFile) else {
            throw ServerStartupError.tls("the certificate \(certificateFile) does not exist")
        }
        guard FileManager.default.fileExists(atPath: keyFile) else {
            throw ServerStartupError.tls("the private key \(keyFile) does not exist")
        }
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ServerStartupError.tls("cannot read the certificate \(certificateFile): \(error)")
        }
        guard !chain.isEmpty else { throw ServerStartupError.tls("no PEM certificate in \(certificateFile)") }
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ServerStartupError.tls("cannot read the private key \(keyFile): \(error)")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        do {
            _ = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ServerStartupError.tls(
                "cannot use the certificate \(certificateFile) with the private key \(keyFile) (is it its key?): \(error)"
            )
        }
        return configuration
    }
}

extension TLSSetup {
    /// The client side of a peer link: our certificate and key, TLS 1.2 minimum, full verification (the trust roots
    /// are set per neighbour).
    ///
    /// - Throws: ``ServerStartupError/tls(_:)`` naming the file at fault.
    static func clientConfiguration(certificateFile: String, keyFile: String) throws -> TLSConfiguration {
        let server = try serverConfiguration(certificateFile: certificateFile, keyFile: keyFile)
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = server.certificateChain
        configuration.privateKey = server.privateKey
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .fullVerification
        return configuration
    }
}
