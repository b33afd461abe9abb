import Prometheus

/// Connection figures (issue 15, item 2), beside those listed on ``ServerMetrics``:
///
/// | metric | kind | what |
/// | --- | --- | --- |
/// | `watershed_connections_open` | gauge | connections open on both ports |
/// | `watershed_connections_refused_total{listener}` | counter | new connections closed because the cap was reached |
/// | `watershed_connections_timed_out_total{listener,stage}` | counter | connections closed for not finishing the TLS
///   handshake, not starting a request, or not finishing its head in time (``ConnectionTimeouts``) |
/// | `watershed_tls_handshake_failures_total{listener}` | counter | TLS handshakes that failed |
extension ServerMetrics {
    func connectionsOpen(_ count: Int) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", subsystem: "connections", metricName: "open",
                helpText: "Connections open on both ports.")
        ).set(Int64(count))
    }

    func connectionRefused(listener: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "connections", metricName: "refused", unitName: "total",
                helpText: "New connections closed because the connection cap was reached."),
            labels: [("listener", listener)]
        ).increment()
    }

    func connectionTimedOut(listener: String, stage: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "connections", metricName: "timed_out", unitName: "total",
                helpText:
                    "Connections closed before their first request head was complete, by the step that took too long."),
            labels: [("listener", listener), ("stage", stage)]
        ).increment()
    }

    func handshakeFailed(listener: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "tls", metricName: "handshake_failures", unitName: "total",
                helpText:
                    "TLS handshakes that failed (an untrusted certificate, a wrong protocol, a refused client certificate)."
            ),
            labels: [("listener", listener)]
        ).increment()
    }
}
