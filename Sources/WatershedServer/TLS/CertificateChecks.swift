import Foundation
import X509

/// What `serve` checks of its own certificates at start (issue 15, items 13 and 14).
enum CertificateChecks {
    /// Warn this many days ahead of a certificate's end.
    static let warningDays = 30

    /// A certificate file in use, and what it is used for.
    struct InUse: Sendable {
        /// For the message: "the people's port certificate".
        var role: String
        /// For the metric's `role` label: `people_port`, `peer_port`, `peer_link_client`.
        var label: String
        /// The PEM file; its first certificate is checked.
        var file: String
        /// Whether `serve` made it (``DevelopmentCertificates``): the advice on renewing differs.
        var development: Bool
    }

    /// One warning per certificate that ends within ``warningDays`` of `now` (or has ended), saying when and how to
    /// renew it; none for a file that cannot be read (the start has already refused it).
    static func expiryWarnings(_ certificates: [InUse], dataDirectory: URL, now: Date = Date()) -> [String] {
        var seen: Set<String> = []
        var warnings: [String] = []
        for inUse in certificates where seen.insert(inUse.file).inserted {
            guard let pem = try? String(contentsOfFile: inUse.file, encoding: .utf8),
                let certificate = try? Certificate(pemEncoded: pem)
            else { continue }
            let left = certificate.notValidAfter.timeIntervalSince(now)
            guard left < Double(warningDays) * 86_400 else { continue }
            let end = ISO8601DateFormatter().string(from: certificate.notValidAfter)
            let when =
                left <= 0
                ? "ended on \(end)" : "ends on \(end), in \(Int((left / 86_400).rounded(.down))) days"
            let renew =
                inUse.development
                ? "to renew, stop the server, delete \(dataDirectory.appendingPathComponent("tls").path)/ and start it "
                    + "again: it makes a new development CA and certificates, and clients must then trust the new ca.pem "
                    + "(a trial set of several provinces: run `watershed certs` again)"
                : "to renew, put a new certificate and its key in place of \(inUse.file) and restart"
            warnings.append("\(inUse.role) \(inUse.file) \(when); \(renew)")
        }
        return warnings
    }

    /// The end of the validity of the first certificate in the PEM file `file` (its `notAfter`, RFC 5280 §4.1.2.5),
    /// or `nil` for a file that cannot be read as one.
    static func notValidAfter(file: String) -> Date? {
        guard let pem = try? String(contentsOfFile: file, encoding: .utf8),
            let certificate = try? Certificate(pemEncoded: pem)
        else { return nil }
        return certificate.notValidAfter
    }

    /// What keeps the certificate in `file` from its two jobs on the peer side, or `nil`: neighbours' peer ports
    /// require a client certificate whose extended key usage lists `clientAuth` (what our links present), and
    /// neighbours' links expect `serverAuth` of our peer port's certificate (RFC 5280 §4.2.1.12).
    ///
    /// - Parameters:
    ///   - file: the PEM file.
    ///   - usage: `.clientAuth` for the links' certificate, `.serverAuth` for the peer port's.
    static func usageProblem(file: String, needs usage: ExtendedKeyUsage.Usage) -> String? {
        guard let pem = try? String(contentsOfFile: file, encoding: .utf8),
            let certificate = try? Certificate(pemEncoded: pem)
        else { return nil }
        guard let listed = try? certificate.extensions.extendedKeyUsage else {
            // No extended key usage: any use (RFC 5280 §4.2.1.12), but the peer port asks for clientAuth by name.
            return usage == .clientAuth
                ? "has no extended key usage, and neighbours' peer ports require clientAuth" : nil
        }
        guard !listed.contains(usage) else { return nil }
        let names = listed.map(\.description)
        let needed = usage == .clientAuth ? "clientAuth" : "serverAuth"
        let why =
            usage == .clientAuth
            ? "neighbours' peer ports require clientAuth of the certificate our links present"
            : "neighbours' links require serverAuth of our peer port's certificate"
        return "has extended key usage \(names.joined(separator: ", ")) without \(needed); \(why)"
    }
}
