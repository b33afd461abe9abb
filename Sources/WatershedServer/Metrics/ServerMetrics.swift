import Foundation
import Hummingbird
import Prometheus
import WatershedCore

/// The server's metrics, exposed at `GET /metrics` in the Prometheus text format (swift-prometheus).
///
/// Each application owns its registry (nothing is bootstrapped globally), so several servers in one process — as
/// in the tests — keep their own figures. Names follow Prometheus conventions (`_total` counters, `_seconds`
/// histograms):
///
/// | metric | kind | what |
/// | --- | --- | --- |
/// | `watershed_stream_connections` | gauge | open `/v1/stream` WebSocket connections |
/// | `watershed_stream_dead_total` | counter | stream connections dropped for neither speaking nor taking data for 30 s |
/// | `watershed_http_requests_in_flight` | gauge | HTTP requests being handled |
/// | `watershed_events_appended_total{type}` | counter | events committed to the log, by event type |
/// | `watershed_append_seconds` | histogram | one request's append, from the call until its batch is on disk |
/// | `watershed_commit_batch_events` | histogram | events per committed transaction (the group commit's batch size) |
/// | `watershed_push_lag_seconds` | histogram | a live event, from its commit to its frame written to a connection |
/// | `watershed_peer_link_up{peer}` | gauge | 1 while our link to that neighbour's peer port is connected, else 0 |
/// | `watershed_http_request_seconds{method,route,status}` | histogram | request latency by route pattern |
/// | `watershed_storage_failures_total{kind}` | counter | requests refused for a storage failure (`full`, `io`, …) |
/// | `watershed_leader` | gauge | 1 while this node runs the singletons (scheduler, peer links, drill runner, peer watch) |
/// | `watershed_leader_epoch` | gauge | the leader epoch this node was last elected with (PostgreSQL; 0 on SQLite) |
/// | `watershed_build_info{version,commit}` | gauge | always 1: the binary's version and commit (``BuildInfo``) |
/// | `process_*` | gauges | CPU seconds, resident and virtual memory, open and maximum descriptors, start time (``ProcessMetrics``) |
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` emits.
    public let registry = PrometheusCollectorRegistry()
    let streamConnections: Gauge
    let streamDeadDropped: Counter
    let requestsInFlight: Gauge
    let appendSeconds: DurationHistogram
    let pushLagSeconds: DurationHistogram
    let commitBatchEvents: ValueHistogram
    let leader: Gauge
    let leaderEpoch: Gauge
    let process: ProcessMetrics

    /// Buckets for appends and pushes: 0.5 ms … 2.5 s.
    static let fastBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2_500),
    ]

    /// Buckets for a committed batch's events: powers of two, 1 … 1,024 (the largest batch is 1,024 appends).
    static let batchBuckets: [Double] = (0...10).map { Double(1 << $0) }

    public init() {
        streamConnections = registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", metricName: "stream", unitName: "connections",
                helpText: "Open /v1/stream WebSocket connections."))
        streamDeadDropped = registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "stream", metricName: "dead", unitName: "total",
                helpText: "Stream connections dropped for neither speaking nor taking data for 30 s."))
        requestsInFlight = registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", subsystem: "http", metricName: "requests_in", unitName: "flight",
                helpText: "HTTP requests being handled."))
        appendSeconds = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "watershed", metricName: "append", unitName: "seconds",
                helpText: "Time for one request's events to be committed to disk (synchronous = FULL)."),
            labels: [], buckets: Self.fastBuckets)
        pushLagSeconds = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "watershed", subsystem: "push", metricName: "lag", unitName: "seconds",
                helpText: "Time from an event's commit to its frame written to a stream connection."),
            labels: [], buckets: Self.fastBuckets)
        commitBatchEvents = registry.makeValueHistogram(
            descriptor: .init(
                namespace: "watershed", subsystem: "commit", metricName: "batch", unitName: "events",
                helpText: "Events per committed transaction: how many appends the group commit shares one sync between."
            ),
            labels: [], buckets: Self.batchBuckets)
        leader = registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", metricName: "leader",
                helpText:
                    "1 while this node runs the singletons (deadline scheduler, peer links, drill runner), else 0."))
        leaderEpoch = registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", subsystem: "leader", metricName: "epoch",
                helpText: "The leader epoch this node was last elected with (PostgreSQL); 0 on SQLite."))
        registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", subsystem: "build", metricName: "info",
                helpText: "Always 1: the version and commit of this binary."),
            labels: [("version", BuildInfo.version), ("commit", BuildInfo.commit)]
        ).set(to: 1)
        process = ProcessMetrics(registry: registry)
    }

    /// Sets `watershed_leader` (and, when elected, `watershed_leader_epoch`).
    func leading(_ value: Bool, epoch: Int64? = nil) {
        leader.set(to: value ? 1.0 : 0.0)
        if let epoch { leaderEpoch.set(to: Double(epoch)) }
    }

    /// Counts one committed batch's events by type, and the batch's size.
    func committed(_ events: [StoredEvent]) {
        commitBatchEvents.record(Double(events.count))
        appended(events.lazy.map(\.type.rawValue))
    }

    /// Counts committed events by type.
    func appended(_ types: some Sequence<String>) {
        var counts: [String: Int64] = [:]
        for type in types { counts[type, default: 0] += 1 }
        for (type, count) in counts {
            registry.makeCounter(
                descriptor: .init(
                    namespace: "watershed", subsystem: "events", metricName: "appended", unitName: "total",
                    helpText: "Events committed to the log, by type."),
                labels: [("type", type)]
            ).increment(by: count)
        }
    }

    /// Records a request's latency under its route pattern (`/v1/incidents/{id}`), method and status.
    func request(method: String, route: String, status: Int, duration: Duration) {
        registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "watershed", subsystem: "http", metricName: "request", unitName: "seconds",
                helpText: "HTTP request latency by route pattern, method and status."),
            labels: [("method", method), ("route", route), ("status", String(status))],
            buckets: Self.fastBuckets
        ).record(duration)
    }

    /// Sets `watershed_peer_link_up{peer}`: 1 while our link to that neighbour is connected, 0 otherwise.
    func peerLink(_ peer: String, up: Bool) {
        registry.makeGauge(
            descriptor: .init(
                namespace: "watershed", subsystem: "peer", metricName: "link", unitName: "up",
                helpText: "1 while our link to the neighbour's peer port is connected, else 0."),
            labels: [("peer", peer)]
        ).set(to: up ? 1.0 : 0.0)
    }

    /// Counts one request refused because the storage failed, by kind (``WatershedStore/StorageFailure``'s raw
    /// value: `full`, `io`, `busy`, `read_only`, `corrupt`).
    func storageFailure(_ kind: String) {
        registry.makeCounter(
            descriptor: .init(
                namespace: "watershed", subsystem: "storage", metricName: "failures", unitName: "total",
                helpText: "Requests refused because the storage failed, by kind."),
            labels: [("kind", kind)]
        ).increment()
    }

    /// The text `/metrics` answers.
    public func exposition() -> String {
        process.update()
        return registry.emitToString()
    }
}

/// Times every request into ``ServerMetrics`` by the route pattern that matched (never the raw path, so ids do not
/// make new series); paths no route matches are counted under Hummingbird's `NotFound`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = ContinuousClock.now
        metrics.requestsInFlight.increment()
        do {
            // Answers are built whole before they are returned (JSON documents), so this is the handling time.
            let response = try await next(request, context)
            metrics.request(
                method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
                status: response.status.code, duration: ContinuousClock.now - start)
            metrics.requestsInFlight.decrement()
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            metrics.request(
                method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                duration: ContinuousClock.now - start)
            metrics.requestsInFlight.decrement()
            throw error
        }
    }
}
