import Crypto
import Foundation
import Logging
import NIOSSL
import WatershedCore
import WatershedPlaybooks
import X509

/// A neighbouring province this server links with: where its peer port is and how its certificates are recognised —
/// the CA that signs them, the pinned SHA-256 fingerprint of its client certificate, or both (DESIGN.md "Certificates
/// per province"; issue 5, "Link").
public struct PeerEndpoint: Sendable {
    /// The neighbour's GB/T 2260 code.
    public var province: UnitCode
    /// Its name.
    public var name: String
    /// Its peer port, `wss://host:port`; `nil`: we do not connect to it (it may still connect to us).
    public var url: String?
    /// Its CA, as swift-certificates reads it (to tell which peer signed a presented certificate); `nil` for a peer
    /// known only by fingerprint.
    package var ca: Certificate?
    /// The same CA for NIOSSL's trust store (our link to the peer trusts only it).
    package var caForTLS: NIOSSLCertificate?
    /// The SHA-256 of the DER bytes of its client certificate (`certSHA256`, 32 bytes), if pinned.
    package var pinnedSHA256: [UInt8]?
    /// Silence on the link after which a task asks our duty officer to phone the peer.
    public var silentAfter: Duration
}

/// The neighbours this server links with: the agreements of `seeds/<province>/peers.yaml`, with `url`, `caFile` and
/// `certSHA256` overridden by `<data>/peers/links.yaml` when it names them (for trials on one machine, which `watershed
/// certs` writes). A neighbour with neither a readable CA file nor a pinned fingerprint has no link (a warning is
/// logged; CAP 1.2 remains).
public struct PeerDirectory: Sendable {
    /// Linked neighbours by code.
    public private(set) var peers: [UnitCode: PeerEndpoint] = [:]

    /// `<data>/peers/links.yaml`.
    package struct LinksFile: Codable {
        struct Link: Codable {
            var province: UnitCode
            var url: String?
            var caFile: String?
            var certSHA256: String?
        }
        var schemaVersion: Int
        var kind: String
        var links: [Link]
    }

    /// An empty directory (no links).
    public init() {}

