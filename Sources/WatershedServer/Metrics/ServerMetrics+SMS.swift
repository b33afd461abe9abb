import Foundation
import Prometheus

/// The text-message figures (issue 19, "a metric counts sent / delivered / failed"):
///
/// | metric | kind | what |
/// | --- | --- | --- |
/// | `watershed_sms_texts_total{outcome}` | counter | task texts by outcome: `sent`, `queued` (taken, no SMSC connected), `delivered`, `failed` (an attempt or a delivery report), `undeliverable` (given up; the duty chief phones) |
/// | `watershed_sms_replies_total{outcome}` | counter | texts received: `acknowledged`, `listed`, `not_found` (a rota holder's reply naming no task of theirs), `stranger` (a number not on the rota), `refused` (a call back with the wrong secret or from an address not allowed) |
///
/// Never a number, a name or a person id in a label.
extension ServerMetrics {
    /// Counts one task text by outcome.
    func text(_ outcome: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "sms", metricName: "texts", unitName: "total",
                helpText: "Task text messages by outcome: sent, queued, delivered, failed, undeliverable."),
            labels: [("outcome", outcome)]
        ).increment()
    }

    /// Counts one call back from the gateway with a reply, by outcome.
    func reply(_ outcome: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "sms", metricName: "replies", unitName: "total",
                helpText: "Text messages received: acknowledged, listed, not_found, stranger, refused."),
            labels: [("outcome", outcome)]
        ).increment()
    }
}
