import Foundation
import Logging
import NIOSSL
import WatershedCore
import WatershedPlaybooks
import X509

/// A neighbouring province this server links with: where its peer port is and the CA that signs its certificates
/// (DESIGN.md "Certificates per province"; issue 5, "Link").
public struct PeerEndpoint: Sendable {
    /// The neighbour's GB/T 2260 code.
    public var province: UnitCode
    /// Its name.
    public var name: String
    /// Its peer port, `wss://host:port`; `nil`: we do not connect to it (it may still connect to us).
    public var url: String?
    /// Its CA, as swift-certificates reads it (to tell which peer signed a presented certificate).
    var ca: Certificate
    /// The same CA for NIOSSL's trust store.
    var caForTLS: NIOSSLCertificate
    /// Silence on the link after which a task asks our duty officer to phone the peer.
    public var silentAfter: Duration
}

/// The neighbours this server links with: the agreements of `seeds/<province>/peers.yaml`, with `url` and `caFile`
/// overridden by `<data>/peers/links.yaml` when it names them (for trials on one machine, which `watershed certs`
/// writes). A neighbour without a readable CA file has no link (a warning is logged; CAP 1.2 remains).
public struct PeerDirectory: Sendable {
    /// Linked neighbours by code.
    public private(set) var peers: [UnitCode: PeerEndpoint] = [:]

    /// `<data>/peers/links.yaml`.
    struct LinksFile: Codable {
        struct Link: Codable {
            var province: UnitCode
            var url: String?
            var caFile: String?
        }
        var schemaVersion: Int
        var kind: String
        var links: [Link]
    }

    /// An empty directory (no links).
    public init() {}

    /// Reads the CA files of the agreements that name one.
    ///
    /// - Throws: ``ServerStartupError/invalidFiles(_:)`` for a `links.yaml` that cannot be read (a CA file that is
    ///   missing is only a warning: the link is off).
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
            for link in file.links { links[link.province] = link }
        }
        for agreement in agreements {
            let link = links[agreement.province]
            guard let caFile = link?.caFile ?? agreement.caFile else { continue }
            let caURL =
                caFile.hasPrefix("/") ? URL(fileURLWithPath: caFile) : dataDirectory.appendingPathComponent(caFile)
            guard let pem = try? String(contentsOf: caURL, encoding: .utf8),
                let ca = try? Certificate(pemEncoded: pem),
                let caForTLS = try? NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
            else {
                logger.warning(
                    "no peer link: the CA file is missing or unreadable",
                    metadata: ["peer": "\(agreement.province)", "caFile": "\(caURL.path)"])
                continue
            }
            peers[agreement.province] = PeerEndpoint(
                province: agreement.province, name: agreement.name, url: link?.url ?? agreement.url, ca: ca,
                caForTLS: caForTLS, silentAfter: .seconds(Int64((agreement.silentAfterMin ?? 10) * 60)))
        }
    }

    /// The CAs the peer port trusts.
    var trustRoots: [NIOSSLCertificate] { peers.values.sorted { $0.province < $1.province }.map(\.caForTLS) }

    /// The neighbour whose CA signed `certificate` (already verified by the TLS handshake against ``trustRoots``), if
    /// its subject is that neighbour's peer name (`CN=watershed-peer-<code>`) or any subject when `anySubject`.
    func peer(signing certificate: Certificate) -> PeerEndpoint? {
        peers.values.first { peer in
            certificate.issuer == peer.ca.subject
                && peer.ca.publicKey.isValidSignature(certificate.signature, for: certificate)
        }
    }
}
