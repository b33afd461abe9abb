import Foundation
import Prometheus
import X509

/// When the certificates end (issue 20), so that an alert fires weeks before a port or a peer link stops working:
///
/// | metric | kind | what |
/// | --- | --- | --- |
/// | `watershed_certificate_expiry_timestamp_seconds{role}` | gauge | our own certificates' `notAfter` (RFC 5280 §4.1.2.5), Unix seconds: `role` is `people_port`, `peer_port` or `peer_link_client` |
/// | `watershed_peer_ca_expiry_timestamp_seconds{peer}` | gauge | the `notAfter` of the CA we trust for each neighbour (`peer` = its GB/T 2260 code); a neighbour known only by a pinned certificate has none |
///
/// Read once at start, like the certificates themselves (a new certificate takes a restart). An alert rule:
/// `watershed_certificate_expiry_timestamp_seconds - time() < 30 * 86400`.
extension ServerMetrics {
    /// Sets the expiry gauges for our certificates in use (a file read twice — the peer port's is the people's by
    /// default — is one series per role) and for each neighbour's CA.
    func certificates(_ inUse: [CertificateChecks.InUse], peers: [String: Certificate?]) {
        for certificate in inUse {
            guard let end = CertificateChecks.notValidAfter(file: certificate.file) else { continue }
            registry.makeGauge(
                descriptor: .init(
                    namespace: "watershed", subsystem: "certificate", metricName: "expiry",
                    unitName: "timestamp_seconds",
                    helpText: "When our certificate ends (notAfter, Unix seconds), by role."),
                labels: [("role", certificate.label)]
            ).set(to: end.timeIntervalSince1970)
        }
        for (peer, ca) in peers.sorted(by: { $0.key < $1.key }) {
            guard let ca else { continue }
            registry.makeGauge(
                descriptor: .init(
                    namespace: "watershed", subsystem: "peer", metricName: "ca_expiry",
                    unitName: "timestamp_seconds",
                    helpText: "When the CA we trust for the neighbour ends (notAfter, Unix seconds)."),
                labels: [("peer", peer)]
            ).set(to: ca.notValidAfter.timeIntervalSince1970)
        }
    }
}