    /// Reads the CA files of the agreements that name one and the fingerprints of those that pin one.
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` for a `links.yaml` that cannot be read or whose
    ///   `certSHA256` is not 64 hex digits (a CA file that is missing is only a warning: that CA is not trusted).
    public init(agreements: [NotificationAgreement], dataDirectory: URL, logger: Logger) throws {
        var links: [UnitCode: LinksFile.Link] = [:]
        let linksURL = dataDirectory.appendingPathComponent("peers/links.yaml")
        if FileManager.default.fileExists(atPath: linksURL.path) {
            guard let text = try? String(contentsOf: linksURL, encoding: .utf8) else {
                throw ServerStartupError.invalidFiles(["\(linksURL.path):1:1: cannot read the links file"])
            }
            let result = StrictYAMLDecoder().decodeCollectingProblems(LinksFile.self, from: text, file: linksURL.path)
            guard let file = result.value, result.diagnostics.isEmpty else {
                throw ServerStartupError.invalidFiles(result.diagnostics.map(\.description))
            }
            guard file.kind == "peerLinks", file.schemaVersion == 1 else {
                let (line, column) = result.sourceMap.position(of: "kind")
                throw ServerStartupError.invalidFiles([
                    "\(linksURL.path):\(line):\(column): kind: expected kind peerLinks, schemaVersion 1"
                ])
            }
            for (index, link) in file.links.enumerated() {
                if let pin = link.certSHA256, NotificationAgreement.fingerprintBytes(pin) == nil {
                    let field = "links[\(index)].certSHA256"
                    let (line, column) = result.sourceMap.position(of: field)
                    throw ServerStartupError.invalidFiles([
                        "\(linksURL.path):\(line):\(column): \(field): \"\(pin)\" is not a SHA-256 fingerprint "
                            + "(64 hex digits, colons between pairs allowed)"
                    ])
                }
                links[link.province] = link
            }
        }
        for agreement in agreements {
            let link = links[agreement.province]
            let pinned = (link?.certSHA256 ?? agreement.certSHA256).flatMap(NotificationAgreement.fingerprintBytes)
            var ca: Certificate?
            var caForTLS: NIOSSLCertificate?
            var unreadable: String?
            if let caFile = link?.caFile ?? agreement.caFile {
                let caURL =
                    caFile.hasPrefix("/") ? URL(fileURLWithPath: caFile) : dataDirectory.appendingPathComponent(caFile)
                if let pem = try? String(contentsOf: caURL, encoding: .utf8),
                    let certificate = try? Certificate(pemEncoded: pem),
                    let forTLS = try? NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
                {
                    ca = certificate
                    caForTLS = forTLS
                } else {
                    unreadable = caURL.path
                }
            }
            if let unreadable {
                logger.warning(
                    pinned == nil
                        ? "no peer link: the CA file is missing or unreadable"
                        : "the peer's CA file is missing or unreadable: it is known by its pinned certificate only",
                    metadata: ["peer": "\(agreement.province)", "caFile": "\(unreadable)"])
            }
            guard ca != nil || pinned != nil else { continue }
            peers[agreement.province] = PeerEndpoint(
                province: agreement.province, name: agreement.name, url: link?.url ?? agreement.url, ca: ca,
                caForTLS: caForTLS, pinnedSHA256: pinned,
                silentAfter: .seconds(Int64((agreement.silentAfterMin ?? 10) * 60)))
        }
    }

    /// The CAs the peer port trusts.
    package var trustRoots: [NIOSSLCertificate] {
        peers.values.sorted { $0.province < $1.province }.compactMap(\.caForTLS)
    }

    /// How a presented client certificate was recognised.
    package enum Recognition {
        /// Its SHA-256 is the peer's pinned `certSHA256`.
        case pinned(PeerEndpoint)
        /// The peer's CA signed it.
        case signed(PeerEndpoint)

        var peer: PeerEndpoint {
            switch self {
            case .pinned(let peer), .signed(let peer): peer
            }
        }
    }

    /// The neighbour a client certificate (already verified by ``verify(_:now:)`` at the handshake) belongs to: the
    /// one whose pinned fingerprint is the SHA-256 of `der`, else the one whose CA signed it.
    package func recognise(_ certificate: Certificate, der: [UInt8]) -> Recognition? {
        let digest = Array(SHA256.hash(data: der))
        let byPin = peers.values.sorted { $0.province < $1.province }.first { $0.pinnedSHA256 == digest }
        if let byPin { return .pinned(byPin) }
        return peers.values.sorted { $0.province < $1.province }.first { peer in
            guard let ca = peer.ca else { return false }
            return certificate.issuer == ca.subject
                && ca.publicKey.isValidSignature(certificate.signature, for: certificate)
        }.map(Recognition.signed)
    }

    /// The peer port's verification of a client's certificate chain (leaf first), run by NIOSSL in place of
    /// BoringSSL's own (a custom verification callback): the leaf must allow client authentication — its extended key
    /// usage lists `clientAuth` (RFC 5280 §4.2.1.12: "id-kp-clientAuth … TLS WWW client authentication"; a neighbour's
    /// *server* certificate, `serverAuth` only, is refused: issue 15, item 13) — and it is accepted when its SHA-256 (of
    /// its DER bytes) is a peer's pinned `certSHA256` and `now` lies within its validity period — whoever signed it — or
    /// when the chain verifies to one of the peers' CAs under RFC 5280 (signatures, validity at `now`, CA constraints;
    /// swift-certificates' `RFC5280Policy`). Anything else fails the handshake. NIOSSL has already refused a connection
    /// with no certificate (the port's verification mode requires one).
    ///
    /// - Parameters:
    ///   - now: the time to check validity at: the real time, as BoringSSL would (not the injected clock, which a test
    ///     or a drill may set to 2013).
    ///   - note: told why a certificate is refused, for the one log line of the failed handshake.
    package func verify(_ chain: [NIOSSLCertificate], now: Date = Date(), note: VerificationNote? = nil) async
        -> NIOSSLVerificationResult
    {
        guard let first = chain.first, let der = try? first.toDERBytes(),
            let leaf = try? Certificate(derEncoded: der)
        else {
            note?.refuse("the client certificate cannot be read")
            return .failed
        }
        if let missing = Self.clientAuthProblem(leaf) {
            note?.refuse("the client certificate \(leaf.subject) \(missing)")
            return .failed
        }
        let digest = Array(SHA256.hash(data: der))
        if peers.values.contains(where: { $0.pinnedSHA256 == digest }) {
            if leaf.notValidBefore <= now && now < leaf.notValidAfter { return .certificateVerified }
            note?.refuse("the pinned client certificate \(leaf.subject) is not valid now (\(leaf.notValidAfter))")
            return .failed
        }
        let roots = peers.values.compactMap(\.ca)
        guard !roots.isEmpty else {
            note?.refuse("no neighbour's CA is configured, and the client certificate is not pinned")
            return .failed
        }
        let intermediates = chain.dropFirst().compactMap { certificate in
            (try? certificate.toDERBytes()).flatMap { try? Certificate(derEncoded: $0) }
        }
        var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
            RFC5280Policy(validationTime: now)
        }
        let result = await verifier.validate(leaf: leaf, intermediates: CertificateStore(intermediates))
        if case .validCertificate = result { return .certificateVerified }
        note?.refuse(
            "the client certificate \(leaf.subject) (issuer \(leaf.issuer)) is neither pinned nor signed by a "
                + "neighbour's CA, or is not valid now")
        return .failed
    }

    /// What keeps `certificate` from serving as a TLS client certificate, or `nil`: its extended key usage must list
    /// `clientAuth` (RFC 5280 §4.2.1.12). Says what it lists instead, or that it has none.
    package static func clientAuthProblem(_ certificate: Certificate) -> String? {
        guard let usage = try? certificate.extensions.extendedKeyUsage else {
            return "has no extended key usage; the peer port requires clientAuth"
        }
        if usage.contains(.clientAuth) { return nil }
        let listed = usage.map(\.description).joined(separator: ", ")
        return "has extended key usage \(listed) without clientAuth; the peer port requires clientAuth"
    }
}
