import Foundation

/// Certificates and peer files for trying several provinces' servers on one machine (`watershed certs`; DESIGN.md
/// "Development certificates"): for each province a data directory `<out>/<code>/` with its own CA, server and
/// peer-client certificates in `tls/` (as ``DevelopmentCertificates`` makes them), every other province's CA in
/// `peers/<other>-ca.pem`, and `peers/links.yaml` with the other provinces' peer-port URLs when given.
public enum TrialCertificates {
    /// One province of the trial.
    public struct Province: Sendable, Hashable {
        /// GB/T 2260 code.
        public var code: String
        /// Its peer port as the others reach it, e.g. `wss://127.0.0.1:9444`; `nil` leaves the seeds' URL.
        public var peerURL: String?

        public init(code: String, peerURL: String? = nil) {
            self.code = code
            self.peerURL = peerURL
        }
    }

    /// Makes (or keeps, when usable) each province's certificates and writes the peer files; returns the data
    /// directories made, by code.
    ///
    /// - Throws: file-system errors; X509 errors while signing.
    @discardableResult
    public static func make(_ provinces: [Province], in out: URL, now: Date = Date()) throws -> [String: URL] {
        var directories: [String: URL] = [:]
        for province in provinces {
            let data = out.appendingPathComponent(province.code)
            let certificates = DevelopmentCertificates(dataDirectory: data)
            try certificates.ensure(caCommonName: "Watershed \(province.code) CA", now: now)
            try certificates.ensurePeerClient(province: province.code, now: now)
            directories[province.code] = data
        }
        for province in provinces {
            let peers = out.appendingPathComponent(province.code).appendingPathComponent("peers")
            try FileManager.default.createDirectory(at: peers, withIntermediateDirectories: true)
            var links = "schemaVersion: 1\nkind: peerLinks\nlinks:\n"
            var linked = 0
            for other in provinces where other.code != province.code {
                let ca = DevelopmentCertificates(dataDirectory: out.appendingPathComponent(other.code)).caFile
                let target = peers.appendingPathComponent("\(other.code)-ca.pem")
                try? FileManager.default.removeItem(at: target)
                try FileManager.default.copyItem(at: ca, to: target)
                links += "  - province: \"\(other.code)\"\n    caFile: peers/\(other.code)-ca.pem\n"
                if let url = other.peerURL { links += "    url: \"\(url)\"\n" }
                linked += 1
            }
            if linked == 0 { links = "schemaVersion: 1\nkind: peerLinks\nlinks: []\n" }
            try Data(links.utf8).write(to: peers.appendingPathComponent("links.yaml"), options: .atomic)
        }
        return directories
    }
}
